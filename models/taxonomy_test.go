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

// TestRetaxonomize: only the articles fn changes are written (their
// taxonomy fields, version one more) and recorded in the change counter:
// each id when they fit in its window, else a jump of seq past it.
func TestRetaxonomize(t *testing.T) {
	ctx := context.Background()
	s := dbtest.New(t).Articles
	n := models.RecentChanges + 5
	arts, bodies := make([]models.Article, n), make([]models.ArticleBody, n)
	ids := make([]string, n)
	for i := range arts {
		ids[i] = models.NewArticleID()
		cat := "old"
		if i == 0 {
			cat = "other"
		}
		arts[i] = models.Article{ID: ids[i], Slug: ids[i], Title: "t", Category: cat, Tags: []string{"x"}, Status: models.ArticleOnline}
		bodies[i] = models.ArticleBody{ID: ids[i]}
	}
	if err := s.CreateMany(ctx, arts, bodies); err != nil {
		t.Fatal(err)
	}
	move := func(a *models.Article) bool {
		if a.Category != "old" {
			return false
		}
		a.Category = "new"
		return true
	}
	before, _ := s.Changes(ctx)
	done, err := s.Retaxonomize(ctx, ids[:3], move)
	if err != nil || len(done) != 2 || done[0] != ids[1] {
		t.Fatalf("first three: %v %v", done, err)
	}
	after, _ := s.Changes(ctx)
	if after.Seq != before.Seq+2 || after.Recent[len(after.Recent)-1] != ids[2] {
		t.Fatalf("change counter: %+v → %+v", before, after)
	}
	if a, _ := s.ByID(ctx, ids[1]); a.Category != "new" || a.Version != 2 || a.Title != "t" || a.Tags[0] != "x" {
		t.Fatalf("moved article: %+v", a)
	}
	if a, _ := s.ByID(ctx, ids[0]); a.Category != "other" || a.Version != 1 {
		t.Fatalf("untouched article: %+v", a)
	}
	done, err = s.Retaxonomize(ctx, ids, move)
	if err != nil || len(done) != n-3 {
		t.Fatalf("the rest: %d %v", len(done), err)
	}
	if last, _ := s.Changes(ctx); last.Seq-after.Seq <= int64(len(last.Recent)) {
		t.Fatalf("more changes than the window: seq %d → %d with %d recent", after.Seq, last.Seq, len(last.Recent))
	}
}
