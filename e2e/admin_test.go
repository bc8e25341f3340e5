package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/blogapi/blogapi/internal/apitest"
	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
)

// End-to-end tests of the admin API (docs/admin.md) through the real
// router.

// makeUser registers account (password "pw-"+account) and sets its type
// and status in the database, as `blogapi admin create` or an admin would.
func (h *harness) makeUser(account, typ string) models.User {
	h.t.Helper()
	h.register(account, account+"@example.com", "pw-"+account)
	res, err := dbtest.Collection(h.t, h.inst.DB, models.CollUsers).UpdateOne(context.Background(),
		bson.D{{Key: "account", Value: account}}, bson.D{{Key: "$set", Value: bson.D{{Key: "type", Value: typ}, {Key: "status", Value: models.StatusNormal}}}})
	if err != nil || res.MatchedCount != 1 {
		h.t.Fatalf("make %s a %s: %v (matched %d)", account, typ, err, res.MatchedCount)
	}
	return h.stored(account)
}

// adminUserData is the part of an admin user answer the tests read.
type adminUserData struct {
	ID, Account, Type, Status, StatusReason, Nick string
	Level                                         int
	DeletedAt                                     int64
}

func (h *harness) as(tok string, method, path string, params map[string]string) apitest.Reply {
	h.t.Helper()
	return h.c.CallWith(method, path, params, accessHdr(tok))
}

// TestAdminAccess: every admin route answers an admin, refuses an author
// and a client with 403 and an anonymous caller with 401, always with
// Cache-Control: private, no-store.
func TestAdminAccess(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.makeUser("root", models.TypeAdmin)
	h.makeUser("root2", models.TypeAdmin)
	h.makeUser("writer", models.TypeAuthor)
	target := h.makeUser("carl", models.TypeClient)
	h.makeUser("dave", models.TypeClient)
	tokens := map[string]string{
		"admin":  login(t, h.c, "root", "pw-root").Token,
		"author": login(t, h.c, "writer", "pw-writer").Token,
		"client": login(t, h.c, "dave", "pw-dave").Token,
	}
	id := target.ID.Hex()
	routes := []struct {
		method, path string
		params       map[string]string
	}{
		{http.MethodGet, "/blogapi/admin/users", map[string]string{"type": "client", "sort": "lastLogin", "order": "asc"}},
		{http.MethodGet, "/blogapi/admin/users/" + id, nil},
		{http.MethodPut, "/blogapi/admin/users/" + id + "/status", map[string]string{"status": "normal", "reason": "checked"}},
		{http.MethodPut, "/blogapi/admin/users/" + id + "/level", map[string]string{"level": "3"}},
		{http.MethodPut, "/blogapi/admin/users/" + id + "/type", map[string]string{"type": "author", "password": apitest.MD5Hex("pw-root")}},
		{http.MethodDelete, "/blogapi/admin/users/" + id + "/sessions", nil},
		{http.MethodGet, "/blogapi/admin/audit", map[string]string{"action": "user.level"}},
		{http.MethodGet, "/blogapi/admin/dashboard", nil},
		{http.MethodPost, "/blogapi/admin/users/" + id + "/delete", map[string]string{"password": apitest.MD5Hex("pw-root")}},
	}
	for _, rt := range routes {
		for _, who := range []string{"anonymous", "client", "author", "admin"} {
			var r apitest.Reply
			if who == "anonymous" {
				r = h.c.Call(rt.method, rt.path, rt.params)
			} else {
				r = h.as(tokens[who], rt.method, rt.path, rt.params)
			}
			want := map[string]int{"anonymous": 401, "client": 403, "author": 403, "admin": 200}[who]
			apitest.Expect(t, r, want, who+" "+rt.method+" "+rt.path)
			if cc := r.Header.Get("Cache-Control"); cc != "private, no-store" {
				t.Errorf("%s %s as %s: Cache-Control %q", rt.method, rt.path, who, cc)
			}
		}
	}
}

