package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/blogapi/blogapi/internal/apitest"
	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
)

// End-to-end tests of the admin's taxonomy (docs/admin.md, "Taxonomy")
// through the real router.

// taxEnv is a blog with an admin (boss), an author (writer) and a client
// (reader), logged in.
type taxEnv struct {
	*blogEnv
	boss, writer, reader string
}

func newTaxEnv(t *testing.T) *taxEnv {
	t.Helper()
	e := newBlogEnv(t)
	boss, _ := e.user("boss", models.TypeAdmin)
	if _, err := dbtest.Collection(t, e.inst.DB, models.CollUsers).UpdateOne(context.Background(),
		bson.D{{Key: "account", Value: "boss"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: models.StatusNormal}}}}); err != nil {
		t.Fatal(err)
	}
	writer, _ := e.user("writer", models.TypeAuthor)
	reader, _ := e.user("reader", models.TypeClient)
	return &taxEnv{blogEnv: e, boss: boss, writer: writer, reader: reader}
}

// call sends params (a JSON body, or the query of a GET) with the access
// token tok ("" none).
func (e *taxEnv) call(method, path string, params map[string]string, tok string) apitest.Reply {
	e.t.Helper()
	var hdr http.Header
	if tok != "" {
		hdr = bearer(tok)
	}
	return e.c.CallWith(method, path, params, hdr)
}

// publish publishes (or drafts) an article of the writer in category cat
// with tags (JSON array text) and returns its id.
func (e *taxEnv) publish(title, status, typ, cat, tags string) string {
	e.t.Helper()
	body := fmt.Sprintf(`{"type":%q,"category":%q,"title":%q,"content":"<p>%s</p>","tags":%s,"status":%q}`, typ, cat, title, title, tags, status)
	r := e.json(http.MethodPost, "/blogapi/article/section", body, e.writer)
	apitest.Expect(e.t, r, 200, "publish "+title)
	return data(e.t, r)["id"].(string)
}

// detail is what the article's page shows of its taxonomy, as its author
// sees it (drafts too).
func (e *taxEnv) detail(id string) (typ, cat string, tags []string, title string) {
	e.t.Helper()
	r := e.get("/blogapi/article/detail/"+id, nil, e.writer)
	apitest.Expect(e.t, r, 200, "detail")
	var d struct {
		Type, Category, Title string
		Tags                  []string
	}
	r.Decode(e.t, &d)
	return d.Type, d.Category, d.Tags, d.Title
}

// publicCategories is GET /blogapi/select/category as "name:count,…".
func (e *taxEnv) publicCategories() string {
	e.t.Helper()
	r := e.get("/blogapi/select/category", nil, "")
	apitest.Expect(e.t, r, 200, "categories")
	var cs []struct {
		Name  string
		Count int
	}
	r.Decode(e.t, &cs)
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s:%d", c.Name, c.Count))
	}
	return strings.Join(out, ",")
}

// publicTypes is GET /blogapi/select/types as "identify=name,…".
func (e *taxEnv) publicTypes() string {
	e.t.Helper()
	r := e.get("/blogapi/select/types", nil, "")
	apitest.Expect(e.t, r, 200, "types")
	var ts []struct{ Name, Identify string }
	r.Decode(e.t, &ts)
	var out []string
	for _, t := range ts {
		out = append(out, t.Identify+"="+t.Name)
	}
	return strings.Join(out, ",")
}

// publicTags is GET /blogapi/select/tag joined by commas.
func (e *taxEnv) publicTags() string {
	e.t.Helper()
	r := e.get("/blogapi/select/tag", nil, "")
	apitest.Expect(e.t, r, 200, "tags")
	var ts []string
	r.Decode(e.t, &ts)
	return strings.Join(ts, ",")
}

// listed is the total of GET /blogapi/articles with params.
func (e *taxEnv) listed(params map[string]string) int {
	e.t.Helper()
	r := e.get("/blogapi/articles", params, "")
	apitest.Expect(e.t, r, 200, "articles")
	var p struct{ Total int }
	r.Decode(e.t, &p)
	return p.Total
}

// auditEntries returns the audit entries of action, newest first.
func (e *taxEnv) auditEntries(action string) []struct {
	Target, WhoAccount string
	Before, After      map[string]any
} {
	e.t.Helper()
	r := e.get("/blogapi/admin/audit", map[string]string{"action": action, "pageSize": "100"}, e.boss)
	apitest.Expect(e.t, r, 200, "audit")
	var p struct {
		Items []struct {
			Target, WhoAccount string
			Before, After      map[string]any
		}
	}
	r.Decode(e.t, &p)
	return p.Items
}

