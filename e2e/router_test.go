package e2e

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/blogapi/blogapi/internal/apitest"
	"github.com/blogapi/blogapi/middleware"
)

// TestEnvelopeEverywhere: unknown routes, wrong methods and the unsigned
// operational routes all answer with the envelope.
func TestEnvelopeEverywhere(t *testing.T) {
	clk := apitest.NewClock()
	inst := apitest.Start(t, apitest.Config(t), apitest.NewDB(t, clk), clk)
	c := apitest.NewClient(t, inst.Srv.URL, clk)
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{http.MethodGet, "/nope", 404},
		{http.MethodGet, "/blogapi/nope", 404}, // no route: the signed group never runs
		{http.MethodDelete, "/healthz", 405},
		{http.MethodGet, "/healthz", 200},
		{http.MethodGet, "/readyz", 200},
	} {
		req, _ := http.NewRequest(tc.method, inst.Srv.URL+tc.path, nil)
		r := c.Send(req)
		if r.Code != tc.code || r.Msg == "" {
			t.Errorf("%s %s: code %d msg %q body %s; want %d", tc.method, tc.path, r.Code, r.Msg, r.Body, tc.code)
		}
		if r.Header.Get("X-Request-Id") == "" {
			t.Errorf("%s %s: no X-Request-Id", tc.method, tc.path)
		}
	}
	r := c.Call(http.MethodGet, "/blogapi/nope", nil)
	apitest.Expect(t, r, 404, "signed unknown route")
	r = c.Call(http.MethodDelete, "/blogapi/login", nil)
	apitest.Expect(t, r, 405, "signed wrong method")
}

// TestHeadLimits: a URI or a request head over the API's limits is answered
// 414 or 431 with the envelope (docs/openapi.yaml, URITooLong and
// HeadersTooLarge), on a signed route as on an unsigned one.
func TestHeadLimits(t *testing.T) {
	clk := apitest.NewClock()
	inst := apitest.Start(t, apitest.Config(t), apitest.NewDB(t, clk), clk)
	c := apitest.NewClient(t, inst.Srv.URL, clk)
	for _, path := range []string{"/healthz", "/blogapi/reg/check/username"} {
		req, _ := http.NewRequest(http.MethodGet, inst.Srv.URL+path+"?q="+strings.Repeat("x", middleware.MaxURIBytes), nil)
		r := c.Send(req)
		if r.Status != 414 || r.Code != 414 || r.Msg != "request URI is too long" {
			t.Errorf("%s, long URI: status %d code %d msg %q; want 414", path, r.Status, r.Code, r.Msg)
		}
		req, _ = http.NewRequest(http.MethodGet, inst.Srv.URL+path, nil)
		req.Header.Set("X-Padding", strings.Repeat("y", middleware.MaxHeaderBytes))
		r = c.Send(req)
		if r.Status != 431 || r.Code != 431 || r.Msg != "request headers are too large" {
			t.Errorf("%s, large head: status %d code %d msg %q; want 431", path, r.Status, r.Code, r.Msg)
		}
	}
}

// TestExtraSlashes: a signed request to a path with repeated slashes (the
// blog SPA posts to `//blogapi/upload`) reaches the route of the cleaned
// path; an unknown path stays a 404.
func TestExtraSlashes(t *testing.T) {
	clk := apitest.NewClock()
	inst := apitest.Start(t, apitest.Config(t), apitest.NewDB(t, clk), clk)
	c := apitest.NewClient(t, inst.Srv.URL, clk)
	for _, path := range []string{"//blogapi/reg/check/username", "/blogapi//reg/check///username"} {
		r := c.Call(http.MethodGet, path, map[string]string{"account": "slashes"})
		apitest.Expect(t, r, 200, path)
	}
	r := c.Call(http.MethodPost, "//blogapi/upload", nil)
	if r.Code == 404 || r.Code == 405 {
		t.Errorf("POST //blogapi/upload: %d %q; want the upload route's answer", r.Code, r.Msg)
	}
	apitest.Expect(t, c.Call(http.MethodGet, "//blogapi//nope", nil), 404, "unknown path with extra slashes")
}

