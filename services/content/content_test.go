package content_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
	"github.com/blogapi/blogapi/services"
	"github.com/blogapi/blogapi/services/content"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var start = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// env is a service over a fresh database, its clock and some users.
type env struct {
	t     *testing.T
	db    *models.DB
	clock *dbtest.Clock
	svc   *content.Service
}

func newEnv(t *testing.T, cfg content.Config) *env {
	t.Helper()
	clock := dbtest.NewClock(start)
	db := dbtest.Open(t, models.Options{Now: clock.Now})
	return &env{t: t, db: db, clock: clock, svc: newService(db, cfg, clock)}
}

func newService(db *models.DB, cfg content.Config, clock *dbtest.Clock) *content.Service {
	return content.New(content.Stores{Articles: db.Articles, Likes: db.Likes, Comments: db.Comments,
		Taxonomy: db.Taxonomy, Users: db.Users}, cfg, clock.Now, nil)
}

// user creates a user of type typ and returns them as a viewer.
func (e *env) user(name, typ string) content.Viewer {
	e.t.Helper()
	u := &models.User{Account: name, Email: name + "@example.com", Nick: name + "-nick", Type: typ, Status: models.StatusNormal}
	if err := e.db.Users.Create(context.Background(), u); err != nil {
		e.t.Fatal(err)
	}
	return content.ViewerOf(*u)
}

func input(title string) content.ArticleInput {
	return content.ArticleInput{Title: title, Content: "<p>Body of " + title + "</p>", Type: "original",
		Category: models.DefaultCategory, Tags: []string{"go"}, Status: models.ArticleOnline}
}

func (e *env) publish(v content.Viewer, in content.ArticleInput) content.Detail {
	e.t.Helper()
	d, err := e.svc.Publish(context.Background(), v, in)
	if err != nil {
		e.t.Fatalf("publish %q: %v", in.Title, err)
	}
	return d
}

func ids(p content.Page[content.Article]) []string {
	out := []string{}
	for _, a := range p.Items {
		out = append(out, a.Title)
	}
	return out
}

// TestPublishReadAndVisibility: who sees a public article, a draft, a
// private one and a deleted one: anonymous, a client, another author,
// the author, an admin.
func TestPublishReadAndVisibility(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, content.Config{})
	author, other, admin, client := e.user("alice", content.TypeAuthor), e.user("bob", content.TypeAuthor),
		e.user("root", models.TypeAdmin), e.user("carol", models.TypeClient)
	pub := e.publish(author, input("Hello World"))
	if pub.Article.Slug != "hello-world" || pub.Article.Author.Nick != "alice-nick" || pub.Article.PublishedAt != start.UnixMilli() {
		t.Fatalf("published: %+v", pub.Article)
	}
	draftIn := input("My draft")
	draftIn.Status = models.ArticleDraft
	draft := e.publish(author, draftIn)
	privIn := input("Private")
	privIn.Private = true
	priv := e.publish(author, privIn)
	gone := e.publish(author, input("Gone"))
	if err := e.svc.Delete(ctx, author, gone.Article.ID); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		who  string
		v    content.Viewer
		id   string
		want bool
	}{
		{"anonymous/public", content.Viewer{}, pub.Article.ID, true},
		{"anonymous/slug", content.Viewer{}, "hello-world", true},
		{"anonymous/draft", content.Viewer{}, draft.Article.ID, false},
		{"client/draft", client, draft.Article.ID, false},
		{"other author/draft", other, draft.Article.ID, false},
		{"other author/private", other, priv.Article.ID, false},
		{"other author/deleted", other, gone.Article.ID, false},
		{"author/draft", author, draft.Article.ID, true},
		{"author/private", author, priv.Article.ID, true},
		{"admin/draft", admin, draft.Article.ID, true},
		{"admin/deleted", admin, gone.Article.ID, true},
		{"anonymous/unknown", content.Viewer{}, "0123456789abcdef01234567", false},
		{"anonymous/malformed", content.Viewer{}, "../../etc", false},
	} {
		d, err := e.svc.Detail(ctx, c.v, c.id, "client")
		if c.want && (err != nil || !strings.Contains(d.HTML, "Body of")) {
			t.Errorf("%s: %v %q", c.who, err, d.HTML)
		}
		if !c.want && !errors.Is(err, content.ErrArticleNotFound) {
			t.Errorf("%s: want not found, got %v", c.who, err)
		}
	}
	list, err := e.svc.List(ctx, content.ListQuery{})
	if err != nil || fmt.Sprint(ids(list)) != "[Hello World]" || list.Total != 1 {
		t.Fatalf("public list: %v %v", ids(list), err)
	}
	drafts, _ := e.svc.Drafts(ctx, author, content.PageRequest{})
	if fmt.Sprint(ids(drafts)) != "[My draft]" {
		t.Fatalf("drafts: %v", ids(drafts))
	}
	if d, _ := e.svc.Drafts(ctx, other, content.PageRequest{}); d.Total != 0 {
		t.Fatalf("another author's drafts: %v", ids(d))
	}
	mine, _ := e.svc.ByAuthor(ctx, author.ID, content.PageRequest{})
	if fmt.Sprint(ids(mine)) != "[Hello World]" {
		t.Fatalf("author page: %v", ids(mine))
	}
	prof, err := e.svc.Profile(ctx, author.ID)
	if err != nil || prof.ArticleCount != 1 || prof.User.Nick != "alice-nick" {
		t.Fatalf("profile: %+v %v", prof, err)
	}
	if _, err := e.svc.Profile(ctx, "nope"); !errors.Is(err, content.ErrUserNotFound) {
		t.Fatalf("unknown profile: %v", err)
	}
}

