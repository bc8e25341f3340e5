package models_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/ulule/limiter/v3"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
)

func newWindowClock() *dbtest.Clock {
	return dbtest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
}

func TestRateLimitStoreWindow(t *testing.T) {
	ctx := context.Background()
	clock := newWindowClock()
	start := clock.Now()
	store := dbtest.Open(t, models.Options{Now: clock.Now}).RateLimits
	rate := limiter.Rate{Limit: 3, Period: time.Minute}
	lim := limiter.New(store, rate)

	steps := []struct {
		name      string
		advance   time.Duration
		remaining int64
		reached   bool
		reset     time.Time
	}{
		{"first hit opens the window", 0, 2, false, start.Add(time.Minute)},
		{"second", 10 * time.Second, 1, false, start.Add(time.Minute)},
		{"third uses the last one", 10 * time.Second, 0, false, start.Add(time.Minute)},
		{"fourth is over", 10 * time.Second, 0, true, start.Add(time.Minute)},
		{"last instant of the window", 30*time.Second - time.Millisecond, 0, true, start.Add(time.Minute)},
		{"window ended: a new one", time.Millisecond, 2, false, start.Add(2 * time.Minute)},
		{"counts in the new window", time.Second, 1, false, start.Add(2 * time.Minute)},
	}
	for _, st := range steps {
		clock.Advance(st.advance)
		got, err := lim.Get(ctx, "captcha:192.0.2.1")
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		want := limiter.Context{Limit: 3, Remaining: st.remaining, Reset: st.reset.Unix(), Reached: st.reached}
		if got != want {
			t.Errorf("%s: got %+v, want %+v", st.name, got, want)
		}
	}
}

func TestRateLimitStorePeekAndReset(t *testing.T) {
	ctx := context.Background()
	clock := newWindowClock()
	store := dbtest.Open(t, models.Options{Now: clock.Now}).RateLimits
	lim := limiter.New(store, limiter.Rate{Limit: 5, Period: time.Hour})

	peek := func(key string) limiter.Context {
		t.Helper()
		got, err := lim.Peek(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := peek("k"); got.Remaining != 5 || got.Reached {
		t.Fatalf("peek of an unknown key: %+v", got)
	}
	for range 2 {
		if _, err := lim.Get(ctx, "k"); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if got := peek("k"); got.Remaining != 3 {
			t.Fatalf("peek: remaining %d, want 3 (peek must not count)", got.Remaining)
		}
	}
	if got := peek("other"); got.Remaining != 5 {
		t.Fatalf("another key: remaining %d, want 5", got.Remaining)
	}
	got, err := lim.Reset(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if got.Remaining != 5 || got.Reached {
		t.Fatalf("reset returned %+v", got)
	}
	if got := peek("k"); got.Remaining != 5 {
		t.Fatalf("after reset: remaining %d, want 5", got.Remaining)
	}
	if got, err := lim.Get(ctx, "k"); err != nil || got.Remaining != 4 {
		t.Fatalf("first hit after reset: %+v, %v", got, err)
	}
	if _, err := lim.Reset(ctx, "never-seen"); err != nil {
		t.Fatalf("reset of an unknown key: %v", err)
	}
}

func TestRateLimitStoreIncrementBy(t *testing.T) {
	ctx := context.Background()
	clock := newWindowClock()
	lim := limiter.New(dbtest.Open(t, models.Options{Now: clock.Now}).RateLimits, limiter.Rate{Limit: 10, Period: time.Minute})
	for _, tc := range []struct {
		n         int64
		remaining int64
		reached   bool
	}{{4, 6, false}, {6, 0, false}, {1, 0, true}} {
		got, err := lim.Increment(ctx, "k", tc.n)
		if err != nil {
			t.Fatal(err)
		}
		if got.Remaining != tc.remaining || got.Reached != tc.reached {
			t.Fatalf("increment by %d: %+v, want remaining %d reached %v", tc.n, got, tc.remaining, tc.reached)
		}
	}
}

func TestRateLimitStoreConcurrentIncrement(t *testing.T) {
	ctx := context.Background()
	clock := newWindowClock()
	lim := limiter.New(dbtest.Open(t, models.Options{Now: clock.Now}).RateLimits, limiter.Rate{Limit: 100, Period: time.Minute})

	const n = 20
	remaining := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			got, err := lim.Get(ctx, "hot")
			remaining[i], errs[i] = int(got.Remaining), err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Each hit saw its own count: the remainders are exactly 99 down to 80.
	sort.Sort(sort.Reverse(sort.IntSlice(remaining)))
	for i, r := range remaining {
		if r != 99-i {
			t.Fatalf("remainders %v: hits were lost or counted twice", remaining)
		}
	}
	got, err := lim.Peek(ctx, "hot")
	if err != nil || got.Remaining != 100-n {
		t.Fatalf("after %d hits: %+v, %v", n, got, err)
	}
}

// Two instances of the API each build their own store over the same
// database: they count into the same windows.
func TestRateLimitStoreSharedAcrossInstances(t *testing.T) {
	ctx := context.Background()
	clock := newWindowClock()
	db := dbtest.Open(t, models.Options{Now: clock.Now})
	rate := limiter.Rate{Limit: 4, Period: time.Minute}
	a := limiter.New(db.RateLimits, rate)
	b := limiter.New(dbtest.Reopen(t, db, models.Options{Now: clock.Now}).RateLimits, rate)

	for i, lim := range []*limiter.Limiter{a, b, a, b} {
		got, err := lim.Get(ctx, "reg:198.51.100.7")
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(3 - i); got.Remaining != want {
			t.Fatalf("hit %d: remaining %d, want %d", i+1, got.Remaining, want)
		}
	}
	got, err := a.Get(ctx, "reg:198.51.100.7")
	if err != nil || !got.Reached {
		t.Fatalf("fifth hit across both instances: %+v, %v; want reached", got, err)
	}
	if _, err := b.Reset(ctx, "reg:198.51.100.7"); err != nil {
		t.Fatal(err)
	}
	if got, err := a.Peek(ctx, "reg:198.51.100.7"); err != nil || got.Remaining != 4 {
		t.Fatalf("reset on one instance, peek on the other: %+v, %v", got, err)
	}
}

func TestRateLimitStoreCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	lim := limiter.New(dbtest.New(t).RateLimits, limiter.Rate{Limit: 1, Period: time.Minute})
	if _, err := lim.Get(ctx, "k"); err == nil {
		t.Fatal("Get with a canceled context: want an error")
	}
}

// Two instances racing to open one window: the upsert that loses the
// race to the other's insert is retried, so no hit fails. (Counts across
// processes are exact on MongoDB only; see the store's doc.)
func TestRateLimitStoreConcurrentFirstHitAcrossInstances(t *testing.T) {
	ctx := context.Background()
	clock := newWindowClock()
	db := dbtest.Open(t, models.Options{Now: clock.Now})
	rate := limiter.Rate{Limit: 1000, Period: time.Minute}
	lims := []*limiter.Limiter{limiter.New(db.RateLimits, rate), limiter.New(dbtest.Reopen(t, db, models.Options{Now: clock.Now}).RateLimits, rate)}
	for round := range 5 {
		var wg sync.WaitGroup
		errs := make([]error, 20)
		for i := range errs {
			wg.Go(func() { _, errs[i] = lims[i%2].Get(ctx, fmt.Sprintf("fresh:%d", round)) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
}