// TestAdminDemotionTakesEffectAtOnce: a demoted admin, and a frozen one,
// lose access on their next request, on a second instance over the same
// database too; the frozen one's sessions end.
func TestAdminDemotionTakesEffectAtOnce(t *testing.T) {
	h := newHarness(t, nil, nil)
	root := h.makeUser("root", models.TypeAdmin)
	bob := h.makeUser("bob", models.TypeAdmin)
	eve := h.makeUser("eve", models.TypeAdmin)
	other := apitest.Start(t, h.cfg, dbtest.Reopen(t, h.inst.DB, models.Options{Now: h.clk.Now}), h.clk)
	oc := apitest.NewClient(t, other.Srv.URL, h.clk)
	rootTok := login(t, h.c, "root", "pw-root").Token
	bobTok := login(t, oc, "bob", "pw-bob").Token
	eveTok := login(t, oc, "eve", "pw-eve").Token
	for _, tok := range []string{bobTok, eveTok} {
		apitest.Expect(t, oc.CallWith(http.MethodGet, "/blogapi/admin/users", nil, accessHdr(tok)), 200, "admin before")
	}
	r := h.as(rootTok, http.MethodPut, "/blogapi/admin/users/"+bob.ID.Hex()+"/type",
		map[string]string{"type": "client", "password": apitest.MD5Hex("pw-root")})
	apitest.Expect(t, r, 200, "demote bob")
	apitest.Expect(t, oc.CallWith(http.MethodGet, "/blogapi/admin/users", nil, accessHdr(bobTok)), 403, "demoted bob on the other instance")
	apitest.Expect(t, oc.CallWith(http.MethodGet, "/blogapi/user/center", nil, accessHdr(bobTok)), 200, "demoted bob is still a user")

	r = h.as(rootTok, http.MethodPut, "/blogapi/admin/users/"+eve.ID.Hex()+"/status",
		map[string]string{"status": "freeze", "reason": "compromised"})
	apitest.Expect(t, r, 200, "freeze eve")
	var u adminUserData
	r.Decode(t, &u)
	if u.Status != models.StatusFreeze || u.StatusReason != "compromised" {
		t.Fatalf("frozen eve: %+v", u)
	}
	if r := oc.CallWith(http.MethodGet, "/blogapi/admin/users", nil, accessHdr(eveTok)); r.Code != 401 && r.Code != 403 {
		t.Fatalf("frozen eve on the other instance: %d %s", r.Code, r.Msg)
	}
	// The frozen user reads the reason on login.
	if r := h.loginReply("eve", "pw-eve", false); r.Code != 403 || r.Msg != "account is frozen: compromised" {
		t.Fatalf("frozen eve's login: %d %q", r.Code, r.Msg)
	}
	if r := login(t, h.c, "root", "pw-root"); r.Token == "" || r.User.ID != root.ID.Hex() {
		t.Fatal("root cannot log in")
	}
}

