package models_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
)

func newSessionStore(t *testing.T) *models.SessionStore {
	t.Helper()
	return dbtest.New(t).Sessions
}

var sessionT0 = time.UnixMilli(1_740_830_400_000).UTC()

func newSession(id, user, jti string) *models.Session {
	return &models.Session{
		ID: id, UserID: user, RefreshJTI: jti,
		CreatedAt: sessionT0, LastUsedAt: sessionT0, ExpiresAt: sessionT0.Add(24 * time.Hour),
		UserAgent: "ua", IP: "192.0.2.1",
	}
}

func TestSessionStoreCreateGet(t *testing.T) {
	ctx := context.Background()
	store := newSessionStore(t)
	want := newSession("s1", "u1", "j1")
	if err := store.Create(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := store.Get(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "s1" || got.UserID != "u1" || got.RefreshJTI != "j1" || !got.CreatedAt.Equal(sessionT0) ||
		!got.ExpiresAt.Equal(want.ExpiresAt) || got.EndedAt != nil || got.UserAgent != "ua" || got.IP != "192.0.2.1" {
		t.Errorf("Get = %+v", got)
	}
	if !got.Alive(sessionT0) || got.Alive(want.ExpiresAt) {
		t.Error("Alive must hold before expiresAt and not at it")
	}
	if err := store.Create(ctx, newSession("s1", "u2", "j2")); !errors.Is(err, models.ErrDuplicate) {
		t.Errorf("second Create with the same id: %v, want ErrDuplicate", err)
	}
	if _, err := store.Get(ctx, "nope"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("Get unknown: %v, want ErrNotFound", err)
	}
}

// TestSessionStoreRotateOtherUser: a refresh token naming another user
// (sub) than the session's does not rotate it.
func TestSessionStoreRotateOtherUser(t *testing.T) {
	ctx := context.Background()
	store := newSessionStore(t)
	if err := store.Create(ctx, newSession("s1", "attacker", "j1")); err != nil {
		t.Fatal(err)
	}
	if err := store.Rotate(ctx, "s1", "victim", "j1", "j2", sessionT0.Add(48*time.Hour), sessionT0.Add(time.Hour)); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("Rotate with another sub: %v, want ErrNotFound", err)
	}
	if got, err := store.Get(ctx, "s1"); err != nil || got.RefreshJTI != "j1" {
		t.Fatalf("session after the refused rotation: %+v, %v", got, err)
	}
}

func TestSessionStoreRotate(t *testing.T) {
	newExp := sessionT0.Add(48 * time.Hour)
	later := sessionT0.Add(time.Hour)
	tests := []struct {
		name    string
		prepare func(t *testing.T, s *models.SessionStore)
		oldJTI  string
		now     time.Time
		wantErr error
	}{
		{"current jti", nil, "j1", later, nil},
		{"another jti", nil, "j0", later, models.ErrNotFound},
		{"session expired", nil, "j1", sessionT0.Add(24 * time.Hour), models.ErrNotFound},
		{"session ended", func(t *testing.T, s *models.SessionStore) {
			if err := s.End(context.Background(), "s1", models.EndLogout, later); err != nil {
				t.Fatal(err)
			}
		}, "j1", later, models.ErrNotFound},
		{"jti rotated already", func(t *testing.T, s *models.SessionStore) {
			if err := s.Rotate(context.Background(), "s1", "u1", "j1", "j2", newExp, later); err != nil {
				t.Fatal(err)
			}
		}, "j1", later, models.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			store := newSessionStore(t)
			if err := store.Create(ctx, newSession("s1", "u1", "j1")); err != nil {
				t.Fatal(err)
			}
			if tt.prepare != nil {
				tt.prepare(t, store)
			}
			before, err := store.Get(ctx, "s1")
			if err != nil {
				t.Fatal(err)
			}
			err = store.Rotate(ctx, "s1", "u1", tt.oldJTI, "jnew", newExp, tt.now)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Rotate: %v, want %v", err, tt.wantErr)
			}
			got, err := store.Get(ctx, "s1")
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantErr != nil {
				if got.RefreshJTI != before.RefreshJTI || !got.ExpiresAt.Equal(before.ExpiresAt) {
					t.Errorf("refused rotation changed the session: %+v", got)
				}
				return
			}
			if got.RefreshJTI != "jnew" || !got.ExpiresAt.Equal(newExp) || !got.LastUsedAt.Equal(tt.now) {
				t.Errorf("session after Rotate = %+v", got)
			}
		})
	}
}

