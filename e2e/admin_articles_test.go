package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/blogapi/blogapi/internal/apitest"
	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
)

// End-to-end tests of the admin's recommendation weight, the purge of an
// article, and the author copies in articles and comments (docs/admin.md,
// "Articles"; docs/blog.md, "Author copies").

// admin registers account as an active admin and logs in: its token.
func (e *blogEnv) admin(account string) string {
	e.t.Helper()
	e.user(account, models.TypeAdmin)
	if _, err := dbtest.Collection(e.t, e.inst.DB, models.CollUsers).UpdateOne(context.Background(),
		bson.D{{Key: "account", Value: account}}, bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: models.StatusNormal}}}}); err != nil {
		e.t.Fatal(err)
	}
	return login(e.t, e.c, account, "secret-"+account).Token
}

// publish publishes an online article titled title as tok: its id.
func (e *blogEnv) publish(tok, title string, extra ...string) string {
	e.t.Helper()
	r := e.json(http.MethodPost, "/blogapi/article/section", articleJSON(title, "online", extra...), tok)
	apitest.Expect(e.t, r, 200, "publish "+title)
	return data(e.t, r)["id"].(string)
}

// auditCount is the number of audit entries of action on target.
func (e *blogEnv) auditCount(boss, action, target string) int {
	e.t.Helper()
	r := e.get("/blogapi/admin/audit", map[string]string{"action": action, "target": target}, boss)
	apitest.Expect(e.t, r, 200, "audit")
	var p struct{ Total int }
	r.Decode(e.t, &p)
	return p.Total
}

// TestAdminArticleRoutesAccess: the purge and the weight answer an admin,
// refuse an author and a client with 403 and anonymous callers with 401.
func TestAdminArticleRoutesAccess(t *testing.T) {
	e := newBlogEnv(t)
	boss := e.admin("boss")
	writer, _ := e.user("writer", models.TypeAuthor)
	reader, _ := e.user("reader", models.TypeClient)
	id := e.publish(writer, "Target")
	routes := []struct {
		method, path, body string
	}{
		{http.MethodPut, "/blogapi/admin/articles/" + id + "/flags", `{"weight":"5"}`},
		{http.MethodPost, "/blogapi/admin/articles/" + id + "/purge", fmt.Sprintf(`{"password":%q}`, apitest.MD5Hex("secret-boss"))},
	}
	for _, rt := range routes {
		for _, c := range []struct {
			who, tok string
			code     int
		}{{"anonymous", "", 401}, {"client", reader, 403}, {"author", writer, 403}, {"admin", boss, 200}} {
			r := e.json(rt.method, rt.path, rt.body, c.tok)
			apitest.Expect(t, r, c.code, c.who+" "+rt.method+" "+rt.path)
			if r.Header.Get("Cache-Control") != "private, no-store" {
				t.Errorf("%s %s as %s: Cache-Control %q", rt.method, rt.path, c.who, r.Header.Get("Cache-Control"))
			}
		}
	}
}

