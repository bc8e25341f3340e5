package e2e

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/blogapi/blogapi/internal/apitest"
	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
	"github.com/blogapi/blogapi/services/content"
)

// blogEnv is an instance with users of each type, logged in.
type blogEnv struct {
	t    *testing.T
	inst *apitest.Instance
	c    *apitest.Client
	clk  *apitest.Clock
}

func newBlogEnv(t *testing.T) *blogEnv {
	t.Helper()
	clk := apitest.NewClock()
	inst := apitest.Start(t, apitest.Config(t), apitest.NewDB(t, clk), clk)
	return &blogEnv{t: t, inst: inst, c: apitest.NewClient(t, inst.Srv.URL, clk), clk: clk}
}

// user registers account with type typ and logs in: its access token and id.
func (e *blogEnv) user(account, typ string) (token, id string) {
	e.t.Helper()
	apitest.Expect(e.t, register(e.t, e.c, e.inst, account, account+"@example.com", "secret-"+account), 200, "register "+account)
	if typ != models.TypeClient {
		_, err := dbtest.Collection(e.t, e.inst.DB, models.CollUsers).UpdateOne(context.Background(),
			bson.D{{Key: "account", Value: account}}, bson.D{{Key: "$set", Value: bson.D{{Key: "type", Value: typ}}}})
		if err != nil {
			e.t.Fatal(err)
		}
	}
	d := login(e.t, e.c, account, "secret-"+account)
	return d.Token, d.User.ID
}

// json sends a signed JSON body with the access token tok ("" none).
func (e *blogEnv) json(method, path, body, tok string) apitest.Reply {
	e.t.Helper()
	req := e.c.SignedRawJSON(method, path, body)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return e.c.Send(req)
}

// get sends a signed GET with params and the access token tok ("" none).
func (e *blogEnv) get(path string, params map[string]string, tok string) apitest.Reply {
	e.t.Helper()
	var hdr http.Header
	if tok != "" {
		hdr = bearer(tok)
	}
	return e.c.CallWith(http.MethodGet, path, params, hdr)
}

func articleJSON(title, status string, extra ...string) string {
	b := fmt.Sprintf(`{"type":"original","typeUrl":"","category":%q,"isPrivate":false,"title":%q,"content":"<p>Text of %s</p>","tags":["go","博客"],"cover":"https://img.example/c.png","status":%q,"seo":{"title":"s","keywords":"k","description":"d"}`,
		models.DefaultCategory, title, title, status)
	for _, x := range extra {
		b += "," + x
	}
	return b + "}"
}

// data decodes r's data as a JSON object (or array into v).
func data(t *testing.T, r apitest.Reply) map[string]any {
	t.Helper()
	var m map[string]any
	r.Decode(t, &m)
	return m
}

// hasFields fails unless m has each field with the JSON kind given
// ("string", "number", "bool", "array", "object").
func hasFields(t *testing.T, what string, m map[string]any, fields map[string]string) {
	t.Helper()
	for f, kind := range fields {
		v, ok := m[f]
		if !ok {
			t.Errorf("%s: no %q in %v", what, f, m)
			continue
		}
		got := ""
		switch v.(type) {
		case string:
			got = "string"
		case float64:
			got = "number"
		case bool:
			got = "bool"
		case []any:
			got = "array"
		case map[string]any:
			got = "object"
		}
		if got != kind {
			t.Errorf("%s: %q is %T, want %s", what, f, v, kind)
		}
	}
}

// listItemFields are what the SPA's ListItem reads, plus id.
var listItemFields = map[string]string{"_id": "string", "id": "string", "title": "string", "summary": "string",
	"cover": "string", "user_info": "object", "review": "number", "read": "number", "created": "number"}

var pageFields = map[string]string{"items": "array", "total": "number", "pageSize": "number", "currentPage": "number",
	"pageCount": "number", "hasPrevPage": "bool", "hasNextPage": "bool"}

// page checks the page object and its items and returns the items.
func page(t *testing.T, what string, r apitest.Reply) (map[string]any, []map[string]any) {
	t.Helper()
	apitest.Expect(t, r, 200, what)
	p := data(t, r)
	hasFields(t, what, p, pageFields)
	var items []map[string]any
	for _, it := range p["items"].([]any) {
		m := it.(map[string]any)
		hasFields(t, what+" item", m, listItemFields)
		if _, ok := m["user_info"].(map[string]any)["nick"].(string); !ok {
			t.Errorf("%s: item without user_info.nick: %v", what, m)
		}
		items = append(items, m)
	}
	return p, items
}

