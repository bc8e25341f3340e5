package auth

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
	"github.com/blogapi/blogapi/services"
)

// newTestSessions returns a SessionService on a fresh database, its store
// and clock.
func newTestSessions(t *testing.T) (*SessionService, *models.SessionStore, *testClock) {
	t.Helper()
	clock := newTestClock()
	store := dbtest.New(t).Sessions
	return NewSessionService(store, newTestTokens(clock), clock.Now), store, clock
}

func TestSessionStartAuthenticate(t *testing.T) {
	ctx := context.Background()
	svc, store, clock := newTestSessions(t)
	pair, err := svc.Start(ctx, testUserID, "Mozilla/5.0", "203.0.113.7")
	if err != nil {
		t.Fatal(err)
	}
	claims, err := svc.Authenticate(ctx, pair.Access)
	if err != nil {
		t.Fatal(err)
	}
	if claims.Subject != testUserID || claims.Type != TokenAccess {
		t.Errorf("claims = %+v", claims)
	}
	sess, err := store.Get(ctx, claims.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	if sess.UserID != testUserID || sess.RefreshJTI != pair.RefreshJTI || sess.UserAgent != "Mozilla/5.0" ||
		sess.IP != "203.0.113.7" || sess.EndedAt != nil || !sess.ExpiresAt.Equal(pair.RefreshExpiresAt) ||
		!sess.CreatedAt.Equal(clock.Now()) {
		t.Errorf("session = %+v", sess)
	}

	// The refresh token is not an access token, even with a live session.
	_, err = svc.Authenticate(ctx, pair.Refresh)
	wantErr(t, err, ErrTokenInvalid)
	_, err = svc.Authenticate(ctx, "")
	wantErr(t, err, ErrTokenMissing)

	clock.Advance(2*time.Hour + time.Minute)
	_, err = svc.Authenticate(ctx, pair.Access)
	wantErr(t, err, ErrTokenExpired)
}

func TestSessionUnknown(t *testing.T) {
	ctx := context.Background()
	svc, _, clock := newTestSessions(t)
	// Well signed, but no such session (e.g. deleted after expiry).
	pair, err := newTestTokens(clock).Issue(testUserID, "no-such-session")
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Authenticate(ctx, pair.Access)
	if !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("Authenticate: %v, want ErrSessionEnded", err)
	}
	_, err = svc.Renew(ctx, pair.Refresh, nil)
	if !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("Renew: %v, want ErrSessionEnded", err)
	}
}

func TestSessionOtherUsersSession(t *testing.T) {
	ctx := context.Background()
	svc, _, clock := newTestSessions(t)
	pair, err := svc.Start(ctx, testUserID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	claims, err := svc.Authenticate(ctx, pair.Access)
	if err != nil {
		t.Fatal(err)
	}
	// A token naming someone else's session id is refused.
	forged, err := newTestTokens(clock).Issue("65f0c0ffee0000000000dead", claims.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, forged.Access); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("Authenticate: %v, want ErrSessionEnded", err)
	}
}

