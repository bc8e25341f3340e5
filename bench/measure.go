package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"runtime/pprof"
	"time"

	"github.com/blogapi/blogapi/models"
	"github.com/blogapi/blogapi/services/auth"
)

// row is one scenario of the main table.
type row struct {
	Name, What string
	Figures    figures
}

// floodResult is the user centre at a fixed rate without and with a
// concurrent login flood.
type floodResult struct {
	CenterRate int
	Rounds     int
	Without    figures
	With       figures
	Flood      figures
	Workers    int
	// Captcha are real logins with a solved captcha during the flood (in
	// process only: the answer is read from the store), sent for LoginTime
	// after each with-flood side.
	Captcha   *captchaLogins
	LoginTime time.Duration
	// WithCheap and CheapFlood are the calibration: the user centre while
	// as many workers send GET /healthz (unsigned, no database: the
	// cheapest request the server answers) as fast as they are answered.
	WithCheap, CheapFlood figures
	// SchedWithout and SchedWith are how long the process's goroutines
	// waited to run during each side (schedLatencies; in process only).
	SchedWithout, SchedWith schedHist
}

// growthPoint is check-username, login and the user centre at one number
// of users.
type growthPoint struct {
	Users  int
	Check  figures
	Login  figures
	Center figures
}

// report is everything one run measured.
type report struct {
	Command   string
	Started   time.Time
	Elapsed   time.Duration
	Machine   machine
	Options   options
	InProcess bool
	HashSlots string // security.hash_concurrency as the server runs it
	HashQueue int    // security.hash_queue
	LogLevel  string
	RateStore string
	Rows      []row
	Flood     floodResult
	Growth    []growthPoint
	Chain     []chainFigures
	Profile   *profileSummary
	Blog      *blogResult // nil: not measured (-blog-articles 0, or -url)
	// Refusal is a flood login refused by the guard, through the real
	// router on one goroutine (in process only).
	Refusal *chainFigures
}