// TestAdminLastAdmin: two admins demoting each other at once through two
// instances: one succeeds, the other gets 409, one admin is left; the
// last one cannot freeze or delete themselves either.
func TestAdminLastAdmin(t *testing.T) {
	h := newHarness(t, nil, nil)
	a := h.makeUser("alice", models.TypeAdmin)
	b := h.makeUser("bob", models.TypeAdmin)
	other := apitest.Start(t, h.cfg, dbtest.Reopen(t, h.inst.DB, models.Options{Now: h.clk.Now}), h.clk)
	oc := apitest.NewClient(t, other.Srv.URL, h.clk)
	aTok, bTok := login(t, h.c, "alice", "pw-alice").Token, login(t, oc, "bob", "pw-bob").Token
	var wg sync.WaitGroup
	var ra, rb apitest.Reply
	ac, bc := apitest.NewClient(t, h.inst.Srv.URL, h.clk), apitest.NewClient(t, other.Srv.URL, h.clk)
	wg.Go(func() {
		ra = ac.CallWith(http.MethodPut, "/blogapi/admin/users/"+b.ID.Hex()+"/type",
			map[string]string{"type": "client", "password": apitest.MD5Hex("pw-alice")}, accessHdr(aTok))
	})
	wg.Go(func() {
		rb = bc.CallWith(http.MethodPut, "/blogapi/admin/users/"+a.ID.Hex()+"/type",
			map[string]string{"type": "author", "password": apitest.MD5Hex("pw-bob")}, accessHdr(bTok))
	})
	wg.Wait()
	codes := map[int]int{ra.Code: 1}
	codes[rb.Code]++
	// The loser may also be refused as no longer an admin (403), when the
	// winner finished before its request was authorised.
	if codes[200] != 1 || codes[409]+codes[403] != 1 {
		t.Fatalf("concurrent demotions: %d %q and %d %q; want one 200 and one 409", ra.Code, ra.Msg, rb.Code, rb.Msg)
	}
	winner, winnerID := aTok, a.ID.Hex()
	if rb.Code == 200 {
		winner, winnerID = bTok, b.ID.Hex()
	}
	for _, tc := range []struct {
		method, path string
		params       map[string]string
	}{
		{http.MethodPut, "/type", map[string]string{"type": "client", "password": apitest.MD5Hex("pw-alice")}},
		{http.MethodPut, "/status", map[string]string{"status": "freeze", "reason": "x"}},
	} {
		params := tc.params
		if winnerID == b.ID.Hex() && params["password"] != "" {
			params = map[string]string{"type": "client", "password": apitest.MD5Hex("pw-bob")}
		}
		r := h.as(winner, tc.method, "/blogapi/admin/users/"+winnerID+tc.path, params)
		apitest.Expect(t, r, 409, "last admin "+tc.path)
	}
}