// TestStandardStatusPolicy: response.http_status standard keeps code but
// sends statuses proxies understand (docs/routes.md).
func TestStandardStatusPolicy(t *testing.T) {
	clk := apitest.NewClock()
	cfg := apitest.Config(t)
	cfg.Response.HTTPStatus = "standard"
	inst := apitest.Start(t, cfg, apitest.NewDB(t, clk), clk)
	c := apitest.NewClient(t, inst.Srv.URL, clk)
	req, _ := http.NewRequest(http.MethodGet, inst.Srv.URL+"/blogapi/service/captcha", nil)
	r := c.Send(req)
	if r.Code != 511 || r.Status != 401 {
		t.Fatalf("standard policy: status %d code %d", r.Status, r.Code)
	}
	r = c.CallWith(http.MethodGet, "/blogapi/user/center", nil, accessHdr("x.y.z"))
	if r.Code != 521 || r.Status != 401 {
		t.Fatalf("standard policy 521: status %d code %d", r.Status, r.Code)
	}
}

// TestCaptchaEndpoint: envelope and raw SVG forms, id header and cookie,
// size bounds.
func TestCaptchaEndpoint(t *testing.T) {
	clk := apitest.NewClock()
	inst := apitest.Start(t, apitest.Config(t), apitest.NewDB(t, clk), clk)
	c := apitest.NewClient(t, inst.Srv.URL, clk)

	r := c.Call(http.MethodGet, "/blogapi/service/captcha", map[string]string{"width": "150", "height": "50", "format": "json"})
	apitest.Expect(t, r, 200, "captcha")
	var svg string
	r.Decode(t, &svg)
	if !strings.HasPrefix(svg, "<svg") || !strings.Contains(svg, `width="150"`) || !strings.Contains(svg, `height="50"`) || strings.Contains(svg, "<text") {
		t.Fatalf("svg %.200s", svg)
	}
	id := r.Header.Get("X-Captcha-Id")
	var cookie *http.Cookie
	for _, ck := range (&http.Response{Header: r.Header}).Cookies() {
		if ck.Name == "captcha_id" {
			cookie = ck
		}
	}
	if cookie == nil || cookie.Value != id || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode {
		t.Fatalf("captcha_id cookie %+v, header id %q", cookie, id)
	}
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", r.Header.Get("Cache-Control"))
	}

	// The raw SVG by default (the API document's "returns an SVG file";
	// the blog SPA puts the body into the page), for axios's Accept too;
	// the envelope for an Accept that names JSON only.
	for _, accept := range []string{"", "image/svg+xml", "application/json, text/plain, */*"} {
		r = c.CallWith(http.MethodGet, "/blogapi/service/captcha", nil, http.Header{"Accept": {accept}})
		if r.Status != 200 || r.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(string(r.Body), "<svg") || r.Header.Get("X-Captcha-Id") == "" {
			t.Fatalf("raw svg for Accept %q: %d %q %.80s", accept, r.Status, r.Header.Get("Content-Type"), r.Body)
		}
	}
	if r := c.CallWith(http.MethodGet, "/blogapi/service/captcha", nil, http.Header{"Accept": {"application/json"}}); r.Code != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("Accept: application/json: %d %q", r.Code, r.Header.Get("Content-Type"))
	}
	if r := c.Call(http.MethodGet, "/blogapi/service/captcha", map[string]string{"format": "png"}); r.Code != 400 {
		t.Fatalf("format=png: %s", r.Body)
	}
	if !strings.Contains(string(r.Body), `width="150"`) || !strings.Contains(string(r.Body), `height="50"`) {
		t.Fatalf("default size not 150x50: %.200s", r.Body)
	}

	for _, p := range []map[string]string{
		{"width": "39"}, {"width": "601"}, {"height": "19"}, {"height": "201"}, {"width": "abc"}, {"height": "1e3"},
	} {
		apitest.Expect(t, c.Call(http.MethodGet, "/blogapi/service/captcha", p), 400, "size "+strings.Join(mapPairs(p), ","))
	}
}

func mapPairs(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return out
}

