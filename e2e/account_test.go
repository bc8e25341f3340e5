package e2e

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/blogapi/blogapi/config"
	"github.com/blogapi/blogapi/controllers"
	"github.com/blogapi/blogapi/internal/apitest"
	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
	"github.com/blogapi/blogapi/services/account"
	"github.com/blogapi/blogapi/services/mail"
)

// End-to-end tests (account lifecycle) through the real router,
// with the development mailer: links are read from the outbox collection.

const (
	testPublicURL = "https://blog.example.test"
	verifyPath    = "/blogapi/email/verify"
	resetPath     = "/blogapi/password/reset/check"

	subjVerify          = "Confirm your email address"
	subjEmailChanged    = "The email address of your account was changed"
	subjReset           = "Reset your password"
	subjPasswordChanged = "Your password was changed"
)

// harness is one instance with its clock, configuration and a client.
type harness struct {
	t    *testing.T
	clk  *apitest.Clock
	cfg  config.Config
	inst *apitest.Instance
	c    *apitest.Client
}

// newHarness starts an instance on a fresh database with apitest.Config,
// server.public_url = testPublicURL, then edit (may be nil). clk nil means
// apitest.NewClock().
func newHarness(t *testing.T, clk *apitest.Clock, edit func(*config.Config)) *harness {
	t.Helper()
	if clk == nil {
		clk = apitest.NewClock()
	}
	cfg := apitest.Config(t)
	cfg.Server.PublicURL = testPublicURL
	if edit != nil {
		edit(&cfg)
	}
	inst := apitest.Start(t, cfg, apitest.NewDB(t, clk), clk)
	return &harness{t: t, clk: clk, cfg: cfg, inst: inst, c: apitest.NewClient(t, inst.Srv.URL, clk)}
}

// register registers account and returns the new user (200 expected).
func (h *harness) register(account, email, password string) controllers.UserResponse {
	h.t.Helper()
	r := register(h.t, h.c, h.inst, account, email, password)
	apitest.Expect(h.t, r, 200, "register "+account)
	var u controllers.UserResponse
	r.Decode(h.t, &u)
	return u
}

// loginReply logs in with md5(password); withCaptcha adds a fresh, right
// captcha.
func (h *harness) loginReply(account, password string, withCaptcha bool) apitest.Reply {
	h.t.Helper()
	p := map[string]string{"account": account, "password": apitest.MD5Hex(password)}
	if withCaptcha {
		p["captcha_id"], p["captcha"] = h.c.Captcha(h.inst)
	}
	return h.c.Call(http.MethodPost, "/blogapi/login", p)
}

// me is GET /blogapi/user/center with tok (200 expected).
func (h *harness) me(tok string) controllers.UserResponse {
	h.t.Helper()
	r := h.c.CallWith(http.MethodGet, "/blogapi/user/center", nil, accessHdr(tok))
	apitest.Expect(h.t, r, 200, "user center")
	var u controllers.UserResponse
	r.Decode(h.t, &u)
	return u
}

// center is GET /blogapi/user/center with tok, any answer.
func (h *harness) center(tok string) apitest.Reply {
	h.t.Helper()
	return h.c.CallWith(http.MethodGet, "/blogapi/user/center", nil, accessHdr(tok))
}

// stored reads the user document straight from the database.
func (h *harness) stored(account string) models.User {
	h.t.Helper()
	var u models.User
	if err := dbtest.Collection(h.t, h.inst.DB, models.CollUsers).FindOne(context.Background(), bson.D{{Key: "account", Value: account}}).Decode(&u); err != nil {
		h.t.Fatalf("user %s: %v", account, err)
	}
	return u
}

// setStatus changes a user's status directly in the database, as an admin
// tool would.
func (h *harness) setStatus(account, status string) {
	h.t.Helper()
	res, err := dbtest.Collection(h.t, h.inst.DB, models.CollUsers).UpdateOne(context.Background(),
		bson.D{{Key: "account", Value: account}}, bson.D{{Key: "$set", Value: bson.D{{Key: "status", Value: status}}}})
	if err != nil || res.MatchedCount != 1 {
		h.t.Fatalf("set status of %s: %v (matched %d)", account, err, res.MatchedCount)
	}
}

// mails waits for the mail queue, then lists what was sent to addr,
// newest first.
func (h *harness) mails(addr string) []models.OutboxMessage {
	h.t.Helper()
	h.inst.App.Mail.Wait()
	msgs, err := h.inst.DB.Outbox.List(context.Background(), addr, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	return msgs
}

// latest is the newest mail to addr, which must have subject.
func (h *harness) latest(addr, subject string) models.OutboxMessage {
	h.t.Helper()
	msgs := h.mails(addr)
	if len(msgs) == 0 {
		h.t.Fatalf("no mail to %s", addr)
	}
	if msgs[0].Subject != subject {
		h.t.Fatalf("latest mail to %s is %q, want %q", addr, msgs[0].Subject, subject)
	}
	return msgs[0]
}

// linkToken checks that both parts of m carry the link to path, built from
// server.public_url (never from the test server's host), and returns its
// token.
func (h *harness) linkToken(m models.OutboxMessage, path string) string {
	h.t.Helper()
	prefix := h.cfg.Server.PublicURL + path + "?token="
	if m.Text == "" || m.HTML == "" {
		h.t.Fatalf("mail %q lacks a part: text %d bytes, html %d bytes", m.Subject, len(m.Text), len(m.HTML))
	}
	for part, body := range map[string]string{"text": m.Text, "html": m.HTML} {
		if !strings.Contains(body, prefix) {
			h.t.Fatalf("%s part of %q has no link starting %s:\n%s", part, m.Subject, prefix, body)
		}
		if srvHost := strings.TrimPrefix(h.inst.Srv.URL, "http://"); strings.Contains(body, srvHost) {
			h.t.Fatalf("%s part of %q links to the request host %s", part, m.Subject, srvHost)
		}
	}
	tok, ok := mail.LinkToken(m.Text, path)
	htmlTok, htmlOK := mail.LinkToken(m.HTML, path)
	if !ok || !htmlOK || tok != htmlTok || len(tok) != 43 {
		h.t.Fatalf("link tokens: text %q (%v), html %q (%v)", tok, ok, htmlTok, htmlOK)
	}
	return tok
}

// openLink follows a mail link: an unsigned GET, as a mail client does.
func (h *harness) openLink(path, token string) apitest.Reply {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.inst.Srv.URL+path+"?token="+url.QueryEscape(token), nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.c.Send(req)
}

// retryAfter is the Retry-After header of r as integer seconds ≥ 1.
func retryAfter(t *testing.T, r apitest.Reply) int {
	t.Helper()
	v := r.Header.Get("Retry-After")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("Retry-After %q is not a positive integer (code %d)", v, r.Code)
	}
	return n
}