func esc(name string) string { return url.PathEscape(name) }

// TestAdminTaxonomyAccess: every taxonomy route answers an admin (200),
// refuses an author and a client (403) and an anonymous caller (401),
// always with Cache-Control: private, no-store.
func TestAdminTaxonomyAccess(t *testing.T) {
	e := newTaxEnv(t)
	routes := []struct {
		method, path string
		params       map[string]string
	}{
		{http.MethodGet, "/blogapi/admin/types", nil},
		{http.MethodPost, "/blogapi/admin/types", map[string]string{"identify": "essay", "name": "随笔"}},
		{http.MethodPut, "/blogapi/admin/types/essay", map[string]string{"name": "Essay", "index": "7"}},
		{http.MethodDelete, "/blogapi/admin/types/essay", nil},
		{http.MethodGet, "/blogapi/admin/categories", nil},
		{http.MethodPost, "/blogapi/admin/categories", map[string]string{"name": "Go"}},
		{http.MethodPut, "/blogapi/admin/categories/Go", map[string]string{"name": "Golang"}},
		{http.MethodDelete, "/blogapi/admin/categories/Golang", nil},
		{http.MethodGet, "/blogapi/admin/tags", nil},
		{http.MethodPost, "/blogapi/admin/tags", map[string]string{"name": "rust"}},
		{http.MethodPut, "/blogapi/admin/tags/rust", map[string]string{"name": "Rust"}},
		{http.MethodDelete, "/blogapi/admin/tags/Rust", nil},
	}
	tokens := map[string]string{"anonymous": "", "client": e.reader, "author": e.writer, "admin": e.boss}
	for _, rt := range routes {
		for _, who := range []string{"anonymous", "client", "author", "admin"} {
			r := e.call(rt.method, rt.path, rt.params, tokens[who])
			want := map[string]int{"anonymous": 401, "client": 403, "author": 403, "admin": 200}[who]
			apitest.Expect(t, r, want, who+" "+rt.method+" "+rt.path)
			if cc := r.Header.Get("Cache-Control"); cc != "private, no-store" {
				t.Errorf("%s %s as %s: Cache-Control %q", rt.method, rt.path, who, cc)
			}
		}
	}
	// Each change left exactly one entry; the lists changed nothing.
	for _, action := range []string{"type.create", "type.rename", "type.delete", "category.create", "category.rename",
		"category.delete", "tag.create", "tag.rename", "tag.delete"} {
		if got := e.auditEntries(action); len(got) != 1 || got[0].WhoAccount != "boss" {
			t.Errorf("%s: %d entries %+v, want 1 by boss", action, len(got), got)
		}
	}
	if got := e.auditEntries("type.reorder"); len(got) != 0 {
		t.Errorf("a rename with a reorder recorded a second entry: %+v", got)
	}
}

