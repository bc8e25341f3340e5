package main

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"time"
)

// history is the hand-written part of BENCHMARKS.md: the changes made
// from earlier runs, with the figures that led to them. Everything else in
// the report is measured by the run that writes it.
//
//go:embed history.md
var history string

// Targets of the report's "Targets (load and middleware chain)": the chain's CPU
// per request, and the user centre's p99 under a login flood over without.
const (
	chainTargetCPU    = 15 * time.Microsecond
	floodTargetFactor = 2.0
)

// Markdown renders the report as BENCHMARKS.md.
func (r *report) Markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Benchmarks\n\n")
	p("Written by `go run ./bench` (the load harness in `bench/`) on %s; the run took %s. ",
		r.Started.UTC().Format("2006-01-02 15:04 MST"), r.Elapsed.Round(time.Second))
	p("Do not edit by hand: `go run ./bench -update` writes it (the last section comes from `bench/history.md`).\n\n")
	r.summary(p)

	p("## Machine\n\n| | |\n|---|---|\n")
	m := r.Machine
	p("| CPU | %s |\n| cores | %d (GOMAXPROCS %d) |\n| memory | %s |\n| OS | %s |\n| Go | %s |\n", m.CPU, m.Cores, m.Procs, m.Memory, m.OS, m.Go)
	p("| load average at start | %s (the machine is shared: other jobs may have run during the measurement) |\n\n", m.LoadAvg)

	p("## Commands\n\n```sh\n%s\n", r.Command)
	p("go test ./bench -run '^$' -bench MiddlewareChain   # the middleware-chain comparison alone\n```\n\n")

	r.setup(p)
	r.targets(p)
	r.blogTargets(p)
	r.table(p)
	r.flood(p)
	r.growth(p)
	r.blog(p)
	r.chain(p)
	r.profile(p)
	p("%s", history)
	return b.String()
}

type printer func(format string, args ...any)

// summary leads the report with the ratios, which compare figures of the
// same run, because the absolute figures swing between runs.
func (r *report) summary(p printer) {
	p("## Ratios first\n\n")
	p("**Results swing between runs.** On a shared machine (this one: %d cores, other jobs running) the ", r.Machine.Cores)
	p("absolute figures of two runs minutes apart have differed by about 3×: req/s and milliseconds below say what ")
	p("this run saw, not what the server always does. The ratios compare figures measured in the same run, on the ")
	p("same server, seconds apart, and move far less; read them first.\n\n")
	p("| ratio | this run |\n|---|---:|\n")
	if len(r.Rows) > 0 {
		base := r.Rows[0]
		for _, row := range r.Rows[1:] {
			p("| %s p50 ÷ %s p50 | %.1f× |\n", shortWhat(row.What), shortWhat(base.What), ratioOf(row.Figures.P50, base.Figures.P50))
		}
	}
	f := r.Flood
	p("| user-centre p99 under a login flood ÷ without (target ≤ %.0f×) | %.2f× |\n", floodTargetFactor, ratioOf(f.With.P99, f.Without.P99))
	p("| user-centre p99 under an as fast flood of `GET /healthz` ÷ without (the calibration) | %.2f× |\n", ratioOf(f.WithCheap.P99, f.Without.P99))
	if n := len(r.Growth); n > 1 {
		first, last := r.Growth[0], r.Growth[n-1]
		p("| check-username p50 at %d users ÷ at %d | %.1f× |\n", last.Users, first.Users, ratioOf(last.Check.P50, first.Check.P50))
		p("| user-centre p50 at %d users ÷ at %d | %.1f× |\n", last.Users, first.Users, ratioOf(last.Center.P50, first.Center.P50))
	}
	if bare, chain, _, ok := r.chainTriple(); ok && chain.CPUKnown {
		p("| middleware chain CPU ÷ a bare Gin handler's, one goroutine | %.1f× |\n", float64(chain.CPU)/float64(max(bare.CPU, 1)))
	}
	r.blogRatios(p)
	p("\n")
}

// shortWhat is a scenario's request line, without its explanation in
// parentheses.
func shortWhat(what string) string {
	line, _, _ := strings.Cut(what, " (")
	return line
}

