package models_test

import (
	"context"
	"errors"
	"testing"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
)

// TestTaxonomyChanges: a put over a live entry is a duplicate, over a
// forwarding entry a replacement; a change counts versions and aborts on
// fn's error; a removal of nothing is ErrNotFound; lists are by index,
// then creation.
func TestTaxonomyChanges(t *testing.T) {
	ctx := context.Background()
	s := dbtest.New(t).Taxonomy
	if err := s.PutCategory(ctx, models.Category{Name: models.DefaultCategory}); !errors.Is(err, models.ErrDuplicate) {
		t.Fatalf("put over a live category: %v", err)
	}
	if err := s.PutCategory(ctx, models.Category{Name: "old", Created: 5, Index: 2}); err != nil {
		t.Fatal(err)
	}
	before, after, err := s.ChangeCategory(ctx, "old", func(c *models.Category) error { c.MovedTo = "new"; return nil })
	if err != nil || before.Version != 1 || after.Version != 2 || after.MovedTo != "new" {
		t.Fatalf("change: %+v → %+v, %v", before, after, err)
	}
	stop := errors.New("stop")
	if _, _, err := s.ChangeCategory(ctx, "old", func(c *models.Category) error { c.Index = 9; return stop }); !errors.Is(err, stop) {
		t.Fatalf("aborted change: %v", err)
	}
	if c, _ := s.Category(ctx, "old"); c.Index != 2 || c.Version != 2 {
		t.Fatalf("an aborted change wrote: %+v", c)
	}
	if err := s.PutCategory(ctx, models.Category{Name: "old", Created: 7, Index: 0}); err != nil {
		t.Fatalf("put over a forwarding entry: %v", err)
	}
	if c, _ := s.Category(ctx, "old"); c.MovedTo != "" || c.Version != 3 || c.Created != 7 {
		t.Fatalf("replaced forwarding entry: %+v", c)
	}
	cats, err := s.Categories(ctx)
	if err != nil || len(cats) != 2 || cats[0].Name != models.DefaultCategory || cats[1].Name != "old" {
		t.Fatalf("order by index, then creation: %+v %v", cats, err)
	}
	if _, _, err := s.ChangeType(ctx, "nope", func(*models.ArticleType) error { return nil }); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("change of a missing type: %v", err)
	}
	if err := s.RemoveTag(ctx, "nope"); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("remove a missing tag: %v", err)
	}
	if err := s.PutTag(ctx, models.Tag{Name: "go"}); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveTag(ctx, "go"); err != nil {
		t.Fatal(err)
	}
}