// TestAdminTaxonomyRename: renaming a category, a tag and a type reaches
// every article that names it (drafts and deleted ones too): the public
// lists, the detail, the category counts; a publish with the old name
// lands on the new one; repeating the rename completes nothing more and
// records nothing; each rename leaves one audit entry.
func TestAdminTaxonomyRename(t *testing.T) {
	e := newTaxEnv(t)
	old := models.DefaultCategory
	a1 := e.publish("One", "online", "original", old, `["go","db"]`)
	a2 := e.publish("Two", "online", "original", old, `["go"]`)
	draft := e.publish("Draft", "draft", "reprint", old, `["go"]`)
	gone := e.publish("Gone", "online", "original", old, `["go"]`)
	apitest.Expect(t, e.json(http.MethodDelete, "/blogapi/article/section/"+gone, `{}`, e.writer), 200, "delete an article")
	apitest.Expect(t, e.call(http.MethodPost, "/blogapi/admin/categories", map[string]string{"name": "Tech"}, e.boss), 200, "create Tech")
	if got := e.publicCategories(); got != old+":2,Tech:0" {
		t.Fatalf("categories before: %s", got)
	}

	r := e.call(http.MethodPut, "/blogapi/admin/categories/"+esc(old), map[string]string{"name": "  日常  "}, e.boss)
	apitest.Expect(t, r, 200, "rename category")
	if d := data(t, r); d["name"] != "日常" || d["moved"] != float64(4) || d["index"] != float64(0) || d["articles"] != float64(4) || d["count"] != float64(2) {
		t.Fatalf("rename answer: %s", r.Data)
	}
	if got := e.publicCategories(); got != "日常:2,Tech:0" {
		t.Fatalf("categories after the rename: %s", got)
	}
	if n := e.listed(map[string]string{"category": "日常"}); n != 2 {
		t.Fatalf("%d public articles in the new name, want 2", n)
	}
	if n := e.listed(map[string]string{"category": old}); n != 0 {
		t.Fatalf("%d public articles in the old name", n)
	}
	for _, id := range []string{a1, a2, draft} {
		if _, cat, _, _ := e.detail(id); cat != "日常" {
			t.Fatalf("article %s in %q after the rename", id, cat)
		}
	}
	// The deleted article moved too: restoring it shows the new name.
	apitest.Expect(t, e.json(http.MethodPut, "/blogapi/admin/articles/"+gone+"/status", `{"status":"online"}`, e.boss), 200, "restore")
	if _, cat, _, _ := e.detail(gone); cat != "日常" {
		t.Fatalf("restored article in %q", cat)
	}
	if got := e.publicCategories(); got != "日常:3,Tech:0" {
		t.Fatalf("categories after the restore: %s", got)
	}
	// A writer page with the old list still publishes: the old name forwards.
	late := e.publish("Late", "online", "original", old, `[]`)
	if _, cat, _, _ := e.detail(late); cat != "日常" {
		t.Fatalf("published with the old name: in %q", cat)
	}
	// The same rename again completes nothing more, records nothing; the
	// old name is no category of its own any more.
	r = e.call(http.MethodPut, "/blogapi/admin/categories/"+esc(old), map[string]string{"name": "日常"}, e.boss)
	apitest.Expect(t, r, 200, "rename again")
	if d := data(t, r); d["moved"] != float64(0) {
		t.Fatalf("repeated rename moved %v", d["moved"])
	}
	apitest.Expect(t, e.call(http.MethodPut, "/blogapi/admin/categories/"+esc(old), map[string]string{"name": "Other"}, e.boss), 404, "renamed name renamed elsewhere")
	apitest.Expect(t, e.call(http.MethodPut, "/blogapi/admin/categories/"+esc(old), map[string]string{"index": "3"}, e.boss), 404, "renamed name reordered")
	entries := e.auditEntries("category.rename")
	if len(entries) != 1 || entries[0].Target != old || entries[0].Before["name"] != old || entries[0].After["name"] != "日常" ||
		entries[0].After["articles"] != float64(4) {
		t.Fatalf("category.rename entries: %+v", entries)
	}

	// A tag rename: into every article that has it, once where both were.
	apitest.Expect(t, e.json(http.MethodPut, "/blogapi/article/section/"+a2,
		`{"type":"original","category":"日常","title":"Two","content":"<p>Two</p>","tags":["go","golang"],"status":"online"}`, e.writer), 200, "tag golang")
	r = e.call(http.MethodPut, "/blogapi/admin/tags/go", map[string]string{"name": "golang"}, e.boss)
	apitest.Expect(t, r, 409, "rename onto an existing tag")
	r = e.call(http.MethodPut, "/blogapi/admin/tags/go", map[string]string{"name": "Go语言"}, e.boss)
	apitest.Expect(t, r, 200, "rename tag")
	if d := data(t, r); d["name"] != "Go语言" || d["moved"] != float64(4) || d["articles"] != float64(4) {
		t.Fatalf("tag rename answer: %s", r.Data)
	}
	if _, _, tags, _ := e.detail(a1); strings.Join(tags, ",") != "Go语言,db" {
		t.Fatalf("tags of One: %v", tags)
	}
	if _, _, tags, _ := e.detail(a2); strings.Join(tags, ",") != "Go语言,golang" {
		t.Fatalf("tags of Two: %v", tags)
	}
	if got := e.publicTags(); strings.Contains(","+got+",", ",go,") || !strings.Contains(got, "Go语言") {
		t.Fatalf("public tags after the rename: %s", got)
	}
	r = e.get("/blogapi/article/search", map[string]string{"tag": "Go语言"}, "")
	apitest.Expect(t, r, 200, "search by the new tag")
	var sp struct{ Total int }
	r.Decode(t, &sp)
	if sp.Total != 3 {
		t.Fatalf("search by the renamed tag: %d, want 3 public", sp.Total)
	}
	if n := len(e.auditEntries("tag.rename")); n != 1 {
		t.Fatalf("%d tag.rename entries", n)
	}

	// A type rename changes the name every article shows (they store the
	// identify).
	r = e.call(http.MethodPut, "/blogapi/admin/types/original", map[string]string{"name": "Original"}, e.boss)
	apitest.Expect(t, r, 200, "rename type")
	if got := e.publicTypes(); got != "original=Original,reprint=转载,translation=翻译" {
		t.Fatalf("types after the rename: %s", got)
	}
	if typ, _, _, _ := e.detail(a1); typ != "original" {
		t.Fatalf("type of One: %s", typ)
	}
	apitest.Expect(t, e.call(http.MethodPut, "/blogapi/admin/types/original", map[string]string{"name": "Original"}, e.boss), 200, "same name again")
	apitest.Expect(t, e.call(http.MethodPut, "/blogapi/admin/types/reprint", map[string]string{"name": "Original"}, e.boss), 409, "a name of another type")
	if n := len(e.auditEntries("type.rename")); n != 1 {
		t.Fatalf("%d type.rename entries, want 1", n)
	}
}

