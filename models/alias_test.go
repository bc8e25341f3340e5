package models_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
)

// aliasIDs lists the _ids of db's alias documents.
func aliasIDs(t *testing.T, db *models.DB) map[string]bool {
	t.Helper()
	cur, err := dbtest.Collection(t, db, models.CollAliases).Find(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var docs []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(context.Background(), &docs); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, d := range docs {
		ids[d.ID] = true
	}
	delete(ids, "meta:aliases-backfilled")
	return ids
}

// TestUserConcurrentRegistrations: 20 simultaneous registrations of one
// account name (or one email) make exactly one user, and leave the aliases
// of that user only.
func TestUserConcurrentRegistrations(t *testing.T) {
	for _, tc := range []struct {
		name string
		user func(i int) models.User
		want error
	}{
		{"one account", func(i int) models.User {
			return models.User{Account: "Racer", Email: fmt.Sprintf("racer%d@example.com", i)}
		}, models.ErrDuplicateAccount},
		{"one email", func(i int) models.User {
			return models.User{Account: fmt.Sprintf("racer%d", i), Email: "Racer@example.com"}
		}, models.ErrDuplicateEmail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := dbtest.New(t)
			const n = 20
			errs := make([]error, n)
			users := make([]models.User, n)
			var wg sync.WaitGroup
			for i := range n {
				users[i] = tc.user(i)
				wg.Go(func() { errs[i] = db.Users.Create(context.Background(), &users[i]) })
			}
			wg.Wait()
			var won []int
			for i, err := range errs {
				switch {
				case err == nil:
					won = append(won, i)
				case !errors.Is(err, tc.want):
					t.Errorf("registration %d: %v, want %v", i, err, tc.want)
				}
			}
			if len(won) != 1 {
				t.Fatalf("%d registrations won, want exactly 1", len(won))
			}
			w := users[won[0]]
			want := map[string]bool{"account:" + w.AccountKey: true, "email:" + w.EmailKey: true}
			if got := aliasIDs(t, db); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("aliases %v, want %v (the losers' must be given back)", got, want)
			}
			if n, err := dbtest.Collection(t, db, models.CollUsers).CountDocuments(context.Background(), bson.D{}); err != nil || n != 1 {
				t.Fatalf("%d users (%v), want 1", n, err)
			}
		})
	}
}

// TestUserEmailChangeMovesAlias: the old address is free after a change,
// the new one taken; a change to the same address in another case keeps it.
func TestUserEmailChangeMovesAlias(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	s := db.Users
	a := &models.User{Account: "ann", Email: "ann@example.com"}
	if err := s.Create(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, a.ID.Hex(), models.UserUpdate{Email: ptr("ann@new.example.com")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ByEmail(ctx, "ann@example.com"); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("old address after the change: %v, want not found", err)
	}
	if u, err := s.ByEmail(ctx, "ANN@new.example.com"); err != nil || u.ID != a.ID {
		t.Fatalf("new address: %+v, %v", u, err)
	}
	if _, err := s.Update(ctx, a.ID.Hex(), models.UserUpdate{Email: ptr("Ann@New.example.com")}); err != nil {
		t.Fatalf("same address, other case: %v", err)
	}
	if err := s.Create(ctx, &models.User{Account: "other", Email: "ann@example.com"}); err != nil {
		t.Fatalf("the old address is free again: %v", err)
	}
	if err := s.Create(ctx, &models.User{Account: "third", Email: "ann@new.example.com"}); !errors.Is(err, models.ErrDuplicateEmail) {
		t.Fatalf("the new address is taken: %v", err)
	}
	want := map[string]bool{"account:ann": true, "email:ann@new.example.com": true, "account:other": true, "email:ann@example.com": true}
	if got := aliasIDs(t, db); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("aliases %v, want %v", got, want)
	}
}

// TestUserOrphanAlias: an alias whose user was never written (a
// registration that died half-way) blocks its name for a while, then the
// next registration of the name reclaims it.
func TestUserOrphanAlias(t *testing.T) {
	ctx := context.Background()
	clock := dbtest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	db := dbtest.Open(t, models.Options{Now: clock.Now})
	if _, err := dbtest.Collection(t, db, models.CollAliases).InsertOne(ctx, bson.D{
		{Key: "_id", Value: "account:ghost"}, {Key: "user", Value: bson.NewObjectID()}, {Key: "createdAt", Value: clock.Now()},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Users.ByAccount(ctx, "ghost"); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("lookup through an orphan: %v, want not found", err)
	}
	if err := db.Users.Create(ctx, &models.User{Account: "ghost", Email: "g1@example.com"}); !errors.Is(err, models.ErrDuplicateAccount) {
		t.Fatalf("a young orphan (maybe a registration in flight): %v, want taken", err)
	}
	clock.Advance(time.Hour)
	u := &models.User{Account: "Ghost", Email: "g2@example.com"}
	if err := db.Users.Create(ctx, u); err != nil {
		t.Fatalf("an old orphan is reclaimed: %v", err)
	}
	if got, err := db.Users.ByAccount(ctx, "ghost"); err != nil || got.ID != u.ID {
		t.Fatalf("after reclaiming: %+v, %v", got, err)
	}
	if _, err := db.Users.ByEmail(ctx, "g1@example.com"); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("the refused registration left its email alias: %v", err)
	}
}

// TestUserAliasBackfill: users written before aliases existed get them
// when the database is opened.
func TestUserAliasBackfill(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	id := bson.NewObjectID()
	if _, err := dbtest.Collection(t, db, models.CollUsers).InsertOne(ctx, bson.D{
		{Key: "_id", Value: id}, {Key: "account", Value: "Old"}, {Key: "accountKey", Value: "old"},
		{Key: "email", Value: "old@example.com"}, {Key: "emailKey", Value: "old@example.com"},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := dbtest.Collection(t, db, models.CollAliases).DeleteOne(ctx, bson.D{{Key: "_id", Value: "meta:aliases-backfilled"}}); err != nil {
		t.Fatal(err)
	}
	again := dbtest.Reopen(t, db, models.Options{})
	if u, err := again.Users.ByAccount(ctx, "OLD"); err != nil || u.ID != id {
		t.Fatalf("by account after the backfill: %+v, %v", u, err)
	}
	if u, err := again.Users.ByEmail(ctx, "old@example.com"); err != nil || u.ID != id {
		t.Fatalf("by email after the backfill: %+v, %v", u, err)
	}
	if taken, err := again.Users.AccountExists(ctx, "old"); err != nil || !taken {
		t.Fatalf("exists after the backfill: %v, %v", taken, err)
	}
}
