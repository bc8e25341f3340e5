package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/blogapi/blogapi/config"
	"github.com/blogapi/blogapi/internal/app"
	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/models/dbtest"
	"github.com/blogapi/blogapi/services/account"
	"github.com/blogapi/blogapi/services/captcha"
)

// scrape is one parsed answer of a /metrics endpoint.
type scrape struct {
	text    string
	samples model.Vector
}

// scrapeMetrics fetches GET /metrics from c's server, unsigned, and parses
// it as the Prometheus text format.
func scrapeMetrics(t *testing.T, c *client) scrape {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	r := c.send(req)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("GET /metrics: %d %q %.200s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	return parseScrape(t, string(r.Body))
}

func parseScrape(t *testing.T, text string) scrape {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("/metrics is not the Prometheus text format: %v", err)
	}
	var s scrape
	s.text = text
	for _, f := range families {
		v, err := expfmt.ExtractSamples(&expfmt.DecodeOptions{Timestamp: model.Now()}, f)
		if err != nil {
			t.Fatal(err)
		}
		s.samples = append(s.samples, v...)
	}
	return s
}

// value is the sum of the samples named name whose labels include the
// given name/value pairs; the test fails when there is none.
func (s scrape) value(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	var sum float64
	found := false
	for _, smp := range s.samples {
		if string(smp.Metric[model.MetricNameLabel]) != name {
			continue
		}
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			if string(smp.Metric[model.LabelName(labels[i])]) != labels[i+1] {
				match = false
			}
		}
		if match {
			sum += float64(smp.Value)
			found = true
		}
	}
	if !found {
		t.Fatalf("no sample %s%v in the scrape", name, labels)
	}
	return sum
}

// TestMetrics drives real requests through the router and reads them back
// from GET /metrics (issue 5 item 1): requests by route, method and
// envelope code, signature rejections, login outcomes, captchas, database
// command latency and the Go runtime; and no label carries user data.
func TestMetrics(t *testing.T) {
	clk := newClock()
	cfg := testConfig(t)
	m := app.NewMetrics(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	inst := startInstanceWith(t, cfg, dbtest.Open(t, models.Options{Now: clk.Now, Observe: m.ObserveCommand}), clk, m)
	c := newClient(t, inst.srv.URL, clk)

	// User data that must not reach a label.
	const account, email = "Zq9Distinctive", "zq9-secret-mail@example.com"

	expect(t, register(t, c, inst, account, email, "pw"), 200, "register")
	id, _ := c.captcha(inst)
	expect(t, c.call(http.MethodPost, "/blogapi/reg", map[string]string{
		"account": "other", "password": md5hex("pw"), "email": "o@example.com", "captcha": "wrong", "captcha_id": id,
	}), 400, "register with a wrong captcha")
	expect(t, c.call(http.MethodPost, "/blogapi/reg", map[string]string{
		"account": "other", "password": md5hex("pw"), "email": "o@example.com", "captcha": "abcd", "captcha_id": id,
	}), 400, "register with a used captcha")
	d := login(t, c, account, "pw")
	expect(t, c.call(http.MethodPost, "/blogapi/login", map[string]string{"account": account, "password": md5hex("nope")}), 401, "wrong password")
	expect(t, c.call(http.MethodPost, "/blogapi/login", map[string]string{"account": email, "password": "not-md5"}), 400, "malformed password")
	for range 2 {
		expect(t, c.callWith(http.MethodGet, "/blogapi/user/center", nil, accessHdr(d.Token)), 200, "user centre")
	}
	expect(t, c.call(http.MethodGet, "/blogapi/reg/check/username", map[string]string{"account": account}), 200, "check username")

	// Signature rejections: a forged token (514), no token (511).
	expect(t, c.send(c.signedRaw(http.MethodGet, "/blogapi/user/center", "", nil, map[string]string{"forged": "1"})), 514, "forged")
	req, _ := http.NewRequest(http.MethodGet, c.base+"/blogapi/user/center?auth_key="+testKey, nil)
	expect(t, c.send(req), 511, "no token")
	// Unknown routes carrying user data and ids, and an unknown method.
	req, _ = http.NewRequest(http.MethodGet, c.base+"/blogapi/users/"+account+"/65f0c0ffee0123456789abcd?email="+email, nil)
	expect(t, c.send(req), 404, "unknown route")
	req, _ = http.NewRequest("FROB", c.base+"/healthz", nil)
	if r := c.send(req); r.Status != 405 {
		t.Fatalf("FROB /healthz: %d", r.Status)
	}

	s := scrapeMetrics(t, c)
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
		if got := s.value(t, ch.name, ch.labels...); got != ch.want {
			t.Errorf("%s%v = %v, want %v", ch.name, ch.labels, got, ch.want)
		}
	}
	for _, cmd := range []string{"find", "insert", "findAndModify"} {
		if n := s.value(t, "blogapi_db_command_duration_seconds_count", "command", cmd, "outcome", "ok"); n < 1 {
			t.Errorf("no %s observed by the command monitor", cmd)
		}
	}
	if sum := s.value(t, "blogapi_db_command_duration_seconds_sum"); sum <= 0 {
		t.Errorf("database command latency sum %v", sum)
	}
	for _, family := range []string{"go_goroutines", "go_gc_duration_seconds_count", "go_memstats_heap_alloc_bytes", "process_start_time_seconds"} {
		if n := s.value(t, family); n <= 0 {
			t.Errorf("%s = %v", family, n)
		}
	}

	// No user data in any label value or anywhere else in the scrape.
	for _, secret := range []string{account, strings.ToLower(account), email, d.Token, d.RefreshToken, d.User.ID.Hex(), id, "65f0c0ffee"} {
		if strings.Contains(s.text, secret) {
			t.Errorf("the scrape contains user data %q", secret)
		}
	}
	// Every route label is a route template or "unmatched".
	routeRe := regexp.MustCompile(`route="([^"]*)"`)
	for _, m := range routeRe.FindAllStringSubmatch(s.text, -1) {
		if r := m[1]; r != "unmatched" && r != "/metrics" && r != "/healthz" && !strings.HasPrefix(r, "/blogapi/") {
			t.Errorf("route label %q", r)
		}
	}
}

