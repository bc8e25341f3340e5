package middleware

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/ulule/limiter/v3"
	"github.com/ulule/limiter/v3/drivers/store/common"
)

// MemoryRateStore is a limiter.Store that counts in this process's memory
// (rate_limit.store: memory, the default): no database write per request.
// Counts are per fixed window of rate.Period aligned on the Unix epoch, as
// the MongoDB store's (models.RateLimitStore), so both answer the same
// X-RateLimit-* headers. Each instance counts on its own: N instances
// behind a balancer allow N times each limit (README "Configuration").
//
// Memory is bounded: at most the capacity given to NewMemoryRateStore
// keys are kept, the least recently used dropped first (a dropped key
// counts from zero again). Safe for concurrent use.
type MemoryRateStore struct {
	mu   sync.Mutex
	keys *simplelru.LRU[string, memoryWindow]
	now  func() time.Time
}

// memoryWindow is one key's count in the window numbered n.
type memoryWindow struct {
	n     int64
	count int64
}

// DefaultMemoryRateKeys is the capacity of the memory store the server
// uses: 100,000 clients, a few megabytes.
const DefaultMemoryRateKeys = 100_000

// NewMemoryRateStore returns a store keeping at most capacity keys (at
// least 1), on the clock now (nil: time.Now).
func NewMemoryRateStore(capacity int, now func() time.Time) *MemoryRateStore {
	if now == nil {
		now = time.Now
	}
	keys, err := simplelru.NewLRU[string, memoryWindow](max(capacity, 1), nil)
	if err != nil {
		panic(err) // unreachable: the size is positive
	}
	return &MemoryRateStore{keys: keys, now: now}
}

// Get counts one hit for key and returns the state after it.
func (s *MemoryRateStore) Get(ctx context.Context, key string, rate limiter.Rate) (limiter.Context, error) {
	return s.Increment(ctx, key, 1, rate)
}

// Increment adds count hits for key in the current window and returns the
// state after them.
func (s *MemoryRateStore) Increment(_ context.Context, key string, count int64, rate limiter.Rate) (limiter.Context, error) {
	now := s.now()
	n, end := memoryWindowAt(now, rate.Period)
	s.mu.Lock()
	w, ok := s.keys.Get(key)
	if !ok || w.n != n {
		w = memoryWindow{n: n}
	}
	w.count += count
	s.keys.Add(key, w)
	s.mu.Unlock()
	return common.GetContextFromState(now, rate, end, w.count), nil
}

// Peek returns the state for key without counting a hit.
func (s *MemoryRateStore) Peek(_ context.Context, key string, rate limiter.Rate) (limiter.Context, error) {
	now := s.now()
	n, end := memoryWindowAt(now, rate.Period)
	s.mu.Lock()
	w, ok := s.keys.Peek(key)
	s.mu.Unlock()
	var count int64
	if ok && w.n == n {
		count = w.count
	}
	return common.GetContextFromState(now, rate, end, count), nil
}

// Reset forgets the hits of key.
func (s *MemoryRateStore) Reset(_ context.Context, key string, rate limiter.Rate) (limiter.Context, error) {
	now := s.now()
	_, end := memoryWindowAt(now, rate.Period)
	s.mu.Lock()
	s.keys.Remove(key)
	s.mu.Unlock()
	return common.GetContextFromState(now, rate, end, 0), nil
}

// Len is the number of keys kept.
func (s *MemoryRateStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys.Len()
}

// memoryWindowAt is the number and end of the window of period holding now.
func memoryWindowAt(now time.Time, period time.Duration) (n int64, end time.Time) {
	n = now.UnixNano() / int64(period)
	return n, time.Unix(0, (n+1)*int64(period))
}