// TestAdminArticleWeight: the weight orders the recommendation list after
// `toped` and before the score; it is bounded, never taken from an
// author's body, and each change leaves one audit entry.
func TestAdminArticleWeight(t *testing.T) {
	e := newBlogEnv(t)
	boss := e.admin("boss")
	writer, _ := e.user("writer", models.TypeAuthor)
	// An author's body cannot set what only admins set.
	a := e.publish(writer, "A", `"weight":"90"`, `"toped":"true"`, `"hotted":"true"`)
	e.clk.Advance(time.Minute)
	b := e.publish(writer, "B")
	e.clk.Advance(time.Minute)
	c := e.publish(writer, "C")
	r := e.json(http.MethodPut, "/blogapi/article/section/"+a, articleJSON("A", "online", `"weight":"99"`, `"toped":"true"`), writer)
	apitest.Expect(t, r, 200, "edit with weight")
	r = e.get("/blogapi/admin/articles", map[string]string{"q": "A"}, boss)
	apitest.Expect(t, r, 200, "admin list")
	var list struct {
		Items []struct {
			ID            string
			Weight        *int
			Toped, Hotted bool
		}
	}
	r.Decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].Weight == nil || *list.Items[0].Weight != 0 || list.Items[0].Toped || list.Items[0].Hotted {
		t.Fatalf("an author's body set admin marks: %s", r.Data)
	}

	recommend := func() string {
		t.Helper()
		_, items := page(t, "recommend", e.get("/blogapi/article/recommend", nil, ""))
		for _, it := range items {
			if _, ok := it["weight"]; ok {
				t.Fatalf("a public item shows the weight: %v", it)
			}
		}
		return titles(items)
	}
	if got := recommend(); got != "C,B,A" {
		t.Fatalf("recommend before any weight: %s", got)
	}
	flags := func(id, body string) apitest.Reply {
		t.Helper()
		return e.json(http.MethodPut, "/blogapi/admin/articles/"+id+"/flags", body, boss)
	}
	r = flags(a, `{"weight":"10"}`)
	apitest.Expect(t, r, 200, "weight A")
	if data(t, r)["weight"] != float64(10) {
		t.Fatalf("weight answered: %s", r.Data)
	}
	apitest.Expect(t, flags(c, `{"weight":"-5"}`), 200, "weight C")
	if got := recommend(); got != "A,B,C" {
		t.Fatalf("recommend by weight: %s", got)
	}
	apitest.Expect(t, flags(b, `{"toped":"true"}`), 200, "top B")
	if got := recommend(); got != "B,A,C" {
		t.Fatalf("toped before weight: %s", got)
	}
	for _, bad := range []string{`{"weight":"101"}`, `{"weight":"-101"}`, `{"weight":"heavy"}`, `{"weight":"1.5"}`} {
		r := flags(a, bad)
		apitest.Expect(t, r, 400, "weight "+bad)
		if !strings.Contains(r.Msg, "weight") {
			t.Errorf("%s: message %q does not name weight", bad, r.Msg)
		}
	}
	apitest.Expect(t, flags(a, `{"weight":"10"}`), 200, "the same weight again")
	if n := e.auditCount(boss, "article.flags", a); n != 1 {
		t.Fatalf("%d article.flags entries for A, want 1 (the same weight again records nothing)", n)
	}
	r = e.get("/blogapi/admin/audit", map[string]string{"action": "article.flags", "target": c}, boss)
	var entries struct {
		Items []struct{ Before, After map[string]any }
	}
	r.Decode(t, &entries)
	if len(entries.Items) != 1 || entries.Items[0].Before["weight"] != float64(0) || entries.Items[0].After["weight"] != float64(-5) {
		t.Fatalf("audit of C's weight: %s", r.Data)
	}
}

