package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/blogapi/blogapi/internal/apitest"
)

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
	s := apitest.ParseScrape(t, string(body))
	// The API requests above are counted, under the unmatched route.
	if n := s.Value(t, "blogapi_http_requests_total", "route", "unmatched", "code", "404"); n != 3 {
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
