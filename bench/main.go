// Command bench is the load harness: it starts the API
// in-process on a fresh embedded database (or targets a running server with
// -url), seeds users, loads each scenario with signed requests through
// github.com/tsenart/vegeta/v12/lib and writes BENCHMARKS.md: machine,
// commands, throughput and latency percentiles with ratios to GET /healthz
// measured in the same run, the user centre under a login flood, the growth
// of lookups with the number of users, the middleware chain's CPU per
// request and the top of a CPU profile of the user-centre load. The report
// goes to a new file under bench/out/ (git-ignored); -update refreshes the
// committed BENCHMARKS.md instead.
//
//	go run ./bench                  # default run (a few minutes on 2 cores), writes bench/out/BENCHMARKS-<time>.md
//	go run ./bench -update          # the same, rewriting the committed BENCHMARKS.md
//	go run ./bench -quick -out ''   # smoke run, report on stdout only
//	go run ./bench -url http://127.0.0.1:8080 -users 200   # a running server (see docs/operations.md)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// options are the command-line flags.
type options struct {
	url        string
	configPath string
	key        string
	secret     string
	out        string // report file, or a directory (ending in /) to make a new file in; "" for stdout
	cpuProfile string
	// floodProfile keeps the CPU profile of the with-flood sides.
	floodProfile string

	duration     time.Duration // each closed-loop scenario
	warmup       time.Duration // unrecorded load before each scenario
	concurrency  int           // workers of a closed-loop scenario
	rate         int           // fixed rate (req/s) instead of a closed loop; 0: closed loop
	users        int           // users seeded before the scenarios
	growth       []int         // user counts of the growth curve
	growthTime   time.Duration // each growth measurement
	floodTime    time.Duration // each side of each round of the flood comparison
	floodRounds  int
	floodWorkers int           // concurrent failing logins
	centerLoad   float64       // user-centre rate in the flood comparison, × its closed-loop req/s
	chainTime    time.Duration // each middleware-chain variant
	hashSlots    int           // security.hash_concurrency override; 0 keeps the config's
	rateStore    string        // rate_limit.store override; "" keeps the config's
	quick        bool
	blog         blogOptions // the blog-scale phase (bench/blog.go)
}

