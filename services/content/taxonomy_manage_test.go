package content_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services/content"
)

// TestTaxonomyForwarding: renames chain (A → B → C): a publish naming
// the first name lands on the last; a name renamed away can be created
// again, and then is itself; tags forward and collapse; the admin's
// sentinels for taken, used and unknown names.
func TestTaxonomyForwarding(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, content.Config{})
	admin := e.user("boss", models.TypeAdmin)
	if _, err := e.svc.CreateCategory(ctx, "A", nil); err != nil {
		t.Fatal(err)
	}
	for _, step := range [][2]string{{"A", "B"}, {"B", "C"}} {
		if _, _, _, changed, err := e.svc.EditCategory(ctx, step[0], content.TaxonomyEdit{Name: &step[1]}); err != nil || !changed {
			t.Fatalf("rename %s → %s: %v %v", step[0], step[1], changed, err)
		}
	}
	in := input("Chained")
	in.Category, in.Tags = "A", []string{"go", "Go"}
	if _, err := e.svc.CreateTag(ctx, "go"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, err := e.svc.RenameTag(ctx, "go", "golang"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, err := e.svc.RenameTag(ctx, "golang", "Go"); err != nil {
		t.Fatal(err)
	}
	d := e.publish(admin, in)
	if d.Article.Category != "C" || !slices.Equal(d.Article.Tags, []string{"Go"}) {
		t.Fatalf("published through the chain: %q %v", d.Article.Category, d.Article.Tags)
	}
	cats, err := e.svc.Categories(ctx)
	if err != nil || len(cats) != 2 || cats[1].Name != "C" || cats[1].Count != 1 {
		t.Fatalf("public categories: %+v %v", cats, err)
	}
	if tags, _ := e.svc.Tags(ctx); !slices.Equal(tags, []string{"Go"}) {
		t.Fatalf("public tags: %v", tags)
	}
	other := "Z"
	if _, _, _, _, err := e.svc.EditCategory(ctx, "A", content.TaxonomyEdit{Name: &other}); !errors.Is(err, content.ErrCategoryNotFound) {
		t.Fatalf("renaming a name renamed away: %v", err)
	}
	if _, _, _, err := e.svc.DeleteTag(ctx, "golang"); !errors.Is(err, content.ErrTagNotFound) {
		t.Fatalf("deleting a tag renamed away: %v", err)
	}
	if _, err := e.svc.CreateCategory(ctx, "A", nil); err != nil {
		t.Fatalf("A again: %v", err)
	}
	in.Title = "Back in A"
	if d := e.publish(admin, in); d.Article.Category != "A" {
		t.Fatalf("A created again: published in %q", d.Article.Category)
	}
	if _, err := e.svc.CreateCategory(ctx, "C", nil); !errors.Is(err, content.ErrCategoryExists) {
		t.Fatalf("a taken name: %v", err)
	}
	if _, _, _, err := e.svc.DeleteCategory(ctx, "C", ""); !errors.Is(err, content.ErrCategoryInUse) {
		t.Fatalf("a used category: %v", err)
	}
	if _, _, _, err := e.svc.DeleteType(ctx, "original", ""); !errors.Is(err, content.ErrTypeInUse) {
		t.Fatalf("a used type: %v", err)
	}
	if _, _, _, err := e.svc.DeleteType(ctx, "translation", ""); err != nil {
		t.Fatalf("an unused type: %v", err)
	}
	in.Type = "translation"
	if _, err := e.svc.Publish(ctx, admin, in); err == nil {
		t.Fatal("published with a type deleted without a replacement")
	}
}