// TestAdminTaxonomyDelete: deleting a category or type in use is refused
// (409 naming `replacement`) and changes nothing; with a replacement the
// articles move and the counts follow; an unused one goes without; a tag
// deletion removes the tag from its articles; one audit entry each.
func TestAdminTaxonomyDelete(t *testing.T) {
	e := newTaxEnv(t)
	def := models.DefaultCategory
	a1 := e.publish("One", "online", "reprint", def, `["go","db"]`)
	e.publish("Two", "online", "original", def, `["go"]`)
	d := e.publish("Draft", "draft", "reprint", def, `[]`)
	for _, c := range []string{"Tech", "Empty"} {
		apitest.Expect(t, e.call(http.MethodPost, "/blogapi/admin/categories", map[string]string{"name": c}, e.boss), 200, "create "+c)
	}
	path := "/blogapi/admin/categories/" + esc(def)
	r := e.call(http.MethodDelete, path, nil, e.boss)
	apitest.Expect(t, r, 409, "delete a category in use")
	if len(r.Errors) != 1 || r.Errors[0].Field != "replacement" {
		t.Fatalf("in use errors: %+v", r.Errors)
	}
	apitest.Expect(t, e.call(http.MethodDelete, path, map[string]string{"replacement": "Nope"}, e.boss), 400, "unknown replacement")
	apitest.Expect(t, e.call(http.MethodDelete, path, map[string]string{"replacement": def}, e.boss), 400, "itself as replacement")
	apitest.Expect(t, e.call(http.MethodDelete, "/blogapi/admin/categories/Nope", nil, e.boss), 404, "unknown category")
	if got := e.publicCategories(); got != def+":2,Tech:0,Empty:0" {
		t.Fatalf("refusals changed the categories: %s", got)
	}
	r = e.call(http.MethodDelete, path, map[string]string{"replacement": "Tech"}, e.boss)
	apitest.Expect(t, r, 200, "delete with a replacement")
	if dd := data(t, r); dd["moved"] != float64(3) || dd["replacement"] != "Tech" {
		t.Fatalf("delete answer: %s", r.Data)
	}
	if got := e.publicCategories(); got != "Tech:2,Empty:0" {
		t.Fatalf("categories after the delete: %s", got)
	}
	if _, cat, _, _ := e.detail(d); cat != "Tech" {
		t.Fatalf("draft in %q", cat)
	}
	apitest.Expect(t, e.call(http.MethodDelete, "/blogapi/admin/categories/Empty", nil, e.boss), 200, "delete an unused category")
	apitest.Expect(t, e.call(http.MethodDelete, "/blogapi/admin/categories/Empty", nil, e.boss), 404, "delete it again")
	r = e.call(http.MethodGet, "/blogapi/admin/categories", nil, e.boss)
	apitest.Expect(t, r, 200, "admin categories")
	var cats []struct {
		Name            string
		Articles, Count int
	}
	r.Decode(t, &cats)
	if len(cats) != 1 || cats[0].Name != "Tech" || cats[0].Articles != 3 || cats[0].Count != 2 {
		t.Fatalf("admin categories: %+v", cats)
	}
	if n := len(e.auditEntries("category.delete")); n != 2 {
		t.Fatalf("%d category.delete entries, want 2", n)
	}

	// Types: the same rule; a publish naming the deleted type lands on the
	// replacement.
	apitest.Expect(t, e.call(http.MethodDelete, "/blogapi/admin/types/reprint", nil, e.boss), 409, "delete a type in use")
	r = e.call(http.MethodDelete, "/blogapi/admin/types/reprint", map[string]string{"replacement": "translation"}, e.boss)
	apitest.Expect(t, r, 200, "delete a type with a replacement")
	if dd := data(t, r); dd["moved"] != float64(2) {
		t.Fatalf("type delete answer: %s", r.Data)
	}
	if typ, _, _, _ := e.detail(a1); typ != "translation" {
		t.Fatalf("type of One: %s", typ)
	}
	if got := e.publicTypes(); got != "original=原创,translation=翻译" {
		t.Fatalf("types after the delete: %s", got)
	}
	late := e.publish("Late", "online", "reprint", "Tech", `[]`)
	if typ, _, _, _ := e.detail(late); typ != "translation" {
		t.Fatalf("published with the deleted type: %s", typ)
	}
	apitest.Expect(t, e.call(http.MethodDelete, "/blogapi/admin/types/reprint", map[string]string{"replacement": "translation"}, e.boss), 200, "repeat the delete")
	apitest.Expect(t, e.call(http.MethodDelete, "/blogapi/admin/types/nope", nil, e.boss), 404, "unknown type")
	if n := len(e.auditEntries("type.delete")); n != 1 {
		t.Fatalf("%d type.delete entries, want 1 (the repeat did nothing)", n)
	}

	// A tag deletion removes it from the articles.
	r = e.call(http.MethodDelete, "/blogapi/admin/tags/go", nil, e.boss)
	apitest.Expect(t, r, 200, "delete tag")
	if dd := data(t, r); dd["moved"] != float64(2) {
		t.Fatalf("tag delete answer: %s", r.Data)
	}
	if _, _, tags, _ := e.detail(a1); strings.Join(tags, ",") != "db" {
		t.Fatalf("tags of One: %v", tags)
	}
	if got := e.publicTags(); got != "db" {
		t.Fatalf("public tags: %s", got)
	}
	apitest.Expect(t, e.call(http.MethodDelete, "/blogapi/admin/tags/go", nil, e.boss), 404, "delete the tag again")
	if n := len(e.auditEntries("tag.delete")); n != 1 {
		t.Fatalf("%d tag.delete entries", n)
	}
}