// TestAdminPasswordAndAudit: a sensitive action with a wrong password is
// a 401 naming `password` and changes nothing; every applied action leaves
// exactly one audit entry, listable with filters.
func TestAdminPasswordAndAudit(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.makeUser("root", models.TypeAdmin)
	carl := h.makeUser("carl", models.TypeClient)
	tok := login(t, h.c, "root", "pw-root").Token
	carlTok := login(t, h.c, "carl", "pw-carl").Token
	id := carl.ID.Hex()
	r := h.as(tok, http.MethodPut, "/blogapi/admin/users/"+id+"/type", map[string]string{"type": "author", "password": apitest.MD5Hex("nope")})
	apitest.Expect(t, r, 401, "wrong password")
	if len(r.Errors) != 1 || r.Errors[0].Field != "password" {
		t.Fatalf("wrong password errors: %+v", r.Errors)
	}
	apitest.Expect(t, h.as(tok, http.MethodPut, "/blogapi/admin/users/"+id+"/status", map[string]string{"status": "banned"}), 400, "unknown status")
	apitest.Expect(t, h.as(tok, http.MethodGet, "/blogapi/admin/users", map[string]string{"status": "x"}), 400, "unknown status filter")
	apitest.Expect(t, h.as(tok, http.MethodGet, "/blogapi/admin/users/0123456789abcdef01234567", nil), 404, "missing user")
	steps := []struct {
		method, path string
		params       map[string]string
	}{
		{http.MethodPut, "/level", map[string]string{"level": "7"}},
		{http.MethodPut, "/type", map[string]string{"type": "author", "password": apitest.MD5Hex("pw-root")}},
		{http.MethodPut, "/status", map[string]string{"status": "reject", "reason": "fake profile"}},
		{http.MethodDelete, "/sessions", nil},
		{http.MethodPost, "/delete", map[string]string{"password": apitest.MD5Hex("pw-root")}},
	}
	for _, s := range steps {
		apitest.Expect(t, h.as(tok, s.method, "/blogapi/admin/users/"+id+s.path, s.params), 200, s.path)
	}
	// The rejected user's session ended with the status change.
	if r := h.center(carlTok); r.Code != 401 && r.Code != 403 {
		t.Fatalf("rejected user's token: %d %s", r.Code, r.Msg)
	}
	r = h.as(tok, http.MethodGet, "/blogapi/admin/audit", map[string]string{"target": id})
	apitest.Expect(t, r, 200, "audit")
	var page struct {
		Items []struct {
			Action, Who, WhoAccount, Reason, RequestID, IP string
			Before, After                                  map[string]any
		}
		Total int
	}
	r.Decode(t, &page)
	want := []string{"user.delete", "user.sessions.end", "user.status", "user.type", "user.level"}
	if page.Total != len(want) {
		t.Fatalf("%d audit entries, want %d: %+v", page.Total, len(want), page.Items)
	}
	for i, e := range page.Items {
		if e.Action != want[i] || e.WhoAccount != "root" || e.RequestID == "" || e.IP == "" {
			t.Errorf("entry %d: %+v, want action %s by root", i, e, want[i])
		}
	}
	if st := page.Items[2]; st.Before["status"] != "normal" || st.After["status"] != "reject" || st.Reason != "fake profile" {
		t.Errorf("status entry: %+v", st)
	}
	var u adminUserData
	r = h.as(tok, http.MethodGet, "/blogapi/admin/users/"+id, nil)
	apitest.Expect(t, r, 200, "detail")
	var d struct {
		User     adminUserData
		Sessions []struct{ Alive bool }
	}
	r.Decode(t, &d)
	u = d.User
	if u.Level != 7 || u.Type != models.TypeAuthor || u.DeletedAt == 0 || len(d.Sessions) == 0 || d.Sessions[0].Alive {
		t.Fatalf("detail after the steps: %+v", d)
	}
	apitest.Expect(t, h.loginReply("carl", "pw-carl", false), 401, "deleted user's login")

	// Two logins today (root, carl) and two registrations.
	r = h.as(tok, http.MethodGet, "/blogapi/admin/dashboard", nil)
	apitest.Expect(t, r, 200, "dashboard")
	var dash struct {
		Users struct {
			Total, Deleted int
			ByType         map[string]int
		}
		Days []struct {
			Day                   string
			Registrations, Logins int
		}
	}
	r.Decode(t, &dash)
	today := dash.Days[len(dash.Days)-1]
	if dash.Users.Total != 2 || dash.Users.Deleted != 1 || dash.Users.ByType["admin"] != 1 ||
		today.Day != h.clk.Now().UTC().Format(time.DateOnly) || today.Logins != 2 || today.Registrations != 2 {
		t.Fatalf("dashboard: %+v", dash)
	}
}

