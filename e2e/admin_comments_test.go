package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/blogapi/blogapi/config"
	"github.com/blogapi/blogapi/internal/apitest"
	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
)

// End-to-end tests of the admin's comment moderation (docs/admin.md,
// "Comments") through the real router.

// commentEnv is a blog with an active admin (boss, password
// "secret-boss"), an author and a published article of the admin's.
type commentEnv struct {
	*blogEnv
	boss, bossID, writer string
	article              string
}

func newCommentEnv(t *testing.T) *commentEnv {
	t.Helper()
	e := &commentEnv{blogEnv: newBlogEnv(t)}
	e.boss, e.bossID = e.user("boss", models.TypeAdmin)
	if _, err := dbtest.Collection(t, e.inst.DB, models.CollUsers).UpdateOne(context.Background(),
		bson.D{{Key: "account", Value: "boss"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: models.StatusNormal}}}}); err != nil {
		t.Fatal(err)
	}
	e.writer, _ = e.user("writer", models.TypeAuthor)
	e.article = e.publish("Moderated")
	return e
}

// publish publishes an article of the admin's titled title: its id.
func (e *commentEnv) publish(title string) string {
	e.t.Helper()
	r := e.json(http.MethodPost, "/blogapi/article/section", articleJSON(title, "online"), e.boss)
	apitest.Expect(e.t, r, 200, "publish "+title)
	return data(e.t, r)["id"].(string)
}

// comment posts text on article as tok (targetID "" for a root): the
// comment's id and state. The clock moves a second, so comments are
// ordered by time and the per-user rate limit never bites.
func (e *commentEnv) comment(article, tok, text, targetID string) (id, state string) {
	e.t.Helper()
	e.clk.Advance(13 * time.Second)
	r := e.json(http.MethodPost, "/blogapi/action/"+article+"/comment",
		fmt.Sprintf(`{"replyUser":"","targetId":%q,"content":%q}`, targetID, text), tok)
	apitest.Expect(e.t, r, 200, "comment "+text)
	d := data(e.t, r)
	return d["id"].(string), d["state"].(string)
}

// review is the article's `review` as the public detail answers it.
func (e *commentEnv) review(article string) int {
	e.t.Helper()
	r := e.get("/blogapi/article/detail/"+article, nil, "")
	apitest.Expect(e.t, r, 200, "detail")
	return int(data(e.t, r)["review"].(float64))
}

// shown is the text of every comment the public thread of article shows,
// roots and replies, in order.
func (e *commentEnv) shown(article string) []string {
	e.t.Helper()
	r := e.get("/blogapi/action/"+article+"/comments", nil, "")
	apitest.Expect(e.t, r, 200, "thread")
	var nodes []struct {
		Content string
		Sub     []struct{ Content string }
	}
	r.Decode(e.t, &nodes)
	out := []string{}
	for _, n := range nodes {
		out = append(out, n.Content)
		for _, s := range n.Sub {
			out = append(out, s.Content)
		}
	}
	return out
}

// checkReview fails unless the article's review equals what its public
// thread shows, and want.
func (e *commentEnv) checkReview(what, article string, want int) {
	e.t.Helper()
	shown := e.shown(article)
	if got := e.review(article); got != want || len(shown) != want {
		e.t.Fatalf("%s: review %d, thread shows %d %v; want %d", what, got, len(shown), shown, want)
	}
}

// action applies an admin action to one comment.
func (e *commentEnv) action(article, id, action, tok string) apitest.Reply {
	e.t.Helper()
	return e.json(http.MethodPost, "/blogapi/admin/comments/"+article+"/"+id+"/"+action, `{}`, tok)
}

// adminCommentItem is the part of an admin list item the tests read.
type adminCommentItem struct {
	Ref, ID, UserID, Nick, Content, State string
	Created                               int64
	Article                               struct{ ID, Title string }
}

