package models_test

import (
	"context"
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
)

// TestUserUniqueIgnoringCase: account and email are unique ignoring case
// on insert and on update, reported as the store's sentinels.
func TestUserUniqueIgnoringCase(t *testing.T) {
	ctx := context.Background()
	s := dbtest.New(t).Users
	a := &models.User{Account: "Alice", Email: "alice@example.com"}
	b := &models.User{Account: "bob", Email: "bob@example.com"}
	for _, u := range []*models.User{a, b} {
		if err := s.Create(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Create(ctx, &models.User{Account: "ALICE", Email: "x@example.com"}); !errors.Is(err, models.ErrDuplicateAccount) {
		t.Fatalf("duplicate account: %v", err)
	}
	if err := s.Create(ctx, &models.User{Account: "carol", Email: "Alice@Example.com"}); !errors.Is(err, models.ErrDuplicateEmail) {
		t.Fatalf("duplicate email: %v", err)
	}
	if _, err := s.Update(ctx, b.ID.Hex(), models.UserUpdate{Email: ptr("ALICE@example.com")}); !errors.Is(err, models.ErrDuplicateEmail) {
		t.Fatalf("update to a taken email: %v", err)
	}
	got, err := s.ByEmail(ctx, "BOB@EXAMPLE.COM")
	if err != nil || got.Email != "bob@example.com" {
		t.Fatalf("bob after refused update: %+v %v", got, err)
	}
	if _, err := s.Update(ctx, bson.NewObjectID().Hex(), models.UserUpdate{Nick: ptr("x")}); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("update of a missing user: %v", err)
	}
	if u, err := s.ByAccount(ctx, "alice"); err != nil || u.ID != a.ID {
		t.Fatalf("by account ignoring case: %+v %v", u, err)
	}
}

// TestUserCreateMany: a bulk insert stores findable users with their keys
// and stops at a taken account, keeping the users before it.
func TestUserCreateMany(t *testing.T) {
	ctx := context.Background()
	s := dbtest.New(t).Users
	users := []models.User{{Account: "Dora", Email: "dora@example.com"}, {Account: "eve", Email: "Eve@Example.com"}}
	if err := s.CreateMany(ctx, users); err != nil {
		t.Fatal(err)
	}
	if u, err := s.ByAccount(ctx, "DORA"); err != nil || u.ID != users[0].ID || u.ID.IsZero() {
		t.Fatalf("dora: %+v %v", u, err)
	}
	if u, err := s.ByEmail(ctx, "eve@example.com"); err != nil || u.ID != users[1].ID {
		t.Fatalf("eve: %+v %v", u, err)
	}
	more := []models.User{{Account: "frank", Email: "frank@example.com"}, {Account: "EVE", Email: "eve2@example.com"}, {Account: "gina", Email: "gina@example.com"}}
	if err := s.CreateMany(ctx, more); !errors.Is(err, models.ErrDuplicate) {
		t.Fatalf("taken account: %v", err)
	}
	if _, err := s.ByAccount(ctx, "frank"); err != nil {
		t.Fatalf("frank, inserted before the duplicate: %v", err)
	}
	if _, err := s.ByAccount(ctx, "gina"); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("gina, after the duplicate: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