func titles(items []map[string]any) string {
	var out []string
	for _, it := range items {
		out = append(out, it["title"].(string))
	}
	return strings.Join(out, ",")
}

// TestBlogSPAContract walks the SPA's calls in the order its pages make
// them (home, blog by category, load more, search by keyword and tag,
// article page with like, unlike, comment and reply, writer publish and
// edit, author page, drafts) and checks every field each page reads, with
// its type.
func TestBlogSPAContract(t *testing.T) {
	e := newBlogEnv(t)
	admin, adminID := e.user("writer", models.TypeAdmin)
	reader, readerID := e.user("reader", models.TypeClient)

	// Writer page: its select lists, then publish and edit.
	r := e.get("/blogapi/select/types", nil, admin)
	apitest.Expect(t, r, 200, "types")
	var types []map[string]any
	r.Decode(t, &types)
	if len(types) != 3 || types[0]["identify"] != "original" || types[0]["name"] != "原创" {
		t.Fatalf("types: %s", r.Data)
	}
	r = e.json(http.MethodPost, "/blogapi/article/section", articleJSON("First post", "online"), admin)
	apitest.Expect(t, r, 200, "publish")
	first := data(t, r)["id"].(string)
	for i := range 16 { // a second page of the blog list
		e.clk.Advance(1000)
		apitest.Expect(t, e.json(http.MethodPost, "/blogapi/article/section", articleJSON(fmt.Sprintf("Post %02d", i), "online"), admin), 200, "publish more")
	}
	r = e.get("/blogapi/article/detail/"+first, nil, admin) // the writer's edit prefill
	d := data(t, r)
	hasFields(t, "writer prefill", d, map[string]string{"title": "string", "content": "string", "cover": "string",
		"tags": "array", "type": "string", "category": "string", "isPrivate": "bool", "typeUrl": "string", "seo": "object"})
	if d["seo"].(map[string]any)["keywords"] != "k" {
		t.Fatalf("seo: %v", d["seo"])
	}
	apitest.Expect(t, e.json(http.MethodPut, "/blogapi/article/section/"+first, articleJSON("First post, edited", "online"), admin), 200, "edit")

	// Home: banners, recommended, tags, categories, hot.
	apitest.Expect(t, e.get("/blogapi/banner", nil, ""), 200, "banner")
	_, items := page(t, "recommend", e.get("/blogapi/article/recommend", nil, ""))
	if len(items) != 15 {
		t.Fatalf("recommend: %d items", len(items))
	}
	r = e.get("/blogapi/select/tag", nil, "")
	var tags []string
	r.Decode(t, &tags)
	if strings.Join(tags, ",") != "go,博客" {
		t.Fatalf("tags: %v", tags)
	}
	r = e.get("/blogapi/select/category", nil, "")
	var cats []map[string]any
	r.Decode(t, &cats)
	if len(cats) != 1 || cats[0]["name"] != models.DefaultCategory || cats[0]["count"] != float64(17) {
		t.Fatalf("categories: %s", r.Data)
	}
	_, hot := page(t, "hot", e.get("/blogapi/article/hot", nil, ""))
	if len(hot) != 10 {
		t.Fatalf("hot: %d", len(hot))
	}

	// Blog by category, then "load more".
	p, items := page(t, "blog", e.get("/blogapi/articles", map[string]string{"category": models.DefaultCategory}, reader))
	if len(items) != 15 || p["hasNextPage"] != true || p["next"] != float64(2) || p["total"] != float64(17) {
		t.Fatalf("blog page 1: %d items, %v", len(items), p)
	}
	p, items = page(t, "blog more", e.get("/blogapi/articles", map[string]string{"category": models.DefaultCategory, "page": "2"}, reader))
	if len(items) != 2 || p["hasNextPage"] != false || p["next"] != nil || titles(items) != "Post 00,First post, edited" {
		t.Fatalf("blog page 2: %s %v", titles(items), p)
	}
	if _, items := page(t, "other category", e.get("/blogapi/articles", map[string]string{"category": "nope"}, "")); len(items) != 0 {
		t.Fatal("unknown category listed articles")
	}

	// Search by keyword and by tag.
	if p, items := page(t, "search", e.get("/blogapi/article/search", map[string]string{"keyword": "EDITED"}, "")); titles(items) != "First post, edited" || p["total"] != float64(1) {
		t.Fatalf("search: %s", titles(items))
	}
	if p, _ := page(t, "search tag", e.get("/blogapi/article/search", map[string]string{"tag": "博客"}, "")); p["total"] != float64(17) {
		t.Fatalf("search by tag: %v", p["total"])
	}

	// Article page: detail, like, detail again, unlike, comment, reply.
	articleFields := map[string]string{"status": "string", "title": "string", "userInfo": "object", "created": "number",
		"review": "number", "read": "number", "praise": "number", "content": "string", "category": "string", "type": "string",
		"typeUrl": "string", "tags": "array", "lastRevise": "number", "isPraise": "bool", "id": "string", "seo": "object"}
	d = data(t, e.get("/blogapi/article/detail/"+first, nil, reader))
	hasFields(t, "article page", d, articleFields)
	hasFields(t, "article userInfo", d["userInfo"].(map[string]any), map[string]string{"id": "string", "cover": "string", "nick": "string", "level": "number"})
	if d["isPraise"] != false || d["userInfo"].(map[string]any)["id"] != adminID {
		t.Fatalf("detail before like: %v", d)
	}
	apitest.Expect(t, e.json(http.MethodPost, "/blogapi/action/"+first+"/like", `{}`, reader), 200, "like")
	d = data(t, e.get("/blogapi/article/detail/"+first, nil, reader))
	if d["isPraise"] != true || d["praise"] != float64(1) {
		t.Fatalf("detail after like: isPraise %v praise %v", d["isPraise"], d["praise"])
	}
	r = e.get("/blogapi/action/checklike/"+first, nil, reader)
	if data(t, r)["isPraise"] != true {
		t.Fatalf("checklike: %s", r.Data)
	}
	apitest.Expect(t, e.json(http.MethodPost, "/blogapi/action/"+first+"/like", `{}`, reader), 409, "like twice")
	apitest.Expect(t, e.json(http.MethodDelete, "/blogapi/action/"+first+"/like", `{}`, reader), 200, "unlike")
	apitest.Expect(t, e.json(http.MethodDelete, "/blogapi/action/"+first+"/like", `{}`, reader), 200, "unlike again")
	if d = data(t, e.get("/blogapi/article/detail/"+first, nil, reader)); d["isPraise"] != false || d["praise"] != float64(0) {
		t.Fatalf("detail after unlike: %v %v", d["isPraise"], d["praise"])
	}
	apitest.Expect(t, e.json(http.MethodPost, "/blogapi/action/"+first+"/like", `{}`, reader), 200, "like again (for the author page)")

	r = e.json(http.MethodPost, "/blogapi/action/"+first+"/comment", `{"replyUser":"","targetId":"","content":"Nice <b>post</b>"}`, admin)
	apitest.Expect(t, r, 200, "comment")
	root := data(t, r)["id"].(string)
	r = e.json(http.MethodPost, "/blogapi/action/"+first+"/comment", fmt.Sprintf(`{"replyUser":%q,"targetId":%q,"content":"Thanks"}`, adminID, root), reader)
	apitest.Expect(t, r, 200, "reply")
	if data(t, r)["state"] != "held" {
		t.Fatalf("a client's first comment is held: %s", r.Data)
	}
	commentFields := map[string]string{"id": "string", "userId": "string", "cover": "string", "nick": "string", "isRoot": "bool",
		"author": "bool", "status": "string", "parentId": "string", "parentNick": "string", "parentAuthor": "bool",
		"content": "string", "created": "number"}
	for _, who := range []struct {
		tok     string
		replies int
	}{{reader, 1}, {"", 0}} {
		r = e.get("/blogapi/action/"+first+"/comments", nil, who.tok)
		apitest.Expect(t, r, 200, "comments")
		var nodes []map[string]any
		r.Decode(t, &nodes)
		if len(nodes) != 1 {
			t.Fatalf("comment roots: %s", r.Data)
		}
		hasFields(t, "comment", nodes[0], commentFields)
		sub, ok := nodes[0]["sub"].([]any)
		if !ok || len(sub) != who.replies || nodes[0]["status"] != "1" || nodes[0]["content"] != "Nice <b>post</b>" || nodes[0]["author"] != true {
			t.Fatalf("comments seen with token %v: %s", who.tok != "", r.Data)
		}
		if who.replies == 1 {
			reply := sub[0].(map[string]any)
			hasFields(t, "reply", reply, commentFields)
			if reply["status"] != "0" || reply["parentId"] != adminID || reply["parentAuthor"] != true || reply["userId"] != readerID {
				t.Fatalf("reply: %v", reply)
			}
		}
	}

	// Author page: profile, articles, likes.
	r = e.get("/blogapi/user/"+adminID+"/center", nil, "")
	prof := data(t, r)
	hasFields(t, "author page", prof, map[string]string{"id": "string", "cover": "string", "nick": "string", "summary": "string",
		"web": "string", "articleCount": "number", "likeCount": "number", "created": "number"})
	if prof["articleCount"] != float64(17) {
		t.Fatalf("articleCount: %v", prof["articleCount"])
	}
	for _, leak := range []string{"email", "phone", "status", "lastLogin", "lastLoginAt"} {
		if _, ok := prof[leak]; ok {
			t.Errorf("public profile carries %q", leak)
		}
	}
	if p, _ := page(t, "author articles", e.get("/blogapi/user/"+adminID+"/article", nil, "")); p["total"] != float64(17) {
		t.Fatalf("author articles: %v", p["total"])
	}
	if _, items := page(t, "author likes", e.get("/blogapi/user/"+readerID+"/like", nil, "")); titles(items) != "First post, edited" {
		t.Fatalf("author likes: %s", titles(items))
	}
	if data(t, e.get("/blogapi/user/"+readerID+"/center", nil, ""))["likeCount"] != float64(1) {
		t.Fatal("likeCount")
	}

	// Drafts: save one, list, delete it.
	r = e.json(http.MethodPost, "/blogapi/article/section", articleJSON("Unfinished", "draft"), admin)
	apitest.Expect(t, r, 200, "save draft")
	draft := data(t, r)["id"].(string)
	_, items = page(t, "drafts", e.get("/blogapi/article/draft", nil, admin))
	if len(items) != 1 || items[0]["_id"] != draft {
		t.Fatalf("drafts: %v", items)
	}
	apitest.Expect(t, e.json(http.MethodDelete, "/blogapi/article/section/"+draft, `{}`, admin), 200, "delete draft")
	if _, items = page(t, "drafts after delete", e.get("/blogapi/article/draft", nil, admin)); len(items) != 0 {
		t.Fatalf("drafts after delete: %v", items)
	}
}