// TestWhoMayWrite: clients cannot publish; an author edits and deletes
// only their own; an admin any; counters and author never come from input.
func TestWhoMayWrite(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, content.Config{})
	author, other, admin, client := e.user("alice", content.TypeAuthor), e.user("bob", content.TypeAuthor),
		e.user("root", models.TypeAdmin), e.user("carol", models.TypeClient)
	if _, err := e.svc.Publish(ctx, client, input("x")); !errors.Is(err, content.ErrNotWriter) {
		t.Fatalf("client publishes: %v", err)
	}
	if _, err := e.svc.Publish(ctx, content.Viewer{}, input("x")); !errors.Is(err, content.ErrNotWriter) {
		t.Fatalf("anonymous publishes: %v", err)
	}
	a := e.publish(author, input("Mine"))
	edit := input("Changed")
	if _, err := e.svc.Edit(ctx, other, a.Article.ID, edit); !errors.Is(err, content.ErrNotOwner) {
		t.Fatalf("other edits: %v", err)
	}
	if err := e.svc.Delete(ctx, other, a.Article.ID); !errors.Is(err, content.ErrNotOwner) {
		t.Fatalf("other deletes: %v", err)
	}
	if err := e.svc.Delete(ctx, client, a.Article.ID); !errors.Is(err, content.ErrNotOwner) {
		t.Fatalf("client deletes: %v", err)
	}
	d, err := e.svc.Edit(ctx, admin, a.Article.ID, edit)
	if err != nil || d.Article.Title != "Changed" || d.Article.Author.ID != author.ID || d.Article.Version != 2 {
		t.Fatalf("admin edits: %+v %v", d.Article, err)
	}
	if d.Article.Slug != "mine" {
		t.Fatalf("slug of a published article changed: %q", d.Article.Slug)
	}
	if err := e.svc.Delete(ctx, author, a.Article.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Delete(ctx, author, a.Article.ID); !errors.Is(err, content.ErrArticleNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if _, err := e.svc.Edit(ctx, author, a.Article.ID, edit); !errors.Is(err, content.ErrArticleNotFound) {
		t.Fatalf("edit a deleted article: %v", err)
	}
	if _, err := e.svc.Edit(ctx, author, "nope", edit); !errors.Is(err, content.ErrArticleNotFound) {
		t.Fatalf("edit unknown: %v", err)
	}
}

// TestDraftSlugFollowsTitle: a draft's slug follows its title; once
// published it stays.
func TestDraftSlugFollowsTitle(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, content.Config{})
	author := e.user("alice", content.TypeAuthor)
	in := input("First title")
	in.Status = models.ArticleDraft
	d := e.publish(author, in)
	in.Title = "Second title"
	d2, err := e.svc.Edit(ctx, author, d.Article.ID, in)
	if err != nil || d2.Article.Slug != "second-title" {
		t.Fatalf("draft slug: %q %v", d2.Article.Slug, err)
	}
	in.Status, in.Title = models.ArticleOnline, "Third title"
	d3, _ := e.svc.Edit(ctx, author, d.Article.ID, in)
	in.Title = "Fourth title"
	d4, _ := e.svc.Edit(ctx, author, d.Article.ID, in)
	if d3.Article.Slug != "third-title" || d4.Article.Slug != "third-title" {
		t.Fatalf("published slug: %q then %q", d3.Article.Slug, d4.Article.Slug)
	}
	if got, err := e.svc.Detail(ctx, content.Viewer{}, "third-title", "c"); err != nil || got.Article.Title != "Fourth title" {
		t.Fatalf("by slug: %+v %v", got.Article, err)
	}
	if _, err := e.svc.Detail(ctx, content.Viewer{}, "first-title", "c"); !errors.Is(err, content.ErrArticleNotFound) {
		t.Fatalf("released slug: %v", err)
	}
}