// list lists the admin's comments with params.
func (e *commentEnv) list(params map[string]string) (items []adminCommentItem, total int) {
	e.t.Helper()
	r := e.get("/blogapi/admin/comments", params, e.boss)
	apitest.Expect(e.t, r, 200, fmt.Sprint("list ", params))
	var p struct {
		Items []adminCommentItem
		Total int
	}
	r.Decode(e.t, &p)
	return p.Items, p.Total
}

// audits are the audit entries of action on target ("" any).
func (e *commentEnv) audits(action, target string) []struct {
	Action, Target, WhoAccount, Reason, RequestID string
	Before, After                                 map[string]any
} {
	e.t.Helper()
	r := e.get("/blogapi/admin/audit", map[string]string{"action": action, "target": target, "pageSize": "100"}, e.boss)
	apitest.Expect(e.t, r, 200, "audit")
	var p struct {
		Items []struct {
			Action, Target, WhoAccount, Reason, RequestID string
			Before, After                                 map[string]any
		}
	}
	r.Decode(e.t, &p)
	return p.Items
}

// TestAdminCommentsAccess: every comment route answers an admin 200,
// refuses an author and a client with 403 and an anonymous caller with
// 401, always with Cache-Control: private, no-store.
func TestAdminCommentsAccess(t *testing.T) {
	e := newCommentEnv(t)
	client, clientID := e.user("dave", models.TypeClient)
	id, _ := e.comment(e.article, client, "held at first", "")
	tokens := map[string]string{"admin": e.boss, "author": e.writer, "client": client}
	bulk := fmt.Sprintf(`{"action":"hide","ids":[%q],"password":%q}`, e.article+"/"+id, apitest.MD5Hex("secret-boss"))
	routes := []struct{ method, path, body string }{
		{http.MethodGet, "/blogapi/admin/comments", ""},
		{http.MethodPost, "/blogapi/admin/comments/" + e.article + "/" + id + "/approve", `{}`},
		{http.MethodPost, "/blogapi/admin/comments/bulk", bulk},
		{http.MethodPut, "/blogapi/admin/users/" + clientID + "/comment-ban", `{"banned":true,"reason":"spam"}`},
		{http.MethodPut, "/blogapi/admin/articles/" + e.article + "/comments/" + id + "/state", `{"state":"spam"}`},
	}
	for _, rt := range routes {
		for _, who := range []string{"anonymous", "client", "author", "admin"} {
			var r apitest.Reply
			if rt.method == http.MethodGet {
				r = e.get(rt.path, map[string]string{"state": "pending"}, tokens[who])
			} else {
				r = e.json(rt.method, rt.path, rt.body, tokens[who])
			}
			want := map[string]int{"anonymous": 401, "client": 403, "author": 403, "admin": 200}[who]
			apitest.Expect(t, r, want, who+" "+rt.method+" "+rt.path)
			if cc := r.Header.Get("Cache-Control"); cc != "private, no-store" {
				t.Errorf("%s %s as %s: Cache-Control %q", rt.method, rt.path, who, cc)
			}
		}
	}
}

