package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/blogapi/blogapi/controllers"
	"github.com/blogapi/blogapi/internal/apitest"
	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
)

type loginData struct {
	Token        string                   `json:"token"`
	RefreshToken string                   `json:"refreshToken"`
	ExpiresIn    int64                    `json:"expiresIn"`
	User         controllers.UserResponse `json:"user"`
}

func register(t *testing.T, c *apitest.Client, inst *apitest.Instance, account, email, password string) apitest.Reply {
	t.Helper()
	id, answer := c.Captcha(inst)
	return c.Call(http.MethodPost, "/blogapi/reg", map[string]string{
		"account": account, "password": apitest.MD5Hex(password), "email": email, "captcha": answer, "captcha_id": id,
	})
}

func login(t testing.TB, c *apitest.Client, account, password string) loginData {
	t.Helper()
	r := c.Call(http.MethodPost, "/blogapi/login", map[string]string{"account": account, "password": apitest.MD5Hex(password)})
	apitest.Expect(t, r, 200, "login "+account)
	var d loginData
	r.Decode(t, &d)
	if d.Token == "" || d.RefreshToken == "" || d.ExpiresIn != 7200 || d.User.Account == "" {
		t.Fatalf("login data incomplete: %s", r.Data)
	}
	return d
}

func bearer(tok string) http.Header    { return http.Header{"Authorization": {"Bearer " + tok}} }
func accessHdr(tok string) http.Header { return http.Header{"Access-Token": {tok}} }

// TestSPAFlow walks the blog SPA's first screens against one instance.
func TestSPAFlow(t *testing.T) {
	clk := apitest.NewClock()
	db := apitest.NewDB(t, clk)
	inst := apitest.Start(t, apitest.Config(t), db, clk)
	c := apitest.NewClient(t, inst.Srv.URL, clk)

	// check username → available
	r := c.Call(http.MethodGet, "/blogapi/reg/check/username", map[string]string{"account": "test"})
	apitest.Expect(t, r, 200, "check username")
	var avail struct {
		Account   string `json:"account"`
		Available bool   `json:"available"`
	}
	r.Decode(t, &avail)
	if !avail.Available || avail.Account != "test" {
		t.Fatalf("availability %+v", avail)
	}

	// register (captcha answer read from the store)
	r = register(t, c, inst, "test", "468768678@qq.com", "111111")
	apitest.Expect(t, r, 200, "register")
	var u map[string]any
	r.Decode(t, &u)
	for _, k := range []string{"id", "account", "email", "emailVerified", "status", "nick", "created", "type", "level"} {
		if _, ok := u[k]; !ok {
			t.Errorf("register data lacks %q: %s", k, r.Data)
		}
	}
	if u["status"] != "pending" || u["type"] != "client" || u["emailVerified"] != false || u["level"] != float64(0) {
		t.Errorf("register data %s", r.Data)
	}
	if nick, _ := u["nick"].(string); !strings.HasPrefix(nick, "新用户-") || len([]rune(nick)) != 8 {
		t.Errorf("default nick %q", nick)
	}
	if strings.Contains(string(r.Body), "passwordHash") || strings.Contains(string(r.Body), "argon2") {
		t.Fatalf("password hash leaked: %s", r.Body)
	}
	if created, _ := u["created"].(float64); int64(created) != clk.Now().UnixMilli() {
		t.Errorf("created %v, want %d ms", u["created"], clk.Now().UnixMilli())
	}

	// check username → taken, ignoring case
	r = c.Call(http.MethodGet, "/blogapi/reg/check/username", map[string]string{"account": "TEST"})
	apitest.Expect(t, r, 200, "check taken")
	r.Decode(t, &avail)
	if avail.Available {
		t.Fatal("TEST should be taken")
	}

	// login by account and by email (two devices)
	phone := login(t, c, "test", "111111")
	laptop := login(t, c, "468768678@QQ.com", "111111")

	// user centre with either header
	for name, h := range map[string]http.Header{"access-token": accessHdr(phone.Token), "bearer": bearer(phone.Token)} {
		r = c.CallWith(http.MethodGet, "/blogapi/user/center", nil, h)
		apitest.Expect(t, r, 200, "center via "+name)
		var me controllers.UserResponse
		r.Decode(t, &me)
		if me.Account != "test" || me.Email != "468768678@qq.com" || me.LastLoginAt == 0 {
			t.Fatalf("center %s", r.Data)
		}
	}
	r = c.Call(http.MethodGet, "/blogapi/user/center", nil)
	apitest.Expect(t, r, 401, "center without token")

	// renewal rotates; the old refresh token is refused and its reuse ends the session
	clk.Advance(time.Second)
	r = c.Call(http.MethodPost, "/blogapi/service/renewal", map[string]string{"refreshToken": phone.RefreshToken})
	apitest.Expect(t, r, 200, "renewal")
	var renewed loginData
	r.Decode(t, &renewed)
	if renewed.Token == "" || renewed.RefreshToken == phone.RefreshToken {
		t.Fatalf("renewal did not rotate: %s", r.Data)
	}
	apitest.Expect(t, c.CallWith(http.MethodGet, "/blogapi/user/center", nil, accessHdr(renewed.Token)), 200, "center with renewed token")
	r = c.Call(http.MethodPost, "/blogapi/service/renewal", map[string]string{"refreshToken": phone.RefreshToken})
	apitest.Expect(t, r, 401, "reuse of rotated refresh token")
	apitest.Expect(t, c.CallWith(http.MethodGet, "/blogapi/user/center", nil, accessHdr(renewed.Token)), 401, "session ended by reuse")
	r = c.Call(http.MethodPost, "/blogapi/service/renewal", map[string]string{"refreshToken": renewed.RefreshToken})
	apitest.Expect(t, r, 401, "renewal on ended session")

	// logout ends the laptop session only
	other := login(t, c, "test", "111111")
	apitest.Expect(t, c.CallWith(http.MethodPost, "/blogapi/logout", nil, accessHdr(laptop.Token)), 200, "logout")
	apitest.Expect(t, c.CallWith(http.MethodGet, "/blogapi/user/center", nil, accessHdr(laptop.Token)), 401, "token after logout")
	apitest.Expect(t, c.CallWith(http.MethodGet, "/blogapi/user/center", nil, accessHdr(other.Token)), 200, "other device alive")
	r = c.Call(http.MethodPost, "/blogapi/service/renewal", map[string]string{"refreshToken": laptop.RefreshToken})
	apitest.Expect(t, r, 401, "refresh after logout")

	// GET logout with all=true ends every session
	third := login(t, c, "test", "111111")
	apitest.Expect(t, c.CallWith(http.MethodGet, "/blogapi/logout", map[string]string{"all": "true"}, accessHdr(other.Token)), 200, "logout all")
	apitest.Expect(t, c.CallWith(http.MethodGet, "/blogapi/user/center", nil, accessHdr(third.Token)), 401, "all sessions ended")

	// POST logout with a JSON boolean all: true does the same
	fourth, fifth := login(t, c, "test", "111111"), login(t, c, "test", "111111")
	apitest.Expect(t, c.Send(apitest.WithHeader(c.SignedRawJSON(http.MethodPost, "/blogapi/logout", `{"all":true}`), accessHdr(fourth.Token))), 200, "logout all (JSON true)")
	apitest.Expect(t, c.CallWith(http.MethodGet, "/blogapi/user/center", nil, accessHdr(fifth.Token)), 401, "all sessions ended (JSON true)")
}