// TestAdminTaxonomyReorder: `index` orders the public types and
// categories; the same index again records nothing.
func TestAdminTaxonomyReorder(t *testing.T) {
	e := newTaxEnv(t)
	def := models.DefaultCategory
	apitest.Expect(t, e.call(http.MethodPost, "/blogapi/admin/categories", map[string]string{"name": "B", "index": "5"}, e.boss), 200, "create B")
	r := e.call(http.MethodPost, "/blogapi/admin/categories", map[string]string{"name": "A"}, e.boss)
	apitest.Expect(t, r, 200, "create A")
	if d := data(t, r); d["index"] != float64(6) {
		t.Fatalf("a new category goes last: %s", r.Data)
	}
	if got := e.publicCategories(); got != def+":0,B:0,A:0" {
		t.Fatalf("order: %s", got)
	}
	apitest.Expect(t, e.call(http.MethodPut, "/blogapi/admin/categories/A", map[string]string{"index": "1"}, e.boss), 200, "move A up")
	apitest.Expect(t, e.call(http.MethodPut, "/blogapi/admin/categories/"+esc(def), map[string]string{"index": "9"}, e.boss), 200, "move the default down")
	if got := e.publicCategories(); got != "A:0,B:0,"+def+":0" {
		t.Fatalf("order after the reorder: %s", got)
	}
	apitest.Expect(t, e.call(http.MethodPut, "/blogapi/admin/categories/A", map[string]string{"index": "1"}, e.boss), 200, "same index again")
	if n := len(e.auditEntries("category.reorder")); n != 2 {
		t.Fatalf("%d category.reorder entries, want 2", n)
	}
	apitest.Expect(t, e.call(http.MethodPut, "/blogapi/admin/types/original", map[string]string{"index": "3"}, e.boss), 200, "move original down")
	if got := e.publicTypes(); got != "reprint=转载,translation=翻译,original=原创" {
		t.Fatalf("types after the reorder: %s", got)
	}
	r = e.call(http.MethodGet, "/blogapi/admin/types", nil, e.boss)
	apitest.Expect(t, r, 200, "admin types")
	var ts []struct {
		Identify string
		Index    int
	}
	r.Decode(t, &ts)
	if len(ts) != 3 || ts[2].Identify != "original" || ts[2].Index != 3 {
		t.Fatalf("admin types: %+v", ts)
	}
	if got := e.auditEntries("type.reorder"); len(got) != 1 || got[0].Before["index"] != float64(0) || got[0].After["index"] != float64(3) {
		t.Fatalf("type.reorder entries: %+v", got)
	}
}