// TestAdminCommentsList: the list across articles, newest first, each item
// naming its article; every filter; the page object; bad filter values
// are 400 naming the field.
func TestAdminCommentsList(t *testing.T) {
	e := newCommentEnv(t)
	second := e.publish("Second article")
	ann, annID := e.user("ann", models.TypeClient)
	bob, bobID := e.user("bob", models.TypeClient)
	start := e.clk.Now().UnixMilli()
	a1, _ := e.comment(e.article, ann, "Ann on the first (a.k.a. [one])", "")
	b1, _ := e.comment(second, bob, "Bob on the second", "")
	mid := e.clk.Now().UnixMilli() + 1
	own, st := e.comment(second, e.boss, "The admin's own reply", b1)
	if st != models.CommentVisible {
		t.Fatalf("an admin's comment is %s", st)
	}
	a2, _ := e.comment(second, ann, "ANN again, A.K.A. two", "")
	apitest.Expect(t, e.action(e.article, a1, "spam", e.boss), 200, "spam a1")

	items, total := e.list(nil)
	ids := []string{}
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	if total != 4 || !slices.Equal(ids, []string{a2, own, b1, a1}) {
		t.Fatalf("every comment, newest first: total %d, %v; want %v", total, ids, []string{a2, own, b1, a1})
	}
	if it := items[3]; it.Article.ID != e.article || it.Article.Title != "Moderated" || it.Ref != e.article+"/"+a1 ||
		it.State != models.CommentSpam || it.UserID != annID || it.Nick == "" {
		t.Fatalf("item: %+v", it)
	}
	if it := items[0]; it.Article.ID != second || it.Article.Title != "Second article" || it.State != models.CommentHeld {
		t.Fatalf("item: %+v", it)
	}
	for _, c := range []struct {
		params map[string]string
		want   []string
	}{
		{map[string]string{"state": "pending"}, []string{a2, b1}},
		{map[string]string{"state": "held"}, []string{a2, b1}},
		{map[string]string{"state": "approved"}, []string{own}},
		{map[string]string{"state": "spam"}, []string{a1}},
		{map[string]string{"state": "deleted"}, []string{}},
		{map[string]string{"article": second}, []string{a2, own, b1}},
		{map[string]string{"article": second, "state": "pending", "user": annID}, []string{a2}},
		{map[string]string{"user": bobID}, []string{b1}},
		{map[string]string{"q": "a.k.a."}, []string{a2, a1}}, // literal, any case: "." is not a wildcard
		{map[string]string{"q": "[one]"}, []string{a1}},
		{map[string]string{"q": "aka"}, []string{}},
		{map[string]string{"q": "bob"}, []string{b1}}, // the nick too
		{map[string]string{"from": fmt.Sprint(mid)}, []string{a2, own}},
		{map[string]string{"from": fmt.Sprint(start), "to": fmt.Sprint(mid)}, []string{b1, a1}},
		{map[string]string{"pageSize": "2", "page": "2"}, []string{b1, a1}},
	} {
		items, total := e.list(c.params)
		got := []string{}
		for _, it := range items {
			got = append(got, it.ID)
		}
		if !slices.Equal(got, c.want) || (c.params["page"] == "" && total != len(c.want)) {
			t.Errorf("filter %v: %v (total %d), want %v", c.params, got, total, c.want)
		}
	}
	r := e.get("/blogapi/admin/comments", map[string]string{"pageSize": "2", "page": "2"}, e.boss)
	apitest.Expect(t, r, 200, "second page")
	p := data(t, r)
	hasFields(t, "admin comment page", p, pageFields)
	if p["total"].(float64) != 4 || p["pageCount"].(float64) != 2 || p["hasPrevPage"] != true || p["hasNextPage"] != false {
		t.Errorf("page object: %v", p)
	}
	for _, c := range []struct{ field, value string }{
		{"state", "approve"}, {"state", "visible "}, {"article", "nope"}, {"user", "0123"},
		{"from", "yesterday"}, {"to", "1.5"}, {"to", fmt.Sprint(start - 1)}, {"from", "-5"},
		{"q", strings.Repeat("x", 65)},
	} {
		params := map[string]string{c.field: c.value}
		if c.field == "to" && c.value == fmt.Sprint(start-1) {
			params["from"] = fmt.Sprint(start)
		}
		r := e.get("/blogapi/admin/comments", params, e.boss)
		apitest.Expect(t, r, 400, fmt.Sprintf("%s=%q", c.field, c.value))
		if len(r.Errors) != 1 || r.Errors[0].Field != c.field {
			t.Errorf("%s=%q: errors %+v, want the field named", c.field, c.value, r.Errors)
		}
	}
}

