package content_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/content"
)

// review reads the article's review and counts what its public thread
// shows; the test fails unless both are want.
func (e *env) checkReview(what, id string, want int) {
	e.t.Helper()
	a, err := e.db.Articles.ByID(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	nodes, err := e.svc.Comments(context.Background(), content.Viewer{}, id)
	if err != nil {
		e.t.Fatal(err)
	}
	shown := 0
	for _, n := range nodes {
		shown += 1 + len(n.Sub)
	}
	if a.Review != int64(want) || shown != want {
		e.t.Fatalf("%s: review %d, thread shows %d; want %d", what, a.Review, shown, want)
	}
}

// TestCommentStates: the admin's states, what the thread shows and what
// review counts (replies of a root that is not visible included), a ban,
// and hiding a user's comments.
func TestCommentStates(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, content.Config{Moderation: content.ModerationOff})
	boss, ann, bob := e.user("boss", models.TypeAdmin), e.user("ann", models.TypeClient), e.user("bob", models.TypeClient)
	id := e.publish(boss, input("states")).Article.ID
	root, err := e.svc.Comment(ctx, ann, id, content.CommentInput{Content: "root"})
	if err != nil {
		t.Fatal(err)
	}
	reply, _ := e.svc.Comment(ctx, bob, id, content.CommentInput{Content: "reply", TargetID: root.ID})
	other, _ := e.svc.Comment(ctx, bob, id, content.CommentInput{Content: "other root"})
	e.checkReview("three visible", id, 3)
	for _, s := range []struct {
		comment, state string
		want           int
	}{
		{root.ID, models.CommentDeleted, 1}, {root.ID, models.CommentSpam, 1}, {reply.ID, models.CommentHidden, 1},
		{root.ID, models.CommentVisible, 2}, {reply.ID, models.CommentVisible, 3}, {root.ID, models.CommentHeld, 1},
		{root.ID, models.CommentVisible, 3},
	} {
		before, after, err := e.svc.SetCommentState(ctx, id, s.comment, s.state)
		if err != nil || after.State != s.state || before.ID != s.comment {
			t.Fatalf("set %s: %+v %+v %v", s.state, before, after, err)
		}
		e.checkReview("after "+s.state, id, s.want)
	}
	if b, a, err := e.svc.SetCommentState(ctx, id, root.ID, models.CommentVisible); err != nil || b.State != a.State {
		t.Fatalf("the same state again: %+v %+v %v", b, a, err)
	}
	var fe *services.FieldError
	if _, _, err := e.svc.SetCommentState(ctx, id, root.ID, "gone"); !errors.As(err, &fe) || fe.Field != "state" {
		t.Fatalf("unknown state: %v", err)
	}
	if _, _, err := e.svc.SetCommentState(ctx, id, "nope", models.CommentHidden); !errors.Is(err, content.ErrCommentNotFound) {
		t.Fatalf("unknown comment: %v", err)
	}
	if err := e.svc.Moderate(ctx, id, root.ID, models.CommentSpam); !errors.As(err, &fe) || fe.Field != "state" {
		t.Fatalf("the author's moderation takes three states: %v", err)
	}
	// No reply to a comment that is not shown.
	if _, _, err := e.svc.SetCommentState(ctx, id, other.ID, models.CommentSpam); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Comment(ctx, ann, id, content.CommentInput{Content: "to spam", TargetID: other.ID}); !errors.As(err, &fe) || fe.Field != "targetId" {
		t.Fatalf("reply to spam: %v", err)
	}
	banned := bob
	banned.CommentBanned = true
	if _, err := e.svc.Comment(ctx, banned, id, content.CommentInput{Content: "hello"}); !errors.Is(err, content.ErrCommentBanned) {
		t.Fatalf("a banned user's comment: %v", err)
	}
	// bob: a visible reply (hidden now), a spam root (kept spam).
	n, err := e.svc.HideCommentsOf(ctx, bob.ID)
	if err != nil || n != 1 {
		t.Fatalf("hide bob's: %d %v", n, err)
	}
	e.checkReview("bob's hidden", id, 1)
	if n, _ := e.svc.HideCommentsOf(ctx, bob.ID); n != 0 {
		t.Fatalf("hiding again hid %d", n)
	}
	page, err := e.svc.AdminComments(ctx, content.AdminCommentQuery{User: bob.ID})
	if err != nil || page.Total != 2 || page.Items[0].State != models.CommentSpam || page.Items[1].State != models.CommentHidden ||
		page.Items[0].ArticleTitle != "states" {
		t.Fatalf("bob's comments: %+v %v", page, err)
	}
}

// TestCommentStatesConcurrent: moderations and new comments racing on one
// thread keep review equal to what the thread shows.
func TestCommentStatesConcurrent(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, content.Config{Moderation: content.ModerationAll})
	boss := e.user("boss", models.TypeAdmin)
	id := e.publish(boss, input("race")).Article.ID
	root, _ := e.svc.Comment(ctx, boss, id, content.CommentInput{Content: "root"})
	var held []string
	for i := range 10 {
		c, err := e.svc.Comment(ctx, e.user(fmt.Sprint("u", i), models.TypeClient), id, content.CommentInput{Content: "held"})
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c.ID)
	}
	var wg sync.WaitGroup
	for i, c := range held {
		wg.Go(func() {
			if _, _, err := e.svc.SetCommentState(ctx, id, c, models.CommentVisible); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if _, err := e.svc.Comment(ctx, boss, id, content.CommentInput{Content: fmt.Sprint("reply ", i), TargetID: root.ID}); err != nil {
				var fe *services.FieldError
				if !errors.As(err, &fe) { // refused once the root is hidden
					t.Error(err)
				}
			}
		})
		if i%3 == 0 {
			wg.Go(func() {
				state := models.CommentHidden
				if i%2 == 0 {
					state = models.CommentVisible
				}
				if _, _, err := e.svc.SetCommentState(ctx, id, root.ID, state); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	a, _ := e.db.Articles.ByID(ctx, id)
	nodes, _ := e.svc.Comments(ctx, content.Viewer{}, id)
	shown := 0
	for _, n := range nodes {
		shown += 1 + len(n.Sub)
	}
	if a.Review != int64(shown) || shown < 10 {
		t.Fatalf("review %d, thread shows %d", a.Review, shown)
	}
}