func TestSessionRenew(t *testing.T) {
	ctx := context.Background()
	svc, store, clock := newTestSessions(t)
	first, err := svc.Start(ctx, testUserID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	var claims *Claims
	second, err := svc.Renew(ctx, first.Refresh, func(c *Claims) error { claims = c; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if claims.Subject != testUserID || claims.Type != TokenRefresh {
		t.Errorf("claims = %+v", claims)
	}
	if second.Access == first.Access || second.Refresh == first.Refresh || second.RefreshJTI == first.RefreshJTI {
		t.Fatal("renewal returned the old tokens")
	}
	if !second.RefreshExpiresAt.After(first.RefreshExpiresAt) {
		t.Errorf("refresh expiry %v not after %v", second.RefreshExpiresAt, first.RefreshExpiresAt)
	}
	sess, err := store.Get(ctx, claims.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	if sess.RefreshJTI != second.RefreshJTI || !sess.ExpiresAt.Equal(second.RefreshExpiresAt) || !sess.LastUsedAt.Equal(clock.Now()) {
		t.Errorf("session after renewal = %+v", sess)
	}
	// Both access tokens belong to the live session.
	for _, tok := range []string{first.Access, second.Access} {
		if _, err := svc.Authenticate(ctx, tok); err != nil {
			t.Fatalf("Authenticate after renewal: %v", err)
		}
	}
	// The new refresh token renews again.
	third, err := svc.Renew(ctx, second.Refresh, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, third.Access); err != nil {
		t.Fatal(err)
	}
	// An access token is not a refresh token.
	_, err = svc.Renew(ctx, third.Access, nil)
	wantErr(t, err, ErrTokenInvalid)
}

func TestSessionRefreshReuseEndsSession(t *testing.T) {
	ctx := context.Background()
	svc, store, _ := newTestSessions(t)
	first, err := svc.Start(ctx, testUserID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	var claims *Claims
	second, err := svc.Renew(ctx, first.Refresh, func(c *Claims) error { claims = c; return nil })
	if err != nil {
		t.Fatal(err)
	}

	// The rotated refresh token is refused, and presenting it ends the session.
	_, err = svc.Renew(ctx, first.Refresh, nil)
	if !errors.Is(err, ErrRefreshReused) {
		t.Fatalf("reused refresh: %v, want ErrRefreshReused", err)
	}
	sess, err := store.Get(ctx, claims.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	if sess.EndedAt == nil || sess.EndReason != models.EndRefreshReuse {
		t.Errorf("session = %+v, want ended by refresh_reuse", sess)
	}
	// Every token of the session is dead, the newest included.
	if _, err := svc.Authenticate(ctx, second.Access); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("new access token: %v, want ErrSessionEnded", err)
	}
	if _, err := svc.Renew(ctx, second.Refresh, nil); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("new refresh token: %v, want ErrSessionEnded", err)
	}
}

// TestSessionConcurrentRenew: four renewals with one refresh token at once.
// At most one rotates; the others present a token that is being rotated,
// which is reuse: they end the session. So either no renewal succeeds, or
// one does and the session it renewed may already be ended by a loser —
// what never happens is two live pairs from one refresh token.
func TestSessionConcurrentRenew(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := newTestSessions(t)
	pair, err := svc.Start(ctx, testUserID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	const n = 4
	pairs := make([]TokenPair, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { pairs[i], errs[i] = svc.Renew(ctx, pair.Refresh, nil) })
	}
	wg.Wait()
	ok, reused := 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
			if _, err := svc.Authenticate(ctx, pairs[i].Access); err != nil && !errors.Is(err, ErrSessionEnded) {
				t.Errorf("the renewed access token: %v", err)
			}
		case errors.Is(err, ErrRefreshReused):
			reused++
		case errors.Is(err, ErrSessionEnded):
		default:
			t.Errorf("Renew: %v", err)
		}
	}
	if ok > 1 {
		t.Fatalf("%d renewals with the same refresh token succeeded, want at most 1 (%v)", ok, errs)
	}
	if ok+reused == 0 {
		t.Fatalf("no renewal rotated and none detected the reuse: %v", errs)
	}
	if reused > 0 {
		// Reuse was detected: every token of the session is dead.
		if _, err := svc.Authenticate(ctx, pair.Access); !errors.Is(err, ErrSessionEnded) {
			t.Fatalf("after a detected reuse the old access token: %v, want ErrSessionEnded", err)
		}
	}
}

func TestSessionRefreshAfterSessionExpiry(t *testing.T) {
	ctx := context.Background()
	svc, _, clock := newTestSessions(t)
	pair, err := svc.Start(ctx, testUserID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(16 * 24 * time.Hour)
	_, err = svc.Renew(ctx, pair.Refresh, nil)
	wantErr(t, err, ErrTokenExpired)
}

func TestSessionEnd(t *testing.T) {
	ctx := context.Background()
	svc, store, _ := newTestSessions(t)
	a, err := svc.Start(ctx, testUserID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.Start(ctx, testUserID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	ca, err := svc.Authenticate(ctx, a.Access)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.End(ctx, ca.SessionID, models.EndLogout); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, a.Access); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("ended session's access token: %v", err)
	}
	if _, err := svc.Renew(ctx, a.Refresh, nil); !errors.Is(err, ErrSessionEnded) {
		t.Fatalf("ended session's refresh token: %v", err)
	}
	// The other device is untouched.
	if _, err := svc.Authenticate(ctx, b.Access); err != nil {
		t.Fatal(err)
	}
	// Ending again keeps the first reason.
	if err := svc.End(ctx, ca.SessionID, models.EndLogoutAll); err != nil {
		t.Fatal(err)
	}
	sess, err := store.Get(ctx, ca.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	if sess.EndReason != models.EndLogout {
		t.Errorf("endReason = %q, want %q", sess.EndReason, models.EndLogout)
	}
	if err := svc.End(ctx, "no-such-session", models.EndLogout); err != nil {
		t.Errorf("ending an unknown session: %v", err)
	}
}

func TestSessionEndAll(t *testing.T) {
	const otherUser = "65f0c0ffee0000000000f00d"
	tests := []struct {
		name   string
		except int // index of the session kept, -1 none
	}{
		{"all", -1},
		{"all but the current one", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			svc, _, _ := newTestSessions(t)
			var pairs []TokenPair
			var sids []string
			for range 3 {
				p, err := svc.Start(ctx, testUserID, "", "")
				if err != nil {
					t.Fatal(err)
				}
				c, err := svc.Authenticate(ctx, p.Access)
				if err != nil {
					t.Fatal(err)
				}
				pairs, sids = append(pairs, p), append(sids, c.SessionID)
			}
			other, err := svc.Start(ctx, otherUser, "", "")
			if err != nil {
				t.Fatal(err)
			}
			except := ""
			if tt.except >= 0 {
				except = sids[tt.except]
			}
			if err := svc.EndAll(ctx, testUserID, except, models.EndPasswordChange); err != nil {
				t.Fatal(err)
			}
			for i, p := range pairs {
				_, err := svc.Authenticate(ctx, p.Access)
				if i == tt.except {
					if err != nil {
						t.Errorf("kept session %d: %v", i, err)
					}
				} else if !errors.Is(err, ErrSessionEnded) {
					t.Errorf("session %d: %v, want ErrSessionEnded", i, err)
				}
			}
			if _, err := svc.Authenticate(ctx, other.Access); err != nil {
				t.Errorf("another user's session: %v", err)
			}
		})
	}
}

// Two instances share nothing but the database: ending a session on one
// is seen by the other at once (docs/security.md).
func TestSessionAcrossInstances(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock()
	db := dbtest.New(t)
	one := NewSessionService(db.Sessions, newTestTokens(clock), clock.Now)
	two := NewSessionService(dbtest.Reopen(t, db, models.Options{}).Sessions, newTestTokens(clock), clock.Now)

	t.Run("rotation", func(t *testing.T) {
		pair, err := one.Start(ctx, testUserID, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := two.Renew(ctx, pair.Refresh, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := one.Renew(ctx, pair.Refresh, nil); !errors.Is(err, ErrRefreshReused) {
			t.Fatalf("instance one accepted a refresh token rotated on two: %v", err)
		}
	})
	t.Run("end", func(t *testing.T) {
		pair, err := one.Start(ctx, testUserID, "", "")
		if err != nil {
			t.Fatal(err)
		}
		claims, err := two.Authenticate(ctx, pair.Access)
		if err != nil {
			t.Fatal(err)
		}
		if err := one.End(ctx, claims.SessionID, models.EndLogout); err != nil {
			t.Fatal(err)
		}
		if _, err := two.Authenticate(ctx, pair.Access); !errors.Is(err, ErrSessionEnded) {
			t.Fatalf("instance two: %v, want ErrSessionEnded", err)
		}
	})
}

// A store whose client is disconnected fails like a database that is down.
func TestSessionStoreDown(t *testing.T) {
	ctx := context.Background()
	down := dbtest.New(t)
	down.Close()
	clock := newTestClock()
	tokens := newTestTokens(clock)
	svc := NewSessionService(down.Sessions, tokens, clock.Now)
	pair, err := tokens.Issue(testUserID, "sid-1")
	if err != nil {
		t.Fatal(err)
	}
	_, startErr := svc.Start(ctx, testUserID, "", "")
	_, authErr := svc.Authenticate(ctx, pair.Access)
	_, renewErr := svc.Renew(ctx, pair.Refresh, nil)
	endErr := svc.End(ctx, "sid-1", models.EndLogout)
	endAllErr := svc.EndAll(ctx, testUserID, "", models.EndLogoutAll)
	for name, err := range map[string]error{
		"Start": startErr, "Authenticate": authErr, "Renew": renewErr, "End": endErr, "EndAll": endAllErr,
	} {
		if !errors.Is(err, services.ErrUnavailable) || err == services.ErrUnavailable {
			t.Errorf("%s: %v, want ErrUnavailable with the driver error", name, err)
		}
	}
}

// TestRenewCheckRefusesWithoutSpending: a renewal the caller's check
// refuses (e.g. a frozen user) leaves the refresh token usable.
func TestRenewCheckRefusesWithoutSpending(t *testing.T) {
	svc, _, _ := newTestSessions(t)
	ctx := context.Background()
	pair, err := svc.Start(ctx, testUserID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	refused := errors.New("account is frozen")
	if _, err := svc.Renew(ctx, pair.Refresh, func(*Claims) error { return refused }); !errors.Is(err, refused) {
		t.Fatalf("renew with refusing check: %v", err)
	}
	if _, err := svc.Renew(ctx, pair.Refresh, nil); err != nil {
		t.Fatalf("refresh token spent by a refused renewal: %v", err)
	}
}