// TestMetricsDisabled: metrics.enabled false serves no /metrics anywhere.
func TestMetricsDisabled(t *testing.T) {
	clk := newClock()
	cfg := testConfig(t)
	cfg.Metrics.Enabled = false
	inst := startInstance(t, cfg, newDB(t, clk), clk)
	if inst.app.Metrics != nil {
		t.Fatal("a metrics listener handler with metrics disabled")
	}
	c := newClient(t, inst.srv.URL, clk)
	req, _ := http.NewRequest(http.MethodGet, c.base+"/metrics", nil)
	expect(t, c.send(req), 404, "/metrics with metrics disabled")
}

// TestMetricsListener runs the server as `go run .` does with metrics.addr
// and metrics.pprof set: /metrics and the profiler are served on the
// metrics listener only, the API's router answers both with the 404
// envelope, a CPU profile can be taken, and both listeners stop on
// shutdown.
func TestMetricsListener(t *testing.T) {
	srv := startRun(t, map[string]string{
		"BLOGAPI_SERVER_ADDR":   "127.0.0.1:0",
		"BLOGAPI_DATA_DIR":      t.TempDir(),
		"BLOGAPI_LOG_LEVEL":     "info",
		"BLOGAPI_LOG_FORMAT":    "text",
		"BLOGAPI_METRICS_ADDR":  "127.0.0.1:0",
		"BLOGAPI_METRICS_PPROF": "true",
	}, "server.addr", "metrics.addr")
	api, metrics := srv.addrs["server.addr"], srv.addrs["metrics.addr"]

	get := func(url string) (int, string, []byte) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), b
	}
	for _, path := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/cmdline"} {
		if status, _, body := get("http://" + api + path); status != 404 || !strings.Contains(string(body), `"code":404`) {
			t.Errorf("API router %s: %d %.100s; want the 404 envelope", path, status, body)
		}
	}
	status, ctype, body := get("http://" + metrics + "/metrics")
	if status != 200 || !strings.HasPrefix(ctype, "text/plain") {
		t.Fatalf("metrics listener /metrics: %d %q", status, ctype)
	}
	s := parseScrape(t, string(body))
	// The API requests above are counted, under the unmatched route.
	if n := s.value(t, "blogapi_http_requests_total", "route", "unmatched", "code", "404"); n != 3 {
		t.Errorf("unmatched 404s counted %v, want 3", n)
	}
	if status, _, body := get("http://" + metrics + "/debug/pprof/"); status != 200 || !strings.Contains(string(body), "goroutine") {
		t.Errorf("pprof index: %d %.200s", status, body)
	}
	if status, _, body := get("http://" + metrics + "/debug/pprof/goroutine?debug=1"); status != 200 || !strings.Contains(string(body), "goroutine profile") {
		t.Errorf("goroutine profile: %d %.200s", status, body)
	}
	// A CPU profile is a gzipped protobuf (what `go tool pprof` reads).
	if status, _, body := get("http://" + metrics + "/debug/pprof/profile?seconds=1"); status != 200 || len(body) < 2 || body[0] != 0x1f || body[1] != 0x8b {
		t.Errorf("CPU profile: %d %.100q", status, body)
	}
	if status, _, _ := get("http://" + metrics + "/healthz"); status != 404 {
		t.Errorf("metrics listener serves /healthz: %d", status)
	}

	srv.stop(t)
	for _, addr := range []string{api, metrics} {
		if _, err := http.Get("http://" + addr + "/metrics"); err == nil {
			t.Errorf("%s still answers after shutdown", addr)
		}
	}
}

