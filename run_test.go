package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
)

// syncBuffer is a bytes.Buffer safe for the server's log writes and the
// test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is vars as run's environ ("NAME=value" pairs).
func env(vars map[string]string) []string {
	environ := make([]string, 0, len(vars))
	for k, v := range vars {
		environ = append(environ, k+"="+v)
	}
	return environ
}

// runningServer is run serving config.yaml in the background of a test.
type runningServer struct {
	out    *syncBuffer
	addrs  map[string]string // listening address by config key
	cancel context.CancelFunc
	done   chan error
}

// startRun calls run with config.yaml and the variables vars (text logs
// needed) in the background, and waits up to 60 s for its "listening" line
// of each config key in keys (server.addr, metrics.addr). Gin's mode,
// which run sets, is put back when the test ends.
func startRun(t *testing.T, vars map[string]string, keys ...string) *runningServer {
	t.Helper()
	t.Cleanup(func() { gin.SetMode(gin.TestMode) })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	s := &runningServer{out: &syncBuffer{}, addrs: map[string]string{}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		s.done <- run(ctx, []string{"blogapi", "-config", "config.yaml"}, env(vars), strings.NewReader(""), s.out)
	}()
	lines := make(map[string]*regexp.Regexp, len(keys))
	for _, key := range keys {
		lines[key] = regexp.MustCompile(`msg=listening addr=(\S+) key=` + regexp.QuoteMeta(key))
	}
	for deadline := time.Now().Add(60 * time.Second); len(s.addrs) < len(keys) && time.Now().Before(deadline); {
		select {
		case err := <-s.done:
			t.Fatalf("run returned early: %v\n%s", err, s.out.String())
		case <-time.After(20 * time.Millisecond):
		}
		for key, re := range lines {
			if m := re.FindStringSubmatch(s.out.String()); m != nil {
				s.addrs[key] = m[1]
			}
		}
	}
	if len(s.addrs) < len(keys) {
		t.Fatalf("no listening line for each of %v:\n%s", keys, s.out.String())
	}
	return s
}

// stop ends run's context and waits up to 30 s for run to return nil.
func (s *runningServer) stop(t *testing.T) {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("run after shutdown: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return after the context ended")
	}
}

// TestRunRefuses: run stops before serving on bad configuration, naming the
// key to fix.
func TestRunRefuses(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("server:\n  adress: \":8080\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"missing file", []string{"blogapi", "-config", filepath.Join(dir, "nope.yaml")}, nil, "nope.yaml"},
		{"unknown key", []string{"blogapi", "-config", bad}, nil, "server.adress"},
		{"release with example secrets", []string{"blogapi", "-config", "config.yaml"},
			map[string]string{"BLOGAPI_SERVER_MODE": "release"}, "jwt.secret"},
		{"release with captcha off", []string{"blogapi", "-config", "config.yaml"},
			map[string]string{"BLOGAPI_SERVER_MODE": "release", "BLOGAPI_CAPTCHA_ENABLED": "false"}, "captcha.enabled"},
		{"bad flag", []string{"blogapi", "-nope"}, nil, "flag provided but not defined"},
		{"release with a variable naming no key", []string{"blogapi", "-config", "config.production.example.yaml"},
			map[string]string{
				"BLOGAPI_JWT_SECRET":   "4d1f0c9a8b7e6d5c4b3a29180f7e6d5c4b3a2918",
				"BLOGAPI_SIGN_APPS":    `[{"name":"spa","key":"k1","secret":"q2Vx9LrT4mWz7NpK3sHd"}]`,
				"BLOGAPI_MAIL_PASWORD": "x",
			}, "BLOGAPI_MAIL_PASWORD: no such key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args, env(tc.env), strings.NewReader(""), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run error %v; want one naming %q", err, tc.want)
			}
		})
	}
}

// TestRunServesAndShutsDown: `go run .` as a user runs it: config.yaml, the
// embedded database, a real listener; the context's end drains and stops.
func TestRunServesAndShutsDown(t *testing.T) {
	dir := t.TempDir()
	srv := startRun(t, map[string]string{
		"BLOGAPI_SERVER_ADDR":    "127.0.0.1:0",
		"BLOGAPI_DATA_DIR":       dir,
		"BLOGAPI_LOG_FORMAT":     "text",
		"BLOGAPI_CAPTCHA_ENABLD": "false",
	}, "server.addr")
	addr, out := srv.addrs["server.addr"], srv.out
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"ready"`) {
		t.Fatalf("readyz %d %s", resp.StatusCode, body)
	}
	if !strings.Contains(out.String(), "level=WARN msg=\"environment variables ignored") || !strings.Contains(out.String(), "names=BLOGAPI_CAPTCHA_ENABLD") {
		t.Errorf("no warning naming the misspelled variable:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "embedded FerretDB") {
		t.Errorf("no embedded-database warning in the log:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "db")); err != nil {
		t.Errorf("embedded database not under data.dir: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "rsa_transport_key.pem")); err != nil {
		t.Errorf("transport key not generated under data.dir: %v", err)
	}

	srv.stop(t)
	if !strings.Contains(out.String(), "shutting down") {
		t.Errorf("no shutdown line:\n%s", out.String())
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("server still answers after shutdown")
	}
	if strings.Contains(out.String(), "G7qMjMTRYkG7tuc9zujGvkVImW4WJ5kh") || strings.Contains(out.String(), "example-jwt-secret") {
		t.Error("a secret reached the log")
	}
}