func (r *report) setup(p printer) {
	o := r.Options
	p("## Set-up\n\n")
	if r.InProcess {
		p("- The API runs in this process as `main.go` runs it (`internal/app`: config, stores, services, router, an ")
		p("`http.Server` on 127.0.0.1), over the embedded FerretDB (SQLite) on a fresh temp dir; config from `%s` ", o.configPath)
		p("with data dir and database replaced. The load generator (vegeta) runs in the same process and ")
		p("reaches the server over loopback TCP: both share the %d cores.\n", r.Machine.Cores)
		p("- Request logs are formatted at level `%s` and discarded (their cost counts, the disk's does not). ", r.LogLevel)
		p("Rate limits are the configuration's (on by default; `rate_limit.store` = `%s`), and the public routes' ", r.RateStore)
		p("requests each come from one of 100,000 client IPs through the trusted proxy 127.0.0.1 (`X-Forwarded-For`), as a site's traffic does. ")
		p("`security.hash_concurrency` = %s, `security.hash_queue` = %d.\n", r.HashSlots, r.HashQueue)
		p("- %d users are seeded straight into `users` through `models.UserStore` before the scenarios, all with one ", o.users)
		p("argon2id hash computed once at start-up (hashing each would take minutes and is not what is measured); ")
		p("%d of them log in through the API to get the access tokens of the user-centre scenario.\n", o.concurrency)
	} else {
		p("- Target: the running server at `%s`. %d users are registered through `POST /blogapi/reg` (the server ", o.url, o.users)
		p("must run with `captcha.enabled: false`, no register rate limit and `server.trusted_proxies` naming this ")
		p("machine for the flood's X-Forwarded-For). The middleware-chain comparison, the CPU profile and the growth ")
		p("curve need the server in-process and are left out.\n")
	}
	p("- Every `/blogapi` request is signed when it is sent (docs/signing.md) with the project's own signing code ")
	p("(`signing.Parse`, as `clients/sign`); POSTs get strictly increasing timestamps, so none is a replay. ")
	p("Each login comes from a client IP of its own (`X-Forwarded-For: 172.16.x.y` through the trusted proxy ")
	p("127.0.0.1), as users log in from their own devices (see finding 3 below). The users behind check-username, ")
	p("login and the user centre's tokens are spread over the whole population: on the embedded database where a ")
	p("document lies matters (finding 1).\n")
	if o.rate > 0 {
		p("- Each scenario: %d req/s for %s (at most %d in flight) after %s of the same unrecorded.\n", o.rate, o.duration, o.concurrency, o.warmup)
	} else {
		p("- Each scenario: a closed loop of %d workers (each sends its next request when the previous one is answered) ", o.concurrency)
		p("for %s, after %s of the same unrecorded. req/s counts answers with the expected code only; p50, p90 and ", o.duration, o.warmup)
		p("p99 are exact (nearest rank) over every answer, latency measured by the load generator from sending to the ")
		p("last byte.\n")
	}
	p("\n")
}

func (r *report) targets(p printer) {
	p("## Targets (load and middleware chain)\n\n| target | measured | result |\n|---|---|---|\n")
	if bare, chain, db, ok := r.chainTriple(); ok && chain.CPUKnown {
		over := chain.CPU - bare.CPU
		p("| middleware chain ≤ %s CPU per request over a bare Gin handler | %s (+%s more for the JWT middleware's session and user reads) | %s |\n",
			us(chainTargetCPU), us(over), us(db.CPU-chain.CPU), passMiss(over <= chainTargetCPU))
	} else {
		p("| middleware chain ≤ %s CPU per request over a bare Gin handler | not measured (needs the server in-process and getrusage) | — |\n", us(chainTargetCPU))
	}
	f := r.Flood
	ratio := ratioOf(f.With.P99, f.Without.P99)
	p("| user-centre p99 under a login flood ≤ %.0f× its p99 without | %s vs %s = %.2f× (a flood of `GET /healthz`, the calibration: %.2f×) | %s |\n",
		floodTargetFactor, ms(f.With.P99), ms(f.Without.P99), ratio, ratioOf(f.WithCheap.P99, f.Without.P99), passMiss(ratio <= floodTargetFactor))
	if r.Profile != nil {
		var ours []string
		for _, row := range r.Profile.Flat[:min(5, len(r.Profile.Flat))] {
			if strings.HasPrefix(row.Func, ourPrefix) {
				ours = append(ours, "`"+shortFunc(row.Func)+"`")
			}
		}
		measured := "none of ours in the top 5 by flat CPU"
		if len(ours) > 0 {
			measured = strings.Join(ours, ", ") + " in the top 5"
		}
		p("| nothing of ours in the top 5 of the user-centre CPU profile but the request's own work | %s | %s |\n", measured, passMiss(len(ours) == 0))
	}
	p("\n")
	r.flatTargets(p)
}