// TestMetricsListenerWithoutPProf: with metrics.addr but not
// metrics.pprof, the metrics listener serves /metrics and no profiler.
func TestMetricsListenerWithoutPProf(t *testing.T) {
	clk := newClock()
	cfg := testConfig(t)
	cfg.Metrics.Addr = "127.0.0.1:0"
	inst := startInstance(t, cfg, newDB(t, clk), clk)
	if inst.app.Metrics == nil {
		t.Fatal("no metrics listener handler with metrics.addr set")
	}
	c := newClient(t, inst.srv.URL, clk)
	req, _ := http.NewRequest(http.MethodGet, c.base+"/metrics", nil)
	expect(t, c.send(req), 404, "/metrics on the API router with metrics.addr set")

	srv := httptestServer(t, inst.app.Metrics)
	mc := newClient(t, srv, clk)
	s := scrapeMetrics(t, mc)
	if n := s.value(t, "blogapi_http_requests_total", "route", "unmatched", "code", "404"); n != 1 {
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
		c.Security.LoginCaptchaAfter, c.Security.LoginLockAfter = 1, 2
	})
	for _, u := range []string{"alice", "bob", "carol"} {
		h.register(u, u+"@example.com", "pw")
	}
	expect(t, h.loginReply("alice", "wrong", false), 401, "wrong password")
	expect(t, h.loginReply("alice", "pw", false), 400, "captcha required")
	expect(t, h.c.call(http.MethodPost, "/blogapi/login", map[string]string{
		"account": "alice", "password": md5hex("pw"), "captcha": "abcd", "captcha_id": "made-up",
	}), 400, "unknown captcha")
	expect(t, h.loginReply("alice", "wrong", true), 401, "wrong password with a captcha")
	expect(t, h.loginReply("alice", "pw", true), 429, "locked")
	h.setStatus("bob", models.StatusFreeze)
	expect(t, h.loginReply("bob", "pw", true), 403, "frozen")
	expect(t, h.c.call(http.MethodPost, "/blogapi/login", map[string]string{"account": " ", "password": md5hex("pw")}), 400, "no account")
	expect(t, h.loginReply("carol", "pw", true), 200, "success")

	s := scrapeMetrics(t, h.c)
	for outcome, want := range map[account.LoginOutcome]float64{
		account.LoginSuccess: 1, account.LoginBadCredentials: 2, account.LoginCaptchaRequired: 1,
		account.LoginCaptchaFailed: 1, account.LoginLocked: 1, account.LoginForbidden: 1,
		account.LoginInvalid: 1, account.LoginError: 0,
	} {
		if got := s.value(t, "blogapi_logins_total", "outcome", string(outcome)); got != want {
			t.Errorf("logins %s = %v, want %v", outcome, got, want)
		}
	}
	if got := s.value(t, "blogapi_logins_total"); got != 8 {
		t.Errorf("%v logins counted in all, want 8", got)
	}
	// Captchas: 3 registrations and 4 logins fetched one; the locked login
	// never checked its captcha (the lock comes first).
	if got := s.value(t, "blogapi_captchas_issued_total"); got != 7 {
		t.Errorf("captchas issued %v, want 7", got)
	}
	for result, want := range map[captcha.Result]float64{
		captcha.ResultVerified: 6, captcha.ResultUnknown: 1, captcha.ResultWrong: 0,
	} {
		if got := s.value(t, "blogapi_captcha_checks_total", "result", string(result)); got != want {
			t.Errorf("captcha checks %s = %v, want %v", result, got, want)
		}
	}
}
