package e2e

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/blogapi/blogapi/config"
	"github.com/blogapi/blogapi/internal/apitest"
	"github.com/blogapi/blogapi/internal/app"
	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
	"github.com/blogapi/blogapi/services/account"
	"github.com/blogapi/blogapi/services/captcha"
)

// TestMetrics drives real requests through the router and reads them back
// from GET /metrics: requests by route, method and
// envelope code, signature rejections, login outcomes, captchas, database
// command latency and the Go runtime; and no label carries user data.
func TestMetrics(t *testing.T) {
	clk := apitest.NewClock()
	cfg := apitest.Config(t)
	m := app.NewMetrics(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	inst := apitest.StartWith(t, cfg, dbtest.Open(t, models.Options{Now: clk.Now, Observe: m.ObserveCommand}), clk, m)
	c := apitest.NewClient(t, inst.Srv.URL, clk)

	// User data that must not reach a label.
	const account, email = "Zq9Distinctive", "zq9-secret-mail@example.com"

	apitest.Expect(t, register(t, c, inst, account, email, "pw"), 200, "register")
	id, _ := c.Captcha(inst)
	apitest.Expect(t, c.Call(http.MethodPost, "/blogapi/reg", map[string]string{
		"account": "other", "password": apitest.MD5Hex("pw"), "email": "o@example.com", "captcha": "wrong", "captcha_id": id,
	}), 400, "register with a wrong captcha")
	apitest.Expect(t, c.Call(http.MethodPost, "/blogapi/reg", map[string]string{
		"account": "other", "password": apitest.MD5Hex("pw"), "email": "o@example.com", "captcha": "abcd", "captcha_id": id,
	}), 400, "register with a used captcha")
	d := login(t, c, account, "pw")
	apitest.Expect(t, c.Call(http.MethodPost, "/blogapi/login", map[string]string{"account": account, "password": apitest.MD5Hex("nope")}), 401, "wrong password")
	apitest.Expect(t, c.Call(http.MethodPost, "/blogapi/login", map[string]string{"account": email, "password": "not-md5"}), 400, "malformed password")
	for range 2 {
		apitest.Expect(t, c.CallWith(http.MethodGet, "/blogapi/user/center", nil, accessHdr(d.Token)), 200, "user centre")
	}
	apitest.Expect(t, c.Call(http.MethodGet, "/blogapi/reg/check/username", map[string]string{"account": account}), 200, "check username")

	// Signature rejections: a forged token (514), no token (511).
	apitest.Expect(t, c.Send(c.SignedRaw(http.MethodGet, "/blogapi/user/center", "", nil, map[string]string{"forged": "1"})), 514, "forged")
	req, _ := http.NewRequest(http.MethodGet, c.Base+"/blogapi/user/center?auth_key="+apitest.Key, nil)
	apitest.Expect(t, c.Send(req), 511, "no token")
	// Unknown routes carrying user data and ids, and an unknown method.
	req, _ = http.NewRequest(http.MethodGet, c.Base+"/blogapi/users/"+account+"/65f0c0ffee0123456789abcd?email="+email, nil)
	apitest.Expect(t, c.Send(req), 404, "unknown route")
	req, _ = http.NewRequest("FROB", c.Base+"/healthz", nil)
	if r := c.Send(req); r.Status != 405 {
		t.Fatalf("FROB /healthz: %d", r.Status)
	}

	s := apitest.ScrapeMetrics(t, c)
	checks := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"blogapi_http_requests_total", []string{"route", "/blogapi/user/center", "method", "GET", "code", "200"}, 2},
		{"blogapi_http_requests_total", []string{"route", "/blogapi/login", "method", "POST", "code", "401"}, 1},
		{"blogapi_http_requests_total", []string{"route", "/blogapi/reg", "method", "POST", "code", "400"}, 2},
		{"blogapi_http_requests_total", []string{"route", "/blogapi/user/center", "code", "514"}, 1},
		{"blogapi_http_requests_total", []string{"route", "unmatched", "method", "GET", "code", "404"}, 1},
		{"blogapi_http_requests_total", []string{"route", "unmatched", "method", "other", "code", "405"}, 1},
		{"blogapi_http_request_duration_seconds_count", []string{"route", "/blogapi/user/center", "method", "GET"}, 4},
		{"blogapi_http_request_db_commands_sum", []string{"route", "/blogapi/user/center"}, 4}, // 2 each; none when refused
		{"blogapi_signature_rejections_total", []string{"code", "514"}, 1},
		{"blogapi_signature_rejections_total", []string{"code", "511"}, 1},
		{"blogapi_signature_rejections_total", []string{"code", "513"}, 0},
		{"blogapi_logins_total", []string{"outcome", "success"}, 1},
		{"blogapi_logins_total", []string{"outcome", "bad_credentials"}, 1},
		{"blogapi_logins_total", []string{"outcome", "invalid"}, 1},
		{"blogapi_logins_total", []string{"outcome", "locked"}, 0},
		{"blogapi_captchas_issued_total", nil, 2},
		{"blogapi_captcha_checks_total", []string{"result", "verified"}, 1},
		{"blogapi_captcha_checks_total", []string{"result", "wrong"}, 1},
		{"blogapi_captcha_checks_total", []string{"result", "unknown"}, 1},
	}
	for _, ch := range checks {
		if got := s.Value(t, ch.name, ch.labels...); got != ch.want {
			t.Errorf("%s%v = %v, want %v", ch.name, ch.labels, got, ch.want)
		}
	}
	for _, cmd := range []string{"find", "insert", "findAndModify"} {
		if n := s.Value(t, "blogapi_db_command_duration_seconds_count", "command", cmd, "outcome", "ok"); n < 1 {
			t.Errorf("no %s observed by the command monitor", cmd)
		}
	}
	if sum := s.Value(t, "blogapi_db_command_duration_seconds_sum"); sum <= 0 {
		t.Errorf("database command latency sum %v", sum)
	}
	for _, family := range []string{"go_goroutines", "go_gc_duration_seconds_count", "go_memstats_heap_alloc_bytes", "process_start_time_seconds"} {
		if n := s.Value(t, family); n <= 0 {
			t.Errorf("%s = %v", family, n)
		}
	}

	// No user data in any label value or anywhere else in the apitest.Scrape.
	for _, secret := range []string{account, strings.ToLower(account), email, d.Token, d.RefreshToken, d.User.ID, id, "65f0c0ffee"} {
		if strings.Contains(s.Text, secret) {
			t.Errorf("the apitest.Scrape contains user data %q", secret)
		}
	}
	// Every route label is a route template or "unmatched".
	routeRe := regexp.MustCompile(`route="([^"]*)"`)
	for _, m := range routeRe.FindAllStringSubmatch(s.Text, -1) {
		if r := m[1]; r != "unmatched" && r != "/metrics" && r != "/healthz" && !strings.HasPrefix(r, "/blogapi/") {
			t.Errorf("route label %q", r)
		}
	}
}

