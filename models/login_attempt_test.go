package models_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/blogapi/blogapi/models/dbtest"
)

func TestLoginAttemptStoreWindow(t *testing.T) {
	ctx := context.Background()
	clock := newWindowClock()
	start := clock.Now()
	store := dbtest.New(t).LoginAttempts
	const window = 15 * time.Minute

	steps := []struct {
		name     string
		advance  time.Duration
		fail     bool // Fail, else Count
		key      string
		count    int
		openedAt time.Time
	}{
		{"nothing yet", 0, false, "acct:alice", 0, start},
		{"first failure", 0, true, "acct:alice", 1, start},
		{"second", time.Minute, true, "acct:alice", 2, start},
		{"count reads without counting", time.Minute, false, "acct:alice", 2, start},
		{"keys are separate", 0, false, "ip:192.0.2.1", 0, start},
		{"other key", 0, true, "ip:192.0.2.1", 1, start},
		{"last instant of the window", 13*time.Minute - time.Millisecond, false, "acct:alice", 2, start},
		{"window over: nothing counted", time.Millisecond, false, "acct:alice", 0, start.Add(window)},
		{"next failure counts in the new window", time.Second, true, "acct:alice", 1, start.Add(window)},
	}
	for _, st := range steps {
		clock.Advance(st.advance)
		var (
			count  int
			opened time.Time
			err    error
		)
		if st.fail {
			count, opened, err = store.Fail(ctx, st.key, clock.Now(), window)
		} else {
			count, opened, err = store.Count(ctx, st.key, clock.Now(), window)
		}
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if count != st.count || !opened.Equal(st.openedAt) {
			t.Errorf("%s: got %d since %v, want %d since %v", st.name, count, opened, st.count, st.openedAt)
		}
	}
}

// TestLoginAttemptStoreClearAndForgive: Clear ends one key's window and
// takes one failure back from others; Forgive takes one back from each
// key, never below zero; keys without an open window are left alone.
func TestLoginAttemptStoreClearAndForgive(t *testing.T) {
	ctx := context.Background()
	clock := newWindowClock()
	now := clock.Now()
	store := dbtest.New(t).LoginAttempts
	for _, key := range []string{"acct:bob", "acct:bob", "ip:198.51.100.1", "ip:198.51.100.1", "ip:198.51.100.2"} {
		if _, _, err := store.Fail(ctx, key, now, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	counts := func(step string, want map[string]int) {
		t.Helper()
		for key, n := range want {
			if got, _, err := store.Count(ctx, key, clock.Now(), time.Minute); err != nil || got != n {
				t.Fatalf("%s: %s has %d (%v), want %d", step, key, got, err, n)
			}
		}
	}
	if err := store.Clear(ctx, "acct:bob", now, time.Minute, "ip:198.51.100.1", "ip:192.0.2.99"); err != nil {
		t.Fatal(err)
	}
	counts("clear", map[string]int{"acct:bob": 0, "ip:198.51.100.1": 1, "ip:198.51.100.2": 1, "ip:192.0.2.99": 0})

	if err := store.Forgive(ctx, now, time.Minute, "ip:198.51.100.1", "ip:198.51.100.2", "acct:bob"); err != nil {
		t.Fatal(err)
	}
	counts("forgive", map[string]int{"acct:bob": 0, "ip:198.51.100.1": 0, "ip:198.51.100.2": 0})
	if err := store.Forgive(ctx, now, time.Minute, "ip:198.51.100.1"); err != nil {
		t.Fatal(err)
	}
	counts("forgive below zero", map[string]int{"ip:198.51.100.1": 0})
	if n, _, _ := store.Fail(ctx, "ip:198.51.100.1", now, time.Minute); n != 1 {
		t.Fatalf("failure after forgiving to zero counts %d, want 1", n)
	}

	// A cleared key counts from zero again.
	clock.Advance(10 * time.Second)
	if n, opened, err := store.Fail(ctx, "acct:bob", clock.Now(), time.Minute); err != nil || n != 1 || !opened.Equal(now) {
		t.Fatalf("failure after clear: %d since %v (%v), want 1 since %v", n, opened, err, now)
	}
	if err := store.Clear(ctx, "acct:nobody", now, time.Minute); err != nil {
		t.Fatalf("clear of an unknown key: %v", err)
	}
}

func TestLoginAttemptStoreConcurrentFail(t *testing.T) {
	ctx := context.Background()
	now := newWindowClock().Now()
	store := dbtest.New(t).LoginAttempts
	const n = 200
	seen := make([]bool, n+1)
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for range n {
		wg.Go(func() {
			count, _, err := store.Fail(ctx, "acct:carol", now, time.Minute)
			mu.Lock()
			defer mu.Unlock()
			if err != nil || count < 1 || count > n || seen[count] {
				t.Errorf("Fail returned %d, %v (seen before: %v)", count, err, count >= 1 && count <= n && seen[count])
				return
			}
			seen[count] = true
		})
	}
	wg.Wait()
	if count, _, err := store.Count(ctx, "acct:carol", now, time.Minute); err != nil || count != n {
		t.Fatalf("after %d concurrent failures: %d, %v", n, count, err)
	}
}