// TestBlogOwnershipAndVisibility: clients cannot publish; another author
// can neither edit nor delete; drafts are 404 to others; nothing public
// carries an e-mail or an IP.
func TestBlogOwnershipAndVisibility(t *testing.T) {
	e := newBlogEnv(t)
	author, authorID := e.user("alice", content.TypeAuthor)
	other, _ := e.user("bob", content.TypeAuthor)
	client, _ := e.user("carol", models.TypeClient)
	apitest.Expect(t, e.json(http.MethodPost, "/blogapi/article/section", articleJSON("x", "online"), client), 403, "client publishes")
	apitest.Expect(t, e.json(http.MethodPost, "/blogapi/article/section", articleJSON("x", "online"), ""), 401, "anonymous publishes")
	r := e.json(http.MethodPost, "/blogapi/article/section", articleJSON("Public", "online", `"read":999,"praise":5,"toped":true,"user_info":{"id":"x"}`), author)
	apitest.Expect(t, r, 200, "publish")
	pub := data(t, r)
	if pub["read"] != float64(0) || pub["praise"] != float64(0) || pub["toped"] != false || pub["userInfo"].(map[string]any)["id"] != authorID {
		t.Fatalf("mass assignment: %v", pub)
	}
	id := pub["id"].(string)
	apitest.Expect(t, e.json(http.MethodPut, "/blogapi/article/section/"+id, articleJSON("Hijacked", "online"), other), 403, "other edits")
	apitest.Expect(t, e.json(http.MethodDelete, "/blogapi/article/section/"+id, `{}`, other), 403, "other deletes")
	r = e.json(http.MethodPost, "/blogapi/article/section", articleJSON("Secret draft", "draft"), author)
	draft := data(t, r)["id"].(string)
	for _, tok := range []string{"", other, client} {
		apitest.Expect(t, e.get("/blogapi/article/detail/"+draft, nil, tok), 404, "another's draft")
		apitest.Expect(t, e.json(http.MethodPut, "/blogapi/article/section/"+draft, articleJSON("x", "online"), tok), map[bool]int{true: 401, false: 404}[tok == ""], "edit another's draft")
	}
	apitest.Expect(t, e.get("/blogapi/article/detail/"+draft, nil, author), 200, "own draft")
	apitest.Expect(t, e.get("/blogapi/article/detail/0123456789abcdef01234567", nil, ""), 404, "unknown id")
	apitest.Expect(t, e.get("/blogapi/article/detail/not-a-slug", nil, ""), 404, "unknown slug")
	apitest.Expect(t, e.get("/blogapi/article/detail/public", nil, ""), 200, "by slug")
	apitest.Expect(t, e.get("/blogapi/action/"+draft+"/comments", nil, client), 404, "comments of a draft")
	apitest.Expect(t, e.json(http.MethodPost, "/blogapi/action/"+draft+"/comment", `{"content":"x","targetId":"","replyUser":""}`, client), 404, "comment on a draft")
	apitest.Expect(t, e.json(http.MethodPost, "/blogapi/action/"+draft+"/like", `{}`, client), 404, "like a draft")
	apitest.Expect(t, e.get("/blogapi/user/nope/center", nil, ""), 404, "unknown user")

	// Bad input names the field.
	for _, c := range []struct{ body, field string }{
		{`{"title":"","content":"x","type":"original","category":"默认"}`, "title"},
		{`{"title":"t","content":"x","type":"original","category":"默认","tags":"go"}`, "tags"},
		{`{"title":"t","content":"x","type":"original","category":"默认","status":"published"}`, "status"},
		{`{"title":"t","content":"x","type":"nope","category":"默认"}`, "type"},
		{`{"title":"t","content":"x","type":"original","category":"默认","seo":"x"}`, "seo"},
	} {
		r := e.json(http.MethodPost, "/blogapi/article/section", c.body, author)
		if r.Code != 400 || len(r.Errors) == 0 || r.Errors[0].Field != c.field {
			t.Errorf("%s: %s; want a 400 about %q", c.body, r.Body, c.field)
		}
	}

	// A stale version (body or If-Match) is a 409.
	etag := e.get("/blogapi/article/detail/"+id, nil, author).Header.Get("ETag")
	apitest.Expect(t, e.json(http.MethodPut, "/blogapi/article/section/"+id, articleJSON("v2", "online", `"version":1`), author), 200, "edit at version 1")
	apitest.Expect(t, e.json(http.MethodPut, "/blogapi/article/section/"+id, articleJSON("v3", "online", `"version":1`), author), 409, "stale version")
	req := e.c.SignedRawJSON(http.MethodPut, "/blogapi/article/section/"+id, articleJSON("v3", "online"))
	req.Header.Set("Authorization", "Bearer "+author)
	req.Header.Set("If-Match", etag)
	apitest.Expect(t, e.c.Send(req), 409, "stale If-Match")

	// Comments by a client and the lists never carry an e-mail or an IP.
	apitest.Expect(t, e.json(http.MethodPost, "/blogapi/action/"+id+"/comment", `{"content":"hello","targetId":"","replyUser":""}`, author), 200, "comment")
	for _, path := range []string{"/blogapi/articles", "/blogapi/article/hot", "/blogapi/article/recommend", "/blogapi/article/detail/" + id,
		"/blogapi/action/" + id + "/comments", "/blogapi/user/" + authorID + "/center", "/blogapi/user/" + authorID + "/article"} {
		r := e.get(path, nil, "")
		apitest.Expect(t, r, 200, path)
		for _, leak := range []string{"@example.com", "127.0.0.1", `"ip"`, `"email"`} {
			if strings.Contains(string(r.Body), leak) {
				t.Errorf("%s carries %s: %s", path, leak, r.Body)
			}
		}
	}
}