// TestAdminTaxonomyBadInput: bad names and indexes are 400s naming the
// field, duplicates 409, unknown keys 404; nothing is written or
// recorded.
func TestAdminTaxonomyBadInput(t *testing.T) {
	e := newTaxEnv(t)
	cases := []struct {
		method, path string
		params       map[string]string
		code         int
		field        string
	}{
		{http.MethodPost, "/blogapi/admin/categories", map[string]string{"name": "   "}, 400, "name"},
		{http.MethodPost, "/blogapi/admin/categories", map[string]string{"name": strings.Repeat("长", 33)}, 400, "name"},
		{http.MethodPost, "/blogapi/admin/categories", map[string]string{"name": "a/b"}, 400, "name"},
		{http.MethodPost, "/blogapi/admin/categories", map[string]string{"name": ".."}, 400, "name"},
		{http.MethodPost, "/blogapi/admin/categories", map[string]string{"name": "tab\there"}, 200, ""}, // whitespace collapses
		{http.MethodPost, "/blogapi/admin/categories", map[string]string{"name": "ok", "index": "x"}, 400, "index"},
		{http.MethodPost, "/blogapi/admin/categories", map[string]string{"name": "ok", "index": "10000"}, 400, "index"},
		{http.MethodPost, "/blogapi/admin/categories", map[string]string{"name": "ok", "index": "-1"}, 400, "index"},
		{http.MethodPost, "/blogapi/admin/categories", map[string]string{"name": models.DefaultCategory}, 409, "name"},
		{http.MethodPost, "/blogapi/admin/types", map[string]string{"identify": "bad id!", "name": "x"}, 400, "identify"},
		{http.MethodPost, "/blogapi/admin/types", map[string]string{"identify": "essay", "name": strings.Repeat("x", 21)}, 400, "name"},
		{http.MethodPost, "/blogapi/admin/types", map[string]string{"identify": "original", "name": "Another"}, 409, "name"},
		{http.MethodPost, "/blogapi/admin/types", map[string]string{"identify": "essay", "name": "原创"}, 409, "name"},
		{http.MethodPost, "/blogapi/admin/tags", map[string]string{"name": strings.Repeat("t", 21)}, 400, "name"},
		{http.MethodPost, "/blogapi/admin/tags", map[string]string{}, 400, "name"},
		{http.MethodPut, "/blogapi/admin/types/original", map[string]string{}, 400, "name"},
		{http.MethodPut, "/blogapi/admin/types/original", map[string]string{"name": ""}, 400, "name"},
		{http.MethodPut, "/blogapi/admin/types/original", map[string]string{"index": "1.5"}, 400, "index"},
		{http.MethodPut, "/blogapi/admin/types/nope", map[string]string{"name": "x"}, 404, ""},
		{http.MethodPut, "/blogapi/admin/categories/nope", map[string]string{"index": "1"}, 404, ""},
		{http.MethodPut, "/blogapi/admin/categories/" + esc(models.DefaultCategory), map[string]string{"name": "x/y"}, 400, "name"},
		{http.MethodPut, "/blogapi/admin/tags/nope", map[string]string{"name": "x"}, 404, ""},
		{http.MethodDelete, "/blogapi/admin/tags/nope", nil, 404, ""},
	}
	for _, c := range cases {
		r := e.call(c.method, c.path, c.params, e.boss)
		apitest.Expect(t, r, c.code, fmt.Sprintf("%s %s %v", c.method, c.path, c.params))
		if c.field != "" && (len(r.Errors) != 1 || r.Errors[0].Field != c.field) {
			t.Errorf("%s %s %v: errors %+v, want one naming %s", c.method, c.path, c.params, r.Errors, c.field)
		}
	}
	// An object where text belongs is a 400 too.
	apitest.Expect(t, e.json(http.MethodPost, "/blogapi/admin/categories", `{"name":{"$gt":""}}`, e.boss), 400, "an operator as name")
	if got := e.publicCategories(); got != models.DefaultCategory+":0,tab here:0" {
		t.Fatalf("categories after the bad input: %s", got)
	}
	r := e.get("/blogapi/admin/audit", nil, e.boss)
	apitest.Expect(t, r, 200, "audit")
	var p struct{ Total int }
	r.Decode(t, &p)
	if p.Total != 1 {
		t.Fatalf("%d audit entries, want 1 (the one category created)", p.Total)
	}
}

