package media

import "context"

// HoldSlots takes n of s's processing slots until release is called, as
// n uploads being processed would.
func HoldSlots(s *Service, n int) (release func()) {
	if err := s.slots.Acquire(context.Background(), int64(n)); err != nil {
		panic(err)
	}
	return func() { s.slots.Release(int64(n)) }
}