// TestAdminCommentTransitions: approve, hide, spam and delete move a
// comment in and out of the public thread and keep `review` equal to what
// the thread shows, replies of a root that is not shown included; a
// deleted comment can be approved back; the same state again changes and
// records nothing; every change leaves exactly one audit entry.
func TestAdminCommentTransitions(t *testing.T) {
	e := newCommentEnv(t)
	ann, _ := e.user("ann", models.TypeClient)
	root, st := e.comment(e.article, ann, "root", "")
	if st != models.CommentHeld {
		t.Fatalf("a client's first comment is %s", st)
	}
	e.checkReview("held root", e.article, 0)
	reply, _ := e.comment(e.article, e.boss, "admin's reply", root)
	e.checkReview("visible reply of a held root", e.article, 0)
	steps := []struct {
		id, action string
		want       int
	}{
		{root, "approve", 2},
		{reply, "hide", 1},
		{reply, "approve", 2},
		{root, "delete", 0}, // the reply of a deleted root is not shown either
		{root, "spam", 0},
		{root, "approve", 2},
		{reply, "spam", 1},
		{reply, "delete", 1},
		{root, "hide", 0},
		{root, "approve", 1},
	}
	changes := 0
	for _, s := range steps {
		r := e.action(e.article, s.id, s.action, e.boss)
		apitest.Expect(t, r, 200, s.action)
		changes++
		e.checkReview(s.action, e.article, s.want)
	}
	// A deleted comment is not in the public thread; a reply to it is refused.
	if got := e.shown(e.article); !slices.Equal(got, []string{"root"}) {
		t.Fatalf("thread %v", got)
	}
	r := e.json(http.MethodPost, "/blogapi/action/"+e.article+"/comment", fmt.Sprintf(`{"replyUser":"","targetId":%q,"content":"to the deleted"}`, reply), e.boss)
	apitest.Expect(t, r, 400, "reply to a deleted comment")
	// The same state again: 200, nothing recorded.
	apitest.Expect(t, e.action(e.article, root, "approve", e.boss), 200, "approve again")
	apitest.Expect(t, e.json(http.MethodPut, "/blogapi/admin/articles/"+e.article+"/comments/"+root+"/state", `{"state":"visible"}`, e.boss), 200, "state again")
	e.checkReview("no-op", e.article, 1)
	// The state route takes the new states too.
	r = e.json(http.MethodPut, "/blogapi/admin/articles/"+e.article+"/comments/"+root+"/state", `{"state":"deleted"}`, e.boss)
	apitest.Expect(t, r, 200, "state deleted")
	if data(t, r)["state"] != models.CommentDeleted {
		t.Fatalf("state answer: %s", r.Data)
	}
	changes++
	e.checkReview("deleted through the state route", e.article, 0)
	entries := e.audits("comment.state", "")
	if len(entries) != changes {
		t.Fatalf("%d audit entries, want one per change (%d)", len(entries), changes)
	}
	if last := entries[0]; last.Target != e.article+"/"+root || last.Before["state"] != "visible" || last.After["state"] != "deleted" || last.WhoAccount != "boss" {
		t.Fatalf("last entry: %+v", last)
	}
	if first := entries[len(entries)-1]; first.Before["state"] != "held" || first.After["state"] != "visible" {
		t.Fatalf("first entry: %+v", first)
	}
	// Unhappy paths.
	apitest.Expect(t, e.action(e.article, root, "burn", e.boss), 400, "unknown action")
	apitest.Expect(t, e.action(e.article, "0123456789abcdef01234567", "hide", e.boss), 404, "unknown comment")
	apitest.Expect(t, e.action("0123456789abcdef01234567", root, "hide", e.boss), 404, "unknown article")
	apitest.Expect(t, e.json(http.MethodPut, "/blogapi/admin/articles/"+e.article+"/comments/"+root+"/state", `{"state":"gone"}`, e.boss), 400, "unknown state")
	if n := len(e.audits("comment.state", "")); n != changes {
		t.Fatalf("refusals recorded: %d entries", n)
	}
}