// TestAdminTaxonomyRenameRacesEdit: an author edits an article (sending
// the category they read) and publishes a new one in it while an admin
// renames that category, round after round: all answer 200 and no change
// is lost — the edited article has the author's title and the new
// category name, and so has every article published.
func TestAdminTaxonomyRenameRacesEdit(t *testing.T) {
	e := newTaxEnv(t)
	name := models.DefaultCategory
	id := e.publish("Start", "online", "original", name, `["go"]`)
	for round := range 12 {
		next := fmt.Sprintf("cat-%d", round)
		title := fmt.Sprintf("Title %d", round)
		var edit, rename, pub apitest.Reply
		var wg sync.WaitGroup
		wg.Go(func() {
			edit = e.json(http.MethodPut, "/blogapi/article/section/"+id,
				fmt.Sprintf(`{"type":"original","category":%q,"title":%q,"content":"<p>x</p>","tags":["go"],"status":"online"}`, name, title), e.writer)
		})
		wg.Go(func() {
			rename = e.call(http.MethodPut, "/blogapi/admin/categories/"+esc(name), map[string]string{"name": next}, e.boss)
		})
		wg.Go(func() {
			pub = e.json(http.MethodPost, "/blogapi/article/section",
				fmt.Sprintf(`{"type":"original","category":%q,"title":"New %d","content":"<p>y</p>","status":"online"}`, name, round), e.writer)
		})
		wg.Wait()
		apitest.Expect(t, edit, 200, "edit round "+next)
		apitest.Expect(t, rename, 200, "rename round "+next)
		apitest.Expect(t, pub, 200, "publish round "+next)
		if _, cat, _, got := e.detail(id); cat != next || got != title {
			t.Fatalf("round %d: article has category %q and title %q, want %q and %q", round, cat, got, next, title)
		}
		if got, want := e.publicCategories(), fmt.Sprintf("%s:%d", next, round+2); got != want {
			t.Fatalf("round %d: categories %s, want %s", round, got, want)
		}
		name = next
	}
	if n := len(e.auditEntries("category.rename")); n != 12 {
		t.Fatalf("%d category.rename entries, want 12", n)
	}
}

// TestAdminTaxonomyRetryCompletes: a rename that stopped after the old
// name began to forward (the new one not put, no article moved) is
// completed by the same request again: the new category exists with the
// old one's order, every article moved, one audit entry. A tag deletion
// that stopped after the tag went is completed the same way.
func TestAdminTaxonomyRetryCompletes(t *testing.T) {
	e := newTaxEnv(t)
	ctx := context.Background()
	apitest.Expect(t, e.call(http.MethodPost, "/blogapi/admin/categories", map[string]string{"name": "Old", "index": "4"}, e.boss), 200, "create Old")
	a := e.publish("One", "online", "original", "Old", `["go"]`)
	b := e.publish("Two", "draft", "original", "Old", `["go"]`)
	// What a rename that stopped half-way leaves, written as it would.
	if _, _, err := e.inst.DB.Taxonomy.ChangeCategory(ctx, "Old", func(c *models.Category) error { c.MovedTo = "New"; return nil }); err != nil {
		t.Fatal(err)
	}
	// Meanwhile a writer page that still shows Old publishes into New.
	c := e.publish("Three", "online", "original", "Old", `[]`)
	r := e.call(http.MethodPut, "/blogapi/admin/categories/Old", map[string]string{"name": "New"}, e.boss)
	apitest.Expect(t, r, 200, "the rename again")
	if d := data(t, r); d["name"] != "New" || d["index"] != float64(4) || d["moved"] != float64(2) {
		t.Fatalf("completed rename: %s", r.Data)
	}
	for _, id := range []string{a, b, c} {
		if _, cat, _, _ := e.detail(id); cat != "New" {
			t.Fatalf("article %s in %q", id, cat)
		}
	}
	if got := e.publicCategories(); got != models.DefaultCategory+":0,New:2" {
		t.Fatalf("categories: %s", got)
	}
	if got := e.auditEntries("category.rename"); len(got) != 1 || got[0].After["articles"] != float64(2) {
		t.Fatalf("category.rename entries: %+v", got)
	}

	// A tag deletion that removed the tag but no article's copy of it.
	if err := e.inst.DB.Taxonomy.RemoveTag(ctx, "go"); err != nil {
		t.Fatal(err)
	}
	r = e.call(http.MethodDelete, "/blogapi/admin/tags/go", nil, e.boss)
	apitest.Expect(t, r, 200, "the tag deletion again")
	if d := data(t, r); d["moved"] != float64(2) {
		t.Fatalf("completed tag deletion: %s", r.Data)
	}
	if _, _, tags, _ := e.detail(a); len(tags) != 0 {
		t.Fatalf("tags of One: %v", tags)
	}
	apitest.Expect(t, e.call(http.MethodDelete, "/blogapi/admin/tags/go", nil, e.boss), 404, "nothing left to delete")
	if n := len(e.auditEntries("tag.delete")); n != 1 {
		t.Fatalf("%d tag.delete entries, want 1", n)
	}
}