// TestVersionConflict: an edit naming a stale version is refused; one
// without a version applies.
func TestVersionConflict(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, content.Config{})
	author := e.user("alice", content.TypeAuthor)
	d := e.publish(author, input("v"))
	in := input("v2")
	in.Version = d.Article.Version
	if _, err := e.svc.Edit(ctx, author, d.Article.ID, in); err != nil {
		t.Fatal(err)
	}
	in.Title = "v3" // still names version 1
	if _, err := e.svc.Edit(ctx, author, d.Article.ID, in); !errors.Is(err, content.ErrVersionConflict) {
		t.Fatalf("stale edit: %v", err)
	}
	in.Version = 0
	if got, err := e.svc.Edit(ctx, author, d.Article.ID, in); err != nil || got.Article.Version != 3 {
		t.Fatalf("edit without version: %+v %v", got.Article, err)
	}
}

// TestBadInput: each rule answers a FieldError naming its field, and
// nothing is stored.
func TestBadInput(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, content.Config{})
	author := e.user("alice", content.TypeAuthor)
	for _, c := range []struct {
		field string
		edit  func(*content.ArticleInput)
	}{
		{"title", func(in *content.ArticleInput) { in.Title = "  " }},
		{"title", func(in *content.ArticleInput) { in.Title = strings.Repeat("题", 121) }},
		{"content", func(in *content.ArticleInput) { in.Content = "" }},
		{"content", func(in *content.ArticleInput) { in.Content = strings.Repeat("a", content.MaxContentBytes+1) }},
		{"status", func(in *content.ArticleInput) { in.Status = "published" }},
		{"format", func(in *content.ArticleInput) { in.Format = "rst" }},
		{"type", func(in *content.ArticleInput) { in.Type = "poem" }},
		{"category", func(in *content.ArticleInput) { in.Category = "nope" }},
		{"tags", func(in *content.ArticleInput) { in.Tags = strings.Split("a b c d e f g h i j k", " ") }},
		{"tags", func(in *content.ArticleInput) { in.Tags = []string{strings.Repeat("t", 21)} }},
		{"cover", func(in *content.ArticleInput) { in.Cover = "javascript:alert(1)" }},
	} {
		in := input("ok")
		c.edit(&in)
		_, err := e.svc.Publish(ctx, author, in)
		var fe *services.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s: got %v", c.field, err)
		}
	}
	if all, _ := e.svc.Drafts(ctx, author, content.PageRequest{}); all.Total != 0 {
		t.Fatal("a refused article was stored")
	}
	if l, _ := e.svc.List(ctx, content.ListQuery{}); l.Total != 0 {
		t.Fatal("a refused article was stored")
	}
	if tags, _ := e.svc.Tags(ctx); len(tags) != 0 {
		t.Fatalf("tags of refused articles were created: %v", tags)
	}
}

