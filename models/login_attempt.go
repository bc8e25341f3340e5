package models

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// LoginAttemptStore counts failed logins in the `login_attempts` collection
// so that every instance sees the same counts (issue 3 item 7, OWASP ASVS
// 6.1.1 / 6.3.1). Keys are chosen by the caller (e.g. "acct:" + lower-cased
// account, "ip:" + client IP). Each key has a fixed window that opens at its
// first failure and lasts the window passed to Fail; failures after it ends
// open a new one. Documents: `{_id: key, count, windowStart, expiresAt}`;
// the expiry of Open reclaims ended ones.
//
// Fail is exact across instances on MongoDB; on FerretDB v1.24 only within
// one store (see RateLimitStore), so share the one of DB.LoginAttempts.
type LoginAttemptStore struct{ counter windowCounter }

// newLoginAttemptStore uses the `login_attempts` collection of db.
func newLoginAttemptStore(db *mongo.Database) *LoginAttemptStore {
	return &LoginAttemptStore{counter: newWindowCounter(db.Collection(CollLoginAttempts))}
}

// Fail counts one failure for key at now and returns the failures in the
// key's window, this one included, and when that window opened. A key
// without an open window gets one of length window starting at now.
func (s *LoginAttemptStore) Fail(ctx context.Context, key string, now time.Time, window time.Duration) (count int, windowStart time.Time, err error) {
	doc, err := s.counter.add(ctx, key, 1, now, window)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count failed login: %w", err)
	}
	return int(doc.Count), doc.WindowStart, nil
}

// Count returns the failures in the window of key open at now and when it
// opened; 0 and the zero time when there is none.
func (s *LoginAttemptStore) Count(ctx context.Context, key string, now time.Time) (count int, windowStart time.Time, err error) {
	doc, found, err := s.counter.current(ctx, key, now)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("read failed logins: %w", err)
	}
	if !found {
		return 0, time.Time{}, nil
	}
	return int(doc.Count), doc.WindowStart, nil
}

// Forgive takes one failure back from the open window of each key (never
// below zero; a key without an open window is left alone), in one round
// trip: attempts counted in advance turned out not to be failures.
func (s *LoginAttemptStore) Forgive(ctx context.Context, now time.Time, keys ...string) error {
	if err := s.counter.settle(ctx, now, nil, keys); err != nil {
		return fmt.Errorf("forgive failed login: %w", err)
	}
	return nil
}

// Clear forgets the failures of key at now and takes one failure back
// from the open window of each of forgive, in one round trip (a
// successful login clears its account and forgives its IP). key's window
// ends at now, which is the same as deleting it: reads and the sweep see
// an ended window, and key's next failure opens a new one.
func (s *LoginAttemptStore) Clear(ctx context.Context, key string, now time.Time, forgive ...string) error {
	if err := s.counter.settle(ctx, now, []string{key}, forgive); err != nil {
		return fmt.Errorf("clear failed logins: %w", err)
	}
	return nil
}
