package models_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
)

// TestCommentThread: comments come back in order; check sees the thread
// and can refuse; a state change hits the right comment.
func TestCommentThread(t *testing.T) {
	ctx := context.Background()
	s := dbtest.New(t).Comments
	if th, err := s.Thread(ctx, "a1"); err != nil || len(th) != 0 || th == nil {
		t.Fatalf("empty thread: %#v %v", th, err)
	}
	ids := []string{models.NewCommentID(), models.NewCommentID(), models.NewCommentID()}
	for i, id := range ids {
		c := models.Comment{ID: id, UserID: "u1", Content: "c" + id, State: models.CommentVisible, Created: int64(i)}
		if i > 0 {
			c.TargetID = ids[0]
		}
		if _, err := s.Add(ctx, "a1", func([]models.Comment) (models.Comment, error) { return c, nil }); err != nil {
			t.Fatal(err)
		}
	}
	dup := errors.New("dup")
	_, err := s.Add(ctx, "a1", func(th []models.Comment) (models.Comment, error) {
		if len(th) != 3 {
			t.Errorf("build saw %d comments", len(th))
		}
		return models.Comment{ID: "x"}, dup
	})
	if !errors.Is(err, dup) {
		t.Fatalf("refused add: %v", err)
	}
	set := func(id, state string) func([]models.Comment) (map[string]string, error) {
		return func([]models.Comment) (map[string]string, error) { return map[string]string{id: state}, nil }
	}
	prev, err := s.SetStates(ctx, "a1", set(ids[1], models.CommentHidden))
	if err != nil || len(prev) != 3 || prev[1].State != models.CommentVisible {
		t.Fatalf("set state: %+v %v", prev, err)
	}
	th, _ := s.Thread(ctx, "a1")
	if len(th) != 3 || th[1].State != models.CommentHidden || th[0].State != models.CommentVisible || th[2].TargetID != ids[0] {
		t.Fatalf("thread: %+v", th)
	}
	if _, err := s.SetStates(ctx, "a1", func([]models.Comment) (map[string]string, error) {
		return map[string]string{ids[2]: models.CommentSpam, "nope": models.CommentHidden}, nil
	}); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("missing comment: %v", err)
	}
	if th, _ := s.Thread(ctx, "a1"); th[2].State != models.CommentVisible {
		t.Fatalf("a refused change wrote %+v", th[2])
	}
	n := 0
	if err := s.EachThread(ctx, func(article string, th []models.Comment) error {
		n++
		if article != "a1" || len(th) != 3 {
			t.Errorf("thread %s: %d comments", article, len(th))
		}
		return nil
	}); err != nil || n != 1 {
		t.Fatalf("each thread: %d threads, %v", n, err)
	}
	if ok, _ := s.Approved(ctx, "u1"); ok {
		t.Fatal("approved before MarkApproved")
	}
	if err := s.MarkApproved(ctx, "u1", 5); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Approved(ctx, "u1"); !ok || err != nil {
		t.Fatalf("approved: %v %v", ok, err)
	}
}

// TestCommentConcurrentAdds: 20 comments at once all land.
func TestCommentConcurrentAdds(t *testing.T) {
	ctx := context.Background()
	s := dbtest.New(t).Comments
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := s.Add(ctx, "a1", func([]models.Comment) (models.Comment, error) {
				return models.Comment{ID: models.NewCommentID()}, nil
			}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if th, _ := s.Thread(ctx, "a1"); len(th) != 20 {
		t.Fatalf("%d comments, want 20", len(th))
	}
}

// TestTaxonomyDefaults: a fresh database has the default types and
// category; tags are created once.
func TestTaxonomyDefaults(t *testing.T) {
	ctx := context.Background()
	s := dbtest.New(t).Taxonomy
	types, err := s.Types(ctx)
	if err != nil || len(types) != 3 || types[0].Identify != "original" || types[0].Name != "原创" || types[2].Identify != "translation" {
		t.Fatalf("types: %+v %v", types, err)
	}
	cats, err := s.Categories(ctx)
	if err != nil || len(cats) != 1 || cats[0].Name != models.DefaultCategory {
		t.Fatalf("categories: %+v %v", cats, err)
	}
	if err := s.EnsureTags(ctx, []string{"go", "db"}, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureTags(ctx, []string{"go", "web"}, 2); err != nil {
		t.Fatal(err)
	}
	tags, _ := s.Tags(ctx)
	if len(tags) != 3 {
		t.Fatalf("tags: %+v", tags)
	}
	if err := s.CreateCategory(ctx, models.Category{Name: models.DefaultCategory}); !errors.Is(err, models.ErrDuplicate) {
		t.Fatalf("duplicate category: %v", err)
	}
}