// TestBlogConcurrentLikes: many users liking at once are all counted; one
// user liking many times at once counts once.
func TestBlogConcurrentLikes(t *testing.T) {
	e := newBlogEnv(t)
	author, _ := e.user("alice", content.TypeAuthor)
	id := data(t, e.json(http.MethodPost, "/blogapi/article/section", articleJSON("Liked", "online"), author))["id"].(string)
	const n = 8
	toks := make([]string, n)
	for i := range toks {
		toks[i], _ = e.user(fmt.Sprintf("user%02d", i), models.TypeClient)
	}
	// Each request signs its own timestamp, as separate clients do (two
	// identical signed requests in one millisecond are a replay).
	var seq sync.Mutex
	next := e.clk.Now().UnixMilli()
	like := func(tok string) (int, error) {
		c := apitest.NewClient(t, e.inst.Srv.URL, e.clk)
		seq.Lock()
		next++
		c.LastTS = next
		seq.Unlock()
		req := c.SignedRawJSON(http.MethodPost, "/blogapi/action/"+id+"/like", `{}`)
		req.Header.Set("Authorization", "Bearer "+tok)
		r, err := c.TrySend(req)
		return r.Code, err
	}
	var wg sync.WaitGroup
	for _, tok := range toks {
		wg.Go(func() {
			if code, err := like(tok); err != nil || code != 200 {
				t.Errorf("like: %d %v", code, err)
			}
		})
	}
	wg.Wait()
	var same sync.WaitGroup
	for range 10 {
		same.Go(func() {
			if code, err := like(toks[0]); err != nil || (code != 409 && code != 201) {
				t.Errorf("repeated like: %d %v", code, err)
			}
		})
	}
	same.Wait()
	if d := data(t, e.get("/blogapi/article/detail/"+id, nil, "")); d["praise"] != float64(n) {
		t.Fatalf("praise %v, want %d", d["praise"], n)
	}
}