// TestAdminArticlePurge: the purge needs the admin's password; it removes
// the article, its body, slug, likes (and the likers' like lists), and
// comment thread; category counts and like counts follow; a second purge
// is a 404; one audit entry.
func TestAdminArticlePurge(t *testing.T) {
	e := newBlogEnv(t)
	ctx := context.Background()
	boss := e.admin("boss")
	writer, _ := e.user("writer", models.TypeAuthor)
	reader, readerID := e.user("reader", models.TypeClient)
	fan, fanID := e.user("fan", models.TypeClient)
	gone := e.publish(writer, "Gone for good")
	kept := e.publish(writer, "Kept")
	r := e.get("/blogapi/article/detail/"+gone, nil, "")
	apitest.Expect(t, r, 200, "detail")
	slug := data(t, r)["slug"].(string)
	for _, tok := range []string{reader, fan} {
		apitest.Expect(t, e.json(http.MethodPost, "/blogapi/action/"+gone+"/like", `{}`, tok), 200, "like")
	}
	apitest.Expect(t, e.json(http.MethodPost, "/blogapi/action/"+kept+"/like", `{}`, fan), 200, "like kept")
	for _, tok := range []string{writer, boss, reader} {
		apitest.Expect(t, e.json(http.MethodPost, "/blogapi/action/"+gone+"/comment", `{"replyUser":"","targetId":"","content":"a comment"}`, tok), 200, "comment")
	}
	likeCount := func(id string) float64 {
		t.Helper()
		r := e.get("/blogapi/user/"+id+"/center", nil, "")
		apitest.Expect(t, r, 200, "center")
		return data(t, r)["likeCount"].(float64)
	}
	categoryCount := func() float64 {
		t.Helper()
		r := e.get("/blogapi/select/category", nil, "")
		apitest.Expect(t, r, 200, "categories")
		var cats []struct {
			Name  string
			Count float64
		}
		r.Decode(t, &cats)
		for _, c := range cats {
			if c.Name == models.DefaultCategory {
				return c.Count
			}
		}
		t.Fatalf("no category %s: %s", models.DefaultCategory, r.Data)
		return 0
	}
	if likeCount(readerID) != 1 || likeCount(fanID) != 2 || categoryCount() != 2 {
		t.Fatal("before the purge: like and category counts")
	}
	// A second instance over the same database, its catalogue loaded.
	other := apitest.Start(t, apitest.Config(t), e.inst.DB, e.clk)
	oc := apitest.NewClient(t, other.Srv.URL, e.clk)
	otherTotal := func() float64 {
		t.Helper()
		r := oc.Call(http.MethodGet, "/blogapi/articles", nil)
		apitest.Expect(t, r, 200, "second instance's list")
		return data(t, r)["total"].(float64)
	}
	if otherTotal() != 2 {
		t.Fatal("second instance before the purge")
	}

	purge := "/blogapi/admin/articles/" + gone + "/purge"
	apitest.Expect(t, e.json(http.MethodPost, purge, `{}`, boss), 400, "no password")
	r = e.json(http.MethodPost, purge, fmt.Sprintf(`{"password":%q}`, apitest.MD5Hex("wrong")), boss)
	apitest.Expect(t, r, 401, "wrong password")
	if !strings.Contains(r.Msg, "password") {
		t.Errorf("wrong password message %q", r.Msg)
	}
	apitest.Expect(t, e.get("/blogapi/article/detail/"+gone, nil, ""), 200, "detail after the refused purge")

	pw := fmt.Sprintf(`{"password":%q}`, apitest.MD5Hex("secret-boss"))
	r = e.json(http.MethodPost, purge, pw, boss)
	apitest.Expect(t, r, 200, "purge")
	if d := data(t, r); d["id"] != gone || d["title"] != "Gone for good" || d["likes"] != float64(2) || d["comments"] != float64(3) {
		t.Fatalf("purge answered %s", r.Data)
	}

	for _, who := range []string{"", boss, writer} {
		apitest.Expect(t, e.get("/blogapi/article/detail/"+gone, nil, who), 404, "detail after the purge")
		apitest.Expect(t, e.get("/blogapi/article/detail/"+slug, nil, who), 404, "detail by slug after the purge")
	}
	apitest.Expect(t, e.get("/blogapi/action/"+gone+"/comments", nil, ""), 404, "comments after the purge")
	if n := otherTotal(); n != 1 {
		t.Fatalf("the second instance lists %v articles after the purge, want 1", n)
	}
	if likeCount(readerID) != 0 || likeCount(fanID) != 1 || categoryCount() != 1 {
		t.Fatalf("after the purge: likeCount %v/%v, category count %v", likeCount(readerID), likeCount(fanID), categoryCount())
	}
	if p, items := page(t, "list", e.get("/blogapi/articles", nil, "")); p["total"] != float64(1) || titles(items) != "Kept" {
		t.Fatalf("public list after the purge: %v", p)
	}
	r = e.get("/blogapi/admin/articles", nil, boss)
	apitest.Expect(t, r, 200, "admin list")
	if data(t, r)["total"] != float64(1) {
		t.Fatalf("admin list after the purge: %s", r.Data)
	}
	for _, c := range []struct {
		coll   string
		filter bson.D
	}{
		{models.CollArticles, bson.D{{Key: "_id", Value: gone}}},
		{models.CollArticleBodies, bson.D{{Key: "_id", Value: gone}}},
		{models.CollSlugs, bson.D{{Key: "_id", Value: slug}}},
		{models.CollCommentThreads, bson.D{{Key: "_id", Value: gone}}},
		{models.CollLikes, bson.D{{Key: "article", Value: gone}}},
		{models.CollUserLikes, bson.D{{Key: "articles.id", Value: gone}}},
		{models.CollUserThreads, bson.D{{Key: "articles", Value: gone}}},
	} {
		n, err := dbtest.Collection(t, e.inst.DB, c.coll).CountDocuments(ctx, c.filter)
		if err != nil || n != 0 {
			t.Errorf("%s still holds %d documents of the purged article (%v)", c.coll, n, err)
		}
	}

	// A retry of a purge that went through: the article is gone.
	apitest.Expect(t, e.json(http.MethodPost, purge, pw, boss), 404, "purge again")
	apitest.Expect(t, e.json(http.MethodPost, "/blogapi/admin/articles/nope/purge", pw, boss), 404, "unknown article")
	r = e.get("/blogapi/admin/audit", map[string]string{"action": "article.purge", "target": gone}, boss)
	apitest.Expect(t, r, 200, "audit")
	var entries struct {
		Total int
		Items []struct{ Before map[string]any }
	}
	r.Decode(t, &entries)
	if entries.Total != 1 || entries.Items[0].Before["title"] != "Gone for good" || entries.Items[0].Before["likes"] != float64(2) {
		t.Fatalf("article.purge entries: %s", r.Data)
	}
	apitest.Expect(t, e.get("/blogapi/article/detail/"+kept, nil, ""), 200, "the other article")
}