// TestEmailVerification: the registration mail, verifying, reuse, junk and
// expired tokens, resend and its rate limit.
func TestEmailVerification(t *testing.T) {
	h := newHarness(t, nil, func(c *config.Config) { c.RateLimit.VerifyResend = config.Rate{Count: 2, Period: time.Hour} })

	u := h.register("vera", "vera@example.com", "pw-vera")
	if u.Status != models.StatusPending || u.EmailVerified {
		t.Fatalf("new user: status %q verified %v", u.Status, u.EmailVerified)
	}
	msgs := h.mails("vera@example.com")
	if len(msgs) != 1 || msgs[0].To != "vera@example.com" || msgs[0].Subject != subjVerify {
		t.Fatalf("registration mail: %+v", msgs)
	}
	tok := h.linkToken(msgs[0], verifyPath)

	for _, bad := range []string{"", "garbage", strings.Repeat("A", 43), tok[:42], tok + "A", strings.Repeat("%", 43)} {
		r := h.openLink(verifyPath, bad)
		apitest.Expect(t, r, 400, "verify with junk token "+bad)
	}
	if got := h.stored("vera"); got.EmailVerified || got.Status != models.StatusPending {
		t.Fatalf("junk tokens changed the user: %+v", got)
	}

	r := h.openLink(verifyPath, tok)
	apitest.Expect(t, r, 200, "verify")
	var verified controllers.UserResponse
	r.Decode(t, &verified)
	if !verified.EmailVerified || verified.Status != models.StatusNormal {
		t.Fatalf("verify answer: %s", r.Data)
	}
	s := login(t, h.c, "vera", "pw-vera")
	if me := h.me(s.Token); !me.EmailVerified || me.Status != models.StatusNormal {
		t.Fatalf("center after verify: verified %v status %q", me.EmailVerified, me.Status)
	}
	apitest.Expect(t, h.openLink(verifyPath, tok), 400, "verify token reused")

	// Resend: a new mail whose token works; after verification a 400; the
	// third call within the hour (rate_limit.verify_resend 2-H) a 429.
	h.register("rex", "rex@example.com", "pw-rex")
	rex := login(t, h.c, "rex", "pw-rex")
	apitest.Expect(t, h.c.Call(http.MethodPost, "/blogapi/email/verify/resend", nil), 401, "resend without a token")
	r = h.c.CallWith(http.MethodPost, "/blogapi/email/verify/resend", nil, accessHdr(rex.Token))
	apitest.Expect(t, r, 200, "resend")
	msgs = h.mails("rex@example.com")
	if len(msgs) != 2 || msgs[0].Subject != subjVerify {
		t.Fatalf("after resend rex has %d mails", len(msgs))
	}
	first, resent := h.linkToken(msgs[1], verifyPath), h.linkToken(msgs[0], verifyPath)
	if first == resent {
		t.Fatal("resend mailed the same token")
	}
	apitest.Expect(t, h.openLink(verifyPath, resent), 200, "verify with resent token")
	if me := h.me(rex.Token); !me.EmailVerified || me.Status != models.StatusNormal {
		t.Fatalf("rex after verify: %+v", me)
	}
	r = h.c.CallWith(http.MethodPost, "/blogapi/email/verify/resend", nil, accessHdr(rex.Token))
	apitest.Expect(t, r, 400, "resend when verified")
	if n := len(h.mails("rex@example.com")); n != 2 {
		t.Fatalf("resend when verified sent mail: %d mails", n)
	}
	r = h.c.CallWith(http.MethodPost, "/blogapi/email/verify/resend", nil, accessHdr(s.Token))
	apitest.Expect(t, r, 429, "third resend in the hour")
	if r.Msg == "" || r.Data != nil {
		t.Fatalf("429 envelope: %s", r.Body)
	}
	retryAfter(t, r)

	// Expiry: 24 h. A token used a minute before the end works; one used a
	// minute after it does not.
	h.register("early", "early@example.com", "pw")
	h.register("late", "late@example.com", "pw")
	earlyTok := h.linkToken(h.latest("early@example.com", subjVerify), verifyPath)
	lateTok := h.linkToken(h.latest("late@example.com", subjVerify), verifyPath)
	h.clk.Advance(24*time.Hour - time.Minute)
	apitest.Expect(t, h.openLink(verifyPath, earlyTok), 200, "verify just before expiry")
	h.clk.Advance(2 * time.Minute)
	apitest.Expect(t, h.openLink(verifyPath, lateTok), 400, "verify expired token")
	if got := h.stored("late"); got.EmailVerified || got.Status != models.StatusPending {
		t.Fatalf("expired token verified: %+v", got)
	}
}

