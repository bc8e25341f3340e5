package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/blogapi/blogapi/config"
	"github.com/blogapi/blogapi/internal/apitest"
	"github.com/blogapi/blogapi/services/mail"
)

// browserAccept is the Accept header a browser sends when it opens a link.
const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

// openPage is a browser's GET of path?token=token.
func (h *harness) openPage(path, token string) apitest.Reply {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.inst.Srv.URL+path+"?token="+url.QueryEscape(token), nil)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Accept", browserAccept)
	return h.c.Send(req)
}

// expectPage checks r is an HTML page of status that says want, kept out of
// caches, referrers and frames.
func expectPage(t *testing.T, r apitest.Reply, status int, want string) {
	t.Helper()
	if r.Status != status || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.Body), want) {
		t.Fatalf("want a %d page saying %q; got %d %s:\n%s", status, want, r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	for k, v := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"} {
		if r.Header.Get(k) != v {
			t.Errorf("%s %q, want %q", k, r.Header.Get(k), v)
		}
	}
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
}

// TestMailLinkPages: with server.frontend_url empty the mail links open
// the API; a browser gets pages (the address verified; a form choosing the
// new password, whose post resets it), API clients keep the envelopes.
func TestMailLinkPages(t *testing.T) {
	h := newHarness(t, nil, nil)
	h.register("paula", "paula@example.com", "old password")

	verify := h.linkToken(h.latest("paula@example.com", subjVerify), mail.VerifyPath)
	expectPage(t, h.openPage(mail.VerifyPath, verify), 200, "paula@example.com is verified")
	if u := h.stored("paula"); !u.EmailVerified {
		t.Fatal("the page did not verify the address")
	}
	expectPage(t, h.openPage(mail.VerifyPath, verify), 400, "link is invalid or has expired")
	apitest.Expect(t, h.openLink(mail.VerifyPath, verify), 400, "an API client still gets the envelope")

	id, answer := h.c.Captcha(h.inst)
	apitest.Expect(t, h.c.Call(http.MethodPost, "/blogapi/password/forgot", map[string]string{"email": "paula@example.com", "captcha": answer, "captcha_id": id}), 200, "forgot")
	reset := h.linkToken(h.latest("paula@example.com", subjReset), mail.ResetPath)
	form := h.openPage(mail.ResetPath, reset)
	expectPage(t, form, 200, `<form method="post" action="form">`)
	if !strings.Contains(string(form.Body), `name="token" value="`+reset+`"`) {
		t.Fatalf("the form does not carry the token:\n%s", form.Body)
	}
	apitest.Expect(t, h.openLink(mail.ResetPath, reset), 200, "an API client still gets {valid}")

	post := func(fields url.Values) apitest.Reply {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, h.inst.Srv.URL+"/blogapi/password/reset/form", strings.NewReader(fields.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", browserAccept)
		return h.c.Send(req)
	}
	mismatch := post(url.Values{"token": {reset}, "password": {"new password"}, "password_confirm": {"new passwrod"}})
	expectPage(t, mismatch, 400, "The two passwords differ.")
	if !strings.Contains(string(mismatch.Body), `name="token" value="`+reset+`"`) {
		t.Fatal("the form is not shown again after a mismatch")
	}
	expectPage(t, post(url.Values{"token": {reset}, "password": {""}, "password_confirm": {""}}), 400, "Type the new password.")
	expectPage(t, post(url.Values{"token": {reset}, "password": {"new password"}, "password_confirm": {"new password"}}), 200, "Your password is changed")

	apitest.Expect(t, h.loginReply("paula", "old password", false), 401, "the old password")
	apitest.Expect(t, h.loginReply("paula", "new password", false), 200, "the new password, md5'd as clients send it")
	expectPage(t, post(url.Values{"token": {reset}, "password": {"again"}, "password_confirm": {"again"}}), 400, "link is invalid or has expired")
	expectPage(t, h.openPage(mail.ResetPath, reset), 400, "This link is invalid, used or expired")
}

// TestMailLinksOpenTheFrontend: with server.frontend_url set the mails
// link to the SPA's pages (mail.verify_link, mail.reset_link), and the
// SPA hands their tokens to the API.
func TestMailLinksOpenTheFrontend(t *testing.T) {
	h := newHarness(t, nil, func(c *config.Config) { c.Server.FrontendURL = "https://blog.example.com/app" })
	h.register("felix", "felix@example.com", "old password")

	m := h.latest("felix@example.com", subjVerify)
	for _, body := range []string{m.Text, m.HTML} {
		if !strings.Contains(body, "https://blog.example.com/app/verify-email?token=") || strings.Contains(body, mail.VerifyPath) {
			t.Fatalf("verification mail does not link to the frontend:\n%s", body)
		}
	}
	verify, ok := mail.LinkToken(m.Text, "/verify-email")
	if !ok {
		t.Fatalf("no token in %s", m.Text)
	}
	apitest.Expect(t, h.openLink(mail.VerifyPath, verify), 200, "the SPA verifies with the link's token")

	id, answer := h.c.Captcha(h.inst)
	apitest.Expect(t, h.c.Call(http.MethodPost, "/blogapi/password/forgot", map[string]string{"email": "felix@example.com", "captcha": answer, "captcha_id": id}), 200, "forgot")
	m = h.latest("felix@example.com", subjReset)
	reset, ok := mail.LinkToken(m.Text, "https://blog.example.com/app/reset-password")
	if !ok || strings.Contains(m.HTML, mail.ResetPath) {
		t.Fatalf("reset mail does not link to the frontend:\n%s", m.Text)
	}
	apitest.Expect(t, h.c.Call(http.MethodPost, "/blogapi/password/reset", map[string]string{"token": reset, "password": apitest.MD5Hex("new password")}), 200, "the SPA resets with the link's token")
	apitest.Expect(t, h.loginReply("felix", "new password", false), 200, "the new password")
}
