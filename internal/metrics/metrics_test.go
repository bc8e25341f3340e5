package metrics

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/blogapi/blogapi/middleware"
)

// TestObservers: each observer method lands in its metric with the labels
// it was given; a failed database command is counted under outcome
// "error"; a signature rejection only when the request says so.
func TestObservers(t *testing.T) {
	m := New(slog.New(slog.NewTextHandler(io.Discard, nil)))
	m.ObserveCommand(context.Background(), "find", true, 2*time.Millisecond)
	m.ObserveCommand(context.Background(), "insert", false, time.Second)
	m.ObserveRequest(middleware.RequestRecord{Route: "/blogapi/login", Method: "POST", Code: 514, Elapsed: time.Millisecond, SignRejected: true})
	m.ObserveRequest(middleware.RequestRecord{Route: "/blogapi/login", Method: "POST", Code: 401, Elapsed: time.Millisecond, DBCommands: 4})

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, line := range []string{
		`blogapi_db_command_duration_seconds_count{command="insert",outcome="error"} 1`,
		`blogapi_db_command_duration_seconds_count{command="find",outcome="ok"} 1`,
		`blogapi_http_request_db_commands_sum{route="/blogapi/login"} 4`,
		`blogapi_http_requests_total{code="401",method="POST",route="/blogapi/login"} 1`,
		`blogapi_signature_rejections_total{code="514"} 1`,
		`blogapi_signature_rejections_total{code="513"} 0`,
	} {
		if !strings.Contains(rec.Body.String(), line+"\n") {
			t.Errorf("scrape lacks %s", line)
		}
	}
	// The 401 was not a signature rejection.
	if strings.Contains(rec.Body.String(), `blogapi_signature_rejections_total{code="401"}`) {
		t.Error("a request the signature check let through counted as a rejection")
	}
}

// TestMux: the metrics listener serves /metrics, and the profiler only
// when asked; nothing else.
func TestMux(t *testing.T) {
	m := New(slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, tc := range []struct {
		pprof bool
		path  string
		want  int
	}{
		{false, "/metrics", 200},
		{false, "/debug/pprof/", 404},
		{false, "/debug/pprof/heap", 404},
		{false, "/", 404},
		{true, "/metrics", 200},
		{true, "/debug/pprof/", 200},
		{true, "/debug/pprof/heap", 200},
		{true, "/debug/pprof/symbol", 200},
		{true, "/healthz", 404},
	} {
		rec := httptest.NewRecorder()
		m.Mux(tc.pprof).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if rec.Code != tc.want {
			t.Errorf("pprof %v, GET %s: %d, want %d", tc.pprof, tc.path, rec.Code, tc.want)
		}
	}
}
