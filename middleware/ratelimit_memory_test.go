package middleware_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/ulule/limiter/v3"

	"github.com/blogapi/blogapi/middleware"
	"github.com/blogapi/blogapi/models/dbtest"
)

func TestMemoryRateStoreWindow(t *testing.T) {
	ctx := context.Background()
	clock := dbtest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	start := clock.Now()
	lim := limiter.New(middleware.NewMemoryRateStore(10, clock.Now), limiter.Rate{Limit: 2, Period: time.Minute})
	steps := []struct {
		name      string
		advance   time.Duration
		remaining int64
		reached   bool
		reset     time.Time
	}{
		{"first hit", 0, 1, false, start.Add(time.Minute)},
		{"second", 10 * time.Second, 0, false, start.Add(time.Minute)},
		{"third is over", 10 * time.Second, 0, true, start.Add(time.Minute)},
		{"window ended: a new one", 40 * time.Second, 1, false, start.Add(2 * time.Minute)},
	}
	for _, st := range steps {
		clock.Advance(st.advance)
		got, err := lim.Get(ctx, "k")
		if err != nil {
			t.Fatal(err)
		}
		want := limiter.Context{Limit: 2, Remaining: st.remaining, Reset: st.reset.Unix(), Reached: st.reached}
		if got != want {
			t.Errorf("%s: got %+v, want %+v", st.name, got, want)
		}
	}
	if got, _ := lim.Peek(ctx, "k"); got.Remaining != 1 {
		t.Fatalf("peek counted or lost a hit: %+v", got)
	}
	if got, _ := lim.Reset(ctx, "k"); got.Remaining != 2 {
		t.Fatalf("reset: %+v", got)
	}
	if got, _ := lim.Peek(ctx, "k"); got.Remaining != 2 {
		t.Fatalf("after reset: %+v", got)
	}
}

// TestMemoryRateStoreBounded: a million clients cannot grow the store past
// its capacity; the least recently seen client is the one dropped.
func TestMemoryRateStoreBounded(t *testing.T) {
	ctx := context.Background()
	store := middleware.NewMemoryRateStore(3, nil)
	lim := limiter.New(store, limiter.Rate{Limit: 1, Period: time.Hour})
	for _, key := range []string{"a", "b", "c", "a", "d"} {
		if _, err := lim.Get(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	if n := store.Len(); n != 3 {
		t.Fatalf("%d keys kept, want 3", n)
	}
	for key, remaining := range map[string]int64{"a": 0, "b": 1, "c": 0, "d": 0} {
		if got, _ := lim.Peek(ctx, key); got.Remaining != remaining {
			t.Errorf("%s: remaining %d, want %d (b, least recently used, is dropped)", key, got.Remaining, remaining)
		}
	}
	for i := range 10_000 {
		_, _ = lim.Get(ctx, fmt.Sprint(i))
	}
	if n := store.Len(); n != 3 {
		t.Fatalf("after 10,000 clients: %d keys kept, want 3", n)
	}
}

func TestMemoryRateStoreConcurrent(t *testing.T) {
	ctx := context.Background()
	lim := limiter.New(middleware.NewMemoryRateStore(10, nil), limiter.Rate{Limit: 1000, Period: time.Hour})
	const n = 200
	remaining := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			got, _ := lim.Get(ctx, "hot")
			remaining[i] = int(got.Remaining)
		})
	}
	wg.Wait()
	sort.Sort(sort.Reverse(sort.IntSlice(remaining)))
	for i, r := range remaining {
		if r != 999-i {
			t.Fatalf("remainders %v: hits lost or counted twice", remaining)
		}
	}
}