// bulkReply is a bulk action's answer.
type bulkReply struct {
	Results []struct {
		ID          string
		OK, Changed bool
		Code        int
		Msg         string
	}
	Changed int
}

// TestAdminBulkComments: a bulk action with bad ids in the middle applies
// every good id, fails only the bad ones (nothing written for them), and
// leaves one audit entry per changed comment; a wrong password is a 401
// naming the field with nothing applied; bad actions and id lists are 400.
func TestAdminBulkComments(t *testing.T) {
	e := newCommentEnv(t)
	second := e.publish("Second")
	ann, _ := e.user("ann", models.TypeClient)
	bob, _ := e.user("bob", models.TypeClient)
	c1, _ := e.comment(e.article, ann, "one", "")
	c2, _ := e.comment(second, bob, "two", "")
	c3, _ := e.comment(second, ann, "three", "")
	ref := func(a, c string) string { return a + "/" + c }
	pw := apitest.MD5Hex("secret-boss")
	bulk := func(action string, ids []string, password string) apitest.Reply {
		b, _ := json.Marshal(map[string]any{"action": action, "ids": ids, "password": password})
		return e.json(http.MethodPost, "/blogapi/admin/comments/bulk", string(b), e.boss)
	}
	all := []string{ref(e.article, c1), ref(second, c2), ref(second, c3)}

	r := bulk("approve", all, apitest.MD5Hex("wrong"))
	apitest.Expect(t, r, 401, "wrong password")
	if len(r.Errors) != 1 || r.Errors[0].Field != "password" {
		t.Fatalf("wrong password errors: %+v", r.Errors)
	}
	if items, _ := e.list(map[string]string{"state": "pending"}); len(items) != 3 {
		t.Fatalf("a refused bulk applied something: %d pending", len(items))
	}

	ids := []string{all[0], "garbage", ref(second, "0123456789abcdef01234567"), all[1], ref("0123456789abcdef01234567", c3), all[2], all[0]}
	r = bulk("approve", ids, pw)
	apitest.Expect(t, r, 200, "bulk approve")
	var br bulkReply
	r.Decode(t, &br)
	want := []struct {
		ok, changed bool
		code        int
	}{{true, true, 200}, {false, false, 400}, {false, false, 404}, {true, true, 200}, {false, false, 404}, {true, true, 200}, {true, false, 200}}
	if len(br.Results) != len(ids) || br.Changed != 3 {
		t.Fatalf("bulk: %+v", br)
	}
	for i, w := range want {
		got := br.Results[i]
		if got.ID != ids[i] || got.OK != w.ok || got.Changed != w.changed || got.Code != w.code || got.Msg == "" {
			t.Errorf("result %d (%s): %+v, want %+v", i, ids[i], got, w)
		}
	}
	e.checkReview("first article after the bulk", e.article, 1)
	e.checkReview("second article after the bulk", second, 2)
	if n := len(e.audits("comment.state", "")); n != 3 {
		t.Fatalf("%d audit entries, want one per changed comment (3)", n)
	}
	// Delete two in bulk, by form too (comma-separated ids).
	form := map[string]string{"action": "delete", "ids": all[1] + "," + all[2], "password": pw}
	req := e.c.SignedRaw(http.MethodPost, "/blogapi/admin/comments/bulk", "application/x-www-form-urlencoded",
		[]byte(urlValues(form).Encode()), form)
	req.Header.Set("Authorization", "Bearer "+e.boss)
	r = e.c.Send(req)
	apitest.Expect(t, r, 200, "bulk delete by form")
	r.Decode(t, &br)
	if br.Changed != 2 {
		t.Fatalf("bulk delete: %+v", br)
	}
	e.checkReview("second article after the deletion", second, 0)
	if n := len(e.audits("comment.state", "")); n != 5 {
		t.Fatalf("%d audit entries after the deletion, want 5", n)
	}
	for _, c := range []struct {
		body, field string
	}{
		{fmt.Sprintf(`{"action":"burn","ids":[%q],"password":%q}`, all[0], pw), "action"},
		{fmt.Sprintf(`{"action":"hide","ids":[],"password":%q}`, pw), "ids"},
		{fmt.Sprintf(`{"action":"hide","password":%q}`, pw), "ids"},
		{fmt.Sprintf(`{"action":"hide","ids":[1,2],"password":%q}`, pw), "ids"},
		{fmt.Sprintf(`{"action":"hide","ids":{"$gt":""},"password":%q}`, pw), "ids"},
		{fmt.Sprintf(`{"action":"hide","ids":%s,"password":%q}`, mustJSON(slices.Repeat([]string{all[0]}, 101)), pw), "ids"},
		{fmt.Sprintf(`{"action":"hide","ids":[%q]}`, all[0]), "password"},
	} {
		r := e.json(http.MethodPost, "/blogapi/admin/comments/bulk", c.body, e.boss)
		if r.Code != 400 || len(r.Errors) != 1 || r.Errors[0].Field != c.field {
			t.Errorf("%s: %d %s %+v, want 400 naming %s", c.body[:min(60, len(c.body))], r.Code, r.Msg, r.Errors, c.field)
		}
	}
	if n := len(e.audits("comment.state", "")); n != 5 {
		t.Fatalf("refused bulks recorded: %d entries", n)
	}
}

