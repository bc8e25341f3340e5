package services_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
	"github.com/blogapi/blogapi/services"
)

// guardClock is a settable clock for the LoginGuard tests.
type guardClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *guardClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *guardClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newGuard(t *testing.T) (*services.LoginGuard, *guardClock) {
	t.Helper()
	clock := &guardClock{t: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
	g := services.NewLoginGuard(services.LoginGuardConfig{
		CaptchaAfter: 3, LockAfter: 10, Window: 15 * time.Minute, Now: clock.Now,
	}, models.NewLoginAttemptStore(dbtest.New(t)))
	return g, clock
}

func failN(t *testing.T, g *services.LoginGuard, n int, account, ip string) {
	t.Helper()
	for range n {
		if err := g.Failed(context.Background(), account, ip); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoginGuardCaptchaThreshold(t *testing.T) {
	const ipA, ipB = "192.0.2.10", "198.51.100.20"
	cases := []struct {
		name     string
		failures int    // by "alice" from ipA
		account  string // checked
		ip       string // checked
		want     bool
	}{
		{"no failures", 0, "alice", ipA, false},
		{"two failures: no captcha yet", 2, "alice", ipA, false},
		{"three failures: captcha", 3, "alice", ipA, true},
		{"three failures, account checked from elsewhere", 3, "alice", ipB, true},
		{"account compared lower-cased", 3, "ALICE", ipB, true},
		{"three failures, another account from the same IP", 3, "bob", ipA, true},
		{"two failures, another account from the same IP", 2, "bob", ipA, false},
		{"three failures, another account from another IP", 3, "bob", ipB, false},
		{"no IP given: only the account counts", 3, "bob", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, _ := newGuard(t)
			failN(t, g, tc.failures, "Alice", ipA)
			got, err := g.Check(context.Background(), tc.account, tc.ip)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("captchaRequired = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLoginGuardLock(t *testing.T) {
	ctx := context.Background()
	g, clock := newGuard(t)
	const account, ip = "carol@example.com", "203.0.113.5"

	// Nine failures, ten seconds apart, from rotating addresses: the
	// account is not locked yet.
	for i := range 9 {
		failN(t, g, 1, account, fmt.Sprintf("203.0.113.%d", 100+i))
		clock.Advance(10 * time.Second)
	}
	if _, err := g.Check(ctx, account, ip); err != nil {
		t.Fatalf("after 9 failures: %v", err)
	}
	failN(t, g, 1, "Carol@Example.com", ip) // the tenth, at 90 s
	clock.Advance(10 * time.Second)         // now 100 s into the window

	_, err := g.Check(ctx, account, ip)
	ae, ok := models.AsAppError(err)
	if !ok || ae.Code != models.CodeTooManyRequests || ae.Msg != "too many failed logins; retry later" {
		t.Fatalf("after 10 failures: %v, want 429", err)
	}
	if !errors.Is(err, services.ErrTooManyFailedLogins) {
		t.Fatalf("errors.Is(%v, ErrTooManyFailedLogins) = false", err)
	}
	if want := 15*time.Minute - 100*time.Second; ae.RetryAfter != want {
		t.Fatalf("RetryAfter = %v, want %v (the rest of the window)", ae.RetryAfter, want)
	}
	if services.ErrTooManyFailedLogins.RetryAfter != 0 {
		t.Fatal("Check modified the shared ErrTooManyFailedLogins")
	}
	// Another account from the same address is not locked, only challenged.
	if captcha, err := g.Check(ctx, "dave", ip); err != nil || captcha {
		t.Fatalf("another account: captcha %v, %v; want no lock (the IP has 1 failure)", captcha, err)
	}

	clock.Advance(15*time.Minute - 100*time.Second - time.Millisecond)
	if _, err := g.Check(ctx, account, ip); !errors.Is(err, services.ErrTooManyFailedLogins) {
		t.Fatalf("last instant of the window: %v, want still locked", err)
	} else if ae, _ := models.AsAppError(err); ae.RetryAfter != time.Second {
		t.Fatalf("RetryAfter at the end of the window = %v, want the 1 s floor", ae.RetryAfter)
	}
	clock.Advance(time.Millisecond)
	if captcha, err := g.Check(ctx, account, ip); err != nil || captcha {
		t.Fatalf("after the window: captcha %v, %v; want allowed", captcha, err)
	}
}

func TestLoginGuardSucceededClearsAccountOnly(t *testing.T) {
	ctx := context.Background()
	g, _ := newGuard(t)
	const ip, otherIP = "192.0.2.77", "192.0.2.78"
	failN(t, g, 5, "erin", ip)
	if captcha, err := g.Check(ctx, "erin", otherIP); err != nil || !captcha {
		t.Fatalf("before success: captcha %v, %v; want true", captcha, err)
	}
	if err := g.Succeeded(ctx, "ERIN", ip); err != nil {
		t.Fatal(err)
	}
	if captcha, err := g.Check(ctx, "erin", otherIP); err != nil || captcha {
		t.Fatalf("account after success: captcha %v, %v; want false", captcha, err)
	}
	if captcha, err := g.Check(ctx, "frank", ip); err != nil || !captcha {
		t.Fatalf("IP after success: captcha %v, %v; want still true", captcha, err)
	}
	// The account's count starts again from zero.
	failN(t, g, 2, "erin", otherIP)
	if captcha, err := g.Check(ctx, "erin", "192.0.2.99"); err != nil || captcha {
		t.Fatalf("two new failures: captcha %v, %v; want false", captcha, err)
	}
}

func TestLoginGuardLongAccountInput(t *testing.T) {
	ctx := context.Background()
	g, _ := newGuard(t)
	long := strings.Repeat("x", 100_000)
	failN(t, g, 3, long, "")
	if captcha, err := g.Check(ctx, strings.ToUpper(long), ""); err != nil || !captcha {
		t.Fatalf("long account: captcha %v, %v; want true", captcha, err)
	}
	if captcha, err := g.Check(ctx, long[:len(long)-1], ""); err != nil || captcha {
		t.Fatalf("a different long account: captcha %v, %v; want false", captcha, err)
	}
}

func TestLoginGuardStoreError(t *testing.T) {
	g, _ := newGuard(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := map[string]func() error{
		"Check":     func() error { _, err := g.Check(ctx, "gina", "192.0.2.1"); return err },
		"Failed":    func() error { return g.Failed(ctx, "gina", "192.0.2.1") },
		"Succeeded": func() error { return g.Succeeded(ctx, "gina", "192.0.2.1") },
	}
	for name, call := range calls {
		err := call()
		ae, ok := models.AsAppError(err)
		if !ok || ae.Code != models.CodeUnavailable || ae.Msg != "database unavailable" || ae.Cause == nil {
			t.Errorf("%s with the database unreachable: %v, want 503 with a cause", name, err)
		}
	}
}
