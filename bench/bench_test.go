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
// in-process, real signed requests over loopback, the embedded database —
// and checks that the report has every section and row with figures, and
// that every scenario got the answers it expects.
func TestQuick(t *testing.T) {
	out := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	prof := filepath.Join(t.TempDir(), "center.pprof")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := run(ctx, []string{"-quick", "-config", "../config.yaml", "-out", out, "-cpuprofile", prof}, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	report := string(b)
	for _, want := range []string{
		"## Machine", "## Commands", "go run ./bench -quick", "## Set-up", "## Targets (issue 5)",
		"| middleware chain ≤ 15.0 µs CPU per request", "| user-centre p99 under a login flood ≤ 2×", "| nothing of ours in the top 5",
		"## Throughput and latency",
		"| `GET /healthz`", "| `GET /blogapi/reg/check/username`", "| `GET /blogapi/service/captcha`",
		"| `GET /blogapi/user/center`", "| `POST /blogapi/login`",
		"## User centre under a login flood", "| without flood |", "| with flood |",
		"## Lookup cost against the number of users", "| 100 |", "| 300 |",
		"## Middleware chain, one goroutine", "| bare |", "| chain |", "| chain+db |",
		"## CPU profile of the user-centre load", "| server |", "| database |", "| generator |",
		"## History",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(report, "NaN") || strings.Contains(report, "Inf") {
		t.Errorf("report has a NaN or Inf figure:\n%s", report)
	}
	if st, err := os.Stat(prof); err != nil || st.Size() == 0 {
		t.Errorf("cpu profile not written: %v", err)
	}
}

// TestMeasureAnswers checks, on the figures themselves, that every
// scenario was answered with its expected code only: a harness that
// measured 400s or replays (201) would report nonsense.
func TestMeasureAnswers(t *testing.T) {
	o, err := parseFlags([]string{"-quick", "-config", "../config.yaml", "-growth", "50"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := measure(ctx, o, newProgress(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, f figures, expect int) {
		t.Helper()
		if f.Requests == 0 || f.Expected != f.Requests || f.Codes[expect] != f.Requests {
			t.Errorf("%s: %d requests, %d expected answers (%s)", name, f.Requests, f.Expected, f.codesText())
		}
		if f.P50 <= 0 || f.P50 > f.P90 || f.P90 > f.P99 || f.RPS <= 0 {
			t.Errorf("%s: implausible figures %+v", name, f)
		}
	}
	for _, r := range rep.Rows {
		check(r.Name, r.Figures, http.StatusOK)
	}
	check("without flood", rep.Flood.Without, http.StatusOK)
	check("with flood", rep.Flood.With, http.StatusOK)
	check("flood", rep.Flood.Flood, http.StatusUnauthorized)
	for _, g := range rep.Growth {
		check("growth check", g.Check, http.StatusOK)
		check("growth login", g.Login, http.StatusOK)
	}
	if len(rep.Chain) != 3 {
		t.Fatalf("chain: %+v", rep.Chain)
	}
	for _, c := range rep.Chain {
		if c.N == 0 || c.Wall <= 0 || (c.CPUKnown && c.CPU <= 0) {
			t.Errorf("chain %s: %+v", c.Name, c)
		}
	}
}

// BenchmarkMiddlewareChain is the middleware-chain comparison of the
// harness as a Go benchmark (issue 5 item 4): a bare Gin handler, the
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