// TestAdminTaxonomyBulkRenameOtherInstance: a rename that moves more
// articles than the catalogue's window of recent changes makes a second
// instance over the same database reload: its lists and counts show the
// new name at once.
func TestAdminTaxonomyBulkRenameOtherInstance(t *testing.T) {
	e := newTaxEnv(t)
	ctx := context.Background()
	n := models.RecentChanges + 22
	arts, bodies := make([]models.Article, n), make([]models.ArticleBody, n)
	now := e.clk.Now().UnixMilli()
	for i := range arts {
		id := models.NewArticleID()
		arts[i] = models.Article{ID: id, Slug: fmt.Sprintf("bulk-%d", i), Title: fmt.Sprintf("Bulk %d", i), Type: "original",
			Category: models.DefaultCategory, Tags: []string{"bulk"}, AuthorID: "author", Author: models.ArticleAuthor{ID: "author", Nick: "writer"},
			Status: models.ArticleOnline, PublishedAt: now - int64(n-i)*1000, Created: now - int64(n-i)*1000}
		bodies[i] = models.ArticleBody{ID: id, HTML: "<p>bulk</p>", Plain: "bulk"}
	}
	if err := e.inst.DB.Articles.CreateMany(ctx, arts, bodies); err != nil {
		t.Fatal(err)
	}
	other := apitest.Start(t, apitest.Config(t), dbtest.Reopen(t, e.inst.DB, models.Options{Now: e.clk.Now}), e.clk)
	oc := apitest.NewClient(t, other.Srv.URL, e.clk)
	otherCategories := func() string {
		t.Helper()
		r := oc.Call(http.MethodGet, "/blogapi/select/category", nil)
		apitest.Expect(t, r, 200, "categories on the other instance")
		var cs []struct {
			Name  string
			Count int
		}
		r.Decode(t, &cs)
		var out []string
		for _, c := range cs {
			out = append(out, fmt.Sprintf("%s:%d", c.Name, c.Count))
		}
		return strings.Join(out, ",")
	}
	want := fmt.Sprintf("%s:%d", models.DefaultCategory, n)
	if got := otherCategories(); got != want {
		t.Fatalf("other instance before: %s, want %s", got, want)
	}
	r := e.call(http.MethodPut, "/blogapi/admin/categories/"+esc(models.DefaultCategory), map[string]string{"name": "Bulk"}, e.boss)
	apitest.Expect(t, r, 200, "bulk rename")
	if d := data(t, r); d["moved"] != float64(n) {
		t.Fatalf("moved %v, want %d", d["moved"], n)
	}
	want = fmt.Sprintf("Bulk:%d", n)
	if got := otherCategories(); got != want {
		t.Fatalf("other instance after: %s, want %s", got, want)
	}
	if got := e.publicCategories(); got != want {
		t.Fatalf("this instance after: %s, want %s", got, want)
	}
	r = oc.Call(http.MethodGet, "/blogapi/articles", map[string]string{"category": "Bulk", "pageSize": "100"})
	apitest.Expect(t, r, 200, "list on the other instance")
	var p struct{ Total int }
	r.Decode(t, &p)
	if p.Total != n {
		t.Fatalf("other instance lists %d in Bulk, want %d", p.Total, n)
	}
}
