package content_test

import (
	"context"
	"testing"
	"time"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services/content"
)

// flakyCommenters is the real comment store whose SetCommenter fails
// while fail is set.
type flakyCommenters struct {
	*models.CommentStore
	fail bool
}

func (f *flakyCommenters) SetCommenter(ctx context.Context, article, user string, c models.Commenter) (int, error) {
	if f.fail {
		return 0, errInjected
	}
	return f.CommentStore.SetCommenter(ctx, article, user, c)
}

// TestAuthorCopiesFollowTheUser: a nick and cover change reaches the
// user's articles (lists and detail) and comments (their own and the
// replies to them); a pass that fails half-way leaves its marker and the
// next pass completes it; the marker is removed once the change settled;
// a deleted user is shown under the placeholder.
func TestAuthorCopiesFollowTheUser(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, content.Config{})
	threads := &flakyCommenters{CommentStore: e.db.Comments}
	cfg := content.Config{Moderation: content.ModerationOff, AuthorSettle: 30 * time.Second}
	svc := content.New(content.Stores{Articles: e.db.Articles, Likes: e.db.Likes, Comments: e.db.Comments,
		Taxonomy: e.db.Taxonomy, Users: e.db.Users,
		Authors: content.AuthorStores{Syncs: e.db.AuthorSyncs, Articles: e.db.Articles, Threads: threads},
	}, cfg, e.clock.Now, nil)
	e.svc = svc
	alice, carol := e.user("alice", content.TypeAuthor), e.user("carol", models.TypeClient)
	d := e.publish(alice, input("Mine"))
	root, err := svc.Comment(ctx, alice, d.Article.ID, content.CommentInput{Content: "first"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Comment(ctx, carol, d.Article.ID, content.CommentInput{Content: "reply", TargetID: root.ID, ReplyUser: alice.ID}); err != nil {
		t.Fatal(err)
	}

	change := func(up models.UserUpdate) {
		t.Helper()
		if err := svc.MarkAuthor(ctx, alice.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.Users.Update(ctx, alice.ID, up); err != nil {
			t.Fatal(err)
		}
	}
	shows := func(nick, cover string) {
		t.Helper()
		p, err := svc.List(ctx, content.ListQuery{})
		if err != nil || len(p.Items) != 1 || p.Items[0].Author.Nick != nick || p.Items[0].Author.Cover != cover {
			t.Fatalf("list author: %+v %v, want %q %q", p.Items, err, nick, cover)
		}
		got, err := svc.Detail(ctx, content.Viewer{}, d.Article.ID, "x")
		if err != nil || got.Article.Author.Nick != nick {
			t.Fatalf("detail author: %+v %v", got.Article.Author, err)
		}
		nodes, err := svc.Comments(ctx, content.Viewer{}, d.Article.ID)
		if err != nil || len(nodes) != 1 || nodes[0].Nick != nick || nodes[0].Cover != cover ||
			len(nodes[0].Sub) != 1 || nodes[0].Sub[0].ParentNick != nick || nodes[0].Sub[0].Nick != "carol-nick" {
			t.Fatalf("comments: %+v %v, want %q", nodes, err, nick)
		}
	}
	pending := func() int {
		t.Helper()
		m, err := e.db.AuthorSyncs.Pending(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(m)
	}

	nick, cover := "Alice B.", "https://img.example/a.png"
	change(models.UserUpdate{Nick: &nick, Avatar: &cover})
	threads.fail = true
	if err := svc.SyncAuthors(ctx); err == nil {
		t.Fatal("a pass with a failing thread store reported no error")
	}
	if pending() != 1 {
		t.Fatal("the failed pass removed its marker")
	}
	threads.fail = false
	if err := svc.SyncAuthors(ctx); err != nil {
		t.Fatal(err)
	}
	shows(nick, cover)
	if pending() != 1 {
		t.Fatal("the marker went before the change settled")
	}
	e.clock.Advance(31 * time.Second)
	if err := svc.SyncAuthors(ctx); err != nil {
		t.Fatal(err)
	}
	if pending() != 0 {
		t.Fatal("the settled marker stayed")
	}

	// An article deleted while its author changes shows the change once
	// restored.
	hidden := e.publish(alice, input("Hidden"))
	if err := svc.Delete(ctx, alice, hidden.Article.ID); err != nil {
		t.Fatal(err)
	}

	// Deleted: the placeholder, no cover.
	now := e.clock.Now().UnixMilli()
	if err := svc.MarkAuthor(ctx, alice.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Users.Change(ctx, alice.ID, 0, models.UserChange{DeletedAt: &now}); err != nil {
		t.Fatal(err)
	}
	if err := svc.SyncAuthors(ctx); err != nil {
		t.Fatal(err)
	}
	shows(content.DeletedAuthorNick, "")
	_, after, err := svc.SetStatus(ctx, hidden.Article.ID, models.ArticleOnline)
	if err != nil || after.Author.Nick != content.DeletedAuthorNick || after.Author.Cover != "" {
		t.Fatalf("restored article's author: %+v %v", after.Author, err)
	}
}
