package content_test

import (
	"context"
	"errors"
	"testing"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services/content"
)

// failingThreads is the real comment store whose DeleteThread fails while
// fail is set: a database that stops answering half-way through a purge.
type failingThreads struct {
	*models.CommentStore
	fail bool
}

var errInjected = errors.New("injected failure")

func (f *failingThreads) DeleteThread(ctx context.Context, article string) (int, error) {
	if f.fail {
		return 0, errInjected
	}
	return f.CommentStore.DeleteThread(ctx, article)
}

// TestPurgeRetryCompletes: a purge that fails after its likes went leaves
// the article marked (out of every public list, not restorable); the retry
// removes the rest; a purge of what is gone is ErrArticleNotFound.
func TestPurgeRetryCompletes(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, content.Config{Moderation: content.ModerationOff})
	threads := &failingThreads{CommentStore: e.db.Comments, fail: true}
	svc := content.New(content.Stores{Articles: e.db.Articles, Likes: e.db.Likes, Comments: e.db.Comments,
		Taxonomy: e.db.Taxonomy, Users: e.db.Users,
		Purge: content.PurgeStores{Articles: e.db.Articles, Likes: e.db.Likes, Threads: threads},
	}, content.Config{Moderation: content.ModerationOff}, e.clock.Now, nil)
	e.svc = svc
	author, admin, reader := e.user("alice", content.TypeAuthor), e.user("root", models.TypeAdmin), e.user("carol", models.TypeClient)
	gone := e.publish(author, input("Gone"))
	kept := e.publish(author, input("Kept"))
	for _, v := range []content.Viewer{reader, admin} {
		if err := svc.Like(ctx, v, gone.Article.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.Comment(ctx, reader, gone.Article.ID, content.CommentInput{Content: "nice"}); err != nil {
		t.Fatal(err)
	}

	if _, err := svc.Purge(ctx, gone.Article.ID); !errors.Is(err, errInjected) {
		t.Fatalf("purge with a failing thread store: %v", err)
	}
	// Half-way: marked, out of the lists, likes gone, thread still there.
	p, err := svc.List(ctx, content.ListQuery{})
	if err != nil || len(p.Items) != 1 || p.Items[0].ID != kept.Article.ID {
		t.Fatalf("public list after the failed purge: %v %v", ids(p), err)
	}
	if _, err := svc.Detail(ctx, admin, gone.Article.ID, "x"); !errors.Is(err, content.ErrArticleNotFound) {
		t.Fatalf("an admin reads a half-purged article: %v", err)
	}
	if _, _, err := svc.SetStatus(ctx, gone.Article.ID, models.ArticleOnline); !errors.Is(err, content.ErrArticleNotFound) {
		t.Fatalf("restoring a half-purged article: %v", err)
	}
	if prof, err := svc.Profile(ctx, reader.ID); err != nil || prof.LikeCount != 0 {
		t.Fatalf("reader's likeCount after the failed purge: %+v %v", prof, err)
	}
	if th, _ := e.db.Comments.Thread(ctx, gone.Article.ID); len(th) != 1 {
		t.Fatalf("thread after the failed purge: %d comments", len(th))
	}

	threads.fail = false
	got, err := svc.Purge(ctx, gone.Article.ID)
	if err != nil || got.Comments != 1 || got.Article.Title != "Gone" {
		t.Fatalf("retried purge: %+v %v", got, err)
	}
	if _, err := e.db.Articles.ByID(ctx, gone.Article.ID); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("article after the retry: %v", err)
	}
	if _, err := e.db.Articles.Body(ctx, gone.Article.ID); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("body after the retry: %v", err)
	}
	if _, err := e.db.Articles.BySlug(ctx, gone.Article.Slug); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("slug after the retry: %v", err)
	}
	if th, _ := e.db.Comments.Thread(ctx, gone.Article.ID); len(th) != 0 {
		t.Fatalf("thread after the retry: %d comments", len(th))
	}
	for _, v := range []content.Viewer{reader, admin} {
		if liked, _ := e.db.Likes.OfUser(ctx, v.ID); len(liked) != 0 {
			t.Fatalf("%s's like list after the purge: %v", v.Nick, liked)
		}
		if has, _ := e.db.Likes.Has(ctx, v.ID, gone.Article.ID); has {
			t.Fatalf("%s's like after the purge", v.Nick)
		}
	}
	if _, err := svc.Purge(ctx, gone.Article.ID); !errors.Is(err, content.ErrArticleNotFound) {
		t.Fatalf("purging what is gone: %v", err)
	}
	if _, err := svc.Detail(ctx, content.Viewer{}, kept.Article.ID, "x"); err != nil {
		t.Fatalf("the other article: %v", err)
	}
}