// TestUpdateProfile: changing the email (password required, re-verification,
// notice to the old address), nick and avatar, and bad input that changes
// nothing.
func TestUpdateProfile(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.register("emma", "emma@example.com", "pw-emma")
	h.register("other", "other@example.com", "pw-other")
	regTok := h.linkToken(h.latest("emma@example.com", subjVerify), verifyPath)
	s := login(t, h.c, "emma", "pw-emma")

	// Verify with a resent token, keeping the registration token unused:
	// the email change must be what stops it working.
	apitest.Expect(t, h.c.CallWith(http.MethodPost, "/blogapi/email/verify/resend", nil, accessHdr(s.Token)), 200, "resend")
	apitest.Expect(t, h.openLink(verifyPath, h.linkToken(h.latest("emma@example.com", subjVerify), verifyPath)), 200, "verify")

	update := func(params map[string]string) apitest.Reply {
		t.Helper()
		return h.c.CallWith(http.MethodPut, "/blogapi/user/update", params, accessHdr(s.Token))
	}
	before := h.stored("emma")
	if !before.EmailVerified || before.Status != models.StatusNormal {
		t.Fatalf("emma before: %+v", before)
	}
	mailsBefore := len(h.mails("emma@example.com"))
	unchanged := func(what string) {
		t.Helper()
		got := h.stored("emma")
		if got.Email != before.Email || got.EmailVerified != before.EmailVerified || got.Nick != before.Nick ||
			got.Avatar != before.Avatar || got.Status != before.Status || got.PasswordHash != before.PasswordHash {
			t.Fatalf("%s changed the user: %+v, was %+v", what, got, before)
		}
		if n := len(h.mails("new.emma@example.com")); n != 0 {
			t.Fatalf("%s mailed the new address", what)
		}
		if n := len(h.mails("emma@example.com")); n != mailsBefore {
			t.Fatalf("%s mailed the old address", what)
		}
	}

	right := apitest.MD5Hex("pw-emma")
	longAvatar := "https://cdn.example.test/" + strings.Repeat("a", account.AvatarMaxLen+1-len("https://cdn.example.test/"))
	for _, tc := range []struct {
		name   string
		params map[string]string
		code   int
		field  string
	}{
		// Without the password the service answers 400 "password is
		// required" (a missing field), not 401.
		{"email without password", map[string]string{"email": "new.emma@example.com"}, 400, "password"},
		{"email with wrong password", map[string]string{"email": "new.emma@example.com", "password": apitest.MD5Hex("nope")}, 401, "password"},
		{"email with plain password", map[string]string{"email": "new.emma@example.com", "password": "pw-emma"}, 400, "password"},
		{"email of another user, other case", map[string]string{"email": "OTHER@Example.com", "password": right}, 409, "email"},
		{"invalid email", map[string]string{"email": "not-an-address", "password": right}, 400, "email"},
		{"nick with email and wrong password", map[string]string{"nick": "changed", "email": "new.emma@example.com", "password": apitest.MD5Hex("nope")}, 401, "password"},
		{"javascript avatar", map[string]string{"avatar": "javascript:alert(1)"}, 400, "avatar"},
		{"data avatar", map[string]string{"avatar": "data:image/png;base64,AAAA"}, 400, "avatar"},
		{"relative avatar", map[string]string{"avatar": "/a.png"}, 400, "avatar"},
		{"513-character avatar", map[string]string{"avatar": longAvatar}, 400, "avatar"},
		{"33-character nick", map[string]string{"nick": strings.Repeat("小", 33)}, 400, "nick"},
		{"blank nick", map[string]string{"nick": "   "}, 400, "nick"},
		{"nick with control character", map[string]string{"nick": "a\x07b"}, 400, "nick"},
		{"good nick, bad avatar", map[string]string{"nick": "fine", "avatar": "javascript:alert(1)"}, 400, "avatar"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := update(tc.params)
			apitest.Expect(t, r, tc.code, tc.name)
			if len(r.Errors) == 0 || r.Errors[0].Field != tc.field {
				t.Fatalf("errors %+v, want field %q", r.Errors, tc.field)
			}
			unchanged(tc.name)
		})
	}
	// A wrong password on this authenticated route does not end the session.
	apitest.Expect(t, h.center(s.Token), 200, "session after wrong password")

	for _, body := range []string{
		`{"nick":{"$gt":""}}`,
		`{"nick":123}`,
		`{"avatar":["https://cdn.example.test/a.png"]}`,
		`{"email":{"$ne":null},"password":"` + right + `"}`,
		`{"email":"new.emma@example.com","password":{"$ne":null}}`,
		`{"email":"new.emma@example.com","password":"` + right + `","password_enc":{"$gt":""}}`,
	} {
		req := h.c.SignedRawJSON(http.MethodPut, "/blogapi/user/update", body)
		req.Header.Set("Access-Token", s.Token)
		r := h.c.Send(req)
		apitest.Expect(t, r, 400, "operator object "+body)
		unchanged(body)
	}

	// The same address (no change) needs no password and sends nothing.
	apitest.Expect(t, update(map[string]string{"email": "emma@example.com"}), 200, "same email")
	unchanged("same email")

	// Nick and avatar.
	nick32 := strings.Repeat("小", 32)
	avatar512 := longAvatar[:len(longAvatar)-1]
	r := update(map[string]string{"nick": "  " + nick32 + " ", "avatar": avatar512})
	apitest.Expect(t, r, 200, "nick and avatar")
	var got controllers.UserResponse
	r.Decode(t, &got)
	if got.Nick != nick32 || got.Avatar != avatar512 || !got.EmailVerified || got.Email != "emma@example.com" {
		t.Fatalf("after nick/avatar update: %s", r.Data)
	}
	if me := h.me(s.Token); me.Nick != nick32 || me.Avatar != avatar512 {
		t.Fatalf("center after nick/avatar: %+v", me)
	}
	apitest.Expect(t, update(map[string]string{"avatar": "http://cdn.example.test/b.png"}), 200, "http avatar")
	if me := h.me(s.Token); me.Avatar != "http://cdn.example.test/b.png" {
		t.Fatalf("avatar %q", me.Avatar)
	}

	// A reset link mailed to the old address before the change.
	id, answer := h.c.Captcha(h.inst)
	apitest.Expect(t, h.c.Call(http.MethodPost, "/blogapi/password/forgot", map[string]string{"email": "emma@example.com", "captcha": answer, "captcha_id": id}), 200, "forgot")
	resetTok := h.linkToken(h.latest("emma@example.com", subjReset), resetPath)

	// The email change.
	r = update(map[string]string{"email": "New.Emma@example.com", "password": right})
	apitest.Expect(t, r, 200, "email change")
	r.Decode(t, &got)
	if got.Email != "New.Emma@example.com" || got.EmailVerified {
		t.Fatalf("after email change: %s", r.Data)
	}
	if me := h.me(s.Token); me.Email != "New.Emma@example.com" || me.EmailVerified {
		t.Fatalf("center after email change: %+v", me)
	}
	newTok := h.linkToken(h.latest("new.emma@example.com", subjVerify), verifyPath)
	notice := h.latest("emma@example.com", subjEmailChanged)
	if !strings.Contains(notice.Text, "N***@example.com") || strings.Contains(notice.Text, "New.Emma@") || notice.HTML == "" {
		t.Fatalf("notice to the old address:\n%s", notice.Text)
	}
	if _, ok := mail.LinkToken(notice.Text, verifyPath); ok {
		t.Fatal("the notice to the old address carries a verification link")
	}
	apitest.Expect(t, h.openLink(verifyPath, regTok), 400, "verification token sent before the change")
	r = h.openLink(resetPath, resetTok)
	apitest.Expect(t, r, 200, "reset check of a link sent to the old address")
	if string(r.Data) != `{"valid":false,"expiresAt":0}` {
		t.Fatalf("reset link to the old address after the change: %s", r.Data)
	}
	r = h.c.Call(http.MethodPost, "/blogapi/password/reset", map[string]string{"token": resetTok, "password": apitest.MD5Hex("taken-over")})
	apitest.Expect(t, r, 400, "reset link sent to the old address")
	if me := h.me(s.Token); me.EmailVerified {
		t.Fatal("old token verified the new address")
	}
	apitest.Expect(t, h.openLink(verifyPath, newTok), 200, "verify the new address")
	if me := h.me(s.Token); !me.EmailVerified || me.Email != "New.Emma@example.com" || me.Status != models.StatusNormal {
		t.Fatalf("center after verifying the new address: %+v", me)
	}

	// Login follows the address; the old one is free for someone else.
	login(t, h.c, "new.emma@EXAMPLE.com", "pw-emma")
	apitest.Expect(t, h.loginReply("emma@example.com", "pw-emma", false), 401, "login with the old address")
	h.register("emma2", "emma@example.com", "pw")
}

