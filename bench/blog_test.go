package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/blogapi/blogapi/controllers/response"
	"github.com/blogapi/blogapi/models"
)

// TestBlogSeed checks that the blog-scale data set is what the API
// writes: a small set is seeded through the stores, then an article, a
// comment, a reply and a like are written through the API, and the
// documents they leave are compared with the ones the seed builds for the
// same input (ids and times aside). It also checks what reads them: the
// seeded commenter's comments are visible at once (approved), the
// counters count the seeded comments and likes, and the like lists are
// newest first.
func TestBlogSeed(t *testing.T) {
	o, err := parseFlags([]string{"-quick", "-config", "../config.yaml"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := startInProcess(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.close()
	inst, closeInst, err := srv.serveFresh(ctx, "blogseed")
	if err != nil {
		t.Fatal(err)
	}
	defer closeInst()
	bo := blogOptions{users: 20, comments: 4, likes: 3}
	const n = 6
	set, err := seedBlog(ctx, inst, n, bo, newProgress(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	db := inst.db
	s := newSigner(inst.key, inst.secret)
	client := &http.Client{Timeout: 30 * time.Second}
	writer, err := inst.loginAccount(ctx, client, s, blogAuthor)
	if err != nil {
		t.Fatal(err)
	}

	// A category added through the admin API is stored as the seed's are
	// (next index, first version).
	admin := []models.User{{Account: "blogadmin", Email: "blogadmin@bench.example", Status: models.StatusNormal,
		Nick: "admin", Type: models.TypeAdmin, PasswordHash: inst.hash}}
	if err := db.Users.CreateMany(ctx, admin); err != nil {
		t.Fatal(err)
	}
	adminTok, err := inst.loginAccount(ctx, client, s, "blogadmin")
	if err != nil {
		t.Fatal(err)
	}
	if code, data, err := call(ctx, client, s.post(inst.base, "/blogapi/admin/categories", []byte(`{"name":"added"}`), http.Header{"Access-Token": {adminTok}})); err != nil || code != response.CodeOK {
		t.Fatalf("add a category: %d %s %v", code, data, err)
	}
	cats, err := db.Taxonomy.Categories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]models.Category{}
	for _, c := range cats {
		byName[c.Name] = c
	}
	last := byName[blogCategories[len(blogCategories)-1]]
	if added := byName["added"]; added.Index != last.Index+1 || added.Version != last.Version || added.MovedTo != "" || last.Version != 1 {
		t.Errorf("category added through the API %+v; the seed's last %+v", added, last)
	}

	// An article: article n of the set, published through the API.
	id, err := publishBlogArticle(ctx, client, s, inst.base, writer, n)
	if err != nil {
		t.Fatal(err)
	}
	gotA, err := db.Articles.ByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	gotB, err := db.Articles.Body(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	wantA, wantB := set.article(n, gotA.PublishedAt)
	wantA.ID, wantB.ID = id, id
	if !reflect.DeepEqual(gotA, wantA) {
		t.Errorf("article written by the API:\n%+v\nthe seed's:\n%+v", gotA, wantA)
	}
	if !reflect.DeepEqual(gotB, wantB) {
		t.Errorf("article body written by the API differs from the seed's (%d and %d bytes of HTML)", len(gotB.HTML), len(wantB.HTML))
	}
	if gotA.Slug != blogSlug(n) {
		t.Errorf("slug %q, the seed gives %q", gotA.Slug, blogSlug(n))
	}

	// A comment and a reply on a seeded article by a seeded commenter:
	// visible at once, as the seed's are.
	article := set.ids[3]
	seeded, err := db.Comments.Thread(ctx, article)
	if err != nil || len(seeded) != bo.comments {
		t.Fatalf("seeded thread: %d comments, %v", len(seeded), err)
	}
	k := spread(uint64(3*bo.comments), len(set.users)) // the seeded thread's first commenter
	commenter := set.users[k]
	if seeded[0].UserID != commenter.ID {
		t.Fatalf("seeded thread's first comment by %s, want %s", seeded[0].UserID, commenter.ID)
	}
	tok, err := inst.loginAccount(ctx, client, s, accountName(k))
	if err != nil {
		t.Fatal(err)
	}
	auth := http.Header{"Access-Token": {tok}}
	post := func(body map[string]string) string {
		t.Helper()
		b, _ := json.Marshal(body)
		code, data, err := call(ctx, client, s.post(inst.base, "/blogapi/action/"+article+"/comment", b, auth))
		var d struct {
			ID string `json:"id"`
		}
		if err != nil || code != response.CodeOK || json.Unmarshal(data, &d) != nil {
			t.Fatalf("comment %v: %d %s %v", body, code, data, err)
		}
		return d.ID
	}
	rootID := post(map[string]string{"content": "a root through the API", "targetId": "", "replyUser": ""})
	post(map[string]string{"content": "a reply through the API", "targetId": rootID, "replyUser": ""})
	thread, err := db.Comments.Thread(ctx, article)
	if err != nil || len(thread) != bo.comments+2 {
		t.Fatalf("thread after the API's comments: %d, %v", len(thread), err)
	}
	stored, err := db.Articles.ByID(ctx, article)
	if err != nil {
		t.Fatal(err)
	}
	root, reply := thread[bo.comments], thread[bo.comments+1]
	want := blogComment(stored, commenter, nil, root.Content, root.Created)
	want.ID = root.ID
	if !reflect.DeepEqual(root, want) {
		t.Errorf("comment written by the API:\n%+v\nthe seed's:\n%+v", root, want)
	}
	want = blogComment(stored, commenter, &root, reply.Content, reply.Created)
	want.ID = reply.ID
	if !reflect.DeepEqual(reply, want) {
		t.Errorf("reply written by the API:\n%+v\nthe seed's:\n%+v", reply, want)
	}
	// The seed's replies have the same shape.
	if s := seeded[1]; s.TargetID != seeded[0].ID || s.ParentID != seeded[0].UserID || s.ParentNick != seeded[0].Nick {
		t.Errorf("seeded reply %+v does not answer %+v", s, seeded[0])
	}

	// A like by the reader.
	readerTok, err := inst.loginAccount(ctx, client, s, blogReader)
	if err != nil {
		t.Fatal(err)
	}
	if code, data, err := call(ctx, client, s.write(http.MethodPost, inst.base, "/blogapi/action/"+article+"/like", http.Header{"Access-Token": {readerTok}})); err != nil || code != response.CodeOK {
		t.Fatalf("like: %d %s %v", code, data, err)
	}
	reader, err := db.Users.ByAccount(ctx, models.AccountKey(blogReader))
	if err != nil {
		t.Fatal(err)
	}
	liked, err := db.Likes.OfUser(ctx, reader.ID.Hex())
	if err != nil || len(liked) != 1 {
		t.Fatalf("reader's likes: %+v %v", liked, err)
	}
	// The seed's likes are the same documents (Has reads the like by its
	// `_id`, OfUser the list), their lists newest first.
	if ok, err := db.Likes.Has(ctx, reader.ID.Hex(), article); !ok || err != nil {
		t.Fatalf("the API's like: %v %v", ok, err)
	}
	if want := blogLike(blogUserOf(reader), article, liked[0].At); liked[0] != (models.LikedArticle{Article: want.Article, At: want.At}) {
		t.Errorf("like list entry %+v, the seed's %+v", liked[0], want)
	}
	for _, u := range set.users {
		list, err := db.Likes.OfUser(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range list {
			if ok, err := db.Likes.Has(ctx, u.ID, l.Article); !ok || err != nil {
				t.Errorf("%s's list names %s, not liked: %v", u.ID, l.Article, err)
			}
			if i > 0 && l.At > list[i-1].At {
				t.Errorf("%s's likes are not newest first: %+v", u.ID, list)
			}
		}
	}

	// The counters count what was seeded and what the API added.
	var detail struct {
		Praise, Review int
	}
	if err := getData(ctx, client, s.get(inst.base, "/blogapi/article/detail/"+article, nil, nil), &detail); err != nil {
		t.Fatal(err)
	}
	if detail.Praise != bo.likes+1 || detail.Review != bo.comments+2 {
		t.Errorf("counters praise %d, review %d; want %d and %d", detail.Praise, detail.Review, bo.likes+1, bo.comments+2)
	}
}

// checkBlog checks the blog-scale phase of a -quick run (TestQuick):
// every scenario on both sets answered 200 only, with plausible figures,
// and the report has the section and the targets.
func checkBlog(t *testing.T, rep *report) {
	t.Helper()
	b := rep.Blog
	if b == nil || b.Sets[0].Articles != 10 || b.Sets[1].Articles != 40 || b.Sets[1].Comments != 400 || b.Sets[1].Likes != 2000 {
		t.Fatalf("blog scale: %+v", b)
	}
	names := []string{"user-center", "list", "list-category", "detail", "comments", "like-unlike", "search"}
	if len(b.Rows) != len(names) {
		t.Fatalf("blog scale rows: %+v", b.Rows)
	}
	for i, row := range b.Rows {
		if row.Name != names[i] {
			t.Errorf("blog row %d is %s, want %s", i, row.Name, names[i])
		}
		for k, f := range row.At {
			set := []string{"small", "large"}[k]
			checkFigures(t, row.Name+" at "+set, f, http.StatusOK)
			checkFigures(t, row.Name+"'s user centre at "+set, row.Centre[k], http.StatusOK)
			// Sent in turn: as many of the user centre's as of its own.
			if f.Requests < blogMinRequests || (row.Name != "user-center" && row.Centre[k].Requests != f.Requests) {
				t.Errorf("blog %s at %s: %d iterations and %d of the user centre, want as many and at least %d", row.Name, set, f.Requests, row.Centre[k].Requests, blogMinRequests)
			}
		}
	}
	md := rep.Markdown()
	checkReport(t, md, []string{
		"| blog: article list page 1 p50 ÷ user-centre p50, 40 articles |",
		"## Targets (blog scale, one request at a time)",
		"| article list page 1 p50 ≤ 3× the user centre's, 40 articles |", "| list by category p50 at 40 articles ≤ 1.5× at 10 |",
		"| comments of one article p50 at 10 comments per article among 400 ≤ 1.5× among 100 |",
		"| search p50 ≤ 30× the user centre's, 40 articles |",
		"## Blog scale", "| small | 10 | 100 | 200 | 500 |", "| large | 40 | 400 | 200 | 2000 |",
		"| like + unlike: `POST` then `DELETE", "| search: `GET /blogapi/article/search?keyword=needle`",
	})
}

// TestBlogFlags checks the blog-scale flags: -quick's sizes give way to
// explicit ones, -blog-articles 0 skips the phase, and invalid sizes are
// refused before anything starts.
func TestBlogFlags(t *testing.T) {
	o, err := parseFlags([]string{"-quick", "-blog-articles", "100"}, io.Discard)
	if err != nil || o.blog.articles != 100 || o.blog.base != 10 || o.blog.users != 200 || o.blog.rounds != 1 {
		t.Errorf("-quick -blog-articles 100: %+v, %v", o.blog, err)
	}
	if o, err := parseFlags(nil, io.Discard); err != nil || o.blog != (blogOptions{articles: 2000, base: 200, users: 50000, comments: 10, likes: 50, duration: 6 * time.Second, rounds: 3}) {
		t.Errorf("defaults: %+v, %v", o.blog, err)
	}
	if _, err := parseFlags([]string{"-blog-articles", "0", "-blog-base", "0"}, io.Discard); err != nil {
		t.Errorf("-blog-articles 0: %v", err)
	}
	for _, args := range [][]string{
		{"-blog-base", "1"}, {"-blog-base", "2000"}, {"-blog-articles", "-1"}, {"-blog-users", "10"},
		{"-blog-comments", "-1"}, {"-blog-duration", "0s"}, {"-blog-rounds", "0"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil || !strings.Contains(err.Error(), "-blog-") {
			t.Errorf("%q: error %v, want one naming a -blog- flag", args, err)
		}
	}
}