func urlValues(m map[string]string) url.Values {
	v := url.Values{}
	for k, x := range m {
		v.Set(k, x)
	}
	return v
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestAdminCommentBan: a banned user's new comments are refused with 403;
// hideExisting hides their visible and held comments (review follows);
// lifting the ban lets them comment again; each change leaves exactly one
// audit entry, a repeat none.
func TestAdminCommentBan(t *testing.T) {
	e := newCommentEnv(t)
	second := e.publish("Second")
	ann, annID := e.user("ann", models.TypeClient)
	bob, _ := e.user("bob", models.TypeClient)
	a1, _ := e.comment(e.article, ann, "ann one", "")
	if a1 == "" {
		t.Fatal("no id")
	}
	apitest.Expect(t, e.action(e.article, a1, "approve", e.boss), 200, "approve ann")
	a2, st := e.comment(second, ann, "ann two", "")
	if st != models.CommentVisible {
		t.Fatalf("an approved user's comment is %s", st)
	}
	e.comment(second, e.boss, "reply to ann", a2)
	a3, _ := e.comment(second, ann, "ann three", "")
	apitest.Expect(t, e.action(second, a3, "spam", e.boss), 200, "spam")
	b1, _ := e.comment(second, bob, "bob one", "")
	apitest.Expect(t, e.action(second, b1, "approve", e.boss), 200, "approve bob")
	e.checkReview("before the ban", second, 3)
	ban := func(body string) (apitest.Reply, map[string]any) {
		r := e.json(http.MethodPut, "/blogapi/admin/users/"+annID+"/comment-ban", body, e.boss)
		if r.Code != 200 {
			return r, nil
		}
		return r, data(t, r)
	}

	r, d := ban(`{"banned":true,"reason":"trolling"}`)
	apitest.Expect(t, r, 200, "ban")
	if u := d["user"].(map[string]any); u["commentBanned"] != true || u["commentBanReason"] != "trolling" || d["hidden"].(float64) != 0 {
		t.Fatalf("ban: %v", d)
	}
	r = e.json(http.MethodPost, "/blogapi/action/"+e.article+"/comment", `{"replyUser":"","targetId":"","content":"still here"}`, ann)
	apitest.Expect(t, r, 403, "a banned user's comment")
	if r.Msg != "you are banned from commenting" {
		t.Fatalf("refusal msg %q", r.Msg)
	}
	e.checkReview("a ban without hiding", second, 3)
	// The same ban again records nothing; with hideExisting it hides ann's
	// visible comments (the spam one stays spam); one entry.
	apitest.Expect(t, func() apitest.Reply { r, _ := ban(`{"banned":"true","reason":"trolling"}`); return r }(), 200, "ban again")
	r, d = ban(`{"banned":true,"hideExisting":true,"reason":"trolling"}`)
	apitest.Expect(t, r, 200, "ban and hide")
	if d["hidden"].(float64) != 2 {
		t.Fatalf("hidden %v, want 2", d["hidden"])
	}
	e.checkReview("first article after hiding", e.article, 0)
	e.checkReview("second article after hiding", second, 1) // bob's; the admin's reply sits under a hidden root
	if items, _ := e.list(map[string]string{"user": annID, "state": "hidden"}); len(items) != 2 {
		t.Fatalf("%d hidden comments of ann, want 2", len(items))
	}
	if items, _ := e.list(map[string]string{"user": annID, "state": "spam"}); len(items) != 1 {
		t.Fatalf("the spam comment changed state")
	}
	r, d = ban(`{"banned":false}`)
	apitest.Expect(t, r, 200, "lift")
	if u := d["user"].(map[string]any); u["commentBanned"] != false || u["commentBanReason"] != "" {
		t.Fatalf("lift: %v", d)
	}
	e.comment(e.article, ann, "back again", "")
	e.checkReview("lifting shows nothing again", second, 1)
	entries := e.audits("user.commentBan", annID)
	if len(entries) != 3 {
		t.Fatalf("%d ban entries, want 3 (ban, hide, lift): %+v", len(entries), entries)
	}
	if h := entries[1]; h.After["commentsHidden"] != float64(2) || h.Reason != "trolling" || h.After["commentBanned"] != nil {
		t.Fatalf("hide entry: %+v", h)
	}
	if b := entries[2]; b.Before["commentBanned"] != false || b.After["commentBanned"] != true || b.After["commentBanReason"] != "trolling" {
		t.Fatalf("ban entry: %+v", b)
	}
	for _, c := range []struct{ body, field string }{
		{`{}`, "banned"}, {`{"banned":"maybe"}`, "banned"}, {`{"banned":{"$ne":1}}`, "banned"},
		{`{"banned":true,"hideExisting":"x"}`, "hideExisting"}, {`{"banned":true,"reason":` + mustJSON(strings.Repeat("r", 201)) + `}`, "reason"},
	} {
		r, _ := ban(c.body)
		if r.Code != 400 || len(r.Errors) != 1 || r.Errors[0].Field != c.field {
			t.Errorf("%s: %d %+v, want 400 naming %s", c.body[:min(50, len(c.body))], r.Code, r.Errors, c.field)
		}
	}
	apitest.Expect(t, e.json(http.MethodPut, "/blogapi/admin/users/0123456789abcdef01234567/comment-ban", `{"banned":true}`, e.boss), 404, "unknown user")
	if n := len(e.audits("user.commentBan", "")); n != 3 {
		t.Fatalf("refusals recorded: %d", n)
	}
}

// TestAdminCommentsRace: admins approving and hiding while readers
// comment at once keep `review` equal to what the thread shows.
func TestAdminCommentsRace(t *testing.T) {
	e := newCommentEnv(t)
	var held []string
	for i := range 6 {
		tok, _ := e.user(fmt.Sprintf("reader%d", i), models.TypeClient)
		id, _ := e.comment(e.article, tok, fmt.Sprintf("held %d", i), "")
		held = append(held, id)
	}
	root, _ := e.comment(e.article, e.boss, "admin root", "")
	e.clk.Advance(time.Minute) // a fresh window of the per-user comment limit
	var wg sync.WaitGroup
	for i, id := range held {
		wg.Go(func() {
			if r := e.action(e.article, id, "approve", e.boss); r.Code != 200 {
				t.Errorf("approve %d: %d %s", i, r.Code, r.Msg)
			}
		})
		if i >= 5 { // the admin's comment limit
			continue
		}
		wg.Go(func() {
			r := e.json(http.MethodPost, "/blogapi/action/"+e.article+"/comment",
				fmt.Sprintf(`{"replyUser":"","targetId":%q,"content":"reply %d"}`, root, i), e.boss)
			// A reply after the root was hidden is refused.
			if r.Code != 200 && !(r.Code == 400 && len(r.Errors) == 1 && r.Errors[0].Field == "targetId") {
				t.Errorf("reply %d: %d %s", i, r.Code, r.Msg)
			}
		})
	}
	wg.Go(func() {
		if r := e.action(e.article, root, "hide", e.boss); r.Code != 200 {
			t.Errorf("hide root: %d %s", r.Code, r.Msg)
		}
	})
	wg.Wait()
	e.checkReview("after the race", e.article, 6) // the approved roots; the admin's root and its replies are hidden
}

// TestCommentRoutesFilterByID: with a ban in place, the public comment
// routes (a banned user's refused comment, another user's comment, the
// thread) still filter only by `_id` (docs/architecture.md): the ban is
// read from the user document the access-token check reads anyway.
func TestCommentRoutesFilterByID(t *testing.T) {
	clk := apitest.NewClock()
	var log filterLog
	db := dbtest.Open(t, models.Options{Now: clk.Now, Inspect: log.inspect, SweepInterval: time.Hour})
	cfg := apitest.Config(t)
	cfg.RateLimit.Store = config.RateStoreMongo
	inst := apitest.Start(t, cfg, db, clk)
	e := &commentEnv{blogEnv: &blogEnv{t: t, inst: inst, c: apitest.NewClient(t, inst.Srv.URL, clk), clk: clk}}
	e.boss, e.bossID = e.user("boss", models.TypeAdmin)
	if _, err := dbtest.Collection(t, db, models.CollUsers).UpdateOne(context.Background(),
		bson.D{{Key: "account", Value: "boss"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: models.StatusNormal}}}}); err != nil {
		t.Fatal(err)
	}
	e.article = e.publish("Watched")
	troll, trollID := e.user("troll", models.TypeClient)
	reader, _ := e.user("reader", models.TypeClient)
	root, _ := e.comment(e.article, reader, "a root", "")
	apitest.Expect(t, e.action(e.article, root, "approve", e.boss), 200, "approve")
	apitest.Expect(t, e.json(http.MethodPut, "/blogapi/admin/users/"+trollID+"/comment-ban", `{"banned":true}`, e.boss), 200, "ban")
	steps := []struct {
		name string
		do   func() apitest.Reply
		code int
	}{
		{"a banned user's comment", func() apitest.Reply {
			return e.json(http.MethodPost, "/blogapi/action/"+e.article+"/comment", `{"replyUser":"","targetId":"","content":"no"}`, troll)
		}, 403},
		{"a reply", func() apitest.Reply {
			return e.json(http.MethodPost, "/blogapi/action/"+e.article+"/comment", fmt.Sprintf(`{"replyUser":"","targetId":%q,"content":"yes"}`, root), reader)
		}, 200},
		{"the thread", func() apitest.Reply { return e.get("/blogapi/action/"+e.article+"/comments", nil, troll) }, 200},
	}
	for _, st := range steps {
		var r apitest.Reply
		cmds := log.during(func() { r = st.do() })
		if r.Code != st.code {
			t.Fatalf("%s: code %d %s, want %d", st.name, r.Code, r.Body, st.code)
		}
		n := 0
		for _, cmd := range cmds {
			for _, f := range cmd.Filters {
				n++
				if !f.ByID {
					t.Errorf("%s: %s on %s filters %s, not exactly {_id: v}", st.name, cmd.Command, cmd.Collection, f.JSON)
				}
			}
		}
		if n == 0 {
			t.Errorf("%s: no filtered command seen", st.name)
		}
	}
}