// TestTwoInstances runs the flow across two routers sharing one database.
func TestTwoInstances(t *testing.T) {
	clk := apitest.NewClock()
	db := apitest.NewDB(t, clk)
	a := apitest.Start(t, apitest.Config(t), db, clk)
	b := apitest.Start(t, apitest.Config(t), dbtest.Reopen(t, db, models.Options{Now: clk.Now}), clk)
	ca, cb := apitest.NewClient(t, a.Srv.URL, clk), apitest.NewClient(t, b.Srv.URL, clk)

	// captcha issued by A, verified by B
	id, answer := ca.Captcha(a)
	r := cb.Call(http.MethodPost, "/blogapi/reg", map[string]string{
		"account": "shared", "password": apitest.MD5Hex("pw"), "email": "shared@example.com", "captcha": answer, "captcha_id": id,
	})
	apitest.Expect(t, r, 200, "register on B with A's captcha")
	// the captcha is spent everywhere
	r = ca.Call(http.MethodPost, "/blogapi/reg", map[string]string{
		"account": "shared2", "password": apitest.MD5Hex("pw"), "email": "shared2@example.com", "captcha": answer, "captcha_id": id,
	})
	apitest.Expect(t, r, 400, "captcha reused on A")

	// login on A, logout on B, refused on A
	s := login(t, ca, "shared", "pw")
	apitest.Expect(t, cb.CallWith(http.MethodGet, "/blogapi/user/center", nil, accessHdr(s.Token)), 200, "A's token on B")
	apitest.Expect(t, cb.CallWith(http.MethodPost, "/blogapi/logout", nil, accessHdr(s.Token)), 200, "logout on B")
	apitest.Expect(t, ca.CallWith(http.MethodGet, "/blogapi/user/center", nil, accessHdr(s.Token)), 401, "ended on A")

	// a signed request replayed on the other instance is refused
	req := ca.SignedRaw(http.MethodPost, "/blogapi/login", "application/json",
		[]byte(`{"account":"shared","password":"`+apitest.MD5Hex("pw")+`"}`),
		map[string]string{"account": "shared", "password": apitest.MD5Hex("pw")})
	apitest.Expect(t, ca.Send(req), 200, "first login")
	replay, _ := http.NewRequest(http.MethodPost, strings.Replace(req.URL.String(), a.Srv.URL, b.Srv.URL, 1),
		strings.NewReader(`{"account":"shared","password":"`+apitest.MD5Hex("pw")+`"}`))
	replay.Header.Set("Content-Type", "application/json")
	apitest.Expect(t, cb.Send(replay), 201, "replay on B")
}

