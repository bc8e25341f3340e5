package e2e

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
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

// TestBlogScale measures the blog's reads on the embedded database at 200
// and 2,000 articles (about 8 KB each, ten comments per article on
// average), one request at a time, beside the user-centre request (two
// `_id` reads) of the same run: the figures of BENCHMARKS.md ("Blog
// scale"). It takes minutes, so it runs only with BLOGAPI_BLOG_SCALE=1:
//
//	BLOGAPI_BLOG_SCALE=1 go test ./e2e -run TestBlogScale -v -timeout 30m
func TestBlogScale(t *testing.T) {
	if os.Getenv("BLOGAPI_BLOG_SCALE") == "" {
		t.Skip("set BLOGAPI_BLOG_SCALE=1 to measure (minutes)")
	}
	users, likes := 20000, 20000
	if v := os.Getenv("BLOGAPI_BLOG_SCALE_USERS"); v != "" {
		_, _ = fmt.Sscan(v, &users)
		likes = users
	}
	results := map[int]map[string]time.Duration{}
	for _, n := range []int{200, 2000} {
		results[n] = measureBlog(t, n, users, likes)
	}
	names := []string{"user-center", "list", "list-category", "detail", "comments", "like+unlike", "search"}
	var b strings.Builder
	fmt.Fprintf(&b, "\n| scenario | p50 at 200 articles | p50 at 2,000 | ×user-centre at 2,000 | 2,000 / 200 |\n|---|---:|---:|---:|---:|\n")
	for _, name := range names {
		a, z := results[200][name], results[2000][name]
		fmt.Fprintf(&b, "| %s | %.2f ms | %.2f ms | %.1f× | %.2f× |\n", name, ms(a), ms(z),
			float64(z)/float64(results[2000]["user-center"]), float64(z)/float64(a))
	}
	t.Log(b.String())
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// measureBlog seeds n articles and measures each scenario's p50.
func measureBlog(t *testing.T, n, users, likes int) map[string]time.Duration {
	ctx := context.Background()
	clk := apitest.NewClock()
	db := apitest.NewDB(t, clk)
	cats := []string{"go", "db", "web", "ops", "misc"}
	for _, c := range cats {
		if err := db.Taxonomy.CreateCategory(ctx, models.Category{Name: c, Created: 10}); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	seedBlogUsers(t, db, users)
	arts, bodies := make([]models.Article, n), make([]models.ArticleBody, n)
	para := strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. ", 100) // ~8 KB
	now := clk.Now().UnixMilli()
	for i := range arts {
		id := models.NewArticleID()
		arts[i] = models.Article{ID: id, Slug: fmt.Sprintf("article-%d", i), Title: fmt.Sprintf("Article %d about %s", i, cats[i%5]),
			Summary: para[:240], Type: "original", Category: cats[i%5], Tags: []string{cats[i%5], fmt.Sprint("t", i%50)},
			AuthorID: "author", Author: models.ArticleAuthor{ID: "author", Nick: "writer"}, Status: models.ArticleOnline,
			PublishedAt: now - int64(n-i)*60000, Created: now - int64(n-i)*60000, Read: int64(i % 97), Review: 10}
		word := ""
		if i%20 == 0 {
			word = " needle"
		}
		bodies[i] = models.ArticleBody{ID: id, HTML: "<p>" + para + word + "</p>", Plain: para + word}
	}
	if err := db.Articles.CreateMany(ctx, arts, bodies); err != nil {
		t.Fatal(err)
	}
	// Ten comments per article on average: 10·n comments in all, an
	// article with exactly 10 measured.
	threads := make([]any, n)
	for i, a := range arts {
		cs := make([]models.Comment, 10)
		for j := range cs {
			cs[j] = models.Comment{ID: models.NewCommentID(), UserID: "u", Nick: "reader", Content: fmt.Sprint("comment ", j, " ", para[:120]),
				State: models.CommentVisible, Created: now}
			if j%2 == 1 {
				cs[j].TargetID = cs[j-1].ID
			}
		}
		threads[i] = bson.D{{Key: "_id", Value: a.ID}, {Key: "comments", Value: cs}}
	}
	if _, err := dbtest.Collection(t, db, models.CollCommentThreads).InsertMany(ctx, threads); err != nil {
		t.Fatal(err)
	}
	likeDocs := make([]any, likes)
	for i := range likeDocs {
		likeDocs[i] = models.Like{ID: fmt.Sprintf("seed%d:%s", i, arts[i%n].ID), User: fmt.Sprint("seed", i), Article: arts[i%n].ID, At: now}
	}
	if _, err := dbtest.Collection(t, db, models.CollLikes).InsertMany(ctx, likeDocs); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d articles: seeded in %s", n, time.Since(start).Round(time.Millisecond))

	inst := apitest.Start(t, apitest.Config(t), db, clk)
	c := apitest.NewClient(t, inst.Srv.URL, clk)
	e := &blogEnv{t: t, inst: inst, c: c, clk: clk}
	tok, _ := e.user("bencher", models.TypeClient)
	auth := bearer(tok)
	rnd := rand.New(rand.NewPCG(1, uint64(n)))
	get := func(path string, params map[string]string, hdr http.Header) func() {
		return func() { do(t, c.Request(http.MethodGet, path, params, hdr)) }
	}
	target := arts[n/2].ID
	scenarios := []struct {
		name string
		req  func()
	}{
		{"user-center", get("/blogapi/user/center", nil, auth)},
		{"list", get("/blogapi/articles", nil, nil)},
		{"list-category", func() { get("/blogapi/articles", map[string]string{"category": cats[rnd.IntN(5)]}, nil)() }},
		{"detail", func() { get("/blogapi/article/detail/"+arts[rnd.IntN(n)].ID, nil, nil)() }},
		{"comments", get("/blogapi/action/"+target+"/comments", nil, nil)},
		{"like+unlike", func() {
			do(t, withJSON(c.Request(http.MethodPost, "/blogapi/action/"+target+"/like", nil, auth)))
			do(t, withJSON(c.Request(http.MethodDelete, "/blogapi/action/"+target+"/like", nil, auth)))
		}},
		{"search", get("/blogapi/article/search", map[string]string{"keyword": "needle"}, nil)},
	}
	out := map[string]time.Duration{}
	for _, sc := range scenarios {
		for range 5 { // warm: the catalogue's first load, connections
			sc.req()
		}
		var ds []time.Duration
		for range 101 {
			clk.Advance(time.Millisecond)
			t0 := time.Now()
			sc.req()
			ds = append(ds, time.Since(t0))
		}
		slices.Sort(ds)
		out[sc.name] = ds[len(ds)/2]
		t.Logf("%d articles: %-13s p50 %.2f ms p90 %.2f ms", n, sc.name, ms(ds[len(ds)/2]), ms(ds[len(ds)*9/10]))
	}
	return out
}

func withJSON(req *http.Request) *http.Request {
	req.Header.Set("Content-Type", "application/json")
	return req
}

// do sends req without the contract check (its cost is not the server's)
// and fails on anything but 200.
func do(t *testing.T, req *http.Request) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, b)
	}
}

// seedUsers inserts n users in batches (the user centre's database is as
// large as the blog's).
func seedBlogUsers(t *testing.T, db *models.DB, n int) {
	const batch = 5000
	for i := 0; i < n; i += batch {
		us := make([]models.User, 0, batch)
		for j := i; j < min(n, i+batch); j++ {
			us = append(us, models.User{Account: fmt.Sprintf("seed%06d", j), Email: fmt.Sprintf("seed%06d@example.com", j),
				Nick: "seed", Type: models.TypeClient, Status: models.StatusNormal})
		}
		if err := db.Users.CreateMany(context.Background(), us); err != nil {
			t.Fatal(err)
		}
	}
}