// TestBlogPagesAndCaching: clamped page sizes, pages past the end, ETag
// and 304, cache headers for public and personal reads.
func TestBlogPagesAndCaching(t *testing.T) {
	e := newBlogEnv(t)
	author, _ := e.user("alice", content.TypeAuthor)
	for i := range 3 {
		e.clk.Advance(1000)
		apitest.Expect(t, e.json(http.MethodPost, "/blogapi/article/section", articleJSON(fmt.Sprint("a", i), "online"), author), 200, "publish")
	}
	for _, c := range []struct {
		params               map[string]string
		items, size, current int
		hasPrev, hasNext     bool
	}{
		{map[string]string{"pageSize": "1000"}, 3, 100, 1, false, false},
		{map[string]string{"pageSize": "0", "page": "-3"}, 3, 15, 1, false, false},
		{map[string]string{"pageSize": "2", "page": "2"}, 1, 2, 2, true, false},
		{map[string]string{"pageSize": "2", "page": "9"}, 0, 2, 9, true, false},
		{map[string]string{"pageSize": "x", "page": "y"}, 3, 15, 1, false, false},
	} {
		p, items := page(t, fmt.Sprint(c.params), e.get("/blogapi/articles", c.params, ""))
		if len(items) != c.items || p["pageSize"] != float64(c.size) || p["currentPage"] != float64(c.current) ||
			p["hasPrevPage"] != c.hasPrev || p["hasNextPage"] != c.hasNext || p["total"] != float64(3) {
			t.Errorf("%v: %d items, %v", c.params, len(items), p)
		}
	}
	r := e.get("/blogapi/articles", nil, "")
	etag := r.Header.Get("ETag")
	if etag == "" || r.Header.Get("Cache-Control") != "public, max-age=0, must-revalidate" {
		t.Fatalf("headers: %v", r.Header)
	}
	r = e.c.CallWith(http.MethodGet, "/blogapi/articles", nil, http.Header{"If-None-Match": {etag}})
	if r.Status != http.StatusNotModified || len(r.Body) != 0 {
		t.Fatalf("If-None-Match: %d %q", r.Status, r.Body)
	}
	r = e.get("/blogapi/article/hot", nil, author)
	if r.Header.Get("Cache-Control") != "private, no-store" {
		t.Fatalf("personal read cached publicly: %v", r.Header.Get("Cache-Control"))
	}
	r = e.get("/blogapi/article/search", map[string]string{"keyword": strings.Repeat("长", 65)}, "")
	if r.Code != 400 || len(r.Errors) == 0 || r.Errors[0].Field != "keyword" {
		t.Fatalf("long keyword: %s", r.Body)
	}
}