// TestTokenAttacks: each forged or misused token is refused with its code.
func TestTokenAttacks(t *testing.T) {
	clk := apitest.NewClock()
	db := apitest.NewDB(t, clk)
	inst := apitest.Start(t, apitest.Config(t), db, clk)
	c := apitest.NewClient(t, inst.Srv.URL, clk)
	apitest.Expect(t, register(t, c, inst, "victim", "victim@example.com", "pw"), 200, "register")
	s := login(t, c, "victim", "pw")

	parts := strings.Split(s.Token, ".")
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"typ":"access"`, `"typ":"access","x":1`, 1)))

	cases := []struct {
		name string
		hdr  http.Header
		code int
	}{
		{"alg none", accessHdr(noneHeader + "." + parts[1] + "."), 521},
		{"tampered payload", accessHdr(parts[0] + "." + tampered + "." + parts[2]), 521},
		{"tampered signature", accessHdr(parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))), 521},
		{"garbage", accessHdr("not-a-jwt"), 521},
		{"refresh as access", accessHdr(s.RefreshToken), 521},
		{"basic scheme", http.Header{"Authorization": {"Basic dXNlcjpwYXNz"}}, 401},
		{"valid", accessHdr(s.Token), 200},
	}
	for _, tc := range cases {
		apitest.Expect(t, c.CallWith(http.MethodGet, "/blogapi/user/center", nil, tc.hdr), tc.code, tc.name)
	}
	// an access token is not a refresh token
	apitest.Expect(t, c.Call(http.MethodPost, "/blogapi/service/renewal", map[string]string{"refreshToken": s.Token}), 521, "access as refresh")
	apitest.Expect(t, c.Call(http.MethodPost, "/blogapi/service/renewal", map[string]string{}), 400, "renewal without token")

	// expired access token → 402; the refresh token still renews
	clk.Advance(2*time.Hour + time.Minute) // past exp and its 5 s leeway
	apitest.Expect(t, c.CallWith(http.MethodGet, "/blogapi/user/center", nil, accessHdr(s.Token)), 402, "expired access")
	apitest.Expect(t, c.Call(http.MethodPost, "/blogapi/service/renewal", map[string]string{"refreshToken": s.RefreshToken}), 200, "renew after access expiry")
	clk.Advance(15 * 24 * time.Hour)
	apitest.Expect(t, c.Call(http.MethodPost, "/blogapi/service/renewal", map[string]string{"refreshToken": s.RefreshToken}), 402, "expired refresh")
}

// TestRequestBodyAttacks: malformed bodies are 4xx envelopes through the
// whole router.
func TestRequestBodyAttacks(t *testing.T) {
	clk := apitest.NewClock()
	cfg := apitest.Config(t)
	cfg.Server.MaxBodyBytes = 4096
	db := apitest.NewDB(t, clk)
	inst := apitest.Start(t, cfg, db, clk)
	c := apitest.NewClient(t, inst.Srv.URL, clk)

	cases := []struct {
		name, ct, body string
		code           int
	}{
		{"malformed JSON", "application/json", `{"account":"x",`, 400},
		{"duplicate members", "application/json", `{"account":"a","account":"b"}`, 400},
		{"array body", "application/json", `["account"]`, 400},
		{"string body", "application/json", `"account"`, 400},
		{"invalid UTF-8", "application/json", "{\"account\":\"\xff\xfe\"}", 400},
		{"oversized", "application/json", `{"account":"` + strings.Repeat("a", 5000) + `"}`, 413},
	}
	for _, tc := range cases {
		req := c.SignedRaw(http.MethodPost, "/blogapi/login", tc.ct, []byte(tc.body), map[string]string{})
		r := c.Send(req)
		if r.Code != tc.code {
			t.Errorf("%s: code %d status %d body %s; want %d", tc.name, r.Code, r.Status, r.Body, tc.code)
		}
	}
	// an XML body is not signed, so nothing is bound from it
	r := c.Send(c.SignedRaw(http.MethodPost, "/blogapi/login", "application/xml",
		[]byte(`<login><account>victim</account><password>`+apitest.MD5Hex("pw")+`</password></login>`), map[string]string{}))
	apitest.Expect(t, r, 400, "xml body")
	if r.Msg != "account is required" {
		t.Fatalf("xml body was bound: %q", r.Msg)
	}

	// a huge number where a string belongs, correctly signed: still a 400
	r = c.Send(c.SignedRawJSON(http.MethodPost, "/blogapi/login", `{"account":1e999999,"password":"`+apitest.MD5Hex("pw")+`"}`))
	apitest.Expect(t, r, 400, "huge number")
	if r.Msg != "account must be a string" {
		t.Fatalf("huge number: %q", r.Msg)
	}
	assertUsers(t, db, 0)
}

// TestSignedFormBody: the signing parameters and the data may all travel
// in a form body, as the seed's clients send them.
func TestSignedFormBody(t *testing.T) {
	clk := apitest.NewClock()
	inst := apitest.Start(t, apitest.Config(t), apitest.NewDB(t, clk), clk)
	c := apitest.NewClient(t, inst.Srv.URL, clk)
	apitest.Expect(t, register(t, c, inst, "former", "former@example.com", "pw"), 200, "register")

	form := c.SignedForm(map[string]string{"account": "former", "password": apitest.MD5Hex("pw")})
	r := c.PostForm("/blogapi/login", form)
	apitest.Expect(t, r, 200, "form login")
	var d loginData
	r.Decode(t, &d)
	if d.Token == "" || d.User.Account != "former" {
		t.Fatalf("form login data %s", r.Data)
	}

	// the same form with one value changed fails the signature
	form.Set("account", "FORMER")
	apitest.Expect(t, c.PostForm("/blogapi/login", form), 514, "tampered form")
}

// TestCORS: server.cors.allowed_origins lets listed browser origins call
// the API with credentials, and only them.
func TestCORS(t *testing.T) {
	const listed = "http://localhost:5173"
	clk := apitest.NewClock()
	cfg := apitest.Config(t)
	cfg.Server.CORS.AllowedOrigins = []string{listed, "https://blog.example.com"}
	inst := apitest.Start(t, cfg, apitest.NewDB(t, clk), clk)
	c := apitest.NewClient(t, inst.Srv.URL, clk)

	// preflight: answered before routing, no envelope (the contract check
	// of c.send allows that for a preflight only)
	pre, _ := http.NewRequest(http.MethodOptions, inst.Srv.URL+"/blogapi/user/update", nil)
	pre.Header.Set("Origin", listed)
	pre.Header.Set("Access-Control-Request-Method", http.MethodPut)
	pre.Header.Set("Access-Control-Request-Headers", "access-token, authorization, content-type")
	r := c.Send(pre)
	if r.Status != http.StatusNoContent || len(r.Body) != 0 {
		t.Errorf("preflight: status %d body %q, want 204 and none", r.Status, r.Body)
	}
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != listed {
		t.Errorf("preflight: Allow-Origin %q, want %q", got, listed)
	}
	if got := r.Header.Get("Access-Control-Allow-Credentials"); got != "true" {
		t.Errorf("preflight: Allow-Credentials %q, want true", got)
	}
	allowed := strings.ToLower(r.Header.Get("Access-Control-Allow-Headers"))
	for _, h := range []string{"access-token", "authorization", "content-type"} {
		if !strings.Contains(allowed, h) {
			t.Errorf("preflight: Allow-Headers %q lacks %s", allowed, h)
		}
	}
	if got := r.Header.Get("Access-Control-Allow-Methods"); !strings.Contains(got, http.MethodPut) {
		t.Errorf("preflight: Allow-Methods %q lacks PUT", got)
	}

	// an actual request from a listed origin can read X-Captcha-Id
	r = c.CallWith(http.MethodGet, "/blogapi/service/captcha", map[string]string{"format": "json"}, http.Header{"Origin": {listed}})
	apitest.Expect(t, r, 200, "captcha from a listed origin")
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != listed {
		t.Errorf("captcha: Allow-Origin %q, want %q", got, listed)
	}
	if got := r.Header.Get("Access-Control-Allow-Credentials"); got != "true" {
		t.Errorf("captcha: Allow-Credentials %q, want true", got)
	}
	if got := r.Header.Get("Access-Control-Expose-Headers"); !strings.Contains(strings.ToLower(got), "x-captcha-id") {
		t.Errorf("captcha: Expose-Headers %q lacks X-Captcha-Id", got)
	}

	// an unlisted origin is refused with the envelope, preflight or not
	for _, method := range []string{http.MethodGet, http.MethodOptions} {
		req, _ := http.NewRequest(method, inst.Srv.URL+"/healthz", nil)
		req.Header.Set("Origin", "https://evil.example.com")
		req.Header.Set("Access-Control-Request-Method", http.MethodGet)
		r = c.Send(req)
		apitest.Expect(t, r, 403, method+" from an unlisted origin")
		if got := r.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("%s unlisted origin: Allow-Origin %q, want none", method, got)
		}
	}
	// a listed origin with another port or scheme is another origin
	r = c.CallWith(http.MethodGet, "/blogapi/service/captcha", map[string]string{"format": "json"}, http.Header{"Origin": {"http://localhost:5174"}})
	apitest.Expect(t, r, 403, "captcha from a neighbouring port")

	// server.public_url's origin is listed with the others: behind a proxy
	// the site's own pages send it while the Host the server sees differs
	r = c.CallWith(http.MethodGet, "/blogapi/service/captcha", map[string]string{"format": "json"}, http.Header{"Origin": {"http://localhost:8080"}})
	apitest.Expect(t, r, 200, "captcha from server.public_url's origin")
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != "http://localhost:8080" {
		t.Errorf("public origin: Allow-Origin %q", got)
	}
	if got := r.Header.Get("Vary"); !strings.Contains(got, "Origin") {
		t.Errorf("Vary %q lacks Origin", got)
	}

	// no Origin (curl, Postman) or the server's own origin: not CORS, untouched
	for _, origin := range []string{"", inst.Srv.URL} {
		req, _ := http.NewRequest(http.MethodGet, inst.Srv.URL+"/healthz", nil)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		r = c.Send(req)
		apitest.Expect(t, r, 200, "healthz with Origin "+origin)
		if got := r.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("Origin %q: Allow-Origin %q, want none", origin, got)
		}
		if got := r.Header.Get("Vary"); !strings.Contains(got, "Origin") {
			t.Errorf("Origin %q: Vary %q lacks Origin (a cache would serve it to other origins)", origin, got)
		}
	}
}

// TestCORSAnyOrigin: "*" (debug mode only) answers any origin but never
// with credentials, which browsers would refuse with "*" anyway.
func TestCORSAnyOrigin(t *testing.T) {
	clk := apitest.NewClock()
	cfg := apitest.Config(t)
	cfg.Server.CORS.AllowedOrigins = []string{"*"}
	inst := apitest.Start(t, cfg, apitest.NewDB(t, clk), clk)
	c := apitest.NewClient(t, inst.Srv.URL, clk)
	req, _ := http.NewRequest(http.MethodGet, inst.Srv.URL+"/healthz", nil)
	req.Header.Set("Origin", "https://anywhere.example.com")
	r := c.Send(req)
	apitest.Expect(t, r, 200, "healthz from any origin")
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Allow-Origin %q, want *", got)
	}
	if got := r.Header.Get("Access-Control-Allow-Credentials"); got != "" {
		t.Errorf("Allow-Credentials %q with *, want none", got)
	}
}

// TestNoCORSByDefault: with no origins configured a cross-origin request
// is served without CORS headers, so a browser does not hand the answer
// to the page.
func TestNoCORSByDefault(t *testing.T) {
	clk := apitest.NewClock()
	inst := apitest.Start(t, apitest.Config(t), apitest.NewDB(t, clk), clk)
	c := apitest.NewClient(t, inst.Srv.URL, clk)
	r := c.CallWith(http.MethodGet, "/blogapi/service/captcha", map[string]string{"format": "json"}, http.Header{"Origin": {"http://localhost:5173"}})
	apitest.Expect(t, r, 200, "captcha without CORS configured")
	if got := r.Header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("Allow-Origin %q, want none", got)
	}
}
