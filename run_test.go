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

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
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
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args, env(tc.env), io.Discard)
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
	defer gin.SetMode(gin.TestMode) // run sets debug mode from config.yaml
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"blogapi", "-config", "config.yaml"}, env(map[string]string{
			"BLOGAPI_SERVER_ADDR": "127.0.0.1:0",
			"BLOGAPI_DATA_DIR":    dir,
			"BLOGAPI_LOG_FORMAT":  "text",
		}), &out)
	}()

	addrRe := regexp.MustCompile(`msg=listening addr=(\S+)`)
	var addr string
	for deadline := time.Now().Add(60 * time.Second); addr == "" && time.Now().Before(deadline); {
		select {
		case err := <-done:
			t.Fatalf("run returned early: %v\n%s", err, out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if m := addrRe.FindStringSubmatch(out.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("no listening line:\n%s", out.String())
	}
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"ready"`) {
		t.Fatalf("readyz %d %s", resp.StatusCode, body)
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

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after shutdown: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return after the context ended")
	}
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
