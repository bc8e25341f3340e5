package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestQuick runs the harness end to end in its quick mode — a real server
// in-process on the embedded database, real signed requests over loopback
// — and checks that every scenario was answered with its expected code
// only (a harness that measured 400s or replays would report nonsense),
// that the figures are plausible, and that the report has every section
// and row.
func TestQuick(t *testing.T) {
	prof := filepath.Join(t.TempDir(), "center.pprof")
	o, err := parseFlags([]string{"-quick", "-config", "../config.yaml", "-cpuprofile", prof}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := measure(ctx, o, newProgress(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Rows {
		checkFigures(t, r.Name, r.Figures, http.StatusOK)
	}
	checkFigures(t, "without flood", rep.Flood.Without, http.StatusOK)
	checkFigures(t, "with flood", rep.Flood.With, http.StatusOK)
	checkFigures(t, "flood", rep.Flood.Flood, http.StatusUnauthorized)
	if len(rep.Growth) != 2 || rep.Growth[0].Users != 100 || rep.Growth[1].Users != 300 {
		t.Fatalf("growth: %+v", rep.Growth)
	}
	for _, g := range rep.Growth {
		checkFigures(t, "growth check", g.Check, http.StatusOK)
		checkFigures(t, "growth login", g.Login, http.StatusOK)
		checkFigures(t, "growth user centre", g.Center, http.StatusOK)
		if min(g.Check.Requests, g.Login.Requests, g.Center.Requests) < growthMinRequests {
			t.Errorf("growth at %d: %d, %d and %d requests", g.Users, g.Check.Requests, g.Login.Requests, g.Center.Requests)
		}
	}
	if len(rep.Chain) != 3 {
		t.Fatalf("chain: %+v", rep.Chain)
	}
	if rf := rep.Refusal; rf == nil || rf.N == 0 || (rf.CPUKnown && rf.CPU <= 0) {
		t.Errorf("refused login: %+v", rf)
	}
	for _, c := range rep.Chain {
		if c.N == 0 || c.Wall <= 0 || (c.CPUKnown && c.CPU <= 0) {
			t.Errorf("chain %s: %+v", c.Name, c)
		}
	}
	// A short profile has few samples: only the database side, most of
	// the CPU, is sure to have some.
	if rep.Profile == nil || len(rep.Profile.Flat) == 0 || rep.Profile.BySide[sideDatabase] == 0 {
		t.Errorf("profile: %+v", rep.Profile)
	}
	if st, err := os.Stat(prof); err != nil || st.Size() == 0 {
		t.Errorf("cpu profile not written: %v", err)
	}

	checkBlog(t, rep)

	rep.Command = "go run ./bench -quick"
	checkReport(t, rep.Markdown(), []string{
		"## Ratios first", "**Results swing between runs.**", "| `GET /blogapi/user/center` p50 ÷ `GET /healthz` p50 |",
		"| user-centre p99 under a login flood ÷ without", "| check-username p50 at 300 users ÷ at 100 |",
		"| middleware chain CPU ÷ a bare Gin handler's",
		"## Machine", "## Commands", "go run ./bench -quick", "## Set-up", "## Targets (load and middleware chain)",
		"| middleware chain ≤ 15.0 µs CPU per request", "| user-centre p99 under a login flood ≤ 2×", "| nothing of ours in the top 5",
		"## Throughput and latency",
		"| `GET /healthz`", "| `GET /blogapi/reg/check/username`", "| `GET /blogapi/service/captcha`",
		"| `GET /blogapi/user/center`", "| `POST /blogapi/login`",
		"## User centre under a login flood", "| without flood |", "| with flood |", "What one refused attempt costs the server", "How long a runnable goroutine",
		"## Lookup cost against the number of users", "| 100 |", "| 300 |",
		"## Middleware chain, one goroutine", "| bare |", "| chain |", "| chain+db |",
		"## CPU profile of the user-centre load", "| database |",
		"## History",
	})
}

// TestURL runs the harness through its command line against a server it
// did not start (-url), which must be seeded through the API, and checks
// the report it writes: the in-process-only sections say they were left
// out.
func TestURL(t *testing.T) {
	// The server under test: registration without captcha, as -url needs.
	t.Setenv("BLOGAPI_CAPTCHA_ENABLED", "false")
	o, err := parseFlags([]string{"-quick", "-config", "../config.yaml"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := startInProcess(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.close()

	out := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	args := []string{"-quick", "-url", srv.base, "-key", srv.key, "-secret", srv.secret, "-users", "10",
		"-duration", "200ms", "-flood-duration", "300ms", "-out", out}
	if err := run(ctx, args, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, string(b), []string{
		"go run ./bench -quick -url " + srv.base, "Target: the running server at `" + srv.base + "`. 10 users are registered",
		"| `GET /healthz`", "| `POST /blogapi/login`", "| without flood |", "| with flood |",
		"| middleware chain ≤ 15.0 µs CPU per request over a bare Gin handler | not measured",
		"## Lookup cost against the number of users\n\nNot measured", "## Middleware chain, one goroutine\n\nNot measured",
		"## Blog scale\n\nNot measured",
	})
	if strings.Contains(string(b), "\n## CPU profile") {
		t.Error("report has a CPU profile of a server it did not run")
	}
	// Every user the harness registered exists on the server and can log in.
	srv.seeded = 10
	if _, err := srv.login(ctx, 10); err != nil {
		t.Fatal(err)
	}
}

func checkFigures(t *testing.T, name string, f figures, expect int) {
	t.Helper()
	if f.Requests == 0 || f.Expected != f.Requests || f.Codes[expect] != f.Requests {
		t.Errorf("%s: %d requests, %d expected answers (%s)", name, f.Requests, f.Expected, f.codesText())
	}
	if f.P50 <= 0 || f.P50 > f.P90 || f.P90 > f.P99 || f.P99 > f.Max || f.RPS <= 0 {
		t.Errorf("%s: implausible figures %+v", name, f)
	}
}

func checkReport(t *testing.T, report string, want []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(report, w) {
			t.Errorf("report lacks %q", w)
		}
	}
	if strings.Contains(report, "NaN") || strings.Contains(report, "+Inf") {
		t.Errorf("report has a NaN or Inf figure:\n%s", report)
	}
	if t.Failed() {
		t.Log(report)
	}
}

// BenchmarkMiddlewareChain is the middleware-chain comparison of the
// harness as a Go benchmark: a bare Gin handler, the
// API's middleware chain in front of it with the JWT middleware's database
// reads stubbed, and the same with them; one goroutine, CPU per request
// from getrusage (cpu-µs/op: every goroutine of the process, the embedded
// database's included).
func BenchmarkMiddlewareChain(b *testing.B) {
	o, err := parseFlags([]string{"-config", "../config.yaml"}, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	t, err := startInProcess(ctx, o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(t.close)
	if err := t.seedTo(ctx, 1); err != nil {
		b.Fatal(err)
	}
	cases, err := t.chainCases(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0, ok := processCPU()
			for b.Loop() {
				if code := c.serve(); code != http.StatusOK {
					b.Fatalf("HTTP %d", code)
				}
			}
			if cpu1, ok1 := processCPU(); ok && ok1 {
				b.ReportMetric(float64(cpu1-cpu0)/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
			}
		})
	}
}

// BenchmarkRefusedLogin is the harness's refused flood login as a Go
// benchmark: POST /blogapi/login without captcha through the real router
// once the flood guard has tripped, one goroutine, CPU per request from
// getrusage (cpu-µs/op).
func BenchmarkRefusedLogin(b *testing.B) {
	o, err := parseFlags([]string{"-config", "../config.yaml"}, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	t, err := startInProcess(ctx, o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(t.close)
	if err := t.seedTo(ctx, refusalRequests); err != nil {
		b.Fatal(err)
	}
	rc, err := t.refusalCase(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(rc.close)
	b.ReportAllocs()
	cpu0, ok := processCPU()
	for b.Loop() {
		if code := rc.serve(); code != http.StatusBadRequest {
			b.Fatalf("HTTP %d", code)
		}
	}
	if cpu1, ok1 := processCPU(); ok && ok1 {
		b.ReportMetric(float64(cpu1-cpu0)/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
	}
}

// TestParseFlags checks that -quick gives way to flags set explicitly and
// that every invalid combination is refused before anything starts.
func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"-quick", "-users", "10", "-growth", "5, 50"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.users != 10 || o.concurrency != 4 || o.duration != 400*time.Millisecond || len(o.growth) != 2 || o.growth[0] != 5 || o.growth[1] != 50 {
		t.Errorf("-quick with explicit flags: %+v", o)
	}
	// The committed report is written only when asked for.
	if o.out != defaultOut {
		t.Errorf("-out defaults to %q, want %q", o.out, defaultOut)
	}
	if o, err := parseFlags([]string{"-update"}, io.Discard); err != nil || o.out != committedReport {
		t.Errorf("-update: out %q, %v; want %q", o.out, err, committedReport)
	}
	dir := t.TempDir() + "/out/"
	started := time.Date(2026, 12, 3, 13, 4, 5, 0, time.UTC)
	if path, err := reportPath(dir, started); err != nil || path != dir+"BENCHMARKS-20261203-130405.md" {
		t.Errorf("reportPath(%q) = %q, %v", dir, path, err)
	} else if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Errorf("reportPath did not make %s: %v", dir, err)
	}
	if path, err := reportPath("r.md", started); err != nil || path != "r.md" {
		t.Errorf("reportPath(r.md) = %q, %v", path, err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-nosuchflag"}, "not defined"},
		{[]string{"-growth", "10,10"}, "ascending"},
		{[]string{"-growth", "10,x"}, "not a positive integer"},
		{[]string{"-growth", "0"}, "not a positive integer"},
		{[]string{"-duration", "0s"}, "durations must be positive"},
		{[]string{"-chain-duration", "-1s"}, "durations must be positive"},
		{[]string{"-warmup", "-1s"}, "-warmup"},
		{[]string{"-flood-rounds", "0"}, "at least 1"},
		{[]string{"-users", "3", "-concurrency", "4"}, "-users must be at least -concurrency (4)"},
		{[]string{"-rate", "-1"}, "must not be negative"},
		{[]string{"-hash-concurrency", "-1"}, "must not be negative"},
		{[]string{"-center-load", "0"}, "-center-load"},
		{[]string{"-center-load", "1.5"}, "-center-load"},
		{[]string{"-update", "-out", "x.md"}, "not both"},
	} {
		if _, err := parseFlags(c.args, io.Discard); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one containing %q", c.args, err, c.want)
		}
	}
}

// TestSummarizeRefusesNonProfile checks that a file that is not a CPU
// profile is an error, not an empty summary.
func TestSummarizeRefusesNonProfile(t *testing.T) {
	if _, err := summarize([]byte("not a profile"), 10); err == nil {
		t.Error("summarize accepted a non-profile")
	}
}