// flatTargets are the targets of "flat under real traffic": the public
// routes' req/s against the user centre's in the same run (from many
// client IPs, rate limits on), and the growth curve's p50 ratios.
func (r *report) flatTargets(p printer) {
	p("## Targets (flat under real traffic)\n\n| target | measured | result |\n|---|---|---|\n")
	rps := map[string]float64{}
	for _, row := range r.Rows {
		rps[row.Name] = row.Figures.RPS
	}
	store := r.RateStore
	if store == "" {
		store = "the server's"
	}
	want := map[string]float64{"check-username": 0.8, "captcha": 0.5}
	if store == "mongo" {
		want = map[string]float64{"check-username": 0.3, "captcha": 0.3}
	}
	if center := rps["user-center"]; center > 0 {
		for _, name := range []string{"check-username", "captcha"} {
			share := rps[name] / center
			p("| %s req/s ≥ %.0f%% of the user centre's (`rate_limit.store` %s) | %.0f ÷ %.0f = %.0f%% | %s |\n",
				name, want[name]*100, store, rps[name], center, share*100, passMiss(share >= want[name]))
		}
	}
	if c := r.Flood.Captcha; c != nil && c.Tries > 0 {
		share := float64(c.InTime) / float64(c.Tries)
		p("| under the login flood, ≥ %.0f%% of logins with a right captcha and password succeed within %s | %d of %d = %.0f%% | %s |\n",
			captchaLoginTarget*100, captchaLoginDeadline, c.InTime, c.Tries, share*100, passMiss(share >= captchaLoginTarget))
	}
	if len(r.Growth) >= 2 {
		first := r.Growth[0]
		for _, g := range r.Growth[1:] {
			if g.Users < 50_000 {
				continue
			}
			for _, c := range []struct {
				name       string
				at, origin figures
			}{{"check-username", g.Check, first.Check}, {"login", g.Login, first.Login}} {
				ratio := ratioOf(c.at.P50, c.origin.P50)
				p("| %s p50 at %d users ≤ 1.5× at %d | %s vs %s = %.2f× | %s |\n",
					c.name, g.Users, first.Users, ms(c.at.P50), ms(c.origin.P50), ratio, passMiss(ratio <= 1.5))
			}
		}
	}
	p("\n")
}

func (r *report) table(p printer) {
	p("## Throughput and latency\n\n")
	p("Ratios are to `GET /healthz` on the same server in the same run: req/s as a fraction of its req/s, p50 as a ")
	p("multiple of its p50.\n\n")
	p("| scenario | req/s | p50 | p90 | p99 | req/s vs healthz | p50 vs healthz | answers |\n|---|---:|---:|---:|---:|---:|---:|---|\n")
	base := r.Rows[0].Figures
	for _, row := range r.Rows {
		f := row.Figures
		p("| %s | %.0f | %s | %s | %s | %.3f× | %.1f× | %s |\n", row.What, f.RPS, ms(f.P50), ms(f.P90), ms(f.P99),
			f.RPS/max(base.RPS, 1e-9), ratioOf(f.P50, base.P50), f.codesText())
	}
	p("\n")
}