// TestChangePassword: PUT /blogapi/user/reset (docs/routes.md).
func TestChangePassword(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.register("paul", "paul@example.com", "old-pw")
	a := login(t, h.c, "paul", "old-pw")
	b := login(t, h.c, "paul@example.com", "old-pw")
	change := func(tok string, params map[string]string) apitest.Reply {
		t.Helper()
		return h.c.CallWith(http.MethodPut, "/blogapi/user/reset", params, accessHdr(tok))
	}
	hash := h.stored("paul").PasswordHash

	for _, tc := range []struct {
		name   string
		params map[string]string
		code   int
		field  string
	}{
		{"wrong old password", map[string]string{"oldPassword": apitest.MD5Hex("nope"), "password": apitest.MD5Hex("new-pw")}, 401, "oldPassword"},
		{"missing old password", map[string]string{"password": apitest.MD5Hex("new-pw")}, 400, "oldPassword"},
		{"plain new password", map[string]string{"oldPassword": apitest.MD5Hex("old-pw"), "password": "new-pw"}, 400, "password"},
		{"missing new password", map[string]string{"oldPassword": apitest.MD5Hex("old-pw")}, 400, "password"},
		{"unknown password_enc", map[string]string{"oldPassword": apitest.MD5Hex("old-pw"), "password": apitest.MD5Hex("new-pw"), "password_enc": "rot13"}, 400, "password_enc"},
	} {
		r := change(a.Token, tc.params)
		apitest.Expect(t, r, tc.code, tc.name)
		if len(r.Errors) == 0 || r.Errors[0].Field != tc.field {
			t.Fatalf("%s: errors %+v, want field %q", tc.name, r.Errors, tc.field)
		}
		if h.stored("paul").PasswordHash != hash {
			t.Fatalf("%s changed the password", tc.name)
		}
	}
	apitest.Expect(t, h.center(a.Token), 200, "session a after failed changes")
	apitest.Expect(t, h.center(b.Token), 200, "session b after failed changes")
	if n := len(h.mails("paul@example.com")); n != 1 {
		t.Fatalf("failed changes sent mail: %d mails", n)
	}

	h.clk.Advance(time.Second)
	r := change(a.Token, map[string]string{"oldPassword": apitest.MD5Hex("old-pw"), "password": strings.ToUpper(apitest.MD5Hex("new-pw"))})
	apitest.Expect(t, r, 200, "change password")
	var fresh loginData
	r.Decode(t, &fresh)
	if fresh.Token == "" || fresh.RefreshToken == "" || fresh.Token == a.Token || fresh.ExpiresIn != 7200 || fresh.User.Account != "paul" {
		t.Fatalf("change password answer: %s", r.Data)
	}
	if strings.Contains(string(r.Body), "passwordHash") {
		t.Fatal("password hash in the answer")
	}
	if me := h.me(fresh.Token); me.Account != "paul" {
		t.Fatalf("center with the new token: %+v", me)
	}
	// Every other session ends. Observed and intended (seed 003): the
	// caller's own session ends too; the returned pair replaces it.
	apitest.Expect(t, h.center(b.Token), 401, "other session after password change")
	apitest.Expect(t, h.center(a.Token), 401, "caller's old token after password change")
	apitest.Expect(t, h.c.Call(http.MethodPost, "/blogapi/service/renewal", map[string]string{"refreshToken": b.RefreshToken}), 401, "other refresh token")
	apitest.Expect(t, h.c.Call(http.MethodPost, "/blogapi/service/renewal", map[string]string{"refreshToken": a.RefreshToken}), 401, "caller's old refresh token")
	r = h.c.Call(http.MethodPost, "/blogapi/service/renewal", map[string]string{"refreshToken": fresh.RefreshToken})
	apitest.Expect(t, r, 200, "new refresh token")

	apitest.Expect(t, h.loginReply("paul", "old-pw", false), 401, "login with the old password")
	login(t, h.c, "paul", "new-pw") // the upper-case md5 was stored as the same password
	m := h.latest("paul@example.com", subjPasswordChanged)
	if m.Text == "" || m.HTML == "" {
		t.Fatalf("password-changed mail: %+v", m)
	}
}

// TestForgotAndResetPassword: forgot (same answer for unknown users),
// check, reset, reuse, expiry and a deleted user.
func TestForgotAndResetPassword(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.register("rose", "rose@example.com", "old-pw")
	h.register("gone", "gone@example.com", "pw")
	s1 := login(t, h.c, "rose", "old-pw")
	s2 := login(t, h.c, "rose", "old-pw")

	forgot := func(params map[string]string, withCaptcha bool) apitest.Reply {
		t.Helper()
		if withCaptcha {
			params["captcha_id"], params["captcha"] = h.c.Captcha(h.inst)
		}
		return h.c.Call(http.MethodPost, "/blogapi/password/forgot", params)
	}
	resets := func(addr string) int {
		n := 0
		for _, m := range h.mails(addr) {
			if m.Subject == subjReset {
				n++
			}
		}
		return n
	}

	// Input and captcha errors send nothing.
	for _, tc := range []struct {
		name   string
		params map[string]string
		field  string
	}{
		{"wrong captcha", map[string]string{"email": "rose@example.com", "captcha": "wrong", "captcha_id": "x"}, "captcha"},
		{"missing captcha", map[string]string{"email": "rose@example.com"}, "captcha"},
		{"neither email nor account", map[string]string{"captcha": "x", "captcha_id": "x"}, "email"},
	} {
		r := forgot(tc.params, false)
		apitest.Expect(t, r, 400, tc.name)
		if len(r.Errors) == 0 || r.Errors[0].Field != tc.field {
			t.Fatalf("%s: errors %+v", tc.name, r.Errors)
		}
	}
	id, answer := h.c.Captcha(h.inst)
	r := forgot(map[string]string{"email": "rose@example.com", "captcha": answer + "x", "captcha_id": id}, false)
	apitest.Expect(t, r, 400, "wrong answer to a real captcha")
	if n := resets("rose@example.com"); n != 0 {
		t.Fatalf("captcha failures sent %d reset mails", n)
	}

	// Known and unknown addresses: byte-identical answers; only the known
	// one gets mail.
	known := forgot(map[string]string{"email": "rose@example.com"}, true)
	unknown := forgot(map[string]string{"email": "nobody@example.com"}, true)
	apitest.Expect(t, known, 200, "forgot for a known address")
	apitest.Expect(t, unknown, 200, "forgot for an unknown address")
	if string(known.Body) != string(unknown.Body) {
		t.Fatalf("answers differ:\nknown   %s\nunknown %s", known.Body, unknown.Body)
	}
	unknownAccount := forgot(map[string]string{"account": "nobody"}, true)
	if string(unknownAccount.Body) != string(known.Body) {
		t.Fatalf("unknown account answers %s", unknownAccount.Body)
	}
	if n := len(h.mails("nobody@example.com")); n != 0 {
		t.Fatalf("unknown address got %d mails", n)
	}
	if n := resets("rose@example.com"); n != 1 {
		t.Fatalf("rose got %d reset mails, want 1", n)
	}
	tok1 := h.linkToken(h.latest("rose@example.com", subjReset), resetPath)

	// By account name (other case) too: a second, independent link.
	apitest.Expect(t, forgot(map[string]string{"account": "ROSE"}, true), 200, "forgot by account")
	if n := resets("rose@example.com"); n != 2 {
		t.Fatalf("rose got %d reset mails, want 2", n)
	}
	tok2 := h.linkToken(h.latest("rose@example.com", subjReset), resetPath)
	if tok1 == tok2 {
		t.Fatal("two forgot requests mailed the same token")
	}

	check := func(tok string) controllers.ResetCheckResponse {
		t.Helper()
		r := h.openLink(resetPath, tok)
		apitest.Expect(t, r, 200, "reset check")
		var c controllers.ResetCheckResponse
		r.Decode(t, &c)
		return c
	}
	if c := check(tok1); !c.Valid || c.ExpiresAt != h.clk.Now().Add(30*time.Minute).UnixMilli() {
		t.Fatalf("check before use: %+v", c)
	}
	for _, bad := range []string{"", "junk", strings.Repeat("A", 43)} {
		if c := check(bad); c.Valid || c.ExpiresAt != 0 {
			t.Fatalf("check %q: %+v", bad, c)
		}
	}

	reset := func(tok, password string) apitest.Reply {
		t.Helper()
		return h.c.Call(http.MethodPost, "/blogapi/password/reset", map[string]string{"token": tok, "password": password})
	}
	hash := h.stored("rose").PasswordHash
	for _, tc := range []struct{ name, tok, pw string }{
		{"plain password", tok1, "new-pw"},
		{"missing password", tok1, ""},
		{"junk token", "junk", apitest.MD5Hex("new-pw")},
		{"unknown token", strings.Repeat("A", 43), apitest.MD5Hex("new-pw")},
	} {
		apitest.Expect(t, reset(tc.tok, tc.pw), 400, tc.name)
	}
	if !check(tok1).Valid {
		t.Fatal("a refused reset used the token")
	}
	if h.stored("rose").PasswordHash != hash {
		t.Fatal("a refused reset changed the password")
	}

	r = reset(tok1, apitest.MD5Hex("new-pw"))
	apitest.Expect(t, r, 200, "reset")
	var data map[string]any
	r.Decode(t, &data)
	if _, ok := data["token"]; ok || strings.Contains(string(r.Body), "refreshToken") {
		t.Fatalf("reset logged someone in: %s", r.Body)
	}
	apitest.Expect(t, h.center(s1.Token), 401, "session 1 after reset")
	apitest.Expect(t, h.center(s2.Token), 401, "session 2 after reset")
	apitest.Expect(t, h.c.Call(http.MethodPost, "/blogapi/service/renewal", map[string]string{"refreshToken": s1.RefreshToken}), 401, "refresh after reset")
	h.latest("rose@example.com", subjPasswordChanged)

	apitest.Expect(t, reset(tok1, apitest.MD5Hex("other-pw")), 400, "reset token reused")
	if check(tok1).Valid {
		t.Fatal("used token still valid")
	}
	// The user's other reset link stopped working with the reset.
	apitest.Expect(t, reset(tok2, apitest.MD5Hex("other-pw")), 400, "second link after a reset")
	apitest.Expect(t, h.loginReply("rose", "old-pw", false), 401, "old password after reset")
	login(t, h.c, "rose", "new-pw")

	// Expired: 30 minutes.
	apitest.Expect(t, forgot(map[string]string{"email": "rose@example.com"}, true), 200, "forgot again")
	tok3 := h.linkToken(h.latest("rose@example.com", subjReset), resetPath)
	h.clk.Advance(31 * time.Minute)
	if check(tok3).Valid {
		t.Fatal("expired token checks valid")
	}
	apitest.Expect(t, reset(tok3, apitest.MD5Hex("third-pw")), 400, "expired reset token")
	login(t, h.c, "rose", "new-pw")

	// The user was deleted after the mail left: 404.
	apitest.Expect(t, forgot(map[string]string{"email": "gone@example.com"}, true), 200, "forgot for gone")
	goneTok := h.linkToken(h.latest("gone@example.com", subjReset), resetPath)
	if _, err := dbtest.Collection(h.t, h.inst.DB, models.CollUsers).DeleteOne(context.Background(), bson.D{{Key: "account", Value: "gone"}}); err != nil {
		t.Fatal(err)
	}
	apitest.Expect(t, reset(goneTok, apitest.MD5Hex("x")), 404, "reset for a deleted user")
	h.latest("gone@example.com", subjReset) // and no password-changed mail
}