// TestAuthorCopiesOnChange: a nick and avatar change (PUT /user/update),
// an admin's type and level change and a deletion reach the user's
// existing articles (lists, detail) and comments (theirs, and replies to
// them); a deleted user's content shows the placeholder.
func TestAuthorCopiesOnChange(t *testing.T) {
	e := newBlogEnv(t)
	ctx := context.Background()
	boss := e.admin("boss")
	writer, writerID := e.user("writer", models.TypeAuthor)
	id := e.publish(writer, "Story")
	r := e.json(http.MethodPost, "/blogapi/action/"+id+"/comment", `{"replyUser":"","targetId":"","content":"author's note"}`, writer)
	apitest.Expect(t, r, 200, "root comment")
	root := data(t, r)["id"].(string)
	r = e.json(http.MethodPost, "/blogapi/action/"+id+"/comment", fmt.Sprintf(`{"replyUser":%q,"targetId":%q,"content":"thanks"}`, writerID, root), boss)
	apitest.Expect(t, r, 200, "reply")

	type shown struct {
		nick, cover, typ string
		level            float64
	}
	check := func(want shown) {
		t.Helper()
		if err := e.inst.App.SyncAuthors(ctx); err != nil {
			t.Fatal(err)
		}
		_, items := page(t, "list", e.get("/blogapi/articles", nil, ""))
		ui := items[0]["user_info"].(map[string]any)
		if ui["nick"] != want.nick || ui["cover"] != want.cover || ui["type"] != want.typ || ui["level"] != want.level {
			t.Fatalf("list user_info %v, want %+v", ui, want)
		}
		_, items = page(t, "author page", e.get("/blogapi/user/"+writerID+"/article", nil, ""))
		if items[0]["user_info"].(map[string]any)["nick"] != want.nick {
			t.Fatalf("author page user_info %v", items[0]["user_info"])
		}
		r := e.get("/blogapi/article/detail/"+id, nil, "")
		apitest.Expect(t, r, 200, "detail")
		if ui := data(t, r)["userInfo"].(map[string]any); ui["nick"] != want.nick || ui["cover"] != want.cover {
			t.Fatalf("detail userInfo %v, want %+v", ui, want)
		}
		r = e.get("/blogapi/action/"+id+"/comments", nil, "")
		apitest.Expect(t, r, 200, "comments")
		var thread []struct {
			Nick, Cover, Type string
			Level             float64
			Sub               []struct{ Nick, ParentNick string }
		}
		r.Decode(t, &thread)
		if len(thread) != 1 || thread[0].Nick != want.nick || thread[0].Cover != want.cover || thread[0].Type != want.typ ||
			thread[0].Level != want.level || len(thread[0].Sub) != 1 || thread[0].Sub[0].ParentNick != want.nick {
			t.Fatalf("comments %s, want %+v", r.Data, want)
		}
	}
	r = e.json(http.MethodPut, "/blogapi/user/update", `{"field":"nick","value":"The Writer"}`, writer)
	apitest.Expect(t, r, 200, "nick change")
	r = e.json(http.MethodPut, "/blogapi/user/update", `{"avatar":"https://img.example/w.png"}`, writer)
	apitest.Expect(t, r, 200, "avatar change")
	check(shown{"The Writer", "https://img.example/w.png", models.TypeAuthor, 0})

	apitest.Expect(t, e.json(http.MethodPut, "/blogapi/admin/users/"+writerID+"/level", `{"level":"4"}`, boss), 200, "level")
	apitest.Expect(t, e.json(http.MethodPut, "/blogapi/admin/users/"+writerID+"/type",
		fmt.Sprintf(`{"type":"admin","password":%q}`, apitest.MD5Hex("secret-boss")), boss), 200, "type")
	check(shown{"The Writer", "https://img.example/w.png", models.TypeAdmin, 4})

	apitest.Expect(t, e.json(http.MethodPost, "/blogapi/admin/users/"+writerID+"/delete",
		fmt.Sprintf(`{"password":%q}`, apitest.MD5Hex("secret-boss")), boss), 200, "delete")
	check(shown{"deleted user", "", models.TypeAdmin, 4})
}
