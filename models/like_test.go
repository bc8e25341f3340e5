package models_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
)

// TestLikes: one like per user and article; the user's list is newest
// first; removing what was not liked reports false.
func TestLikes(t *testing.T) {
	ctx := context.Background()
	s := dbtest.New(t).Likes
	if err := s.Add(ctx, "u1", "a1", 1); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(ctx, "u1", "a2", 2); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(ctx, "u1", "a1", 3); !errors.Is(err, models.ErrDuplicate) {
		t.Fatalf("second like: %v", err)
	}
	if ok, err := s.Has(ctx, "u1", "a2"); !ok || err != nil {
		t.Fatalf("has: %v %v", ok, err)
	}
	if ok, err := s.Has(ctx, "u2", "a2"); ok || err != nil {
		t.Fatalf("has (other user): %v %v", ok, err)
	}
	list, err := s.OfUser(ctx, "u1")
	if err != nil || len(list) != 2 || list[0].Article != "a2" || list[1].Article != "a1" {
		t.Fatalf("of user: %+v %v", list, err)
	}
	if removed, err := s.Remove(ctx, "u1", "a2"); !removed || err != nil {
		t.Fatalf("remove: %v %v", removed, err)
	}
	if removed, err := s.Remove(ctx, "u1", "a2"); removed || err != nil {
		t.Fatalf("remove again: %v %v", removed, err)
	}
	if list, _ := s.OfUser(ctx, "u1"); len(list) != 1 || list[0].Article != "a1" {
		t.Fatalf("after remove: %+v", list)
	}
	if list, err := s.OfUser(ctx, "nobody"); len(list) != 0 || err != nil {
		t.Fatalf("nobody: %+v %v", list, err)
	}
}

// TestLikeRace: 20 concurrent likes by one user: exactly one is stored.
func TestLikeRace(t *testing.T) {
	ctx := context.Background()
	s := dbtest.New(t).Likes
	var ok atomic.Int64
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			err := s.Add(ctx, "u1", "a1", 1)
			switch {
			case err == nil:
				ok.Add(1)
			case !errors.Is(err, models.ErrDuplicate):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	list, _ := s.OfUser(ctx, "u1")
	if ok.Load() != 1 || len(list) != 1 {
		t.Fatalf("accepted %d, listed %d", ok.Load(), len(list))
	}
}