// TestAdminModeratesComments: an admin approves a held comment and hides
// it again through the admin API; the public thread follows; a client is
// refused; unknown ids and states are answered; each moderation leaves
// one audit entry.
func TestAdminModeratesComments(t *testing.T) {
	e := newBlogEnv(t)
	boss, _ := e.user("boss", models.TypeAdmin)
	if _, err := dbtest.Collection(t, e.inst.DB, models.CollUsers).UpdateOne(context.Background(),
		bson.D{{Key: "account", Value: "boss"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: models.StatusNormal}}}}); err != nil {
		t.Fatal(err)
	}
	reader, _ := e.user("reader", models.TypeClient)
	r := e.json(http.MethodPost, "/blogapi/article/section", articleJSON("Moderated", "online"), boss)
	apitest.Expect(t, r, 200, "publish")
	article := data(t, r)["id"].(string)
	r = e.json(http.MethodPost, "/blogapi/action/"+article+"/comment", `{"replyUser":"","targetId":"","content":"First!"}`, reader)
	apitest.Expect(t, r, 200, "comment")
	comment := data(t, r)["id"].(string)
	if data(t, r)["state"] != "held" {
		t.Fatalf("a client's first comment is held: %s", r.Data)
	}
	visible := func() int {
		r := e.get("/blogapi/action/"+article+"/comments", nil, "")
		apitest.Expect(t, r, 200, "comments")
		var list []any
		r.Decode(t, &list)
		return len(list)
	}
	path := "/blogapi/admin/articles/" + article + "/comments/" + comment + "/state"
	apitest.Expect(t, e.json(http.MethodPut, path, `{"state":"visible"}`, reader), 403, "a client moderates")
	for _, step := range []struct {
		state string
		shown int
	}{{"visible", 1}, {"hidden", 0}} {
		r := e.json(http.MethodPut, path, fmt.Sprintf(`{"state":%q}`, step.state), boss)
		apitest.Expect(t, r, 200, "moderate "+step.state)
		if r.Header.Get("Cache-Control") != "private, no-store" {
			t.Errorf("Cache-Control %q", r.Header.Get("Cache-Control"))
		}
		if n := visible(); n != step.shown {
			t.Fatalf("after %s: %d comments shown, want %d", step.state, n, step.shown)
		}
	}
	apitest.Expect(t, e.json(http.MethodPut, path, `{"state":"bogus"}`, boss), 400, "unknown state")
	apitest.Expect(t, e.json(http.MethodPut, "/blogapi/admin/articles/"+article+"/comments/nope/state", `{"state":"visible"}`, boss), 404, "unknown comment")
	r = e.get("/blogapi/admin/audit", map[string]string{"action": "comment.state"}, boss)
	apitest.Expect(t, r, 200, "audit")
	var p struct {
		Total int
		Items []struct{ Target, WhoAccount string }
	}
	r.Decode(t, &p)
	if p.Total != 2 || p.Items[0].Target != article+"/"+comment || p.Items[0].WhoAccount != "boss" {
		t.Fatalf("audit: %+v", p)
	}
	// The reader was approved (moderation first): their next comment shows;
	// a newcomer's is held.
	r = e.json(http.MethodPost, "/blogapi/action/"+article+"/comment", `{"replyUser":"","targetId":"","content":"Second!"}`, reader)
	apitest.Expect(t, r, 200, "second comment")
	newbie, _ := e.user("newbie", models.TypeClient)
	r = e.json(http.MethodPost, "/blogapi/action/"+article+"/comment", `{"replyUser":"","targetId":"","content":"Hello"}`, newbie)
	apitest.Expect(t, r, 200, "newcomer's comment")
	r = e.get("/blogapi/admin/dashboard", nil, boss)
	apitest.Expect(t, r, 200, "dashboard")
	var dash struct {
		Articles struct {
			Total    int64
			ByStatus map[string]int64
		}
		Comments struct {
			Total, Pending int64
			ByState        map[string]int64
		}
	}
	r.Decode(t, &dash)
	if dash.Articles.Total != 1 || dash.Articles.ByStatus["online"] != 1 || dash.Comments.Total != 3 || dash.Comments.ByState["visible"] != 1 ||
		dash.Comments.ByState["hidden"] != 1 || dash.Comments.ByState["held"] != 1 || dash.Comments.Pending != 1 {
		t.Fatalf("dashboard content figures: %+v", dash)
	}
}