func (r *report) flood(p printer) {
	f := r.Flood
	p("## User centre under a login flood\n\n")
	p("The user centre is sent at a fixed %d req/s (%.0f%% of its closed-loop req/s above), alone for %s, then for %s ",
		f.CenterRate, r.Options.centerLoad*100, r.Options.floodTime, r.Options.floodTime)
	p("while %d workers send failing logins as fast as they are answered; %d such round(s), alternating, each side's ", f.Workers, f.Rounds)
	p("figures taken over all its rounds (each after %s of unrecorded warm-up). ", r.Options.warmup)
	p("The flood is built to cost what a distributed password-guessing attack costs: each attempt names a seeded ")
	p("account (a different one each time, well under the guard's captcha threshold of 3 failures per account) and ")
	p("comes from its own client IP (`X-Forwarded-For: 10.x.y.z` through the trusted proxy 127.0.0.1, so the per-IP ")
	p("budget never trips either). Past `security.login_flood_per_minute` failures site-wide the flood guard asks every ")
	p("login for a captcha, so the flood's attempts are then refused (400) before the argon2id hash. ")
	p("A naive flood from one IP at one account would be stopped by the guard before hashing and prove nothing.\n\n")
	p("| user centre | req/s | p50 | p90 | p99 | max | answers |\n|---|---:|---:|---:|---:|---:|---|\n")
	for _, side := range []struct {
		name string
		f    figures
	}{{"without flood", f.Without}, {"with flood", f.With}, {"with a `/healthz` flood (calibration)", f.WithCheap}} {
		p("| %s | %.0f | %s | %s | %s | %s | %s |\n", side.name, side.f.RPS, ms(side.f.P50), ms(side.f.P90), ms(side.f.P99), ms(side.f.Max), side.f.codesText())
	}
	p("\np99 with ÷ p99 without: **%.2f×** (target ≤ %.0f×).\n\n", ratioOf(f.With.P99, f.Without.P99), floodTargetFactor)
	p("The calibration: the same %d workers sending `GET /healthz` (unsigned, no database: the cheapest request the ", f.Workers)
	p("server answers) as fast as they are answered, %d requests in %s, raise the user centre's p99 **%.2f×**: ",
		f.CheapFlood.Requests, f.CheapFlood.Elapsed.Round(time.Millisecond), ratioOf(f.WithCheap.P99, f.Without.P99))
	p("what any flood that fills the machine's cores costs, the load generator's share included, whatever it asks for.\n\n")
	fl := f.Flood
	p("The flood: %d failing logins in %s, %.1f per second answered 401 (each one an argon2id verify; 503 would be requests shed by `security.hash_queue`); p50 %s, p99 %s; answers: %s.\n\n",
		fl.Requests, fl.Elapsed.Round(time.Millisecond), fl.RPS, ms(fl.P50), ms(fl.P99), fl.codesText())
	if c := f.Captcha; c != nil {
		p("After each with-flood side, the flood still running, real users logged in one at a time for %s, each with a ", f.LoginTime)
		p("fresh captcha answered right and the right password, from a client IP of its own (apart from the user centre's ")
		p("side, so that the only difference between its two sides is the flood): %d logins, %d answered 200 within %s, %d failed.\n\n",
			c.Tries, c.InTime, captchaLoginDeadline, c.Failures)
	}
	if r.InProcess && len(f.SchedWith.counts) > 0 {
		p("How long a runnable goroutine of this process (server, embedded database and load generator alike) waited for a ")
		p("core before it ran (the Go runtime's `%s`, bucket upper bounds): p50 %s → %s, p99 %s → %s without → with the flood. ", schedLatencies,
			us(f.SchedWithout.quantile(0.5)), us(f.SchedWith.quantile(0.5)), ms(f.SchedWithout.quantile(0.99)), ms(f.SchedWith.quantile(0.99)))
		p("A user-centre request waits so at each step: the request read, each of its two database round trips on ")
		p("both sides of the loopback connection, the answer.\n\n")
	}
	if rf := r.Refusal; rf != nil && rf.CPUKnown {
		p("What one refused attempt costs the server, without the network and the load generator: %s, ", rf.What)
		p("one goroutine, %d requests (each at another account from another client IP, as the flood's): ", rf.N)
		p("**%s** of CPU and %.0f allocations per request", us(rf.CPU), rf.Allocs)
		if bare, _, _, ok := r.chainTriple(); ok && bare.CPUKnown {
			p(", %.1f× the bare Gin handler's %s (the middleware-chain table below)", float64(rf.CPU)/float64(max(bare.CPU, 1)), us(bare.CPU))
		}
		p(". In the flood above, the load generator's own work for each attempt (signing it, vegeta's client, the ")
		p("client side of loopback TCP) runs on the same %d cores (`go run ./bench -flood-cpuprofile FILE` keeps ", r.Machine.Cores)
		p("the profile, by side and route: `go tool pprof -tags FILE`; `go test ./bench -bench RefusedLogin` measures ")
		p("this figure alone).\n\n")
	}
}

func (r *report) growth(p printer) {
	p("## Lookup cost against the number of users\n\n")
	if len(r.Growth) == 0 {
		p("Not measured: seeding tens of thousands of users needs the server in-process.\n\n")
		return
	}
	p("A second API instance over a database of its own on the same embedded FerretDB (so that the earlier phases' ")
	p("sessions, captchas and flood counters do not weigh on it), grown to each size in turn. Each figure is one ")
	p("request at a time (the cost of a lookup, not of a queue) for %s and at least %d requests, no warm-up; the user ", r.Options.growthTime, growthMinRequests)
	p("centre's requests carry the tokens of %d users evenly spaced over the population. Ratios are to the first size.\n\n", growthCenterUsers)
	p("| users | check-username p50 / p99 | login p50 / p99 | user centre p50 / p99 | p50 vs first: check; login; centre | answers: check; login; centre |\n")
	p("|---:|---:|---:|---:|---:|---|\n")
	first := r.Growth[0]
	for _, g := range r.Growth {
		p("| %d | %s / %s | %s / %s | %s / %s | %.1f×; %.1f×; %.1f× | %s; %s; %s |\n", g.Users,
			ms(g.Check.P50), ms(g.Check.P99), ms(g.Login.P50), ms(g.Login.P99), ms(g.Center.P50), ms(g.Center.P99),
			ratioOf(g.Check.P50, first.Check.P50), ratioOf(g.Login.P50, first.Login.P50), ratioOf(g.Center.P50, first.Center.P50),
			g.Check.codesText(), g.Login.codesText(), g.Center.codesText())
	}
	p("\n")
}

