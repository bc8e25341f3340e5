package admin_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/account"
	"github.com/blogapi/blogapi/services/admin"
	"github.com/blogapi/blogapi/services/auth"
	"github.com/blogapi/blogapi/services/content"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// fixture is an admin service over a fresh embedded database, on a test
// clock, with a cheap hasher.
type fixture struct {
	db    *models.DB
	svc   *admin.Service
	clock *dbtest.Clock
	hash  *auth.PasswordHasher
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	clock := dbtest.NewClock(time.UnixMilli(1_764_000_000_000))
	db := dbtest.Open(t, models.Options{Now: clock.Now})
	return newFixtureOn(db, clock)
}

func newFixtureOn(db *models.DB, clock *dbtest.Clock) *fixture {
	hash := auth.NewPasswordHasherParams(2, 64, 1)
	guard := auth.NewLoginGuard(auth.LoginGuardConfig{LockAfter: 5, Now: clock.Now}, db.LoginAttempts)
	svc := admin.New(admin.Deps{
		Users: db.Users, Sessions: db.Sessions, Leases: db.Leases, AdminSet: db.AdminSet, Audit: db.Audit, Hasher: hash, Guard: guard,
		FailedLogins: db.LoginAttempts, LoginWindow: time.Hour, DailyCounts: db.DailyCounts, GuardKey: auth.GuardKeyUser, Now: clock.Now,
	})
	return &fixture{db: db, svc: svc, clock: clock, hash: hash}
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// user creates a user of type typ whose password is "pw-<account>".
func (f *fixture) user(t *testing.T, account, typ string) admin.Actor {
	t.Helper()
	hash, err := f.hash.Hash(context.Background(), md5hex("pw-"+account))
	if err != nil {
		t.Fatal(err)
	}
	u := &models.User{Account: account, Email: account + "@example.com", Status: models.StatusNormal, Type: typ,
		Nick: account, PasswordHash: hash}
	if err := f.db.Users.Create(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return admin.Actor{User: *u, RequestID: "req-" + account, IP: "192.0.2.1"}
}

func (f *fixture) session(t *testing.T, userID, id string) {
	t.Helper()
	now := f.clock.Now()
	if err := f.db.Sessions.Create(context.Background(), &models.Session{ID: id, UserID: userID, RefreshJTI: "j" + id,
		CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(time.Hour), UserAgent: "ua", IP: "198.51.100.7"}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) audit(t *testing.T, action string) []models.AuditEntry {
	t.Helper()
	entries, _, err := f.db.Audit.List(context.Background(), models.AuditFilter{Action: action}, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// TestLastAdminConcurrentDemotions: two admins demoting each other at once,
// on two instances over one database, end with exactly one admin; the
// last one cannot be demoted, frozen or deleted.
func TestLastAdminConcurrentDemotions(t *testing.T) {
	ctx := context.Background()
	for round := range 5 {
		f := newFixture(t)
		g := newFixtureOn(dbtest.Reopen(t, f.db, models.Options{Now: f.clock.Now}), f.clock)
		a, b := f.user(t, "alice", models.TypeAdmin), f.user(t, "bob", models.TypeAdmin)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		wg.Go(func() { _, errs[0] = f.svc.SetType(ctx, a, b.User.ID.Hex(), models.TypeClient, md5hex("pw-alice")) })
		wg.Go(func() { _, errs[1] = g.svc.SetStatus(ctx, b, a.User.ID.Hex(), models.StatusFreeze, "r") })
		wg.Wait()
		ok, last := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, admin.ErrLastAdmin):
				last++
			default:
				t.Fatalf("round %d: %v", round, err)
			}
		}
		admins, err := f.db.Users.Admins(ctx)
		if err != nil {
			t.Fatal(err)
		}
		active := 0
		for _, u := range admins {
			if u.ActiveAdmin() {
				active++
			}
		}
		if ok != 1 || last != 1 || active != 1 {
			t.Fatalf("round %d: %d applied, %d refused, %d active admins; want 1, 1, 1", round, ok, last, active)
		}
	}
	f := newFixture(t)
	a := f.user(t, "alice", models.TypeAdmin)
	id := a.User.ID.Hex()
	if _, err := f.svc.SetType(ctx, a, id, models.TypeAuthor, md5hex("pw-alice")); !errors.Is(err, admin.ErrLastAdmin) {
		t.Fatalf("demote the last admin: %v", err)
	}
	if _, err := f.svc.SetStatus(ctx, a, id, models.StatusReject, "r"); !errors.Is(err, admin.ErrLastAdmin) {
		t.Fatalf("reject the last admin: %v", err)
	}
	if _, err := f.svc.DeleteUser(ctx, a, id, md5hex("pw-alice")); !errors.Is(err, admin.ErrLastAdmin) {
		t.Fatalf("delete the last admin: %v", err)
	}
	// The lease was released each time: a second admin can now be demoted... by the first.
	b := f.user(t, "bob", models.TypeAdmin)
	if _, err := f.svc.SetType(ctx, a, b.User.ID.Hex(), models.TypeClient, md5hex("pw-alice")); err != nil {
		t.Fatalf("demote with another admin left: %v", err)
	}
}

// TestSetStatusEndsSessions: freeze records the reason, ends every session
// of the user at once and leaves one audit entry with before and after;
// repeating it changes nothing and records nothing.
func TestSetStatusEndsSessions(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	a, c := f.user(t, "root", models.TypeAdmin), f.user(t, "carl", models.TypeClient)
	id := c.User.ID.Hex()
	f.session(t, id, "s1")
	f.session(t, id, "s2")
	u, err := f.svc.SetStatus(ctx, a, id, models.StatusFreeze, " spam links ")
	if err != nil || u.Status != models.StatusFreeze || u.StatusReason != "spam links" {
		t.Fatalf("freeze: %+v %v", u, err)
	}
	for _, sid := range []string{"s1", "s2"} {
		s, err := f.db.Sessions.Get(ctx, sid)
		if err != nil || s.Alive(f.clock.Now()) || s.EndReason != models.EndAccountFreeze {
			t.Fatalf("session %s after freeze: %+v %v", sid, s, err)
		}
	}
	if _, err := f.svc.SetStatus(ctx, a, id, models.StatusFreeze, "spam links"); err != nil {
		t.Fatal(err)
	}
	entries := f.audit(t, admin.ActionUserStatus)
	if len(entries) != 1 {
		t.Fatalf("%d audit entries, want 1", len(entries))
	}
	e := entries[0]
	if e.Who != a.User.ID.Hex() || e.WhoAccount != "root" || e.Target != id || e.Reason != "spam links" ||
		e.Before["status"] != models.StatusNormal || e.After["status"] != models.StatusFreeze ||
		e.RequestID != "req-root" || e.IP != "192.0.2.1" || e.At != f.clock.Now().UnixMilli() {
		t.Fatalf("audit entry: %+v", e)
	}
	for _, tc := range []struct{ status, reason, field string }{
		{"", "", "status"}, {"banned", "x", "status"}, {models.StatusReject, "", "reason"},
	} {
		var fe *services.FieldError
		if _, err := f.svc.SetStatus(ctx, a, id, tc.status, tc.reason); !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("status %q reason %q: %v, want a FieldError on %s", tc.status, tc.reason, err, tc.field)
		}
	}
}

// TestPasswordRecheck: a sensitive action with a wrong password is refused
// and counts against the admin's login budget until the guard locks.
func TestPasswordRecheck(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	a, c := f.user(t, "root", models.TypeAdmin), f.user(t, "carl", models.TypeClient)
	for range 5 {
		if _, err := f.svc.SetType(ctx, a, c.User.ID.Hex(), models.TypeAuthor, md5hex("wrong")); !errors.Is(err, account.ErrPasswordIncorrect) {
			t.Fatalf("wrong password: %v", err)
		}
	}
	if _, err := f.svc.SetType(ctx, a, c.User.ID.Hex(), models.TypeAuthor, md5hex("pw-root")); err == nil || errors.Is(err, account.ErrPasswordIncorrect) {
		t.Fatalf("after 5 failures the guard locks even the right password: %v", err)
	}
	if n := len(f.audit(t, admin.ActionUserType)); n != 0 {
		t.Fatalf("%d audit entries for refused actions", n)
	}
	f.clock.Advance(time.Hour)
	u, err := f.svc.SetType(ctx, a, c.User.ID.Hex(), models.TypeAuthor, md5hex("pw-root"))
	if err != nil || u.Type != models.TypeAuthor {
		t.Fatalf("right password after the window: %+v %v", u, err)
	}
}

// TestDeleteUser: deletion ends sessions, hides the nick, schedules the
// release after the retention, and a repeat completes without a second
// audit entry; a deleted user cannot be changed.
func TestDeleteUser(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	a, c := f.user(t, "root", models.TypeAdmin), f.user(t, "carl", models.TypeClient)
	id := c.User.ID.Hex()
	f.session(t, id, "s1")
	for range 2 {
		u, err := f.svc.DeleteUser(ctx, a, id, md5hex("pw-root"))
		if err != nil || u.DeletedAt != f.clock.Now().UnixMilli() || u.Nick != admin.DeletedNick {
			t.Fatalf("delete: %+v %v", u, err)
		}
	}
	if s, _ := f.db.Sessions.Get(ctx, "s1"); s.Alive(f.clock.Now()) {
		t.Fatal("session alive after delete")
	}
	if n := len(f.audit(t, admin.ActionUserDelete)); n != 1 {
		t.Fatalf("%d audit entries, want 1", n)
	}
	if _, err := f.svc.SetLevel(ctx, a, id, 3); !errors.Is(err, admin.ErrUserDeleted) {
		t.Fatalf("change a deleted user: %v", err)
	}
	if n, _ := f.db.Users.ReleaseDue(ctx, f.clock.Now().Add(admin.DefaultRetention-time.Second)); n != 0 {
		t.Fatal("released before the retention")
	}
	if n, _ := f.db.Users.ReleaseDue(ctx, f.clock.Now().Add(admin.DefaultRetention)); n != 1 {
		t.Fatal("not released after the retention")
	}
}

// TestListAndDetail: filters are checked against their sets; the detail
// carries the sessions and the failed logins.
func TestListAndDetail(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.user(t, "root", models.TypeAdmin)
	c := f.user(t, "carl", models.TypeClient)
	f.session(t, c.User.ID.Hex(), "s1")
	if _, _, err := f.db.LoginAttempts.Fail(ctx, auth.GuardKeyUser(c.User), f.clock.Now(), time.Hour); err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.ListUsers(ctx, admin.UserQuery{Type: models.TypeClient, PageSize: 500})
	if err != nil || p.Total != 1 || p.Items[0].Account != "carl" || p.PageSize != content.MaxPageSize || p.Page != 1 {
		t.Fatalf("list: %+v %v", p, err)
	}
	for _, q := range []admin.UserQuery{{Status: "x"}, {Type: "root"}, {Sort: "name"}, {Level: ptr(11)}, {Q: string(make([]byte, 65))}} {
		var fe *services.FieldError
		if _, err := f.svc.ListUsers(ctx, q); !errors.As(err, &fe) {
			t.Errorf("%+v: %v, want a FieldError", q, err)
		}
	}
	d, err := f.svc.User(ctx, c.User.ID.Hex())
	if err != nil || len(d.Sessions) != 1 || d.Sessions[0].IP != "198.51.100.7" || d.FailedLogins != 1 {
		t.Fatalf("detail: %+v %v", d, err)
	}
	if _, err := f.svc.User(ctx, "nope"); !errors.Is(err, admin.ErrUserNotFound) {
		t.Fatalf("missing user: %v", err)
	}
}

// TestBootstrap: creating an admin from the command line, then promoting
// an existing account without asking its password.
func TestBootstrap(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	u, created, err := f.svc.Bootstrap(ctx, "Boss", "boss@example.com", func() (string, error) { return "correct horse", nil })
	if err != nil || !created || u.Type != models.TypeAdmin || u.Status != models.StatusNormal || !u.EmailVerified {
		t.Fatalf("create: %+v %v", u, err)
	}
	stored, err := f.db.Users.ByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := f.hash.Verify(ctx, stored.PasswordHash, md5hex("correct horse")); !ok {
		t.Fatal("password is not the md5 a login sends")
	}
	if _, _, err := f.svc.Bootstrap(ctx, "new", "x@example.com", func() (string, error) { return "short", nil }); err == nil {
		t.Fatal("short password accepted")
	}
	c := f.user(t, "carl", models.TypeClient)
	asked := false
	u, created, err = f.svc.Bootstrap(ctx, "CARL", "", func() (string, error) { asked = true; return "", nil })
	if err != nil || created || asked || u.ID != c.User.ID.Hex() || u.Type != models.TypeAdmin || u.Status != models.StatusNormal {
		t.Fatalf("promote: %+v created=%v asked=%v %v", u, created, asked, err)
	}
	if _, _, err := f.svc.Bootstrap(ctx, "carl", "other@example.com", nil); !errors.Is(err, account.ErrEmailTaken) {
		t.Fatalf("promote with another email: %v", err)
	}
	if n := len(f.audit(t, admin.ActionAdminCreate)); n != 2 {
		t.Fatalf("%d audit entries, want 2", n)
	}
	admins, err := f.svc.Admins(ctx)
	if err != nil || len(admins) != 2 {
		t.Fatalf("admins: %v %v", admins, err)
	}
}

func ptr[T any](v T) *T { return &v }

// TestDashboard: the user figures and 30 days of registrations and logins,
// today last.
func TestDashboard(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.user(t, "root", models.TypeAdmin)
	if err := f.db.DailyCounts.Add(ctx, models.CountLogins, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	d, err := f.svc.Dashboard(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Days) != admin.DashboardDays || d.Days[len(d.Days)-1] != models.Day(f.clock.Now()) ||
		d.Logins[len(d.Logins)-1] != 1 || d.Users.Total != 1 || d.Users.ByType[models.TypeAdmin] != 1 {
		t.Fatalf("dashboard: %+v", d)
	}
}

// TestAdminSetIsAHint: a stale admin set (a demoted admin, an unknown id)
// does not let the last admin go, and a set that misses the other admin
// does not block a demotion; the scan rewrites it.
func TestAdminSetIsAHint(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	a, b := f.user(t, "alice", models.TypeAdmin), f.user(t, "bob", models.TypeClient)
	if err := f.db.AdminSet.Replace(ctx, []string{"000000000000000000000000", b.User.ID.Hex()}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetStatus(ctx, a, a.User.ID.Hex(), models.StatusFreeze, "x"); !errors.Is(err, admin.ErrLastAdmin) {
		t.Fatalf("stale set: %v", err)
	}
	c := f.user(t, "carol", models.TypeAdmin) // not in the set
	if _, err := f.svc.SetType(ctx, a, a.User.ID.Hex(), models.TypeAuthor, md5hex("pw-alice")); err != nil {
		t.Fatalf("demotion with an unlisted admin left: %v", err)
	}
	ids, err := f.db.AdminSet.Candidates(ctx)
	if err != nil || len(ids) != 1 || ids[0] != c.User.ID.Hex() {
		t.Fatalf("set after the rewrite and the demotion: %v %v", ids, err)
	}
}