func TestSessionStoreRotateOnce(t *testing.T) {
	ctx := context.Background()
	store := newSessionStore(t)
	if err := store.Create(ctx, newSession("s1", "u1", "j1")); err != nil {
		t.Fatal(err)
	}
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = store.Rotate(ctx, "s1", "u1", "j1", "jnew", sessionT0.Add(48*time.Hour), sessionT0.Add(time.Hour))
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, models.ErrNotFound):
			t.Errorf("Rotate: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d concurrent rotations of one jti succeeded, want 1", won)
	}
}

func TestSessionStoreEnd(t *testing.T) {
	ctx := context.Background()
	store := newSessionStore(t)
	for _, s := range []*models.Session{
		newSession("a1", "alice", "j1"), newSession("a2", "alice", "j2"), newSession("a3", "alice", "j3"),
		newSession("b1", "bob", "j4"),
	} {
		if err := store.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	t1 := sessionT0.Add(time.Minute)
	if err := store.End(ctx, "a1", models.EndLogout, t1); err != nil {
		t.Fatal(err)
	}
	// Already ended and unknown sessions are no-ops.
	if err := store.End(ctx, "a1", models.EndLogoutAll, t1.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := store.End(ctx, "nope", models.EndLogout, t1); err != nil {
		t.Fatal(err)
	}
	a1, err := store.Get(ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	if a1.EndedAt == nil || !a1.EndedAt.Equal(t1) || a1.EndReason != models.EndLogout || a1.Alive(t1) {
		t.Errorf("a1 = %+v, want ended at %v by logout", a1, t1)
	}

	n, err := store.EndAllForUser(ctx, "alice", "a3", models.EndPasswordChange, t1)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("EndAllForUser ended %d, want 1 (a2; a1 was ended, a3 excepted)", n)
	}
	want := map[string]string{"a1": models.EndLogout, "a2": models.EndPasswordChange, "a3": "", "b1": ""}
	for id, reason := range want {
		s, err := store.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if s.EndReason != reason || (s.EndedAt == nil) != (reason == "") {
			t.Errorf("%s: endedAt %v reason %q, want reason %q", id, s.EndedAt, s.EndReason, reason)
		}
	}
	if n, err := store.EndAllForUser(ctx, "alice", "", models.EndLogoutAll, t1); err != nil || n != 1 {
		t.Errorf("EndAllForUser without exception = %d, %v; want 1 (a3)", n, err)
	}
}

// TestSessionStoreExpirySweep: the expiry sweep reclaims expired sessions
// and their rotation records, not live ones.
func TestSessionStoreExpirySweep(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	store := db.Sessions
	short := newSession("short", "u1", "j1")
	short.ExpiresAt = sessionT0.Add(time.Hour)
	for _, s := range []*models.Session{short, newSession("long", "u1", "j2")} {
		if err := store.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	// A rotation record that expires with the short session.
	if err := store.Rotate(ctx, "short", "u1", "j1", "j1b", short.ExpiresAt, sessionT0); err != nil {
		t.Fatal(err)
	}
	n, err := db.SweepExpired(ctx, short.ExpiresAt)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("SweepExpired = %d, want 2 (the short session and its rotation record)", n)
	}
	if _, err := store.Get(ctx, "short"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("expired session still there: %v", err)
	}
	if _, err := store.Get(ctx, "long"); err != nil {
		t.Errorf("live session deleted: %v", err)
	}
}
