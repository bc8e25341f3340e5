package auth_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/models/dbtest"
	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/auth"
)

func newGuard(t *testing.T) (*auth.LoginGuard, *dbtest.Clock) {
	t.Helper()
	clock := dbtest.NewClock(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
	g := auth.NewLoginGuard(auth.LoginGuardConfig{
		CaptchaAfter: 3, CaptchaAfterIP: 3, LockAfter: 10, Window: 15 * time.Minute, Now: clock.Now,
	}, dbtest.New(t).LoginAttempts)
	return g, clock
}

// TestLoginGuardIPThresholdOwnKey: the IP's captcha threshold is its own,
// 20 by default: an office behind one address can make mistakes on
// several accounts without a captcha.
func TestLoginGuardIPThresholdOwnKey(t *testing.T) {
	clock := dbtest.NewClock(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
	g := auth.NewLoginGuard(auth.LoginGuardConfig{Now: clock.Now}, dbtest.New(t).LoginAttempts)
	const office = "192.0.2.50"
	for i := range 20 {
		got, err := g.Attempt(context.Background(), fmt.Sprintf("acct:worker%d", i), office)
		if err != nil || got {
			t.Fatalf("failure %d from the office: captcha %v, %v; want none before 20", i+1, got, err)
		}
	}
	if got, err := g.Attempt(context.Background(), "acct:worker99", office); err != nil || !got {
		t.Fatalf("after 20 failures from one IP: captcha %v, %v; want required", got, err)
	}
}

// TestLoginGuardFlood: after FloodPerMinute attempts that did not succeed
// across the site, every login needs a captcha, in this minute and the
// next; successes do not count; the flood ends when the rate falls back.
// The shared count joins instances: two guards over one store.
func TestLoginGuardFlood(t *testing.T) {
	ctx := context.Background()
	clock := dbtest.NewClock(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
	store := dbtest.New(t).LoginAttempts
	cfg := auth.LoginGuardConfig{FloodPerMinute: 10, Now: clock.Now}
	a, b := auth.NewLoginGuard(cfg, store), auth.NewLoginGuard(cfg, store)
	for i := range 5 {
		if a.Flood(ctx) {
			t.Fatalf("attempt %d on a: flood already", i+1)
		}
		clock.Advance(time.Second) // each one flushes to the shared count
	}
	// Successes are taken back.
	for range 20 {
		if b.Flood(ctx) {
			t.Fatal("successful logins counted as a flood")
		}
		if err := b.Succeeded(ctx, "acct:fine", ""); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Second)
	for i := range 5 {
		if b.Flood(ctx) {
			t.Fatalf("attempt %d on b (%d site-wide): flood too early", i+1, 6+i)
		}
	}
	if !b.Flood(ctx) {
		t.Fatal("the attempt after 10 site-wide (5 on a, 5 on b): want a flood")
	}
	clock.Advance(time.Second)
	if !b.Flood(ctx) { // flushes b's attempts: an instance's share is at most a second late
		t.Fatal("b: want the flood still")
	}
	if !a.Flood(ctx) {
		t.Fatal("a after b's flush: want the site-wide flood")
	}
	clock.Advance(time.Minute) // the next minute: the last one was a flood
	if !a.Flood(ctx) {
		t.Fatal("the minute after a flood: want a captcha still")
	}
	clock.Advance(time.Minute) // quiet minute behind us
	if a.Flood(ctx) {
		t.Fatal("two minutes later, the rate fell back: want no flood")
	}
}

// failN makes n attempts that fail (Attempt without Succeeded), ignoring
// the captcha requests and locks they run into.
func failN(t *testing.T, g *auth.LoginGuard, n int, key, ip string) {
	t.Helper()
	for range n {
		if _, err := g.Attempt(context.Background(), key, ip); err != nil && !errors.Is(err, auth.ErrTooManyFailedLogins) {
			t.Fatal(err)
		}
	}
}

// TestLoginGuardCaptchaThreshold: the attempt after CaptchaAfter failures
// of the account, or of the client IP, needs a captcha.
func TestLoginGuardCaptchaThreshold(t *testing.T) {
	const ipA, ipB = "192.0.2.10", "198.51.100.20"
	alice := auth.GuardKeyTyped("Alice")
	cases := []struct {
		name     string
		failures int    // by alice from ipA
		key      string // attempted
		ip       string // attempted from
		want     bool
	}{
		{"no failures", 0, alice, ipA, false},
		{"two failures: no captcha yet", 2, alice, ipA, false},
		{"three failures: captcha", 3, alice, ipA, true},
		{"three failures, account tried from elsewhere", 3, alice, ipB, true},
		{"typed account compared lower-cased", 3, auth.GuardKeyTyped("ALICE"), ipB, true},
		{"three failures, another account from the same IP", 3, "bob", ipA, true},
		{"two failures, another account from the same IP", 2, "bob", ipA, false},
		{"three failures, another account from another IP", 3, "bob", ipB, false},
		{"no IP given: only the account counts", 3, "bob", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, _ := newGuard(t)
			failN(t, g, tc.failures, alice, ipA)
			got, err := g.Attempt(context.Background(), tc.key, tc.ip)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("captchaRequired = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestLoginGuardIPv6Prefix: addresses of one /64 share a count.
func TestLoginGuardIPv6Prefix(t *testing.T) {
	g, _ := newGuard(t)
	for i := range 3 {
		failN(t, g, 1, fmt.Sprintf("acct:u%d", i), fmt.Sprintf("2001:db8:1:2::%x", i+1))
	}
	if captcha, err := g.Attempt(context.Background(), "acct:fresh", "2001:db8:1:2:abcd::1"); err != nil || !captcha {
		t.Fatalf("same /64: captcha %v, %v; want true", captcha, err)
	}
	if captcha, err := g.Attempt(context.Background(), "acct:fresh2", "2001:db8:1:3::1"); err != nil || captcha {
		t.Fatalf("another /64: captcha %v, %v; want false", captcha, err)
	}
}

// TestLoginGuardConcurrent: attempts sent at once each see the ones before
// them (one atomic count), so a burst cannot skip the captcha or the lock.
func TestLoginGuardConcurrent(t *testing.T) {
	g, _ := newGuard(t)
	const n = 40
	var free, captcha, locked atomic.Int32
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			need, err := g.Attempt(context.Background(), "acct:target", "192.0.2.200")
			switch {
			case errors.Is(err, auth.ErrTooManyFailedLogins):
				locked.Add(1)
			case err != nil:
				t.Error(err)
			case need:
				captcha.Add(1)
			default:
				free.Add(1)
			}
		})
	}
	wg.Wait()
	if free.Load() != 3 || captcha.Load() != 7 || locked.Load() != n-10 {
		t.Fatalf("free %d, captcha %d, locked %d; want 3, 7, %d", free.Load(), captcha.Load(), locked.Load(), n-10)
	}
}

func TestLoginGuardLock(t *testing.T) {
	ctx := context.Background()
	g, clock := newGuard(t)
	const ip = "203.0.113.5"
	carol := "user:carol"

	// Nine failures, ten seconds apart, from rotating addresses: the
	// account is not locked yet.
	for i := range 9 {
		failN(t, g, 1, carol, fmt.Sprintf("203.0.113.%d", 100+i))
		clock.Advance(10 * time.Second)
	}
	failN(t, g, 1, carol, ip) // the tenth, at 90 s
	clock.Advance(10 * time.Second)

	_, err := g.Attempt(ctx, carol, ip) // 100 s into the window
	if env := response.Of(err); env.Code != response.CodeTooManyRequests || env.Msg != "too many failed logins; retry later" {
		t.Fatalf("after 10 failures: %v, want 429", err)
	}
	if !errors.Is(err, auth.ErrTooManyFailedLogins) {
		t.Fatalf("errors.Is(%v, ErrTooManyFailedLogins) = false", err)
	}
	if want := 15*time.Minute - 100*time.Second; retryAfter(err) != want {
		t.Fatalf("RetryAfter = %v, want %v (the rest of the window)", retryAfter(err), want)
	}
	// Another account from the same address is not locked.
	if _, err := g.Attempt(ctx, "user:dave", ip); err != nil {
		t.Fatalf("another account: %v, want no lock", err)
	}

	clock.Advance(15*time.Minute - 100*time.Second - time.Millisecond)
	if _, err := g.Attempt(ctx, carol, ip); !errors.Is(err, auth.ErrTooManyFailedLogins) {
		t.Fatalf("last instant of the window: %v, want still locked", err)
	} else if retryAfter(err) != time.Second {
		t.Fatalf("RetryAfter at the end of the window = %v, want the 1 s floor", retryAfter(err))
	}
	clock.Advance(time.Millisecond)
	if captcha, err := g.Attempt(ctx, carol, "198.51.100.1"); err != nil || captcha {
		t.Fatalf("after the window: captcha %v, %v; want allowed", captcha, err)
	}
}

func TestLoginGuardSucceededClearsAccountOnly(t *testing.T) {
	ctx := context.Background()
	g, _ := newGuard(t)
	const ip, otherIP = "192.0.2.77", "192.0.2.78"
	failN(t, g, 5, "user:erin", ip)
	if captcha, err := g.Attempt(ctx, "user:erin", ip); err != nil || !captcha {
		t.Fatalf("before success: captcha %v, %v; want true", captcha, err)
	}
	if err := g.Succeeded(ctx, "user:erin", ip); err != nil {
		t.Fatal(err)
	}
	if captcha, err := g.Attempt(ctx, "user:erin", otherIP); err != nil || captcha {
		t.Fatalf("account after success: captcha %v, %v; want false", captcha, err)
	}
	// The IP keeps its five failures; the successful attempt was taken back.
	if captcha, err := g.Attempt(ctx, "user:frank", ip); err != nil || !captcha {
		t.Fatalf("IP after success: captcha %v, %v; want still true", captcha, err)
	}
}

// TestLoginGuardSuccessesDoNotCount: logging in successfully from one IP,
// again and again, never makes a captcha necessary.
func TestLoginGuardSuccessesDoNotCount(t *testing.T) {
	ctx := context.Background()
	g, _ := newGuard(t)
	for i := range 6 {
		captcha, err := g.Attempt(ctx, "user:gus", "192.0.2.9")
		if err != nil || captcha {
			t.Fatalf("login %d: captcha %v, %v", i, captcha, err)
		}
		if err := g.Succeeded(ctx, "user:gus", "192.0.2.9"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLoginGuardUncheckedTakesBack: attempts whose password was never
// checked are taken back from the account and from the IP, so they push
// neither towards a captcha or a lock; without an IP only the account's
// is.
func TestLoginGuardUncheckedTakesBack(t *testing.T) {
	ctx := context.Background()
	g, _ := newGuard(t)
	const ip = "192.0.2.55"
	for i := range 12 {
		if _, err := g.Attempt(ctx, "user:hal", ip); err != nil {
			t.Fatalf("attempt %d: %v (unchecked attempts must not lock)", i, err)
		}
		if err := g.Unchecked(ctx, "user:hal", ip); err != nil {
			t.Fatal(err)
		}
	}
	if captcha, err := g.Attempt(ctx, "user:hal", ip); err != nil || captcha {
		t.Fatalf("account after unchecked attempts: captcha %v, %v; want false", captcha, err)
	}
	if captcha, err := g.Attempt(ctx, "user:ivy", ip); err != nil || captcha {
		t.Fatalf("IP after unchecked attempts: captcha %v, %v; want false", captcha, err)
	}

	// hal's and ivy's last attempts stand: this is the IP's third, the
	// captcha threshold, which taking it back would undo.
	failN(t, g, 1, "user:jo", ip)
	if err := g.Unchecked(ctx, "user:jo", ""); err != nil {
		t.Fatal(err)
	}
	if captcha, err := g.Attempt(ctx, "user:kim", ip); err != nil || !captcha {
		t.Fatalf("IP after an unchecked attempt without IP: captcha %v, %v; want still true", captcha, err)
	}
}

func TestLoginGuardLongAccountInput(t *testing.T) {
	long := strings.Repeat("x", 100_000)
	k := auth.GuardKeyTyped(long)
	if len(k) > 100 || k != auth.GuardKeyTyped(strings.ToUpper(long)) || k == auth.GuardKeyTyped(long[1:]) {
		t.Fatalf("long input key %q", k)
	}
}

func TestLoginGuardStoreError(t *testing.T) {
	g, _ := newGuard(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := map[string]func() error{
		"Attempt":   func() error { _, err := g.Attempt(ctx, "user:gina", "192.0.2.1"); return err },
		"Succeeded": func() error { return g.Succeeded(ctx, "user:gina", "192.0.2.1") },
		"Unchecked": func() error { return g.Unchecked(ctx, "user:gina", "192.0.2.1") },
	}
	for name, call := range calls {
		err := call()
		if !errors.Is(err, services.ErrUnavailable) || err == services.ErrUnavailable {
			t.Errorf("%s with the database unreachable: %v, want ErrUnavailable with a cause", name, err)
		}
	}
}

// retryAfter is the RetryAfter of the services.RetryLater in err's chain.
func retryAfter(err error) time.Duration {
	var later *services.RetryLater
	if !errors.As(err, &later) {
		return 0
	}
	return later.RetryAfter
}

func TestClientNetwork(t *testing.T) {
	for _, tc := range []struct{ ip, want string }{
		{"203.0.113.7", "203.0.113.7"},
		{"::ffff:203.0.113.7", "203.0.113.7"}, // IPv4-mapped: the IPv4 client
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::9", "2001:db8:1:2::/64"}, // same /64, same client
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"not-an-ip", "not-an-ip"},
	} {
		if got := auth.ClientNetwork(tc.ip); got != tc.want {
			t.Errorf("ClientNetwork(%q) = %q, want %q", tc.ip, got, tc.want)
		}
	}
}