// TestRSAPasswordTransport: the public key, and registration, login,
// password change and reset with password_enc rsa-oaep-sha256
// (docs/routes.md, "The account lifecycle").
func TestRSAPasswordTransport(t *testing.T) {
	h := newHarness(t, nil, nil)
	r := h.c.Call(http.MethodGet, "/blogapi/service/pubkey", nil)
	apitest.Expect(t, r, 200, "pubkey")
	var key struct {
		PublicKey   string `json:"publicKey"`
		PasswordEnc string `json:"passwordEnc"`
	}
	r.Decode(t, &key)
	block, rest := pem.Decode([]byte(key.PublicKey))
	if block == nil || block.Type != "PUBLIC KEY" || len(strings.TrimSpace(string(rest))) != 0 || key.PasswordEnc != "rsa-oaep-sha256" {
		t.Fatalf("pubkey answer: %s", r.Data)
	}
	parsed, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := parsed.(*rsa.PublicKey)
	if !ok {
		t.Fatalf("public key is %T", parsed)
	}
	if pub.N.BitLen() < 2048 {
		t.Fatalf("public key of %d bits", pub.N.BitLen())
	}
	encrypt := func(plain string) string {
		ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, []byte(plain), nil)
		if err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(ct)
	}
	const enc = "rsa-oaep-sha256"

	id, answer := h.c.Captcha(h.inst)
	r = h.c.Call(http.MethodPost, "/blogapi/reg", map[string]string{
		"account": "rsa", "email": "rsa@example.com", "password": encrypt(apitest.MD5Hex("secret")), "password_enc": enc,
		"captcha": answer, "captcha_id": id,
	})
	apitest.Expect(t, r, 200, "register with an encrypted password")
	r = h.c.Call(http.MethodPost, "/blogapi/login", map[string]string{"account": "rsa", "password": encrypt(apitest.MD5Hex("secret")), "password_enc": enc})
	apitest.Expect(t, r, 200, "login with an encrypted password")
	var s loginData
	r.Decode(t, &s)
	login(t, h.c, "rsa", "secret") // the same password, sent as plain md5

	random := make([]byte, pub.Size())
	_, _ = rand.Read(random)
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	foreign, _ := rsa.EncryptOAEP(sha256.New(), rand.Reader, &otherKey.PublicKey, []byte(apitest.MD5Hex("secret")), nil)
	garbage := map[string]string{
		"not base64":            "!!!not-base64!!!",
		"short":                 base64.StdEncoding.EncodeToString([]byte("short")),
		"random bytes":          base64.StdEncoding.EncodeToString(random),
		"other key":             base64.StdEncoding.EncodeToString(foreign),
		"plaintext not md5":     encrypt("secret"),
		"md5 sent unencrypted":  apitest.MD5Hex("secret"),
		"oversized":             strings.Repeat("A", 4096),
		"ciphertext of nothing": encrypt(""),
	}
	for name, ct := range garbage {
		id, answer := h.c.Captcha(h.inst)
		r := h.c.Call(http.MethodPost, "/blogapi/reg", map[string]string{
			"account": "rsa2", "email": "rsa2@example.com", "password": ct, "password_enc": enc, "captcha": answer, "captcha_id": id,
		})
		apitest.Expect(t, r, 400, "register with "+name)
		assertUsers(t, h.inst.DB, 1)
		r = h.c.Call(http.MethodPost, "/blogapi/login", map[string]string{"account": "rsa", "password": ct, "password_enc": enc})
		apitest.Expect(t, r, 400, "login with "+name)
	}
	// Undecryptable logins are input errors, not failed guesses: no captcha
	// is required after them.
	login(t, h.c, "rsa", "secret")

	// Password change with both fields encrypted; garbage in either is a 400.
	change := func(tok string, params map[string]string) apitest.Reply {
		t.Helper()
		return h.c.CallWith(http.MethodPut, "/blogapi/user/reset", params, accessHdr(tok))
	}
	hash := h.stored("rsa").PasswordHash
	apitest.Expect(t, change(s.Token, map[string]string{"oldPassword": garbage["random bytes"], "password": encrypt(apitest.MD5Hex("next")), "password_enc": enc}), 400, "change with garbage old")
	apitest.Expect(t, change(s.Token, map[string]string{"oldPassword": encrypt(apitest.MD5Hex("secret")), "password": garbage["other key"], "password_enc": enc}), 400, "change with garbage new")
	apitest.Expect(t, change(s.Token, map[string]string{"oldPassword": encrypt(apitest.MD5Hex("wrong")), "password": encrypt(apitest.MD5Hex("next")), "password_enc": enc}), 401, "change with wrong encrypted old")
	if h.stored("rsa").PasswordHash != hash {
		t.Fatal("refused changes changed the password")
	}
	r = change(s.Token, map[string]string{"oldPassword": encrypt(apitest.MD5Hex("secret")), "password": encrypt(apitest.MD5Hex("next")), "password_enc": enc})
	apitest.Expect(t, r, 200, "change with encrypted passwords")
	login(t, h.c, "rsa", "next")

	// Reset with an encrypted password.
	id, answer = h.c.Captcha(h.inst)
	apitest.Expect(t, h.c.Call(http.MethodPost, "/blogapi/password/forgot", map[string]string{"email": "rsa@example.com", "captcha": answer, "captcha_id": id}), 200, "forgot")
	tok := h.linkToken(h.latest("rsa@example.com", subjReset), resetPath)
	r = h.c.Call(http.MethodPost, "/blogapi/password/reset", map[string]string{"token": tok, "password": garbage["random bytes"], "password_enc": enc})
	apitest.Expect(t, r, 400, "reset with garbage")
	r = h.c.Call(http.MethodPost, "/blogapi/password/reset", map[string]string{"token": tok, "password": encrypt(apitest.MD5Hex("after-reset")), "password_enc": enc})
	apitest.Expect(t, r, 200, "reset with an encrypted password")
	login(t, h.c, "rsa", "after-reset")
}