// TestMetricsDisabled: metrics.enabled false serves no /metrics anywhere.
func TestMetricsDisabled(t *testing.T) {
	clk := apitest.NewClock()
	cfg := apitest.Config(t)
	cfg.Metrics.Enabled = false
	inst := apitest.Start(t, cfg, apitest.NewDB(t, clk), clk)
	if inst.App.Metrics != nil {
		t.Fatal("a metrics listener handler with metrics disabled")
	}
	c := apitest.NewClient(t, inst.Srv.URL, clk)
	req, _ := http.NewRequest(http.MethodGet, c.Base+"/metrics", nil)
	apitest.Expect(t, c.Send(req), 404, "/metrics with metrics disabled")
}

// TestMetricsListener runs the server as `go run .` does with metrics.addr
// and metrics.pprof set: /metrics and the profiler are served on the
// metrics listener only, the API's router answers both with the 404
// envelope, a CPU profile can be taken, and both listeners stop on
// metrics.pprof, the metrics listener serves /metrics and no profiler.
func TestMetricsListenerWithoutPProf(t *testing.T) {
	clk := apitest.NewClock()
	cfg := apitest.Config(t)
	cfg.Metrics.Addr = "127.0.0.1:0"
	inst := apitest.Start(t, cfg, apitest.NewDB(t, clk), clk)
	if inst.App.Metrics == nil {
		t.Fatal("no metrics listener handler with metrics.addr set")
	}
	c := apitest.NewClient(t, inst.Srv.URL, clk)
	req, _ := http.NewRequest(http.MethodGet, c.Base+"/metrics", nil)
	apitest.Expect(t, c.Send(req), 404, "/metrics on the API router with metrics.addr set")

	srv := httptestServer(t, inst.App.Metrics)
	mc := apitest.NewClient(t, srv, clk)
	s := apitest.ScrapeMetrics(t, mc)
	if n := s.Value(t, "blogapi_http_requests_total", "route", "unmatched", "code", "404"); n != 1 {
		t.Errorf("the API's 404 counted %v times, want 1", n)
	}
	// The metrics listener is not the API (no envelope, not in
	// docs/openapi.yaml): plain requests.
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/profile", "/debug/pprof/cmdline"} {
		resp, err := http.Get(srv + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("%s without metrics.pprof: %d", path, resp.StatusCode)
		}
	}
}

