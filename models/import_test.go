package models_test

import (
	"context"
	"errors"
	"testing"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
)

// TestImportLikes: the bulk import leaves what Add does: each like by its
// `_id`, each user's list newest first, and a second like refused.
func TestImportLikes(t *testing.T) {
	ctx := context.Background()
	s := dbtest.New(t).Likes
	if err := s.CreateMany(ctx, []models.Like{
		{User: "u1", Article: "a2", At: 20}, {User: "u2", Article: "a1", At: 5}, {User: "u1", Article: "a1", At: 10},
	}); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Has(ctx, "u1", "a2"); !ok || err != nil {
		t.Fatalf("has: %v %v", ok, err)
	}
	list, err := s.OfUser(ctx, "u1")
	if err != nil || len(list) != 2 || list[0] != (models.LikedArticle{Article: "a2", At: 20}) || list[1].Article != "a1" {
		t.Fatalf("of user: %+v %v", list, err)
	}
	if err := s.Add(ctx, "u2", "a1", 30); !errors.Is(err, models.ErrDuplicate) {
		t.Fatalf("like after import: %v", err)
	}
	if removed, err := s.Remove(ctx, "u1", "a2"); !removed || err != nil {
		t.Fatalf("remove: %v %v", removed, err)
	}
	if list, _ := s.OfUser(ctx, "u1"); len(list) != 1 || list[0].Article != "a1" {
		t.Fatalf("after remove: %+v", list)
	}
	if err := s.CreateMany(ctx, []models.Like{{User: "u2", Article: "a1", At: 1}}); !errors.Is(err, models.ErrDuplicate) {
		t.Fatalf("importing a like again: %v", err)
	}
}

// TestImportComments: threads as Add leaves them, every author of a
// visible comment approved (an earlier approval kept), a held one's not.
func TestImportComments(t *testing.T) {
	ctx := context.Background()
	s := dbtest.New(t).Comments
	if err := s.MarkApproved(ctx, "u1", 1); err != nil {
		t.Fatal(err)
	}
	root := models.Comment{ID: "c1", UserID: "u1", Content: "root", State: models.CommentVisible, Created: 1}
	if err := s.CreateMany(ctx, map[string][]models.Comment{
		"a1": {root, {ID: "c2", TargetID: "c1", UserID: "u2", ParentID: "u1", Content: "reply", State: models.CommentVisible, Created: 2}},
		"a2": {{ID: "c3", UserID: "u3", Content: "held", State: models.CommentHeld, Created: 3}},
	}, 50); err != nil {
		t.Fatal(err)
	}
	thread, err := s.Thread(ctx, "a1")
	if err != nil || len(thread) != 2 || thread[0] != root || thread[1].TargetID != "c1" {
		t.Fatalf("thread: %+v %v", thread, err)
	}
	for user, want := range map[string]bool{"u1": true, "u2": true, "u3": false} {
		if ok, err := s.Approved(ctx, user); ok != want || err != nil {
			t.Errorf("approved %s: %v %v, want %v", user, ok, err, want)
		}
	}
	if _, err := s.Add(ctx, "a1", func([]models.Comment) (models.Comment, error) {
		return models.Comment{ID: "c4", UserID: "u2", State: models.CommentVisible}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if thread, _ := s.Thread(ctx, "a1"); len(thread) != 3 || thread[2].ID != "c4" {
		t.Fatalf("thread after add: %+v", thread)
	}
	if err := s.CreateMany(ctx, map[string][]models.Comment{"a2": nil}, 60); !errors.Is(err, models.ErrDuplicate) {
		t.Fatalf("importing a thread again: %v", err)
	}
}