// TestLoginBruteForce: per-account captcha and lock-out thresholds with
// Retry-After.
func TestLoginBruteForce(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.register("alice", "alice@example.com", "right")
	h.register("bob", "bob@example.com", "bobs")

	for i := 1; i <= 3; i++ {
		r := h.loginReply("alice", "wrong", false)
		apitest.Expect(t, r, 401, "failure "+strconv.Itoa(i))
		if r.Msg != "account or password is incorrect" {
			t.Fatalf("failure msg %q", r.Msg)
		}
	}
	r := h.loginReply("alice", "right", false)
	apitest.Expect(t, r, 400, "4th attempt without captcha")
	if r.Msg != "captcha required" || len(r.Errors) == 0 || r.Errors[0].Field != "captcha" || r.Errors[0].Reason != "captcha_required" {
		t.Fatalf("4th attempt: %s", r.Body)
	}
	p := map[string]string{"account": "alice", "password": apitest.MD5Hex("right"), "captcha": "zzzz", "captcha_id": "made-up"}
	apitest.Expect(t, h.c.Call(http.MethodPost, "/blogapi/login", p), 400, "made-up captcha")
	id, answer := h.c.Captcha(h.inst)
	p["captcha_id"], p["captcha"] = id, answer+"x"
	apitest.Expect(t, h.c.Call(http.MethodPost, "/blogapi/login", p), 400, "wrong captcha answer")
	apitest.Expect(t, h.loginReply("alice", "right", true), 200, "captcha and the right password")

	// Success cleared alice's own counter, but not the client IP's: the
	// captcha stays required from this address. The account window opens
	// at the next failure.
	apitest.Expect(t, h.loginReply("alice", "right", false), 400, "after success, IP failures still ask for a captcha")
	opened := h.clk.Now()
	apitest.Expect(t, h.loginReply("alice", "wrong", true), 401, "captcha and the wrong password")
	h.clk.Advance(2 * time.Minute)
	for i := 2; i <= 10; i++ {
		h.clk.Advance(10 * time.Second)
		apitest.Expect(t, h.loginReply("alice", "wrong", true), 401, "failure "+strconv.Itoa(i)+" of the new window")
	}
	for _, withCaptcha := range []bool{true, false} {
		r = h.loginReply("alice", "right", withCaptcha)
		apitest.Expect(t, r, 429, "locked account, right password")
		want := opened.Add(15 * time.Minute).Sub(h.clk.Now()).Seconds()
		if got := retryAfter(t, r); math.Abs(float64(got)-want) > 1 {
			t.Fatalf("Retry-After %d, want about %.0f", got, want)
		}
	}
	// The lock is per account: bob (with the captcha the IP needs) logs in.
	apitest.Expect(t, h.loginReply("bob", "bobs", true), 200, "another account while alice is locked")

	h.clk.Advance(opened.Add(15*time.Minute).Sub(h.clk.Now()) - time.Second)
	apitest.Expect(t, h.loginReply("alice", "right", true), 429, "a second before the window ends")
	h.clk.Advance(time.Second)
	s := h.loginReply("alice", "right", false)
	apitest.Expect(t, s, 200, "after the window, without captcha")
}

// TestLoginBruteForcePerIP: failures against several accounts from one
// client IP make the captcha required for any account; X-Forwarded-For
// from an untrusted peer does not change the client IP.
func TestLoginBruteForcePerIP(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.register("fresh", "fresh@example.com", "pw")
	h.register("victim1", "victim1@example.com", "pw")

	for i, account := range []string{"victim1", "nobody", "victim2@example.com"} {
		r := h.c.CallWith(http.MethodPost, "/blogapi/login",
			map[string]string{"account": account, "password": apitest.MD5Hex("guess")},
			http.Header{"X-Forwarded-For": {"203.0.113." + strconv.Itoa(i+1)}})
		apitest.Expect(t, r, 401, "guess at "+account)
	}
	r := h.loginReply("fresh", "pw", false)
	apitest.Expect(t, r, 400, "fresh account from a guessing IP")
	if r.Msg != "captcha required" {
		t.Fatalf("msg %q", r.Msg)
	}
	apitest.Expect(t, h.loginReply("fresh", "pw", true), 200, "with a captcha")
}

// TestRateLimits: per-IP limits of captcha, username check, registration
// and forgot-password, each independent, with either
// rate_limit.store.
func TestRateLimits(t *testing.T) {
	for _, store := range []config.RateStore{config.RateStoreMemory, config.RateStoreMongo} {
		t.Run(string(store), func(t *testing.T) { testRateLimits(t, store) })
	}
}

