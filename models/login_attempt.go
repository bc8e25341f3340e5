package models

import (
	"context"
	"fmt"
	"time"
)

// LoginAttemptStore counts failed logins in the `login_attempts` collection
// so that every instance sees the same counts (OWASP ASVS 6.1.1 / 6.3.1).
// Keys are chosen by the caller (e.g. "acct:" + lower-cased account, "ip:"
// + client IP). Counts are kept per fixed window of the length the caller
// passes, aligned on the Unix epoch: failures in one window count
// together, and the next window starts from zero. Documents: `{_id: key +
// ":" + window number, count, expiresAt}` (see counter); the expiry of Open
// reclaims ended ones.
//
// Fail is exact across instances on MongoDB; on FerretDB v1.24 only within
// one store (see counter), so share the one of DB.LoginAttempts.
type LoginAttemptStore struct{ counter counter }

// newLoginAttemptStore uses the `login_attempts` collection of db.
func newLoginAttemptStore(db *database) *LoginAttemptStore {
	return &LoginAttemptStore{counter: newCounter(db.Collection(CollLoginAttempts))}
}

// Fail counts one failure for key at now and returns the failures in the
// key's window of length window, this one included, and when that window
// opened. One round trip.
func (s *LoginAttemptStore) Fail(ctx context.Context, key string, now time.Time, window time.Duration) (count int, windowStart time.Time, err error) {
	n, w, err := s.counter.add(ctx, key, 1, now, window)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count failed login: %w", err)
	}
	return int(n), w.Start, nil
}

// Add counts n attempts for key at now (several at once: an instance's
// share of a site-wide count) and returns the count in the key's window of
// length window, and when that window opened. One round trip.
func (s *LoginAttemptStore) Add(ctx context.Context, key string, n int, now time.Time, window time.Duration) (count int, windowStart time.Time, err error) {
	c, w, err := s.counter.add(ctx, key, int64(n), now, window)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count login attempts: %w", err)
	}
	return int(c), w.Start, nil
}

// Count returns the failures of key in its window of length window holding
// now, and when that window opened.
func (s *LoginAttemptStore) Count(ctx context.Context, key string, now time.Time, window time.Duration) (count int, windowStart time.Time, err error) {
	n, w, err := s.counter.current(ctx, key, now, window)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("read failed logins: %w", err)
	}
	return int(n), w.Start, nil
}

// Forgive takes one failure back from each key's window of length window
// holding now (a key without failures there is left alone), in one round
// trip: attempts counted in advance turned out not to be failures.
func (s *LoginAttemptStore) Forgive(ctx context.Context, now time.Time, window time.Duration, keys ...string) error {
	if err := s.counter.settle(ctx, now, window, nil, keys); err != nil {
		return fmt.Errorf("forgive failed login: %w", err)
	}
	return nil
}

// Clear forgets the failures of key in its window of length window holding
// now, and takes one failure back from each of forgive, in one round trip
// (a successful login clears its account and forgives its IP).
func (s *LoginAttemptStore) Clear(ctx context.Context, key string, now time.Time, window time.Duration, forgive ...string) error {
	if err := s.counter.settle(ctx, now, window, []string{key}, forgive); err != nil {
		return fmt.Errorf("clear failed logins: %w", err)
	}
	return nil
}