// httptestServer serves h on a loopback listener until the test ends and
// returns its base URL.
func httptestServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestMetricsLoginOutcomes: every outcome the login service distinguishes
// is counted under its own label, and captcha checks by result (thresholds
// lowered: a captcha after one failure, a lock after two).
func TestMetricsLoginOutcomes(t *testing.T) {
	h := newHarness(t, nil, func(c *config.Config) {
		c.Security.LoginCaptchaAfter, c.Security.LoginCaptchaAfterIP, c.Security.LoginLockAfter = 1, 1, 2
	})
	for _, u := range []string{"alice", "bob", "carol"} {
		h.register(u, u+"@example.com", "pw")
	}
	apitest.Expect(t, h.loginReply("alice", "wrong", false), 401, "wrong password")
	apitest.Expect(t, h.loginReply("alice", "pw", false), 400, "captcha required")
	apitest.Expect(t, h.c.Call(http.MethodPost, "/blogapi/login", map[string]string{
		"account": "alice", "password": apitest.MD5Hex("pw"), "captcha": "abcd", "captcha_id": "made-up",
	}), 400, "unknown captcha")
	apitest.Expect(t, h.loginReply("alice", "wrong", true), 401, "wrong password with a captcha")
	apitest.Expect(t, h.loginReply("alice", "pw", true), 429, "locked")
	h.setStatus("bob", models.StatusFreeze)
	apitest.Expect(t, h.loginReply("bob", "pw", true), 403, "frozen")
	apitest.Expect(t, h.c.Call(http.MethodPost, "/blogapi/login", map[string]string{"account": " ", "password": apitest.MD5Hex("pw")}), 400, "no account")
	apitest.Expect(t, h.loginReply("carol", "pw", true), 200, "success")

	s := apitest.ScrapeMetrics(t, h.c)
	for outcome, want := range map[account.LoginOutcome]float64{
		account.LoginSuccess: 1, account.LoginBadCredentials: 2, account.LoginCaptchaRequired: 1,
		account.LoginCaptchaFailed: 1, account.LoginLocked: 1, account.LoginForbidden: 1,
		account.LoginInvalid: 1, account.LoginError: 0,
	} {
		if got := s.Value(t, "blogapi_logins_total", "outcome", string(outcome)); got != want {
			t.Errorf("logins %s = %v, want %v", outcome, got, want)
		}
	}
	if got := s.Value(t, "blogapi_logins_total"); got != 8 {
		t.Errorf("%v logins counted in all, want 8", got)
	}
	// Captchas: 3 registrations and 4 logins fetched one; the locked login
	// never checked its captcha (the lock comes first).
	if got := s.Value(t, "blogapi_captchas_issued_total"); got != 7 {
		t.Errorf("captchas issued %v, want 7", got)
	}
	for result, want := range map[captcha.Result]float64{
		captcha.ResultVerified: 6, captcha.ResultUnknown: 1, captcha.ResultWrong: 0,
	} {
		if got := s.Value(t, "blogapi_captcha_checks_total", "result", string(result)); got != want {
			t.Errorf("captcha checks %s = %v, want %v", result, got, want)
		}
	}
}