// parseFlags reads args. -quick sets short durations and small counts;
// flags given explicitly win over it.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.url, "url", "", "base URL of a running server to load instead of starting one in-process (see README: it must run with captcha.enabled false and generous rate limits; the growth curve, the chain benchmark and the profile are in-process only)")
	fs.StringVar(&o.configPath, "config", "config.yaml", "configuration file of the in-process server (BLOGAPI_* variables override it); its data.dir and mongo settings are replaced by a fresh temp dir and the embedded database")
	fs.StringVar(&o.key, "key", "fwCWYMqmRINlRtMp", "auth_key for -url (default: config.yaml's EXAMPLE app)")
	fs.StringVar(&o.secret, "secret", "G7qMjMTRYkG7tuc9zujGvkVImW4WJ5kh", "auth_secret for -url (default: config.yaml's EXAMPLE app)")
	fs.StringVar(&o.out, "out", defaultOut, "report file, or a directory ending in / to write a new BENCHMARKS-<time>.md in; '' prints it on stdout only")
	update := fs.Bool("update", false, "write the committed report, "+committedReport+", instead of -out (run from the repository root)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "keep the CPU profile of the user-centre scenario in this file (go tool pprof -top FILE)")
	fs.StringVar(&o.floodProfile, "flood-cpuprofile", "", "keep the CPU profile of the with-flood sides of the login-flood comparison in this file (server goroutines labelled route=<path>: go tool pprof -tagfocus route=/blogapi/login FILE)")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "length of each closed-loop scenario")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unrecorded load before each scenario")
	fs.IntVar(&o.concurrency, "concurrency", 8, "workers (connections) of each closed-loop scenario")
	fs.IntVar(&o.rate, "rate", 0, "send each scenario at this fixed rate (req/s) instead of as fast as -concurrency workers can; 0: closed loop")
	fs.IntVar(&o.users, "users", 1000, "users seeded before the scenarios")
	growth := fs.String("growth", "1000,10000,50000,100000", "user counts of the growth curve, ascending, comma-separated")
	fs.DurationVar(&o.growthTime, "growth-duration", 3*time.Second, "length of each growth measurement")
	fs.DurationVar(&o.floodTime, "flood-duration", 5*time.Second, "length of each side (without, with) of each round of the login-flood comparison")
	fs.IntVar(&o.floodRounds, "flood-rounds", 2, "rounds of the login-flood comparison (without, with, without, with, …)")
	fs.IntVar(&o.floodWorkers, "flood-workers", 32, "concurrent failing logins of the flood")
	fs.Float64Var(&o.centerLoad, "center-load", 0.25, "user-centre rate during the flood comparison, as a fraction of its closed-loop req/s")
	fs.DurationVar(&o.chainTime, "chain-duration", 2*time.Second, "length of each middleware-chain measurement")
	fs.IntVar(&o.hashSlots, "hash-concurrency", 0, "override security.hash_concurrency of the in-process server; 0 keeps the config's")
	fs.StringVar(&o.rateStore, "rate-store", "", "override rate_limit.store of the in-process server (memory or mongo); '' keeps the config's")
	fs.BoolVar(&o.quick, "quick", false, "smoke run: short durations, few users (explicit flags still win)")
	o.blog.register(fs)
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *update {
		if set["out"] {
			return options{}, errors.New("-update writes " + committedReport + ": give -update or -out, not both")
		}
		o.out = committedReport
	}
	if o.quick {
		quick := map[string]func(){
			"duration":        func() { o.duration = 400 * time.Millisecond },
			"warmup":          func() { o.warmup = 100 * time.Millisecond },
			"concurrency":     func() { o.concurrency = 4 },
			"users":           func() { o.users = 100 },
			"growth":          func() { *growth = "100,300" },
			"growth-duration": func() { o.growthTime = 300 * time.Millisecond },
			"flood-duration":  func() { o.floodTime = 600 * time.Millisecond },
			"flood-rounds":    func() { o.floodRounds = 1 },
			"flood-workers":   func() { o.floodWorkers = 8 },
			"chain-duration":  func() { o.chainTime = 100 * time.Millisecond },
		}
		for name, apply := range quick {
			if !set[name] {
				apply()
			}
		}
		o.blog.quick(set)
	}
	if err := o.blog.validate(); err != nil {
		return options{}, err
	}
	var err error
	if o.growth, err = parseGrowth(*growth); err != nil {
		return options{}, fmt.Errorf("-growth: %w", err)
	}
	switch {
	case o.duration <= 0 || o.growthTime <= 0 || o.floodTime <= 0 || o.chainTime <= 0:
		return options{}, errors.New("durations must be positive")
	case o.warmup < 0:
		return options{}, errors.New("-warmup must not be negative")
	case o.concurrency < 1 || o.floodWorkers < 1 || o.floodRounds < 1:
		return options{}, errors.New("-concurrency, -flood-workers and -flood-rounds must be at least 1")
	case o.users < o.concurrency:
		return options{}, fmt.Errorf("-users must be at least -concurrency (%d): each worker logs in a user of its own", o.concurrency)
	case o.rate < 0 || o.hashSlots < 0:
		return options{}, errors.New("-rate and -hash-concurrency must not be negative")
	case o.centerLoad <= 0 || o.centerLoad > 1:
		return options{}, errors.New("-center-load must be in (0, 1]")
	}
	return o, nil
}

func parseGrowth(s string) ([]int, error) {
	var out []int
	for part := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", part)
		}
		if len(out) > 0 && n <= out[len(out)-1] {
			return nil, errors.New("user counts must be ascending")
		}
		out = append(out, n)
	}
	return out, nil
}

// Where reports go: a run writes a new file under defaultOut, which git
// ignores, so that measuring never changes the committed report; -update
// rewrites committedReport.
const (
	defaultOut      = "bench/out/"
	committedReport = "BENCHMARKS.md"
)

// reportPath is the file o.out names: itself, or for a directory (ending
// in /) a new BENCHMARKS-<UTC time>.md in it, the directory created.
func reportPath(out string, started time.Time) (string, error) {
	if !strings.HasSuffix(out, "/") {
		return out, nil
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	return filepath.Join(out, "BENCHMARKS-"+started.UTC().Format("20060102-150405")+".md"), nil
}

// run parses args, runs every phase and writes the report to o.out (or
// stdout). Progress goes to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	rep, err := measure(ctx, o, newProgress(stderr))
	if err != nil {
		return err
	}
	rep.Command = commandLine(args)
	text := rep.Markdown()
	if o.out != "" {
		path, err := reportPath(o.out, rep.Started)
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %s\n", path)
		return nil
	}
	_, err = io.WriteString(stdout, text)
	return err
}

// commandLine is how this run was started, for the report.
func commandLine(args []string) string {
	parts := []string{"go run ./bench"}
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " '\"$") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// progress prints what the harness is doing, with the time since start.
type progress struct {
	w     io.Writer
	start time.Time
}

func newProgress(w io.Writer) *progress { return &progress{w: w, start: time.Now()} }

func (p *progress) printf(format string, args ...any) {
	fmt.Fprintf(p.w, "[%6.1fs] %s\n", time.Since(p.start).Seconds(), fmt.Sprintf(format, args...))
}
