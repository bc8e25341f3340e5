package models_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
)

// TestLeaseExclusive: of 20 concurrent acquirers that do not wait exactly
// one holds the lease; after Release the next one gets it; a lapsed lease
// is taken over; a second instance over the database sees the same lease.
func TestLeaseExclusive(t *testing.T) {
	ctx := context.Background()
	clock := dbtest.NewClock(time.UnixMilli(1_764_000_000_000))
	db := dbtest.Open(t, models.Options{Now: clock.Now})
	other := dbtest.Reopen(t, db, models.Options{Now: clock.Now})
	var won atomic.Int32
	var wg sync.WaitGroup
	var held *models.Lease
	var mu sync.Mutex
	for i := range 20 {
		store := db.Leases
		if i%2 == 1 {
			store = other.Leases
		}
		wg.Go(func() {
			l, err := store.Acquire(ctx, "k", time.Minute, 0)
			switch {
			case err == nil:
				won.Add(1)
				mu.Lock()
				held = l
				mu.Unlock()
			case !errors.Is(err, models.ErrBusy):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d holders, want 1", won.Load())
	}
	if err := held.Release(ctx); err != nil {
		t.Fatal(err)
	}
	l, err := other.Leases.Acquire(ctx, "k", time.Minute, 0)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	clock.Advance(time.Minute)
	if _, err := db.Leases.Acquire(ctx, "k", time.Minute, 0); err != nil {
		t.Fatalf("lapsed lease not taken over: %v", err)
	}
	// The lapsed holder's release leaves the new holder's lease alone.
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Leases.Acquire(ctx, "k", time.Minute, 0); !errors.Is(err, models.ErrBusy) {
		t.Fatalf("new holder's lease released by the old one: %v", err)
	}
}

// TestUserChangeCompareAndSet: Change applies at the version read, refuses
// a stale one, and concurrent read-change-retry loops on two instances
// lose no change.
func TestUserChangeCompareAndSet(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	other := dbtest.Reopen(t, db, models.Options{})
	u := &models.User{Account: "ann", Email: "ann@example.com", Status: models.StatusNormal, Type: models.TypeClient}
	if err := db.Users.Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	got, err := db.Users.Change(ctx, u.ID.Hex(), 0, models.UserChange{Status: ptr(models.StatusFreeze), StatusReason: ptr("spam")})
	if err != nil || got.Status != models.StatusFreeze || got.StatusReason != "spam" || got.Version != 1 {
		t.Fatalf("change: %+v %v", got, err)
	}
	if _, err := db.Users.Change(ctx, u.ID.Hex(), 0, models.UserChange{Level: ptr(3)}); !errors.Is(err, models.ErrStale) {
		t.Fatalf("stale change: %v", err)
	}
	if _, err := db.Users.Change(ctx, "000000000000000000000000", 0, models.UserChange{}); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("missing user: %v", err)
	}
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		store := db.Users
		if i%2 == 1 {
			store = other.Users
		}
		wg.Go(func() {
			for {
				cur, err := store.ByID(ctx, u.ID.Hex())
				if err != nil {
					t.Error(err)
					return
				}
				_, err = store.Change(ctx, u.ID.Hex(), cur.Version, models.UserChange{Level: ptr(cur.Level + 1)})
				if errors.Is(err, models.ErrStale) || errors.Is(err, models.ErrBusy) {
					continue
				}
				if err != nil {
					t.Error(err)
				}
				return
			}
		})
	}
	wg.Wait()
	final, err := db.Users.ByID(ctx, u.ID.Hex())
	if err != nil || final.Level != n || final.Version != n+1 {
		t.Fatalf("after %d concurrent increments: level %d version %d %v", n, final.Level, final.Version, err)
	}
}

// TestUserList: filters, the escaped q, sort and pages.
func TestUserList(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	for i := range 5 {
		u := &models.User{Account: fmt.Sprintf("user%d", i), Email: fmt.Sprintf("u%d@example.com", i),
			Nick: "nick" + fmt.Sprint(i), Status: models.StatusNormal, Type: models.TypeClient, Level: i % 2,
			Created: int64(1000 + i), LastLoginAt: int64(5000 - i)}
		if i == 4 {
			u.Status, u.Type, u.Nick, u.EmailVerified = models.StatusFreeze, models.TypeAdmin, "a.b*", true
		}
		if err := db.Users.Create(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	accounts := func(us []models.User) []string {
		var out []string
		for _, u := range us {
			out = append(out, u.Account)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		f     models.UserFilter
		sort  string
		asc   bool
		page  int
		want  string
		total int64
	}{
		{"all newest first", models.UserFilter{}, models.SortCreated, false, 1, "[user4 user3]", 5},
		{"page 3", models.UserFilter{}, models.SortCreated, false, 3, "[user0]", 5},
		{"last login asc", models.UserFilter{}, models.SortLastLogin, true, 1, "[user4 user3]", 5},
		{"status", models.UserFilter{Status: models.StatusFreeze}, "", false, 1, "[user4]", 1},
		{"type", models.UserFilter{Type: models.TypeClient}, "", false, 1, "[user3 user2]", 4},
		{"level", models.UserFilter{Level: ptr(1)}, "", false, 1, "[user3 user1]", 2},
		{"verified", models.UserFilter{EmailVerified: ptr(true)}, "", false, 1, "[user4]", 1},
		{"created range", models.UserFilter{CreatedFrom: 1001, CreatedTo: 1002}, "", true, 1, "[user1 user2]", 2},
		{"q email, any case", models.UserFilter{Q: "U2@"}, "", false, 1, "[user2]", 1},
		{"q is literal", models.UserFilter{Q: "a.b*"}, "", false, 1, "[user4]", 1},
		{"q regex chars match nothing", models.UserFilter{Q: ".*"}, "", false, 1, "[]", 0},
		{"not deleted", models.UserFilter{Deleted: ptr(false)}, "", false, 1, "[user4 user3]", 5},
		{"deleted", models.UserFilter{Deleted: ptr(true)}, "", false, 1, "[]", 0},
	} {
		got, total, err := db.Users.List(ctx, tc.f, tc.sort, tc.asc, tc.page, 2)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if fmt.Sprint(accounts(got)) != tc.want && !(tc.want == "[]" && len(got) == 0) || total != tc.total {
			t.Errorf("%s: %v total %d, want %s total %d", tc.name, accounts(got), total, tc.want, tc.total)
		}
	}
	admins, err := db.Users.Admins(ctx)
	if err != nil || len(admins) != 1 || admins[0].Account != "user4" || admins[0].ActiveAdmin() {
		t.Fatalf("admins: %v %v", accounts(admins), err)
	}
}

// TestUserReleaseDue: a deleted account's name and email are free for a
// new registration once its release is due, not before; the old document
// stays.
func TestUserReleaseDue(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	u := &models.User{Account: "gone", Email: "gone@example.com", Status: models.StatusNormal}
	if err := db.Users.Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	t0 := time.UnixMilli(1_764_000_000_000)
	if _, err := db.Users.Change(ctx, u.ID.Hex(), 0, models.UserChange{DeletedAt: ptr(t0.UnixMilli())}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := db.Users.ScheduleRelease(ctx, u.ID.Hex(), t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := db.Users.ReleaseDue(ctx, t0); err != nil || n != 0 {
		t.Fatalf("early release: %d %v", n, err)
	}
	if err := db.Users.Create(ctx, &models.User{Account: "GONE", Email: "x@example.com"}); !errors.Is(err, models.ErrDuplicateAccount) {
		t.Fatalf("name free before release: %v", err)
	}
	if n, err := db.Users.ReleaseDue(ctx, t0.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("release: %d %v", n, err)
	}
	if n, err := db.Users.ReleaseDue(ctx, t0.Add(2*time.Hour)); err != nil || n != 0 {
		t.Fatalf("second release: %d %v", n, err)
	}
	if err := db.Users.Create(ctx, &models.User{Account: "gone", Email: "GONE@example.com"}); err != nil {
		t.Fatalf("register the released name: %v", err)
	}
	old, err := db.Users.ByID(ctx, u.ID.Hex())
	if err != nil || old.ReleasedAt != t0.Add(time.Hour).UnixMilli() || old.Email != "" || old.Account != "gone" {
		t.Fatalf("released user: %+v %v", old, err)
	}
}

// TestAuditList: entries are listed newest first with filters; nothing
// else is possible on the store.
func TestAuditList(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	for i, a := range []string{"user.status", "user.level", "user.status"} {
		e := &models.AuditEntry{At: int64(100 + i), Who: "admin1", Action: a, TargetType: "user", Target: fmt.Sprint("u", i),
			Before: map[string]any{"status": "normal"}, After: map[string]any{"status": "freeze"}, Reason: "r", RequestID: "rq", IP: "192.0.2.1"}
		if err := db.Audit.Add(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	got, total, err := db.Audit.List(ctx, models.AuditFilter{Action: "user.status"}, 1, 10)
	if err != nil || total != 2 || len(got) != 2 || got[0].Target != "u2" || got[1].Target != "u0" || got[0].After["status"] != "freeze" {
		t.Fatalf("by action: %+v %d %v", got, total, err)
	}
	got, total, err = db.Audit.List(ctx, models.AuditFilter{From: 101, To: 101}, 1, 10)
	if err != nil || total != 1 || got[0].Action != "user.level" {
		t.Fatalf("by time: %+v %d %v", got, total, err)
	}
}

// TestSessionsForUser: a user's sessions, most recently used first.
func TestSessionsForUser(t *testing.T) {
	ctx := context.Background()
	store := newSessionStore(t)
	for i, id := range []string{"s1", "s2", "s3"} {
		s := newSession(id, "u1", "j"+id)
		s.LastUsedAt = sessionT0.Add(time.Duration(i) * time.Minute)
		if id == "s3" {
			s.UserID = "u2"
		}
		if err := store.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	got, err := store.ForUser(ctx, "u1", 10)
	if err != nil || len(got) != 2 || got[0].ID != "s2" || got[1].ID != "s1" {
		t.Fatalf("sessions: %+v %v", got, err)
	}
}

// TestDailyCounts: counts are kept in memory (and read back at once by
// the same store) until Flush writes them, after which another instance
// reads them too; days without events read 0; days are UTC.
func TestDailyCounts(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	other := dbtest.Reopen(t, db, models.Options{})
	day := time.Date(2026, 12, 3, 23, 30, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if err := db.DailyCounts.Add(ctx, models.CountLogins, day); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := other.DailyCounts.Add(ctx, models.CountLogins, day.Add(-48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err := db.DailyCounts.Days(ctx, models.CountLogins, day, 4); err != nil || fmt.Sprint(got) != "[0 0 0 20]" {
		t.Fatalf("before the flushes: %v %v", got, err)
	}
	for _, d := range []*models.DB{db, other} {
		if _, err := d.DailyCounts.Flush(ctx, day); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.DailyCounts.Add(ctx, models.CountLogins, day); err != nil {
		t.Fatal(err)
	}
	if n, err := db.DailyCounts.Flush(ctx, day); err != nil || n != 1 {
		t.Fatalf("second flush: %d %v", n, err)
	}
	if got, err := other.DailyCounts.Days(ctx, models.CountLogins, day, 4); err != nil || fmt.Sprint(got) != "[0 1 0 21]" {
		t.Fatalf("after the flushes: %v %v", got, err)
	}
}

// TestUserStats: counts by status and type leave deleted users aside;
// registrations fall on their UTC day.
func TestUserStats(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	to := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	for i, u := range []models.User{
		{Status: models.StatusNormal, Type: models.TypeAdmin, Created: to.UnixMilli()},
		{Status: models.StatusPending, Type: models.TypeClient, Created: to.AddDate(0, 0, -1).UnixMilli()},
		{Status: models.StatusFreeze, Type: models.TypeClient, Created: to.AddDate(0, 0, -40).UnixMilli()},
		{Status: models.StatusNormal, Type: models.TypeClient, Created: to.UnixMilli(), DeletedAt: 1},
	} {
		u.Account, u.Email = fmt.Sprint("s", i), fmt.Sprint("s", i, "@example.com")
		if err := db.Users.Create(ctx, &u); err != nil {
			t.Fatal(err)
		}
	}
	st, err := db.Users.Stats(ctx, to, 3)
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != 4 || st.Deleted != 1 || st.ByStatus[models.StatusNormal] != 1 || st.ByStatus[models.StatusFreeze] != 1 ||
		st.ByType[models.TypeClient] != 2 || fmt.Sprint(st.Registrations) != "[0 1 2]" {
		t.Fatalf("stats: %+v", st)
	}
}