// TestBlogFeeds: the RSS and Atom feeds and the sitemap are unsigned, valid
// XML, carry the public articles only, with stable ids, and are cacheable.
func TestBlogFeeds(t *testing.T) {
	e := newBlogEnv(t)
	author, _ := e.user("alice", content.TypeAuthor)
	var ids []string
	for _, title := range []string{"One & <two>", "Three"} {
		e.clk.Advance(1000)
		r := e.json(http.MethodPost, "/blogapi/article/section", articleJSON(title, "online"), author)
		ids = append(ids, data(t, r)["id"].(string))
	}
	apitest.Expect(t, e.json(http.MethodPost, "/blogapi/article/section", articleJSON("Hidden draft", "draft"), author), 200, "draft")
	fetch := func(path string, hdr http.Header) apitest.Reply {
		req, _ := http.NewRequest(http.MethodGet, e.inst.Srv.URL+path, nil)
		for k, v := range hdr {
			req.Header[k] = v
		}
		return e.c.Send(req)
	}
	var rss struct {
		Channel struct {
			Items []struct {
				Title string `xml:"title"`
				Link  string `xml:"link"`
				GUID  string `xml:"guid"`
			} `xml:"item"`
		} `xml:"channel"`
	}
	r := fetch("/feed.xml", nil)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/rss+xml") || r.Header.Get("Cache-Control") != "public, max-age=3600" {
		t.Fatalf("rss: %d %v", r.Status, r.Header)
	}
	if err := xml.Unmarshal(r.Body, &rss); err != nil {
		t.Fatalf("rss is not XML: %v\n%s", err, r.Body)
	}
	items := rss.Channel.Items
	if len(items) != 2 || items[0].Title != "Three" || items[1].Title != "One & <two>" || !strings.HasSuffix(items[0].GUID, "/article/"+ids[1]) || items[0].Link != items[0].GUID {
		t.Fatalf("rss items: %+v", items)
	}
	again := fetch("/feed.xml", nil)
	if string(again.Body) != string(r.Body) {
		t.Fatal("the feed changed between two reads")
	}
	if nm := fetch("/feed.xml", http.Header{"If-None-Match": {r.Header.Get("ETag")}}); nm.Status != http.StatusNotModified {
		t.Fatalf("If-None-Match: %d", nm.Status)
	}
	var atom struct {
		Entries []struct {
			ID    string `xml:"id"`
			Title string `xml:"title"`
		} `xml:"entry"`
	}
	r = fetch("/atom.xml", nil)
	if err := xml.Unmarshal(r.Body, &atom); err != nil || len(atom.Entries) != 2 || atom.Entries[0].ID != items[0].GUID {
		t.Fatalf("atom: %v %+v", err, atom.Entries)
	}
	var sm struct {
		URLs []struct {
			Loc     string `xml:"loc"`
			LastMod string `xml:"lastmod"`
		} `xml:"url"`
	}
	r = fetch("/sitemap.xml", nil)
	if err := xml.Unmarshal(r.Body, &sm); err != nil || len(sm.URLs) != 3 || !strings.HasSuffix(sm.URLs[1].Loc, "/article/"+ids[1]) || sm.URLs[1].LastMod == "" {
		t.Fatalf("sitemap: %v %+v", err, sm.URLs)
	}
	if strings.Contains(string(r.Body), "Hidden") {
		t.Fatal("a draft is in the sitemap")
	}
}

