package models

import (
	"context"
	"fmt"
	"time"

	"github.com/ulule/limiter/v3"
	"github.com/ulule/limiter/v3/drivers/store/common"
)

// RateLimitStore is a limiter.Store (github.com/ulule/limiter/v3) over the
// `ratelimits` collection, so every API instance counts against the same
// per-IP limits (rate_limit.store: mongo, README "Rate limits"). Counts are
// kept per fixed window of rate.Period aligned on the Unix epoch; the next
// window starts from zero. Documents: `{_id: "limiter:" + key + ":" +
// window number, count, expiresAt}` (see counter): one $inc upsert on
// {_id} per hit. Ended windows are ignored by reads and reclaimed by the
// expiry of Open.
//
// Exact across instances on MongoDB; on FerretDB v1.24 within one store
// (see counter): share the one of DB.RateLimits between limiters.
type RateLimitStore struct {
	counter counter
	now     func() time.Time
}

// newRateLimitStore uses the `ratelimits` collection of db. now is the
// clock (nil: time.Now).
func newRateLimitStore(db *database, now func() time.Time) *RateLimitStore {
	if now == nil {
		now = time.Now
	}
	return &RateLimitStore{counter: newCounter(db.Collection(CollRateLimits)), now: now}
}

func rateLimitID(key string) string { return limiter.DefaultPrefix + ":" + key }

// Get counts one hit for key and returns the state after it.
func (s *RateLimitStore) Get(ctx context.Context, key string, rate limiter.Rate) (limiter.Context, error) {
	return s.Increment(ctx, key, 1, rate)
}

// Increment adds count hits for key and returns the state after them:
// Reached is true once the window holds more than rate.Limit hits, Reset is
// the end of the window (Unix seconds).
func (s *RateLimitStore) Increment(ctx context.Context, key string, count int64, rate limiter.Rate) (limiter.Context, error) {
	now := s.now()
	n, w, err := s.counter.add(ctx, rateLimitID(key), count, now, rate.Period)
	if err != nil {
		return limiter.Context{}, fmt.Errorf("rate limit %q: %w", key, err)
	}
	return common.GetContextFromState(now, rate, w.End, n), nil
}

// Peek returns the state for key without counting a hit.
func (s *RateLimitStore) Peek(ctx context.Context, key string, rate limiter.Rate) (limiter.Context, error) {
	now := s.now()
	n, w, err := s.counter.current(ctx, rateLimitID(key), now, rate.Period)
	if err != nil {
		return limiter.Context{}, fmt.Errorf("rate limit %q: %w", key, err)
	}
	return common.GetContextFromState(now, rate, w.End, n), nil
}

// Reset forgets the hits of key in the current window.
func (s *RateLimitStore) Reset(ctx context.Context, key string, rate limiter.Rate) (limiter.Context, error) {
	now := s.now()
	if err := s.counter.settle(ctx, now, rate.Period, []string{rateLimitID(key)}, nil); err != nil {
		return limiter.Context{}, fmt.Errorf("rate limit %q: %w", key, err)
	}
	w := windowAt(now, rate.Period)
	return common.GetContextFromState(now, rate, w.End, 0), nil
}