func (r *report) chainTriple() (bare, chain, db chainFigures, ok bool) {
	if len(r.Chain) != 3 {
		return bare, chain, db, false
	}
	return r.Chain[0], r.Chain[1], r.Chain[2], true
}

func (r *report) chain(p printer) {
	p("## Middleware chain, one goroutine\n\n")
	bare, chain, db, ok := r.chainTriple()
	if !ok {
		p("Not measured: it needs the server in-process.\n\n")
		return
	}
	p("`GET /blogapi/chain` answered by the same small envelope handler, served through `ServeHTTP` (no network) ")
	p("on one goroutine for about %s each. CPU is the process's user + system time (getrusage) over the loop ", r.Options.chainTime)
	p("divided by the requests, so it includes the garbage collector and, for chain+db, the embedded database ")
	p("serving the reads in this process. `go test ./bench -bench MiddlewareChain` measures the same three.\n\n")
	p("| handler | what | requests | wall/request | CPU/request | allocations/request |\n|---|---|---:|---:|---:|---:|\n")
	for _, c := range r.Chain {
		cpu := "n/a"
		if c.CPUKnown {
			cpu = us(c.CPU)
		}
		p("| %s | %s | %d | %s | %s | %.0f |\n", c.Name, c.What, c.N, us(c.Wall), cpu, c.Allocs)
	}
	if chain.CPUKnown {
		p("\nOur middleware costs **%s** of CPU per request over the bare handler (%.0f allocations); the JWT ", us(chain.CPU-bare.CPU), chain.Allocs-bare.Allocs)
		p("middleware's two reads by `_id` (session, then user: docs/security.md wants a session that was ended refused at once ")
		p("on every instance, so they are not cached) add **%s** (driver and embedded database), %.0f× our middleware.\n\n",
			us(db.CPU-chain.CPU), float64(db.CPU-chain.CPU)/float64(max(chain.CPU-bare.CPU, 1)))
	}
}

func (r *report) profile(p printer) {
	if r.Profile == nil {
		return
	}
	s := r.Profile
	p("## CPU profile of the user-centre load\n\n")
	p("Taken with `runtime/pprof` during the user-centre scenario above (its warm-up included); `-cpuprofile FILE` ")
	p("keeps it for `go tool pprof -top FILE`. Goroutines carry a `side` label: the HTTP server's connections ")
	p("`server`, the embedded FerretDB's `database`, the load generator's `generator`. CPU by side:\n\n")
	p("| side | CPU | share |\n|---|---:|---:|\n")
	sides := make([]string, 0, len(s.BySide))
	for k := range s.BySide {
		sides = append(sides, k)
	}
	sort.Strings(sides)
	for _, k := range sides {
		name := k
		if k == "" {
			name = "unlabelled (runtime: GC workers, scheduler, timers)"
		}
		p("| %s | %s | %.0f%% |\n", name, s.BySide[k].Round(time.Millisecond), 100*float64(s.BySide[k])/float64(max(s.Total, 1)))
	}
	p("\nTop functions by flat CPU, the load generator's samples left out (shares of what remains):\n\n")
	p("| # | function | flat | share |\n|---:|---|---:|---:|\n")
	for i, row := range s.Flat {
		p("| %d | `%s` | %s | %.1f%% |\n", i+1, shortFunc(row.Func), row.Time.Round(time.Millisecond), 100*row.Share)
	}
	p("\nThis project's functions by cumulative CPU (themselves and what they call):\n\n")
	p("| function | cum | share |\n|---|---:|---:|\n")
	for _, row := range s.OursCum {
		p("| `%s` | %s | %.1f%% |\n", shortFunc(row.Func), row.Time.Round(time.Millisecond), 100*row.Share)
	}
	p("\n")
}

// shortFunc drops this project's module path from a function name.
func shortFunc(name string) string { return strings.TrimPrefix(name, ourPrefix) }

func passMiss(ok bool) string {
	if ok {
		return "**pass**"
	}
	return "**miss**"
}

func ratioOf(a, b time.Duration) float64 { return float64(a) / float64(max(b, 1)) }

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func us(d time.Duration) string { return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond)) }
