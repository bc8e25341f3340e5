package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestAdminCommand: `blogapi admin create` against a fresh data directory
// with the password on stdin, then with the existing account (promoted,
// no password read), `admin list`, and the refusals.
func TestAdminCommand(t *testing.T) {
	vars := map[string]string{"BLOGAPI_DATA_DIR": t.TempDir(), "BLOGAPI_LOG_FORMAT": "text"}
	admin := func(stdin string, args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"blogapi", "-config", "config.yaml", "admin"}, args...),
			env(vars), strings.NewReader(stdin), &out)
		return out.String(), err
	}
	out, err := admin("correct horse battery\n", "create", "-account", "boss", "-email", "boss@example.com")
	if err != nil || !strings.HasPrefix(out, "created admin boss <boss@example.com> id ") {
		t.Fatalf("create: %q %v", out, err)
	}
	out, err = admin("", "create", "-account", "BOSS")
	if err != nil || !strings.HasPrefix(out, "promoted admin boss") {
		t.Fatalf("existing account: %q %v", out, err)
	}
	out, err = admin("", "list")
	if err != nil || !strings.Contains(out, "boss@example.com") || !strings.Contains(out, "normal") || strings.Count(out, "\n") != 2 {
		t.Fatalf("list: %q %v", out, err)
	}
	for _, tc := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"short\n", []string{"create", "-account", "new", "-email", "new@example.com"}, "-password must be at least 8"},
		{"", []string{"create", "-account", "new2", "-email", "n2@example.com"}, "no line on standard input"},
		{"long enough\n", []string{"create", "-account", "x", "-email", "x@example.com"}, "-account"},
		{"long enough\n", []string{"create", "-account", "new3", "-email", "boss@example.com"}, "email already registered"},
		{"", []string{"create", "-email", "a@example.com"}, "-account is required"},
		{"", []string{"drop"}, "unknown command"},
		{"", nil, "usage"},
	} {
		if _, err := admin(tc.stdin, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("admin %v: %v, want an error naming %q", tc.args, err, tc.want)
		}
	}
	if err := run(context.Background(), []string{"blogapi", "serve"}, env(vars), strings.NewReader(""), &bytes.Buffer{}); err == nil {
		t.Error("unknown command accepted")
	}
}