// TestRegisterBadInput: each bad input is a 4xx envelope and stores nothing.
func TestRegisterBadInput(t *testing.T) {
	clk := apitest.NewClock()
	db := apitest.NewDB(t, clk)
	inst := apitest.Start(t, apitest.Config(t), db, clk)
	c := apitest.NewClient(t, inst.Srv.URL, clk)
	apitest.Expect(t, register(t, c, inst, "taken", "taken@example.com", "pw"), 200, "seed user")

	good := func() map[string]string {
		id, answer := c.Captcha(inst)
		return map[string]string{"account": "newbie", "password": apitest.MD5Hex("pw"), "email": "newbie@example.com", "captcha": answer, "captcha_id": id}
	}
	cases := []struct {
		name  string
		edit  func(p map[string]string)
		code  int
		field string
	}{
		{"short account", func(p map[string]string) { p["account"] = "ab" }, 400, "account"},
		{"long account", func(p map[string]string) { p["account"] = strings.Repeat("a", 33) }, 400, "account"},
		{"odd account", func(p map[string]string) { p["account"] = "bad name!" }, 400, "account"},
		{"missing account", func(p map[string]string) { delete(p, "account") }, 400, "account"},
		{"non-md5 password", func(p map[string]string) { p["password"] = "111111" }, 400, "password"},
		{"md5 with non-hex", func(p map[string]string) { p["password"] = strings.Repeat("z", 32) }, 400, "password"},
		{"invalid email", func(p map[string]string) { p["email"] = "not-an-email" }, 400, "email"},
		{"email with name", func(p map[string]string) { p["email"] = "Bob <bob@example.com>" }, 400, "email"},
		{"email no dot", func(p map[string]string) { p["email"] = "bob@localhost" }, 400, "email"},
		{"long email", func(p map[string]string) { p["email"] = strings.Repeat("a", 250) + "@x.io" }, 400, "email"},
		{"long nick", func(p map[string]string) { p["nick"] = strings.Repeat("小", 33) }, 400, "nick"},
		{"duplicate account", func(p map[string]string) { p["account"] = "taken" }, 409, "account"},
		{"duplicate account other case", func(p map[string]string) { p["account"] = "TaKeN" }, 409, "account"},
		{"duplicate email other case", func(p map[string]string) { p["email"] = "TAKEN@example.com" }, 409, "email"},
		{"wrong captcha", func(p map[string]string) { p["captcha"] = "wrong" }, 400, "captcha"},
		{"empty captcha", func(p map[string]string) { p["captcha"] = "" }, 400, "captcha"},
		{"unknown captcha id", func(p map[string]string) { p["captcha_id"] = "made-up" }, 400, "captcha"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := good()
			tc.edit(p)
			r := c.Call(http.MethodPost, "/blogapi/reg", p)
			apitest.Expect(t, r, tc.code, tc.name)
			if len(r.Errors) == 0 || r.Errors[0].Field != tc.field {
				t.Fatalf("errors %+v, want field %q", r.Errors, tc.field)
			}
			assertUsers(t, db, 1)
		})
	}

	t.Run("captcha reused", func(t *testing.T) {
		p := good()
		q := map[string]string{}
		for k, v := range p {
			q[k] = v
		}
		q["account"] = "ab" // fails validation before the captcha is used
		apitest.Expect(t, c.Call(http.MethodPost, "/blogapi/reg", q), 400, "invalid first")
		p["password"] = "x"
		apitest.Expect(t, c.Call(http.MethodPost, "/blogapi/reg", p), 400, "bad password")
		p["password"] = apitest.MD5Hex("pw")
		p["captcha"] = "nope"
		apitest.Expect(t, c.Call(http.MethodPost, "/blogapi/reg", p), 400, "wrong answer consumes")
		p["captcha"] = good()["captcha"]
		r := c.Call(http.MethodPost, "/blogapi/reg", p)
		apitest.Expect(t, r, 400, "captcha reused")
		assertUsers(t, db, 1)
	})

	t.Run("captcha expired", func(t *testing.T) {
		p := good()
		clk.Advance(5*time.Minute + time.Second)
		r := c.Call(http.MethodPost, "/blogapi/reg", p)
		apitest.Expect(t, r, 400, "expired captcha")
		if !strings.Contains(r.Msg, "expired") {
			t.Fatalf("msg %q should say expired", r.Msg)
		}
		assertUsers(t, db, 1)
	})

	t.Run("captcha case-insensitive and id from cookie", func(t *testing.T) {
		p := good()
		p["captcha"] = strings.ToUpper(p["captcha"])
		delete(p, "captcha_id") // the cookie jar sends captcha_id
		p["account"], p["email"] = "cookie", "cookie@example.com"
		apitest.Expect(t, c.Call(http.MethodPost, "/blogapi/reg", p), 200, "upper-case answer, cookie id")
		assertUsers(t, db, 2)
	})

	// Wrong JSON types where strings belong, each with a valid captcha so
	// that only the binding can refuse them.
	pw := `"password":"` + apitest.MD5Hex("pw") + `"`
	typed := []struct{ name, members, field string }{
		{"operator object", `"account":{"$gt":""},"email":"x@example.com",` + pw, "account"},
		{"array", `"account":["a","b"],"email":"x@example.com",` + pw, "account"},
		{"number", `"account":12345,"email":"x@example.com",` + pw, "account"},
		{"operator email", `"account":"opsmith","email":{"$ne":null},` + pw, "email"},
		{"operator password", `"account":"opsmith","email":"x@example.com","password":{"$exists":true}`, "password"},
		{"bool captcha id", `"account":"opsmith","email":"x@example.com",` + pw, ""},
	}
	for _, tc := range typed {
		t.Run(tc.name, func(t *testing.T) {
			id, answer := c.Captcha(inst)
			body := `{` + tc.members + `,"captcha":"` + answer + `","captcha_id":"` + id + `"}`
			if tc.field == "" {
				body = `{` + tc.members + `,"captcha":"` + answer + `","captcha_id":true}`
				tc.field = "captcha_id"
			}
			r := c.Send(c.SignedRawJSON(http.MethodPost, "/blogapi/reg", body))
			apitest.Expect(t, r, 400, tc.name)
			if len(r.Errors) == 0 || r.Errors[0].Field != tc.field || r.Msg != tc.field+" must be a string" {
				t.Fatalf("%s: %s; want a 400 about %q", tc.name, r.Body, tc.field)
			}
			assertUsers(t, db, 2)
		})
	}

	t.Run("mass assignment", func(t *testing.T) {
		id, answer := c.Captcha(inst)
		body := `{"account":"admin1",` + pw + `,"email":"a1@example.com","captcha":"` + answer + `","captcha_id":"` + id +
			`","type":"admin","level":9,"status":"normal","emailVerified":true,"passwordHash":"x","_id":"0123456789abcdef01234567"}`
		r := c.Send(c.SignedRawJSON(http.MethodPost, "/blogapi/reg", body))
		apitest.Expect(t, r, 200, "registration with extra fields")
		var stored models.User
		if err := dbtest.Collection(t, db, models.CollUsers).FindOne(context.Background(), bson.D{{Key: "account", Value: "admin1"}}).Decode(&stored); err != nil {
			t.Fatal(err)
		}
		if stored.Type != models.TypeClient || stored.Level != 0 || stored.Status != models.StatusPending || stored.EmailVerified ||
			stored.PasswordHash == "x" || stored.ID.Hex() == "0123456789abcdef01234567" {
			t.Fatalf("client-set fields were stored: %+v", stored)
		}
	})
}

func assertUsers(t *testing.T, db *models.DB, n int64) {
	t.Helper()
	got, err := dbtest.Collection(t, db, models.CollUsers).CountDocuments(context.Background(), bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	if got != n {
		t.Fatalf("users: %d documents, want %d", got, n)
	}
}