// TestSanitise: hostile HTML and Markdown keep none of their active parts.
func TestSanitise(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, content.Config{})
	author := e.user("alice", content.TypeAuthor)
	for i, c := range []struct {
		format, in string
		keep       string
	}{
		{"", `<p>hi</p><script>alert(1)</script>`, "<p>hi</p>"},
		{"", `<img src="x.png" onerror="alert(1)">`, `<img src="x.png">`},
		{"", `<a href="javascript:alert(1)">x</a>`, "x"},
		{"", `<iframe src="https://evil.example"></iframe><p>a</p>`, "<p>a</p>"},
		{"", `<p style="color:red" onclick="x()">a</p>`, "<p>a</p>"},
		{"", `<svg><script>alert(1)</script></svg><p>a</p>`, "<p>a</p>"},
		{"", `<img src="data:image/png;base64,AAAA"><p>a</p>`, "<p>a</p>"},
		{"", `<a href="https://other.example/x">x</a>`, `rel="nofollow noopener"`},
		{"", `<pre><code class="language-go">x</code></pre>`, `class="language-go"`},
		{"markdown", "# T\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))", "<h1>T</h1>"},
		{"markdown", "![a](data:text/html,x) <img src=x onerror=alert(1)>", ""},
		{"markdown", "| a | b |\n|---|---|\n| 1 | 2 |", "<table>"},
	} {
		in := input(fmt.Sprintf("t%d", i))
		in.Format, in.Content = c.format, c.in
		d, err := e.svc.Publish(ctx, author, in)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		low := strings.ToLower(d.HTML)
		for _, bad := range []string{"<script", "onerror", "onclick", "javascript:", "<iframe", "style=", "<svg", "data:"} {
			if strings.Contains(low, bad) {
				t.Errorf("%d: %q survived in %q", i, bad, d.HTML)
			}
		}
		if !strings.Contains(d.HTML, c.keep) {
			t.Errorf("%d: want %q in %q", i, c.keep, d.HTML)
		}
		stored, _ := e.svc.Detail(ctx, author, d.Article.ID, "c")
		if stored.HTML != d.HTML {
			t.Errorf("%d: stored %q, answered %q", i, stored.HTML, d.HTML)
		}
	}
}

// TestSummaryDefault: the summary is the first 240 characters of the
// plain text; words of two paragraphs stay apart.
func TestSummaryDefault(t *testing.T) {
	e := newEnv(t, content.Config{})
	author := e.user("alice", content.TypeAuthor)
	in := input("s")
	in.Content = "<p>first</p><p>second " + strings.Repeat("长", 300) + "</p>"
	d := e.publish(author, in)
	if !strings.HasPrefix(d.Article.Summary, "first second 长") || len([]rune(d.Article.Summary)) != 240 {
		t.Fatalf("summary %q (%d runes)", d.Article.Summary, len([]rune(d.Article.Summary)))
	}
}

// TestScheduling: an article published for later is public from then on.
func TestScheduling(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, content.Config{})
	author := e.user("alice", content.TypeAuthor)
	in := input("Later")
	in.PublishedAt = start.Add(time.Hour).UnixMilli()
	d := e.publish(author, in)
	if _, err := e.svc.Detail(ctx, content.Viewer{}, d.Article.ID, "c"); !errors.Is(err, content.ErrArticleNotFound) {
		t.Fatalf("scheduled article readable early: %v", err)
	}
	if l, _ := e.svc.List(ctx, content.ListQuery{}); l.Total != 0 {
		t.Fatal("scheduled article listed early")
	}
	e.clock.Advance(time.Hour)
	if _, err := e.svc.Detail(ctx, content.Viewer{}, d.Article.ID, "c"); err != nil {
		t.Fatalf("scheduled article at its time: %v", err)
	}
	cats, _ := e.svc.Categories(ctx)
	if l, _ := e.svc.List(ctx, content.ListQuery{}); l.Total != 1 || cats[0].Count != 1 {
		t.Fatalf("listed %d, category count %+v", l.Total, cats)
	}
}