// measure runs every phase against the in-process server (or o.url).
func measure(ctx context.Context, o options, pr *progress) (*report, error) {
	rep := &report{Started: time.Now(), Machine: readMachine(), Options: o, InProcess: o.url == ""}
	var t *target
	if rep.InProcess {
		pr.printf("starting the server in-process (embedded FerretDB, fresh temp dir)")
		var err error
		if t, err = startInProcess(ctx, o); err != nil {
			return nil, err
		}
		defer t.close()
		rep.HashSlots = hashSlotsText(t.cfg.Security.HashConcurrency)
		rep.HashQueue = t.cfg.Security.HashQueue
		rep.LogLevel = t.cfg.Log.Level
		rep.RateStore = string(t.cfg.RateLimit.Store)
		pr.printf("seeding %d users", o.users)
		if err := t.seedTo(ctx, o.users); err != nil {
			return nil, err
		}
	} else {
		t = connectRemote(o.url, o.key, o.secret)
		pr.printf("registering %d users through the API", o.users)
		if err := t.seedViaAPI(ctx, o.users); err != nil {
			return nil, err
		}
	}
	tokens, err := t.login(ctx, o.concurrency)
	if err != nil {
		return nil, err
	}

	if rep.InProcess {
		pr.printf("middleware chain, one goroutine")
		cases, err := t.chainCases(ctx)
		if err != nil {
			return nil, err
		}
		for _, c := range cases {
			f, err := measureChain(c, o.chainTime)
			if err != nil {
				return nil, err
			}
			rep.Chain = append(rep.Chain, f)
		}
		pr.printf("refused flood login, one goroutine")
		rc, err := t.refusalCase(ctx)
		if err != nil {
			return nil, err
		}
		f, err := measureLoop("refused login", refusalWhat, rc.serve, http.StatusBadRequest, o.chainTime)
		rc.close()
		if err != nil {
			return nil, err
		}
		rep.Refusal = &f
	}

	s := newSigner(t.key, t.secret)
	closed := load{workers: o.concurrency, rate: o.rate, duration: o.duration}
	center := userCenter(s, t.base, tokens)
	var centerRPS float64
	for _, sc := range []scenario{healthz(t.base), checkUsername(s, t.base, o.users), captcha(s, t.base), center, login(s, t.base, o.users)} {
		pr.printf("%s: %s", sc.name, describeLoad(closed))
		var f figures
		if sc.name == center.name && rep.InProcess {
			var prof bytes.Buffer
			if err := pprof.StartCPUProfile(&prof); err != nil {
				return nil, err
			}
			f = attack(ctx, sc, closed, o.warmup, nil)
			pprof.StopCPUProfile()
			if o.cpuProfile != "" {
				if err := os.WriteFile(o.cpuProfile, prof.Bytes(), 0o644); err != nil {
					return nil, err
				}
			}
			sum, err := summarize(prof.Bytes(), 10)
			if err != nil {
				return nil, err
			}
			rep.Profile = &sum
		} else {
			f = attack(ctx, sc, closed, o.warmup, nil)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if sc.name == center.name {
			centerRPS = f.RPS
		}
		rep.Rows = append(rep.Rows, row{Name: sc.name, What: sc.what, Figures: f})
	}

	var peek captchaPeek
	if rep.InProcess {
		peek = func(ctx context.Context, id string) (string, error) {
			c, err := t.db.Captchas.Peek(ctx, id)
			return c.Answer, err
		}
	}
	rep.Flood = floodComparison(ctx, o, s, t.base, center, centerRPS, peek, pr)
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	if rep.InProcess {
		// A second instance over a database of its own, so that what the
		// earlier phases left (sessions, captchas, the flood's counters)
		// does not weigh on the curve.
		growthDB := models.Options{Database: t.cfg.Mongo.Database + "_growth", Logger: t.logger}
		if t.metrics != nil {
			growthDB.Observe = t.metrics.ObserveCommand
		}
		var gdb *models.DB
		var err error
		pprof.Do(ctx, pprof.Labels(labelSide, sideDatabase), func(ctx context.Context) {
			gdb, err = t.db.OpenDatabase(ctx, growthDB)
		})
		if err != nil {
			return nil, err
		}
		defer gdb.Close()
		g, err := t.serve(ctx, gdb)
		if err != nil {
			return nil, err
		}
		defer g.close()
		for _, n := range o.growth {
			pr.printf("growth: seeding up to %d users", n)
			if err := g.seedTo(ctx, n); err != nil {
				return nil, err
			}
			// One request at a time: the latency of a lookup, not of a
			// queue; at least 5 of each however slow they get.
			gl := load{workers: 1, duration: o.growthTime, minRequests: growthMinRequests}
			pr.printf("growth: check-username, login and user-center at %d users", n)
			p := growthPoint{Users: n}
			p.Check = attack(ctx, checkUsername(s, g.base, n), gl, 0, nil)
			p.Login = attack(ctx, login(s, g.base, n), gl, 0, nil)
			tokens, err := g.login(ctx, growthCenterUsers)
			if err != nil {
				return nil, err
			}
			p.Center = attack(ctx, userCenter(s, g.base, tokens), gl, 0, nil)
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			rep.Growth = append(rep.Growth, p)
		}
	}
	if rep.InProcess && o.blog.articles > 0 {
		if rep.Blog, err = measureBlog(ctx, t, o.blog, pr); err != nil {
			return nil, err
		}
	}
	rep.Elapsed = time.Since(rep.Started)
	return rep, nil
}

// growthMinRequests is the fewest requests of each growth measurement;
// growthCenterUsers log in (evenly spaced over the users) for its user
// centre.
const (
	growthMinRequests = 5
	growthCenterUsers = 4
)

// floodComparison sends the user centre at a fixed share of its
// closed-loop rate without and with a login flood, in o.floodRounds
// alternating rounds (without, with, without, with…) so that whatever else
// slows the machine meanwhile weighs on both sides alike.
func floodComparison(ctx context.Context, o options, s *signer, base string, center scenario, centerRPS float64, peek captchaPeek, pr *progress) floodResult {
	var logins *captchaLogins
	if peek != nil {
		logins = new(captchaLogins)
	}
	fixed := load{workers: 4 * o.concurrency, rate: max(1, int(centerRPS*o.centerLoad)), duration: o.floodTime}
	without, with, flood := newTally(center.expect), newTally(center.expect), newTally(http.StatusUnauthorized)
	withCheap, cheapFlood := newTally(center.expect), newTally(http.StatusOK)
	floodSc, cheapSc := loginFlood(s, base, o.users), healthz(base)
	var profiles [][]byte
	var schedWithout, schedWith schedHist
	for round := range o.floodRounds {
		pr.printf("user-center at %d req/s without a login flood (round %d of %d)", fixed.rate, round+1, o.floodRounds)
		before := readSched()
		attackInto(ctx, center, fixed, o.warmup, nil, without)
		schedWithout.add(before, readSched())
		pr.printf("user-center at %d req/s with a login flood of %d workers (round %d of %d)", fixed.rate, o.floodWorkers, round+1, o.floodRounds)
		stopFlood := startFlood(ctx, floodSc, o.floodWorkers, flood)
		// The user centre's warm-up gives the flood time to fill the
		// hashing slots and the queue before anything is recorded.
		var prof bytes.Buffer
		profiling := o.floodProfile != "" && pprof.StartCPUProfile(&prof) == nil
		before = readSched()
		attackInto(ctx, center, fixed, o.warmup, nil, with)
		schedWith.add(before, readSched())
		if profiling {
			pprof.StopCPUProfile()
			profiles = append(profiles, prof.Bytes())
		}
		// Then, the flood still running, real users log in for as long
		// again: apart from the user centre's side, whose only difference
		// from the side without is then the flood.
		if logins != nil {
			pr.printf("captcha'd logins under the login flood (round %d of %d)", round+1, o.floodRounds)
			stopLogins := make(chan struct{})
			timer := time.AfterFunc(o.floodTime, func() { close(stopLogins) })
			l := runCaptchaLogins(ctx, s, base, o.users, peek, stopLogins)
			timer.Stop()
			logins.Tries, logins.InTime, logins.Failures = logins.Tries+l.Tries, logins.InTime+l.InTime, logins.Failures+l.Failures
		}
		stopFlood() // its queued requests drain before the next side
		if ctx.Err() != nil {
			break
		}
		pr.printf("user-center at %d req/s with a flood of /healthz from %d workers, the calibration (round %d of %d)", fixed.rate, o.floodWorkers, round+1, o.floodRounds)
		stopCheap := startFlood(ctx, cheapSc, o.floodWorkers, cheapFlood)
		attackInto(ctx, center, fixed, o.warmup, nil, withCheap)
		stopCheap()
		if ctx.Err() != nil {
			break
		}
	}
	if len(profiles) > 0 {
		if err := writeMerged(o.floodProfile, profiles); err != nil {
			pr.printf("flood profile: %v", err)
		}
	}
	return floodResult{CenterRate: fixed.rate, Workers: o.floodWorkers, Rounds: o.floodRounds,
		Without: without.figures(), With: with.figures(), Flood: flood.figures(), Captcha: logins, LoginTime: o.floodTime,
		WithCheap: withCheap.figures(), CheapFlood: cheapFlood.figures(),
		SchedWithout: schedWithout, SchedWith: schedWith}
}

// startFlood sends sc from workers closed-loop workers into t until the
// returned stop is called; stop returns once every worker has ended.
func startFlood(ctx context.Context, sc scenario, workers int, t *tally) (stop func()) {
	stopC, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		attackInto(ctx, sc, load{workers: workers}, 0, stopC, t)
	}()
	return func() {
		close(stopC)
		<-done
	}
}

// hashSlotsText is security.hash_concurrency as the server applies it.
func hashSlotsText(n int) string {
	if n > 0 {
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("0 (the default: half the CPUs, at least 1 = %d)", auth.DefaultHashConcurrency())
}

func describeLoad(l load) string {
	if l.rate > 0 {
		return fmt.Sprintf("%d req/s for %s (at most %d in flight)", l.rate, l.duration, l.workers)
	}
	return fmt.Sprintf("closed loop, %d workers, %s", l.workers, l.duration)
}