// TestBlogSPAUserSide: what the SPA's login, settings and password pages
// read and send: userInfo on login, cover and lastLogin, the {field,
// value} update (a field the route does not know is a 400, never a silent
// 200), and newPassword.
func TestBlogSPAUserSide(t *testing.T) {
	e := newBlogEnv(t)
	apitest.Expect(t, register(t, e.c, e.inst, "settings", "settings@example.com", "secret-1"), 200, "register")
	r := e.c.Call(http.MethodPost, "/blogapi/login", map[string]string{"account": "settings", "password": apitest.MD5Hex("secret-1")})
	apitest.Expect(t, r, 200, "login")
	d := data(t, r)
	info, ok := d["userInfo"].(map[string]any)
	if !ok {
		t.Fatalf("login without userInfo: %s", r.Data)
	}
	hasFields(t, "userInfo", info, map[string]string{"id": "string", "type": "string", "cover": "string", "nick": "string"})
	tok := d["token"].(string)
	center := data(t, e.get("/blogapi/user/center", nil, tok))
	hasFields(t, "settings page", center, map[string]string{"cover": "string", "nick": "string", "email": "string", "lastLogin": "number"})

	for _, c := range []struct{ body, nick, avatar string }{
		{`{"field":"nick","value":"新名字"}`, "新名字", ""},
		{`{"field":"cover","value":"https://img.example/a.png"}`, "新名字", "https://img.example/a.png"},
		{`{"field":"summary","value":"写 Go 的"}`, "新名字", "https://img.example/a.png"},
		{`{"field":"web","value":"https://blog.example"}`, "新名字", "https://img.example/a.png"},
		{`{"field":"phone","value":"+86 138-0000-0000"}`, "新名字", "https://img.example/a.png"},
	} {
		u := data(t, e.json(http.MethodPut, "/blogapi/user/update", c.body, tok))
		if u["nick"] != c.nick || u["avatar"] != c.avatar || u["cover"] != c.avatar || u["id"] != info["id"] {
			t.Fatalf("%s: %v", c.body, u)
		}
	}
	me := data(t, e.get("/blogapi/user/center", nil, tok))
	if me["summary"] != "写 Go 的" || me["web"] != "https://blog.example" || me["phone"] != "+86 138-0000-0000" {
		t.Fatalf("settings saved: %v", me)
	}
	pub := data(t, e.get("/blogapi/user/"+info["id"].(string)+"/center", nil, ""))
	if pub["summary"] != "写 Go 的" || pub["web"] != "https://blog.example" {
		t.Fatalf("public profile: %v", pub)
	}
	if _, leak := pub["phone"]; leak {
		t.Fatal("the public profile carries the phone")
	}
	for _, c := range []struct{ body, field string }{
		{`{"field":"web","value":"javascript:alert(1)"}`, "web"},
		{`{"field":"phone","value":"call me"}`, "phone"},
	} {
		if r := e.json(http.MethodPut, "/blogapi/user/update", c.body, tok); r.Code != 400 || len(r.Errors) == 0 || r.Errors[0].Field != c.field {
			t.Errorf("%s: %s", c.body, r.Body)
		}
	}
	for _, body := range []string{`{"field":"level","value":"9"}`, `{}`, `{"nickname":"x"}`} {
		r := e.json(http.MethodPut, "/blogapi/user/update", body, tok)
		if r.Code != 400 || len(r.Errors) == 0 || r.Errors[0].Field != "field" {
			t.Errorf("%s: %s; want a 400 about field", body, r.Body)
		}
	}
	r = e.json(http.MethodPut, "/blogapi/user/reset", fmt.Sprintf(`{"oldPassword":%q,"newPassword":%q}`, apitest.MD5Hex("secret-1"), apitest.MD5Hex("secret-2")), tok)
	apitest.Expect(t, r, 200, "reset with newPassword")
	login(t, e.c, "settings", "secret-2")
}

// TestBlogPublishForm: a form body publishes too (tags comma-separated),
// as the signing helper sends name=value pairs.
func TestBlogPublishForm(t *testing.T) {
	e := newBlogEnv(t)
	author, _ := e.user("alice", content.TypeAuthor)
	form := e.c.SignedForm(map[string]string{"title": "Form post", "content": "<p>x</p>", "type": "original",
		"category": models.DefaultCategory, "tags": "go,db", "status": "online"})
	req, _ := http.NewRequest(http.MethodPost, e.inst.Srv.URL+"/blogapi/article/section", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+author)
	r := e.c.Send(req)
	apitest.Expect(t, r, 200, "publish with a form body")
	if tags := data(t, r)["tags"].([]any); len(tags) != 2 || tags[1] != "db" {
		t.Fatalf("tags: %v", tags)
	}
}