func testRateLimits(t *testing.T, store config.RateStore) {
	clk := apitest.NewClock()
	h := newHarness(t, clk, func(c *config.Config) {
		c.RateLimit.Store = store
		c.RateLimit.Captcha = config.Rate{Count: 3, Period: time.Minute}
		c.RateLimit.CheckUsername = config.Rate{Count: 2, Period: time.Minute}
		c.RateLimit.Register = config.Rate{Count: 1, Period: time.Minute}
		c.RateLimit.ForgotPassword = config.Rate{Count: 1, Period: time.Minute}
	})
	limited := func(r apitest.Reply, what string, period int) {
		t.Helper()
		apitest.Expect(t, r, 429, what)
		if r.Msg == "" || r.Data != nil {
			t.Fatalf("%s: envelope %s", what, r.Body)
		}
		if ra := retryAfter(t, r); ra > period {
			t.Fatalf("%s: Retry-After %d beyond the %d s window", what, ra, period)
		}
		if r.Header.Get("X-RateLimit-Remaining") != "0" {
			t.Fatalf("%s: X-RateLimit-Remaining %q", what, r.Header.Get("X-RateLimit-Remaining"))
		}
	}

	id1, ans1 := h.c.Captcha(h.inst)
	id2, ans2 := h.c.Captcha(h.inst)
	r := h.c.Call(http.MethodGet, "/blogapi/service/captcha", map[string]string{"format": "json"})
	apitest.Expect(t, r, 200, "3rd captcha")
	if r.Header.Get("X-RateLimit-Limit") != "3" || r.Header.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("rate headers: limit %q remaining %q", r.Header.Get("X-RateLimit-Limit"), r.Header.Get("X-RateLimit-Remaining"))
	}
	limited(h.c.Call(http.MethodGet, "/blogapi/service/captcha", nil), "4th captcha", 60)

	// Other routes keep their own budgets.
	for i := 1; i <= 2; i++ {
		apitest.Expect(t, h.c.Call(http.MethodGet, "/blogapi/reg/check/username", map[string]string{"account": "lim"}), 200, "check "+strconv.Itoa(i))
	}
	limited(h.c.Call(http.MethodGet, "/blogapi/reg/check/username", map[string]string{"account": "lim"}), "3rd check", 60)

	reg := func(account, id, answer string) apitest.Reply {
		return h.c.Call(http.MethodPost, "/blogapi/reg", map[string]string{
			"account": account, "password": apitest.MD5Hex("pw"), "email": account + "@example.com", "captcha": answer, "captcha_id": id,
		})
	}
	apitest.Expect(t, reg("lim", id1, ans1), 200, "1st registration")
	limited(reg("lim2", id2, ans2), "2nd registration", 60)
	assertUsers(t, h.inst.DB, 1)

	// id2 was not consumed: the limiter answered before the handler.
	r = h.c.Call(http.MethodPost, "/blogapi/password/forgot", map[string]string{"email": "lim@example.com", "captcha": ans2, "captcha_id": id2})
	apitest.Expect(t, r, 200, "1st forgot")
	limited(h.c.Call(http.MethodPost, "/blogapi/password/forgot", map[string]string{"email": "lim@example.com", "captcha": "x", "captcha_id": "x"}), "2nd forgot", 60)

	// Login is not rate-limited per IP (the brute-force guard covers it).
	login(t, h.c, "lim", "pw")

	// A new window opens on the injected clock.
	clk.Advance(time.Minute + time.Second)
	apitest.Expect(t, h.c.Call(http.MethodGet, "/blogapi/service/captcha", map[string]string{"format": "json"}), 200, "captcha in the next window")
	apitest.Expect(t, h.c.Call(http.MethodGet, "/blogapi/reg/check/username", map[string]string{"account": "lim"}), 200, "check in the next window")
}

// TestAccountStatus: freeze and reject refuse login and end sessions;
// pending users log in.
func TestAccountStatus(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.register("penny", "penny@example.com", "pw")
	s := login(t, h.c, "penny", "pw")
	if me := h.me(s.Token); me.Status != models.StatusPending || me.EmailVerified {
		t.Fatalf("pending user's centre: %+v", me)
	}
	var raw map[string]json.RawMessage
	r := h.center(s.Token)
	r.Decode(t, &raw)
	if string(raw["status"]) != `"pending"` {
		t.Fatalf("centre status: %s", r.Data)
	}

	for _, status := range []string{models.StatusFreeze, models.StatusReject} {
		t.Run(status, func(t *testing.T) {
			account := "u-" + status
			h.register(account, account+"@example.com", "pw")
			a := login(t, h.c, account, "pw")
			b := login(t, h.c, account, "pw")
			h.setStatus(account, status)

			r := h.center(a.Token)
			apitest.Expect(t, r, 403, "first call of a live session")
			// The 403 ended every session of the user: both now 401.
			apitest.Expect(t, h.center(a.Token), 401, "same session again")
			apitest.Expect(t, h.center(b.Token), 401, "other session")
			// Renewal checks the user before the session: still refused.
			apitest.Expect(t, h.c.Call(http.MethodPost, "/blogapi/service/renewal", map[string]string{"refreshToken": b.RefreshToken}), 403, "refresh")
			r = h.loginReply(account, "pw", false)
			apitest.Expect(t, r, 403, "login with the right password")
			if r.Data != nil || strings.Contains(string(r.Body), "token") {
				t.Fatalf("refused login carries data: %s", r.Body)
			}
			apitest.Expect(t, h.loginReply(account, "wrong", false), 401, "wrong password stays 401")

			// Restored, the user logs in again, but the old tokens never
			// work again.
			h.setStatus(account, models.StatusNormal)
			c := login(t, h.c, account, "pw")
			apitest.Expect(t, h.center(c.Token), 200, "new session after restore")
			apitest.Expect(t, h.center(a.Token), 401, "old session after restore")
			apitest.Expect(t, h.center(b.Token), 401, "other old session after restore")

			// Login refused first: the refused login ends live sessions too.
			h.setStatus(account, status)
			apitest.Expect(t, h.loginReply(account, "pw", false), 403, "login refused")
			h.setStatus(account, models.StatusNormal)
			apitest.Expect(t, h.center(c.Token), 401, "session ended by the refused login")
		})
	}
}