// TestPagination: clamping, pages past the end, prev/next.
func TestPagination(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, content.Config{})
	author := e.user("alice", content.TypeAuthor)
	for i := range 7 {
		e.publish(author, input(fmt.Sprintf("a%d", i)))
		e.clock.Advance(time.Minute)
	}
	for _, c := range []struct {
		req                              content.PageRequest
		items, size, current, prev, next int
		first                            string
	}{
		{content.PageRequest{}, 7, 15, 1, 0, 0, "a6"},
		{content.PageRequest{Page: 2, Size: 3}, 3, 3, 2, 1, 3, "a3"},
		{content.PageRequest{Page: 3, Size: 3}, 1, 3, 3, 2, 0, "a0"},
		{content.PageRequest{Page: 9, Size: 3}, 0, 3, 9, 3, 0, ""},
		{content.PageRequest{Page: -4, Size: 1000}, 7, 100, 1, 0, 0, "a6"},
		{content.PageRequest{Page: 1, Size: -1}, 7, 15, 1, 0, 0, "a6"},
	} {
		p, err := e.svc.List(ctx, content.ListQuery{Page: c.req})
		if err != nil {
			t.Fatal(err)
		}
		first := ""
		if len(p.Items) > 0 {
			first = p.Items[0].Title
		}
		if len(p.Items) != c.items || p.Size != c.size || p.Current != c.current || p.Prev() != c.prev || p.Next() != c.next || p.Total != 7 || first != c.first {
			t.Errorf("%+v: items %d size %d current %d prev %d next %d total %d first %q", c.req, len(p.Items), p.Size, p.Current, p.Prev(), p.Next(), p.Total, first)
		}
	}
}