// TestAdminArticles: the admin lists every article whatever its status
// (filters, the blog's page object), deletes, restores and drafts one, sets
// its toped and hotted marks; the public list follows; a client is
// refused (403), anonymous callers get 401; each change leaves one audit
// entry, a change to the same value none.
func TestAdminArticles(t *testing.T) {
	e := newBlogEnv(t)
	boss, _ := e.user("boss", models.TypeAdmin)
	if _, err := dbtest.Collection(t, e.inst.DB, models.CollUsers).UpdateOne(context.Background(),
		bson.D{{Key: "account", Value: "boss"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: models.StatusNormal}}}}); err != nil {
		t.Fatal(err)
	}
	writer, writerID := e.user("writer", models.TypeAuthor)
	reader, _ := e.user("reader", models.TypeClient)
	r := e.json(http.MethodPost, "/blogapi/article/section", articleJSON("Public one", "online"), writer)
	apitest.Expect(t, r, 200, "publish")
	online := data(t, r)["id"].(string)
	r = e.json(http.MethodPost, "/blogapi/article/section", articleJSON("Draft one", "draft"), writer)
	apitest.Expect(t, r, 200, "draft")
	draft := data(t, r)["id"].(string)

	type page struct {
		Total, PageSize, CurrentPage int
		Items                        []struct {
			ID, Status    string
			Toped, Hotted bool
		}
	}
	list := func(params map[string]string) page {
		t.Helper()
		r := e.get("/blogapi/admin/articles", params, boss)
		apitest.Expect(t, r, 200, "admin list")
		if r.Header.Get("Cache-Control") != "private, no-store" {
			t.Errorf("Cache-Control %q", r.Header.Get("Cache-Control"))
		}
		var p page
		r.Decode(t, &p)
		return p
	}
	publicTotal := func() int {
		t.Helper()
		r := e.get("/blogapi/articles", nil, "")
		apitest.Expect(t, r, 200, "public list")
		var p page
		r.Decode(t, &p)
		return p.Total
	}
	if p := list(nil); p.Total != 2 || p.PageSize != 15 || p.CurrentPage != 1 {
		t.Fatalf("all articles: %+v", p)
	}
	if p := list(map[string]string{"status": "draft", "author": writerID}); p.Total != 1 || p.Items[0].ID != draft {
		t.Fatalf("drafts of the writer: %+v", p)
	}
	if p := list(map[string]string{"q": "public", "category": models.DefaultCategory}); p.Total != 1 || p.Items[0].ID != online {
		t.Fatalf("q: %+v", p)
	}
	if p := list(map[string]string{"tag": "go", "from": "1", "to": "99999999999999"}); p.Total != 2 {
		t.Fatalf("tag and dates: %+v", p)
	}
	if p := list(map[string]string{"tag": "rust"}); p.Total != 0 {
		t.Fatalf("unknown tag: %+v", p)
	}
	apitest.Expect(t, e.get("/blogapi/admin/articles", map[string]string{"from": "soon"}, boss), 400, "from not a number")
	apitest.Expect(t, e.get("/blogapi/admin/articles", map[string]string{"status": "gone"}, boss), 400, "unknown status filter")
	if p := list(map[string]string{"pageSize": "500"}); p.PageSize != 100 {
		t.Fatalf("pageSize 500 answered %d", p.PageSize)
	}
	apitest.Expect(t, e.get("/blogapi/admin/articles", map[string]string{"page": "x"}, boss), 400, "page not a number")
	apitest.Expect(t, e.get("/blogapi/admin/articles", nil, reader), 403, "a client lists")
	apitest.Expect(t, e.get("/blogapi/admin/articles", nil, ""), 401, "anonymous lists")

	status := "/blogapi/admin/articles/" + online + "/status"
	apitest.Expect(t, e.json(http.MethodPut, status, `{"status":"delete"}`, reader), 403, "a client deletes")
	apitest.Expect(t, e.json(http.MethodPut, status, `{"status":"delete"}`, ""), 401, "anonymous deletes")
	apitest.Expect(t, e.json(http.MethodPut, status, `{"status":"gone"}`, boss), 400, "unknown status")
	apitest.Expect(t, e.json(http.MethodPut, "/blogapi/admin/articles/0123456789abcdef01234567/status", `{"status":"delete"}`, boss), 404, "unknown article")
	for _, step := range []struct {
		status string
		public int
	}{{"delete", 0}, {"delete", 0}, {"online", 1}, {"draft", 0}, {"online", 1}} {
		r := e.json(http.MethodPut, status, fmt.Sprintf(`{"status":%q}`, step.status), boss)
		apitest.Expect(t, r, 200, "status "+step.status)
		if data(t, r)["status"] != step.status {
			t.Fatalf("status %s answered %s", step.status, r.Data)
		}
		if n := publicTotal(); n != step.public {
			t.Fatalf("after %s: %d public articles, want %d", step.status, n, step.public)
		}
	}
	if p := list(map[string]string{"status": "delete"}); p.Total != 0 {
		t.Fatalf("restored article still listed as deleted: %+v", p)
	}

	flags := "/blogapi/admin/articles/" + online + "/flags"
	apitest.Expect(t, e.json(http.MethodPut, flags, `{"toped":"true"}`, reader), 403, "a client marks")
	apitest.Expect(t, e.json(http.MethodPut, flags, `{"toped":"true"}`, ""), 401, "anonymous marks")
	apitest.Expect(t, e.json(http.MethodPut, flags, `{}`, boss), 400, "no flag")
	apitest.Expect(t, e.json(http.MethodPut, flags, `{"toped":"maybe"}`, boss), 400, "bad flag")
	r = e.json(http.MethodPut, flags, `{"toped":"true","hotted":"true"}`, boss)
	apitest.Expect(t, r, 200, "mark")
	if d := data(t, r); d["toped"] != true || d["hotted"] != true {
		t.Fatalf("marks: %s", r.Data)
	}
	apitest.Expect(t, e.json(http.MethodPut, flags, `{"toped":"true"}`, boss), 200, "same mark again")
	if p := list(map[string]string{"status": "online"}); p.Total != 1 || !p.Items[0].Toped || !p.Items[0].Hotted {
		t.Fatalf("marked article: %+v", p)
	}

	audit := func(action string) int {
		t.Helper()
		r := e.get("/blogapi/admin/audit", map[string]string{"action": action, "target": online}, boss)
		apitest.Expect(t, r, 200, "audit")
		var p struct{ Total int }
		r.Decode(t, &p)
		return p.Total
	}
	if n := audit("article.status"); n != 4 {
		t.Fatalf("%d article.status entries, want 4 (the repeated delete changes nothing)", n)
	}
	if n := audit("article.flags"); n != 1 {
		t.Fatalf("%d article.flags entries, want 1", n)
	}
}