// TestLoginBruteForceShared: one budget per user, however named and from
// wherever it is spent; a burst of concurrent guesses gets no more password
// checks than a sequence would; password checks behind a JWT draw on the
// same budget.
func TestLoginBruteForceShared(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.register("ivan", "ivan@example.com", "right")

	// account name and email share the count
	for i := 0; i < 3; i++ {
		apitest.Expect(t, h.loginReply("ivan", "wrong", false), 401, "failure by name")
	}
	r := h.loginReply("IVAN@example.com", "right", false)
	apitest.Expect(t, r, 400, "by email after 3 failures by name")
	if r.Msg != "captcha required" {
		t.Fatalf("msg %q", r.Msg)
	}
	// Requests without a solved captcha do not count towards the lock.
	for i := 0; i < 12; i++ {
		apitest.Expect(t, h.loginReply("ivan", "wrong", false), 400, "captcha-less guess")
	}
	apitest.Expect(t, h.loginReply("ivan", "right", true), 200, "the user, with a captcha")

	// a concurrent burst: exactly CaptchaAfter (3) password checks happen
	h.register("judy", "judy@example.com", "right")
	h.clk.Advance(16 * time.Minute) // the IP's earlier failures expire
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		c := apitest.NewClient(t, h.inst.Srv.URL, h.clk)
		c.LastTS = h.clk.Now().UnixMilli() + int64(i)*10
		req := c.Request(http.MethodPost, "/blogapi/login", map[string]string{"account": "judy", "password": apitest.MD5Hex("wrong")}, nil)
		wg.Go(func() {
			r, err := c.TrySend(req)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Error(err)
				return
			}
			codes[r.Code]++
		})
	}
	wg.Wait()
	// Attempts are counted before they are checked, by account and by IP,
	// so at most 3 get a password check (fewer when the IP's count runs
	// ahead); the rest need a captcha or meet a transient lock.
	if codes[401] < 1 || codes[401] > 3 || codes[401]+codes[400]+codes[429] != 20 {
		t.Fatalf("burst of 20 guesses: %v; want 1–3×401 and the rest 400 or 429", codes)
	}
	// The burst's unchecked requests were taken back: no lock.
	apitest.Expect(t, h.loginReply("judy", "right", true), 200, "after the burst, with a captcha")

	// password change: wrong old passwords spend the same budget, then 429
	h.clk.Advance(16 * time.Minute)
	s := login(t, h.c, "judy", "right")
	for i := 0; i < 10; i++ {
		r := h.c.CallWith(http.MethodPut, "/blogapi/user/reset",
			map[string]string{"oldPassword": apitest.MD5Hex("guess"), "password": apitest.MD5Hex("new")}, accessHdr(s.Token))
		apitest.Expect(t, r, 401, "wrong old password "+strconv.Itoa(i+1))
	}
	r = h.c.CallWith(http.MethodPut, "/blogapi/user/reset",
		map[string]string{"oldPassword": apitest.MD5Hex("right"), "password": apitest.MD5Hex("new")}, accessHdr(s.Token))
	apitest.Expect(t, r, 429, "right old password on a locked account")
	retryAfter(t, r) // a positive integer
	r = h.c.CallWith(http.MethodPut, "/blogapi/user/update",
		map[string]string{"email": "judy2@example.com", "password": apitest.MD5Hex("right")}, accessHdr(s.Token))
	apitest.Expect(t, r, 429, "email change on a locked account")
}

// TestResetTokenInFormBody: with every parameter in a form body the reset
// token travels as resetToken, beside the signature's own token.
func TestResetTokenInFormBody(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.register("fiona", "fiona@example.com", "old")
	id, answer := h.c.Captcha(h.inst)
	apitest.Expect(t, h.c.Call(http.MethodPost, "/blogapi/password/forgot", map[string]string{"email": "fiona@example.com", "captcha": answer, "captcha_id": id}), 200, "forgot")
	resetTok := h.linkToken(h.latest("fiona@example.com", subjReset), resetPath)

	form := h.c.SignedForm(map[string]string{"resetToken": resetTok, "password": apitest.MD5Hex("new")})
	apitest.Expect(t, h.c.PostForm("/blogapi/password/reset", form), 200, "reset with everything in a form body")
	apitest.Expect(t, h.loginReply("fiona", "new", false), 200, "login with the new password")
}

// TestEmailCaseOnlyChange: changing only the case of the address is not a
// new address: no password, no new verification (a verified address stays
// verified, as written), no mail.
func TestEmailCaseOnlyChange(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.register("gwen", "gwen@example.com", "pw")
	apitest.Expect(t, h.openLink(verifyPath, h.linkToken(h.latest("gwen@example.com", subjVerify), verifyPath)), 200, "verify")
	s := login(t, h.c, "gwen", "pw")
	before := len(h.mails("gwen@example.com"))
	r := h.c.CallWith(http.MethodPut, "/blogapi/user/update", map[string]string{"email": "GWEN@example.com"}, accessHdr(s.Token))
	apitest.Expect(t, r, 200, "case-only change without a password")
	var answered controllers.UserResponse
	r.Decode(t, &answered)
	stored := h.stored("gwen")
	for what, u := range map[string]controllers.UserResponse{"answer": answered,
		"stored user": {Email: stored.Email, EmailVerified: stored.EmailVerified, Status: stored.Status}} {
		if u.Email != "gwen@example.com" || !u.EmailVerified || u.Status != models.StatusNormal {
			t.Fatalf("%s after a case-only change: email %q verified %v status %q", what, u.Email, u.EmailVerified, u.Status)
		}
	}
	if n := len(h.mails("gwen@example.com")); n != before {
		t.Fatalf("%d new mails for a case-only change", n-before)
	}
}

// TestLoginFlood: past security.login_flood_per_minute failed logins
// across the site (each at another account, so no per-account budget
// trips), every login needs a captcha: one without is refused before any
// database work or password hash; one with the right captcha and password
// gets through.
func TestLoginFlood(t *testing.T) {
	var log commandLog
	clk := apitest.NewClock()
	cfg := apitest.Config(t)
	cfg.Security.LoginFloodPerMinute = 5
	cfg.Security.LoginCaptchaAfterIP = 100
	inst := apitest.Start(t, cfg, dbtest.Open(t, models.Options{Now: clk.Now, Observe: log.observe}), clk)
	h := &harness{t: t, c: apitest.NewClient(t, inst.Srv.URL, clk), inst: inst}
	h.register("victim", "victim@example.com", "right")
	for i := range 5 {
		apitest.Expect(t, h.loginReply("flood"+strconv.Itoa(i), "guess", false), 401, "flood "+strconv.Itoa(i))
	}
	var r apitest.Reply
	cmds := log.during(t, func() { r = h.loginReply("victim", "right", false) })
	apitest.Expect(t, r, 400, "a login without captcha during the flood")
	if r.Msg != "captcha required" {
		t.Fatalf("during the flood: %s", r.Body)
	}
	if len(cmds) != 0 { // refused before its replay record
		t.Fatalf("a refused login during the flood made round trips %v, want none", cmds)
	}
	apitest.Expect(t, h.loginReply("victim", "right", true), 200, "captcha and the right password during the flood")
	clk.Advance(2 * time.Minute)
	apitest.Expect(t, h.loginReply("victim", "right", false), 200, "after the flood, no captcha")
}

// TestEmailChangeLimits: a logged-in user changes the e-mail at most 3
// times an hour, and one address gets at most one verification mail per
// 10 minutes, whoever asks (429 with Retry-After past either).
func TestEmailChangeLimits(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.register("mover", "mover@example.com", "pw")
	h.register("other", "other@example.com", "pw")
	mover, other := login(t, h.c, "mover", "pw"), login(t, h.c, "other", "pw")
	change := func(s loginData, email string) apitest.Reply {
		t.Helper()
		return h.c.CallWith(http.MethodPut, "/blogapi/user/update",
			map[string]string{"email": email, "password": apitest.MD5Hex("pw")}, accessHdr(s.Token))
	}
	for i := 1; i <= 3; i++ {
		apitest.Expect(t, change(mover, fmt.Sprintf("mover%d@example.com", i)), 200, "change "+strconv.Itoa(i))
	}
	r := change(mover, "mover4@example.com")
	apitest.Expect(t, r, 429, "4th change within the hour")
	if ra := retryAfter(t, r); ra > 3600 {
		t.Fatalf("Retry-After %d beyond the hour", ra)
	}
	// mover2 is free again (mover moved on to mover3) but got a
	// verification mail minutes ago.
	apitest.Expect(t, change(other, "mover2@example.com"), 429, "an address mailed within 10 minutes")
	h.clk.Advance(11 * time.Minute)
	apitest.Expect(t, change(other, "mover2@example.com"), 200, "the same address 11 minutes later")
}
