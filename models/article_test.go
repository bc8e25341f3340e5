package models_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
)

func newArticle(title string) *models.Article {
	return &models.Article{Slug: title, Title: title, Status: models.ArticleOnline, AuthorID: "u1",
		Author: models.ArticleAuthor{ID: "u1", Nick: "alice"}, Tags: []string{"go"}}
}

// TestArticleCreateAndFind: an article is found by id and by slug, its
// body beside it; colliding slugs get -2, -3.
func TestArticleCreateAndFind(t *testing.T) {
	ctx := context.Background()
	s := dbtest.New(t).Articles
	var ids []string
	for i := range 3 {
		a := newArticle("hello")
		if err := s.Create(ctx, a, models.ArticleBody{HTML: fmt.Sprintf("<p>%d</p>", i), Plain: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
		want := []string{"hello", "hello-2", "hello-3"}[i]
		if a.Slug != want || a.Version != 1 || len(a.ID) != 24 {
			t.Fatalf("article %d: slug %q version %d id %q", i, a.Slug, a.Version, a.ID)
		}
		ids = append(ids, a.ID)
	}
	got, err := s.BySlug(ctx, "hello-2")
	if err != nil || got.ID != ids[1] || got.Author.Nick != "alice" {
		t.Fatalf("by slug: %+v %v", got, err)
	}
	body, err := s.Body(ctx, ids[2])
	if err != nil || body.HTML != "<p>2</p>" {
		t.Fatalf("body: %+v %v", body, err)
	}
	if _, err := s.ByID(ctx, "nope"); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("missing id: %v", err)
	}
	if _, err := s.BySlug(ctx, "nope"); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("missing slug: %v", err)
	}
	all, err := s.All(ctx)
	if err != nil || len(all) != 3 {
		t.Fatalf("all: %d %v", len(all), err)
	}
	ch, err := s.Changes(ctx)
	if err != nil || ch.Seq != 3 || len(ch.Recent) != 3 || ch.Recent[2] != ids[2] {
		t.Fatalf("changes: %+v %v", ch, err)
	}
	plains := map[string]string{}
	if err := s.PlainTexts(ctx, func(id, p string) { plains[id] = p }); err != nil || plains[ids[1]] != "1" {
		t.Fatalf("plain texts: %v %v", plains, err)
	}
}

// TestArticleUpdate: an update bumps the version, moves the slug alias
// (releasing the old one), keeps counters, and an error from fn writes
// nothing.
func TestArticleUpdate(t *testing.T) {
	ctx := context.Background()
	s := dbtest.New(t).Articles
	a := newArticle("first")
	if err := s.Create(ctx, a, models.ArticleBody{HTML: "<p>a</p>"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Inc(ctx, a.ID, models.ArticleCounters{Praise: 2, Read: 5}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Update(ctx, a.ID, func(x *models.Article) (*models.ArticleBody, error) {
		x.Title, x.Slug, x.Praise = "second", "second", 99 // the counter is not written
		return &models.ArticleBody{HTML: "<p>b</p>"}, nil
	})
	if err != nil || got.Version != 2 || got.Slug != "second" {
		t.Fatalf("update: %+v %v", got, err)
	}
	stored, _ := s.ByID(ctx, a.ID)
	if stored.Title != "second" || stored.Praise != 2 || stored.Read != 5 || stored.Version != 2 {
		t.Fatalf("stored: %+v", stored)
	}
	if _, err := s.BySlug(ctx, "first"); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("old slug still found: %v", err)
	}
	if b, _ := s.Body(ctx, a.ID); b.HTML != "<p>b</p>" {
		t.Fatalf("body: %+v", b)
	}
	refused := errors.New("refused")
	if _, err := s.Update(ctx, a.ID, func(x *models.Article) (*models.ArticleBody, error) {
		x.Title = "third"
		return nil, refused
	}); !errors.Is(err, refused) {
		t.Fatalf("fn error: %v", err)
	}
	if stored, _ := s.ByID(ctx, a.ID); stored.Title != "second" {
		t.Fatalf("refused update written: %+v", stored)
	}
	if _, err := s.Update(ctx, "missing", func(*models.Article) (*models.ArticleBody, error) { return nil, nil }); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	if err := s.Inc(ctx, "missing", models.ArticleCounters{Praise: 1}); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("inc creates a stub: %v", err)
	}
}

// TestArticleCountersExact: concurrent increments of one article are all
// counted (FerretDB does not isolate $inc; the store serialises them).
func TestArticleCountersExact(t *testing.T) {
	ctx := context.Background()
	s := dbtest.New(t).Articles
	a := newArticle("count")
	if err := s.Create(ctx, a, models.ArticleBody{}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 30 {
		wg.Go(func() {
			if err := s.Inc(ctx, a.ID, models.ArticleCounters{Praise: 1, Review: 1}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, _ := s.ByID(ctx, a.ID)
	if got.Praise != 30 || got.Review != 30 {
		t.Fatalf("praise %d review %d, want 30", got.Praise, got.Review)
	}
	ch, _ := s.Changes(ctx)
	if ch.Seq != 31 || len(ch.Recent) != 31 {
		t.Fatalf("changes: seq %d recent %d", ch.Seq, len(ch.Recent))
	}
}

// TestArticleChangesBounded: the change log keeps the last RecentChanges
// ids; a bulk import moves seq past what it holds.
func TestArticleChangesBounded(t *testing.T) {
	ctx := context.Background()
	s := dbtest.New(t).Articles
	a := newArticle("x")
	if err := s.Create(ctx, a, models.ArticleBody{}); err != nil {
		t.Fatal(err)
	}
	for range models.RecentChanges + 5 {
		if err := s.Inc(ctx, a.ID, models.ArticleCounters{Praise: 1}); err != nil {
			t.Fatal(err)
		}
	}
	ch, _ := s.Changes(ctx)
	if len(ch.Recent) != models.RecentChanges || ch.Seq != models.RecentChanges+6 {
		t.Fatalf("recent %d seq %d", len(ch.Recent), ch.Seq)
	}
	arts := []models.Article{{ID: models.NewArticleID(), Slug: "b1"}, {ID: models.NewArticleID(), Slug: "b2"}}
	if err := s.CreateMany(ctx, arts, []models.ArticleBody{{ID: arts[0].ID}, {ID: arts[1].ID}}); err != nil {
		t.Fatal(err)
	}
	after, _ := s.Changes(ctx)
	if after.Seq-ch.Seq <= int64(len(after.Recent)) {
		t.Fatalf("bulk import must force a full reload: %d → %d, recent %d", ch.Seq, after.Seq, len(after.Recent))
	}
	if got, err := s.BySlug(ctx, "b2"); err != nil || got.ID != arts[1].ID {
		t.Fatalf("imported slug: %+v %v", got, err)
	}
}
