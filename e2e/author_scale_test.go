package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/blogapi/blogapi/internal/apitest"
	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
)

// TestAuthorCopiesScale measures, on the embedded database with 2,000
// articles (about 8 KB each) and 20,000 comments, what a nick change costs
// the request that makes it (PUT /user/update) beside the user-centre
// request, how long the background pass takes for an author of 100
// articles who commented in 200 threads, and an admin's purge of an article
// with 10 comments and 10 likes (docs/blog.md, "Author copies"). It takes
// a minute, so it runs only with BLOGAPI_BLOG_SCALE=1:
//
//	BLOGAPI_BLOG_SCALE=1 go test ./e2e -run TestAuthorCopiesScale -v
func TestAuthorCopiesScale(t *testing.T) {
	if os.Getenv("BLOGAPI_BLOG_SCALE") == "" {
		t.Skip("set BLOGAPI_BLOG_SCALE=1 to measure")
	}
	ctx := context.Background()
	e := newBlogEnv(t)
	boss := e.admin("boss")
	writer, writerID := e.user("writer", models.TypeAuthor)
	const n = 2000
	para := strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. ", 100)
	now := e.clk.Now().UnixMilli()
	arts, bodies := make([]models.Article, n), make([]models.ArticleBody, n)
	threads := make([]any, n)
	likes := []any{}
	var writerThreads []string
	for i := range arts {
		id := models.NewArticleID()
		author := models.ArticleAuthor{ID: fmt.Sprint("other", i%20), Nick: "other"}
		if i%20 == 0 {
			author = models.ArticleAuthor{ID: writerID, Nick: "writer", Type: models.TypeAuthor}
		}
		arts[i] = models.Article{ID: id, Slug: fmt.Sprintf("article-%d", i), Title: fmt.Sprint("Article ", i), Summary: para[:240],
			Type: "original", Category: models.DefaultCategory, AuthorID: author.ID, Author: author, Status: models.ArticleOnline,
			PublishedAt: now - int64(n-i)*60000, Created: now - int64(n-i)*60000}
		bodies[i] = models.ArticleBody{ID: id, HTML: "<p>" + para + "</p>", Plain: para}
		cs := make([]models.Comment, 10)
		for j := range cs {
			cs[j] = models.Comment{ID: models.NewCommentID(), UserID: fmt.Sprint("u", j), Nick: "reader",
				Content: para[:120], State: models.CommentVisible, Created: now}
		}
		if i%10 == 0 {
			cs[0].UserID, cs[0].Nick = writerID, "writer"
			writerThreads = append(writerThreads, id)
		}
		threads[i] = bson.D{{Key: "_id", Value: id}, {Key: "comments", Value: cs}}
		if i == n/2 {
			for j := range 10 {
				likes = append(likes, models.Like{ID: fmt.Sprintf("u%d:%s", j, id), User: fmt.Sprint("u", j), Article: id, At: now})
			}
		}
	}
	for i := 0; i < n; i += 100 { // batches: one insert of 16 MB outlasts the operation timeout
		if err := e.inst.DB.Articles.CreateMany(ctx, arts[i:i+100], bodies[i:i+100]); err != nil {
			t.Fatal(err)
		}
		if _, err := dbtest.Collection(t, e.inst.DB, models.CollCommentThreads).InsertMany(ctx, threads[i:i+100]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := dbtest.Collection(t, e.inst.DB, models.CollLikes).InsertMany(ctx, likes); err != nil {
		t.Fatal(err)
	}
	// The index the comment store keeps on write (models/comment_author.go).
	if _, err := dbtest.Collection(t, e.inst.DB, models.CollUserThreads).InsertOne(ctx,
		bson.D{{Key: "_id", Value: writerID}, {Key: "articles", Value: writerThreads}}); err != nil {
		t.Fatal(err)
	}
	// p50 runs req runs times (after 3 warm-ups) and returns the median of
	// the durations it reports.
	p50 := func(runs int, req func(i int) time.Duration) time.Duration {
		for i := range 3 {
			req(-1 - i)
		}
		d := make([]time.Duration, runs)
		for i := range d {
			d[i] = req(i)
		}
		slices.Sort(d)
		return d[len(d)/2]
	}
	timed := func(f func()) time.Duration {
		start := time.Now()
		f()
		return time.Since(start)
	}
	sync := func() {
		if err := e.inst.App.SyncAuthors(ctx); err != nil {
			t.Fatal(err)
		}
	}
	center := p50(21, func(int) time.Duration {
		return timed(func() { apitest.Expect(t, e.get("/blogapi/user/center", nil, writer), 200, "center") })
	})
	// The request alone; the pass it asks for is waited for outside the
	// measurement, so each request runs alone.
	update := p50(9, func(i int) time.Duration {
		d := timed(func() {
			apitest.Expect(t, e.json(http.MethodPut, "/blogapi/user/update", fmt.Sprintf(`{"nick":"writer %d"}`, i+10), writer), 200, "nick")
		})
		sync()
		return d
	})
	// A profile change the copies do not show: no marker, no pass.
	summary := p50(9, func(i int) time.Duration {
		return timed(func() {
			apitest.Expect(t, e.json(http.MethodPut, "/blogapi/user/update", fmt.Sprintf(`{"summary":"about %d"}`, i+10), writer), 200, "summary")
		})
	})
	// A pass right after a change, run here instead of in the background:
	// the background pass is kicked too, and one of them waits for the other.
	writes := p50(5, func(i int) time.Duration {
		sync()
		if _, err := e.inst.DB.Users.Update(ctx, writerID, models.UserUpdate{Nick: ptr(fmt.Sprint("direct ", i+10))}); err != nil {
			t.Fatal(err)
		}
		if err := e.inst.DB.AuthorSyncs.Mark(ctx, writerID, e.clk.Now().UnixMilli()); err != nil {
			t.Fatal(err)
		}
		return timed(sync)
	})
	idle := p50(5, func(int) time.Duration { return timed(sync) })
	_, items := page(t, "author page", e.get("/blogapi/user/"+writerID+"/article", map[string]string{"pageSize": "100"}, ""))
	if len(items) != 100 || items[0]["user_info"].(map[string]any)["nick"] == "writer" {
		t.Fatalf("author page after the passes: %d items, %v", len(items), items[0]["user_info"])
	}
	start := time.Now()
	apitest.Expect(t, e.json(http.MethodPost, "/blogapi/admin/articles/"+arts[n/2].ID+"/purge",
		fmt.Sprintf(`{"password":%q}`, apitest.MD5Hex("secret-boss")), boss), 200, "purge")
	purge := time.Since(start)
	t.Logf("\n| at 2,000 articles, 20,000 comments | p50 | ×user-centre |\n|---|---:|---:|\n"+
		"| GET /user/center | %.2f ms | 1× |\n| PUT /user/update (summary) | %.2f ms | %.1f× |\n| PUT /user/update (nick) | %.2f ms | %.1f× |\n"+
		"| pass after a change (100 articles, 200 threads written) | %.0f ms | %.0f× |\n| pass with nothing to write | %.0f ms | %.0f× |\n"+
		"| purge (10 likes, 10 comments) | %.0f ms | %.0f× |",
		ms(center), ms(summary), float64(summary)/float64(center), ms(update), float64(update)/float64(center), ms(writes), float64(writes)/float64(center),
		ms(idle), float64(idle)/float64(center), ms(purge), float64(purge)/float64(center))
}

func ptr[T any](v T) *T { return &v }

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
