package models_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
)

// TestBannerStore: an empty store lists none; concurrent changes all land
// (one document, serialised); a refused change writes nothing.
func TestBannerStore(t *testing.T) {
	ctx := context.Background()
	s := dbtest.New(t).Banners
	if bs, err := s.All(ctx); err != nil || bs == nil || len(bs) != 0 {
		t.Fatalf("empty: %#v %v", bs, err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Change(ctx, func(bs []models.Banner) ([]models.Banner, error) {
				return append(bs, models.Banner{ID: models.NewBannerID(), Cover: "/c.png", Index: i, Enabled: true}), nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	refused := errors.New("refused")
	if _, err := s.Change(ctx, func([]models.Banner) ([]models.Banner, error) { return nil, refused }); !errors.Is(err, refused) {
		t.Fatalf("refused change: %v", err)
	}
	if bs, err := s.All(ctx); err != nil || len(bs) != 8 {
		t.Fatalf("after 8 concurrent adds: %d banners, %v", len(bs), err)
	}
}

// TestCommentCountByState counts every thread's comments by state.
func TestCommentCountByState(t *testing.T) {
	ctx := context.Background()
	s := dbtest.New(t).Comments
	for i, st := range []string{models.CommentVisible, models.CommentHeld, models.CommentHeld, models.CommentHidden} {
		article := []string{"a1", "a2"}[i%2]
		c := models.Comment{ID: models.NewCommentID(), UserID: "u", Content: st, State: st, Created: int64(i)}
		if _, err := s.Add(ctx, article, func([]models.Comment) (models.Comment, error) { return c, nil }); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.CountByState(ctx)
	if err != nil || n[models.CommentVisible] != 1 || n[models.CommentHeld] != 2 || n[models.CommentHidden] != 1 {
		t.Fatalf("counts %v, %v", n, err)
	}
}
