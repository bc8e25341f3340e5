package models_test

import (
	"context"
	"testing"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
)

// TestEnsureIndexesTwice: a second start-up over the same database (a
// restart, a second instance) finds the indexes in place and succeeds.
func TestEnsureIndexesTwice(t *testing.T) {
	db := dbtest.New(t)
	ctx := context.Background()
	u := models.NewUserStore(db)
	if err := u.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	if err := u.EnsureIndexes(ctx); err != nil {
		t.Fatal("second users", err)
	}
	s := models.NewSessionStore(db)
	if err := s.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureIndexes(ctx); err != nil {
		t.Fatal("second sessions", err)
	}
	e := models.NewEmailTokenStore(db)
	if err := e.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.EnsureIndexes(ctx); err != nil {
		t.Fatal("second et", err)
	}
	if _, err := models.EnsureExpiry(ctx, nil, db.Collection("a"), db.Collection("b")); err != nil {
		t.Fatal(err)
	}
	if _, err := models.EnsureExpiry(ctx, nil, db.Collection("a"), db.Collection("b")); err != nil {
		t.Fatal("second expiry", err)
	}
	o := models.NewOutboxStore(db)
	if err := o.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	if err := o.EnsureIndexes(ctx); err != nil {
		t.Fatal("second outbox", err)
	}
}