// TestConcurrentLikes: 50 users liking one article at once → praise 50;
// 20 likes by one user at once → 1; unlike of what was not liked is fine.
func TestConcurrentLikes(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, content.Config{})
	author := e.user("alice", content.TypeAuthor)
	a := e.publish(author, input("liked"))
	users := make([]content.Viewer, 50)
	for i := range users {
		users[i] = e.user(fmt.Sprintf("u%d", i), models.TypeClient)
	}
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Go(func() {
			if err := e.svc.Like(ctx, u, a.Article.ID); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, _ := e.db.Articles.ByID(ctx, a.Article.ID)
	if got.Praise != 50 {
		t.Fatalf("praise %d, want 50", got.Praise)
	}
	b := e.publish(author, input("once"))
	var refused sync.WaitGroup
	for range 20 {
		refused.Go(func() {
			if err := e.svc.Like(ctx, users[0], b.Article.ID); err != nil && !errors.Is(err, content.ErrAlreadyLiked) {
				t.Error(err)
			}
		})
	}
	refused.Wait()
	if got, _ := e.db.Articles.ByID(ctx, b.Article.ID); got.Praise != 1 {
		t.Fatalf("praise %d after 20 likes by one user, want 1", got.Praise)
	}
	d, _ := e.svc.Detail(ctx, users[0], b.Article.ID, "c")
	if !d.IsPraise {
		t.Fatal("isPraise false for a liker")
	}
	if d, _ := e.svc.Detail(ctx, users[1], b.Article.ID, "c"); d.IsPraise {
		t.Fatal("isPraise true for a non-liker")
	}
	for range 2 {
		if err := e.svc.Unlike(ctx, users[0], b.Article.ID); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := e.db.Articles.ByID(ctx, b.Article.ID); got.Praise != 0 {
		t.Fatalf("praise %d after unlike", got.Praise)
	}
	liked, _ := e.svc.Liked(ctx, users[0].ID, content.PageRequest{})
	if fmt.Sprint(ids(liked)) != "[liked]" {
		t.Fatalf("liked list: %v", ids(liked))
	}
	if err := e.svc.Like(ctx, users[0], "0123456789abcdef01234567"); !errors.Is(err, content.ErrArticleNotFound) {
		t.Fatalf("like unknown: %v", err)
	}
	if n, _ := dbtest.Collection(t, e.db, models.CollArticles).CountDocuments(ctx, map[string]any{}); n != 2 {
		t.Fatalf("%d articles: a like created a stub", n)
	}
	// The list shows the counted likes.
	l, _ := e.svc.List(ctx, content.ListQuery{})
	for _, it := range l.Items {
		if it.Title == "liked" && it.Praise != 50 {
			t.Fatalf("listed praise %d", it.Praise)
		}
	}
}

// fakeRate allows n hits per key.
type fakeRate struct {
	mu   sync.Mutex
	n    int
	hits map[string]int
}

func (f *fakeRate) Hit(_ context.Context, key string) (time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hits[key]++
	if f.hits[key] > f.n {
		return 30 * time.Second, nil
	}
	return 0, nil
}

// TestComments: two levels, first-comment moderation, held comments seen
// by their author only, review = visible comments, duplicates, refusals.
func TestComments(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, content.Config{CommentRate: &fakeRate{n: 5, hits: map[string]int{}}})
	author, reader, other := e.user("alice", content.TypeAuthor), e.user("bob", models.TypeClient), e.user("carol", models.TypeClient)
	a := e.publish(author, input("discussed"))
	id := a.Article.ID
	root, err := e.svc.Comment(ctx, reader, id, content.CommentInput{Content: "first!"})
	if err != nil || root.State != models.CommentHeld || root.TargetID != "" {
		t.Fatalf("first comment: %+v %v", root, err)
	}
	seen := func(v content.Viewer) int {
		nodes, err := e.svc.Comments(ctx, v, id)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range nodes {
			n += 1 + len(r.Sub)
		}
		return n
	}
	if seen(reader) != 1 || seen(other) != 0 || seen(content.Viewer{}) != 0 {
		t.Fatalf("held comment seen by reader %d, other %d, anonymous %d", seen(reader), seen(other), seen(content.Viewer{}))
	}
	if err := e.svc.Moderate(ctx, id, root.ID, models.CommentVisible); err != nil {
		t.Fatal(err)
	}
	reply, err := e.svc.Comment(ctx, author, id, content.CommentInput{Content: "thanks", TargetID: root.ID, ReplyUser: reader.ID})
	if err != nil || reply.State != models.CommentVisible || !reply.Author || reply.ParentNick != "bob-nick" || reply.TargetID != root.ID {
		t.Fatalf("author's reply: %+v %v", reply, err)
	}
	// Approved once: bob's next comment is visible at once; a reply to a
	// reply is attached to the root.
	r2, err := e.svc.Comment(ctx, reader, id, content.CommentInput{Content: "welcome", TargetID: reply.ID})
	if err != nil || r2.State != models.CommentVisible || r2.TargetID != root.ID || r2.ParentID != author.ID || !r2.ParentAuthor {
		t.Fatalf("reply to a reply: %+v %v", r2, err)
	}
	nodes, _ := e.svc.Comments(ctx, content.Viewer{}, id)
	if len(nodes) != 1 || len(nodes[0].Sub) != 2 || nodes[0].Sub[0].Content != "thanks" {
		t.Fatalf("thread: %+v", nodes)
	}
	if got, _ := e.db.Articles.ByID(ctx, id); got.Review != 3 {
		t.Fatalf("review %d, want 3", got.Review)
	}
	if _, err := e.svc.Comment(ctx, reader, id, content.CommentInput{Content: "welcome"}); !errors.Is(err, content.ErrDuplicateComment) {
		t.Fatalf("duplicate: %v", err)
	}
	e.clock.Advance(2 * time.Minute)
	if _, err := e.svc.Comment(ctx, reader, id, content.CommentInput{Content: "welcome"}); err != nil {
		t.Fatalf("same text a minute later: %v", err)
	}
	for _, c := range []struct {
		name string
		in   content.CommentInput
		want string
	}{
		{"empty", content.CommentInput{Content: "  "}, "content"},
		{"long", content.CommentInput{Content: strings.Repeat("x", 2001)}, "content"},
		{"unknown target", content.CommentInput{Content: "x", TargetID: "nope"}, "targetId"},
		{"unknown reply user", content.CommentInput{Content: "y", ReplyUser: "0123456789abcdef01234567"}, "replyUser"},
	} {
		_, err := e.svc.Comment(ctx, other, id, c.in)
		var fe *services.FieldError
		if !errors.As(err, &fe) || fe.Field != c.want {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// Rate limit: carol has used 2 hits (the refusals above after the
	// content checks count); the 6th is refused with a retry time.
	var rl *services.RetryLater
	for i := range 4 {
		_, err = e.svc.Comment(ctx, other, id, content.CommentInput{Content: fmt.Sprint("c", i)})
	}
	if !errors.As(err, &rl) || !errors.Is(err, content.ErrCommentRateLimited) || rl.RetryAfter <= 0 {
		t.Fatalf("rate limit: %v", err)
	}
	draftIn := input("closed")
	draftIn.Status = models.ArticleDraft
	draft := e.publish(author, draftIn)
	if _, err := e.svc.Comment(ctx, author, draft.Article.ID, content.CommentInput{Content: "x"}); !errors.Is(err, content.ErrArticleNotFound) {
		t.Fatalf("comment on a draft: %v", err)
	}
	if _, err := e.svc.Comments(ctx, reader, draft.Article.ID); !errors.Is(err, content.ErrArticleNotFound) {
		t.Fatalf("comments of another's draft: %v", err)
	}
	if err := e.svc.Moderate(ctx, id, reply.ID, models.CommentHidden); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.db.Articles.ByID(ctx, id); got.Review != 3 {
		t.Fatalf("review %d after hiding one of 4, want 3", got.Review)
	}
}

// TestModerationModes: off shows at once, all holds every comment.
func TestModerationModes(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct{ mode, want string }{{content.ModerationOff, models.CommentVisible}, {content.ModerationAll, models.CommentHeld}} {
		e := newEnv(t, content.Config{Moderation: c.mode})
		author, reader := e.user("alice", content.TypeAuthor), e.user("bob", models.TypeClient)
		a := e.publish(author, input("x"))
		got, err := e.svc.Comment(ctx, reader, a.Article.ID, content.CommentInput{Content: "hi"})
		if err != nil || got.State != c.want {
			t.Errorf("%s: %+v %v", c.mode, got, err)
		}
	}
}

// TestSearch: literal, case-insensitive substrings of title, summary and
// text, Chinese included; tags exactly; keywords over 64 characters
// refused.
func TestSearch(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, content.Config{})
	author := e.user("alice", content.TypeAuthor)
	a := input("Go Concurrency")
	a.Content, a.Tags = "<p>Channels (and select)</p>", []string{"go", "并发"}
	e.publish(author, a)
	b := input("数据库笔记")
	b.Content, b.Tags = "<p>FerretDB 与 SQLite</p>", []string{"db"}
	e.publish(author, b)
	for _, c := range []struct {
		q    content.SearchQuery
		want string
	}{
		{content.SearchQuery{Keyword: "concurrency"}, "[Go Concurrency]"},
		{content.SearchQuery{Keyword: "(AND SELECT)"}, "[Go Concurrency]"},
		{content.SearchQuery{Keyword: ".*"}, "[]"},
		{content.SearchQuery{Keyword: "笔记"}, "[数据库笔记]"},
		{content.SearchQuery{Keyword: "sqlite"}, "[数据库笔记]"},
		{content.SearchQuery{Tag: "并发"}, "[Go Concurrency]"},
		{content.SearchQuery{Tag: "g"}, "[]"},
		{content.SearchQuery{Keyword: "sqlite", Tag: "go"}, "[]"},
	} {
		p, err := e.svc.Search(ctx, c.q)
		if err != nil || fmt.Sprint(ids(p)) != c.want {
			t.Errorf("%+v: %v %v", c.q, ids(p), err)
		}
	}
	var fe *services.FieldError
	if _, err := e.svc.Search(ctx, content.SearchQuery{Keyword: strings.Repeat("长", 65)}); !errors.As(err, &fe) || fe.Field != "keyword" {
		t.Fatalf("long keyword: %v", err)
	}
}

// TestReadsBuffered: views count once per client and hour, are written
// only by a flush, and show in lists at once.
func TestReadsBuffered(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, content.Config{})
	author := e.user("alice", content.TypeAuthor)
	a := e.publish(author, input("read me"))
	for _, client := range []string{"c1", "c1", "c2", "c1"} {
		if _, err := e.svc.Detail(ctx, content.Viewer{}, a.Article.ID, client); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := e.db.Articles.ByID(ctx, a.Article.ID); got.Read != 0 {
		t.Fatalf("read %d written before a flush", got.Read)
	}
	hot, _ := e.svc.Hot(ctx)
	if len(hot) != 1 || hot[0].Read != 2 {
		t.Fatalf("hot: %+v", hot)
	}
	if err := e.svc.FlushReads(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.db.Articles.ByID(ctx, a.Article.ID); got.Read != 2 {
		t.Fatalf("read %d after flush, want 2", got.Read)
	}
	e.clock.Advance(time.Hour)
	if _, err := e.svc.Detail(ctx, content.Viewer{}, a.Article.ID, "c1"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.db.Articles.ByID(ctx, a.Article.ID); got.Read != 3 {
		t.Fatalf("read %d after an hour and Close, want 3", got.Read)
	}
}

// TestTwoInstances: an instance sees what another wrote at its next
// request (the change counter), and category counts follow.
func TestTwoInstances(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, content.Config{})
	second := newService(dbtest.Reopen(t, e.db, models.Options{Now: e.clock.Now}), content.Config{}, e.clock)
	author := e.user("alice", content.TypeAuthor)
	if l, _ := second.List(ctx, content.ListQuery{}); l.Total != 0 {
		t.Fatal("not empty")
	}
	a := e.publish(author, input("one"))
	if l, _ := second.List(ctx, content.ListQuery{}); fmt.Sprint(ids(l)) != "[one]" {
		t.Fatalf("second instance: %v", ids(l))
	}
	in := input("renamed")
	in.Category = models.DefaultCategory
	if _, err := e.svc.Edit(ctx, author, a.Article.ID, in); err != nil {
		t.Fatal(err)
	}
	if l, _ := second.List(ctx, content.ListQuery{}); fmt.Sprint(ids(l)) != "[renamed]" {
		t.Fatalf("second instance after edit: %v", ids(l))
	}
	if c, _ := second.Categories(ctx); c[0].Count != 1 {
		t.Fatalf("count %+v", c)
	}
	if err := e.svc.Delete(ctx, author, a.Article.ID); err != nil {
		t.Fatal(err)
	}
	if c, _ := second.Categories(ctx); c[0].Count != 0 {
		t.Fatalf("count after delete %+v", c)
	}
}

// TestRecommendAndHot: toped first, then the decayed score; hot by reads.
func TestRecommendAndHot(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, content.Config{})
	author := e.user("alice", content.TypeAuthor)
	reader := e.user("bob", models.TypeClient)
	old := e.publish(author, input("old"))
	e.clock.Advance(48 * time.Hour)
	e.publish(author, input("new"))
	liked := e.publish(author, input("liked"))
	if err := e.svc.Like(ctx, reader, liked.Article.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Like(ctx, reader, old.Article.ID); err != nil {
		t.Fatal(err)
	}
	r, _ := e.svc.Recommend(ctx, content.PageRequest{})
	if fmt.Sprint(ids(r)) != "[liked old new]" { // old: 2/50^1.5 > new: 0
		t.Fatalf("recommend: %v", ids(r))
	}
	if _, err := e.db.Articles.Update(ctx, old.Article.ID, func(a *models.Article) (*models.ArticleBody, error) {
		a.Toped = true
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if r, _ := e.svc.Recommend(ctx, content.PageRequest{}); fmt.Sprint(ids(r)) != "[old liked new]" {
		t.Fatalf("recommend with toped: %v", ids(r))
	}
	for _, c := range []string{"a", "b", "c"} {
		_, _ = e.svc.Detail(ctx, content.Viewer{}, old.Article.ID, c)
	}
	if h, _ := e.svc.Hot(ctx); h[0].Title != "old" {
		t.Fatalf("hot: %+v", h)
	}
}