// TestAdminBanners: the admin creates, edits, disables and deletes banners;
// the public GET /blogapi/banner shows the enabled ones in `index` order;
// a client is refused (403), anonymous callers get 401; each change leaves
// one audit entry.
func TestAdminBanners(t *testing.T) {
	e := newBlogEnv(t)
	boss, _ := e.user("boss", models.TypeAdmin)
	if _, err := dbtest.Collection(t, e.inst.DB, models.CollUsers).UpdateOne(context.Background(),
		bson.D{{Key: "account", Value: "boss"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: models.StatusNormal}}}}); err != nil {
		t.Fatal(err)
	}
	reader, _ := e.user("reader", models.TypeClient)
	public := func() []string {
		t.Helper()
		r := e.get("/blogapi/banner", nil, "")
		apitest.Expect(t, r, 200, "public banners")
		var bs []struct{ Title, Cover, GoURL string }
		r.Decode(t, &bs)
		out := []string{}
		for _, b := range bs {
			out = append(out, b.Title)
		}
		return out
	}
	if got := public(); len(got) != 0 {
		t.Fatalf("fresh install shows banners: %v", got)
	}
	body := `{"cover":"https://img.example/b.png","goUrl":"https://example.com/a","title":"Second","summary":"s","index":"2"}`
	apitest.Expect(t, e.json(http.MethodPost, "/blogapi/admin/banners", body, reader), 403, "a client creates")
	apitest.Expect(t, e.json(http.MethodPost, "/blogapi/admin/banners", body, ""), 401, "anonymous creates")
	apitest.Expect(t, e.json(http.MethodPost, "/blogapi/admin/banners", `{"title":"no cover"}`, boss), 400, "no cover")
	apitest.Expect(t, e.json(http.MethodPost, "/blogapi/admin/banners", `{"cover":"javascript:alert(1)"}`, boss), 400, "bad cover")
	r := e.json(http.MethodPost, "/blogapi/admin/banners", body, boss)
	apitest.Expect(t, r, 200, "create")
	second := data(t, r)["id"].(string)
	r = e.json(http.MethodPost, "/blogapi/admin/banners", `{"cover":"/media/x/first.png","title":"First","index":"1"}`, boss)
	apitest.Expect(t, r, 200, "create first")
	first := data(t, r)["id"].(string)
	if got := public(); len(got) != 2 || got[0] != "First" || got[1] != "Second" {
		t.Fatalf("public order: %v", got)
	}
	apitest.Expect(t, e.json(http.MethodPut, "/blogapi/admin/banners/"+first, `{"enabled":"false"}`, reader), 403, "a client edits")
	apitest.Expect(t, e.json(http.MethodPut, "/blogapi/admin/banners/"+first, `{"index":"x"}`, boss), 400, "bad index")
	apitest.Expect(t, e.json(http.MethodPut, "/blogapi/admin/banners/nope", `{"title":"x"}`, boss), 404, "unknown banner")
	r = e.json(http.MethodPut, "/blogapi/admin/banners/"+first, `{"index":"5"}`, boss)
	apitest.Expect(t, r, 200, "reorder")
	if got := public(); len(got) != 2 || got[0] != "Second" {
		t.Fatalf("after reorder: %v", got)
	}
	apitest.Expect(t, e.json(http.MethodPut, "/blogapi/admin/banners/"+second, `{"enabled":"false"}`, boss), 200, "disable")
	apitest.Expect(t, e.json(http.MethodPut, "/blogapi/admin/banners/"+second, `{"enabled":"false"}`, boss), 200, "disable again")
	if got := public(); len(got) != 1 || got[0] != "First" {
		t.Fatalf("after disable: %v", got)
	}
	r = e.get("/blogapi/admin/banners", nil, boss)
	apitest.Expect(t, r, 200, "admin list")
	if r.Header.Get("Cache-Control") != "private, no-store" {
		t.Errorf("Cache-Control %q", r.Header.Get("Cache-Control"))
	}
	var all []struct {
		ID      string
		Enabled bool
	}
	r.Decode(t, &all)
	if len(all) != 2 || all[0].ID != second || all[0].Enabled {
		t.Fatalf("admin list: %+v", all)
	}
	apitest.Expect(t, e.get("/blogapi/admin/banners", nil, reader), 403, "a client lists")
	apitest.Expect(t, e.get("/blogapi/admin/banners", nil, ""), 401, "anonymous lists")
	apitest.Expect(t, e.json(http.MethodDelete, "/blogapi/admin/banners/"+first, `{}`, reader), 403, "a client deletes")
	apitest.Expect(t, e.json(http.MethodDelete, "/blogapi/admin/banners/"+first, `{}`, boss), 200, "delete")
	apitest.Expect(t, e.json(http.MethodDelete, "/blogapi/admin/banners/"+first, `{}`, boss), 404, "delete again")
	if got := public(); len(got) != 0 {
		t.Fatalf("after delete: %v", got)
	}
	for action, want := range map[string]int{"banner.create": 2, "banner.edit": 2, "banner.delete": 1} {
		r := e.get("/blogapi/admin/audit", map[string]string{"action": action}, boss)
		apitest.Expect(t, r, 200, "audit")
		var p struct{ Total int }
		r.Decode(t, &p)
		if p.Total != want {
			t.Errorf("%s: %d entries, want %d", action, p.Total, want)
		}
	}
}
