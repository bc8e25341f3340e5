package main

import (
	"context"
	"math"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// load is how a scenario is sent: a closed loop of workers each sending
// its next request when the previous one is answered (rate 0), or a fixed
// rate (req/s) with at most workers requests in flight.
type load struct {
	workers  int
	rate     int
	duration time.Duration
	// minRequests, in a closed loop, keeps it going past duration until
	// that many requests were sent (slow requests still get a sample).
	minRequests uint64
}

// atLeast paces a closed loop (no wait between requests) that stops once
// d has passed and at least n requests were sent.
type atLeast struct {
	d time.Duration
	n uint64
}

func (p atLeast) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	return 0, elapsed > p.d && hits >= p.n
}

func (p atLeast) Rate(time.Duration) float64 { return 0 }

// figures are the measured outcome of one scenario.
type figures struct {
	Requests uint64
	Expected uint64         // answers with the scenario's code
	Codes    map[int]uint64 // HTTP status (= envelope code) → answers; 0: transport error
	RPS      float64        // expected answers per second of the run
	P50      time.Duration
	P90      time.Duration
	P99      time.Duration
	Max      time.Duration
	Elapsed  time.Duration // first request to last answer (summed over rounds)
}

// codesText lists the codes as "200×1234, 401×5".
func (f figures) codesText() string {
	codes := make([]int, 0, len(f.Codes))
	for c := range f.Codes {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	s := ""
	for i, c := range codes {
		if i > 0 {
			s += ", "
		}
		name := strconv.Itoa(c)
		if c == 0 {
			name = "transport error"
		}
		s += name + "×" + strconv.FormatUint(f.Codes[c], 10)
	}
	return s
}

// tally accumulates the answers of one or more sends of a scenario.
type tally struct {
	latencies []time.Duration
	expect    int
	codes     map[int]uint64
	expected  uint64
	elapsed   time.Duration // summed over the sends: first request to last answer of each
}

func newTally(expect int) *tally { return &tally{expect: expect, codes: map[int]uint64{}} }

// figures has exact percentiles (nearest rank) over every latency.
func (t *tally) figures() figures {
	f := figures{Requests: uint64(len(t.latencies)), Expected: t.expected, Codes: t.codes, Elapsed: t.elapsed}
	if n := len(t.latencies); n > 0 {
		slices.Sort(t.latencies)
		rank := func(q float64) time.Duration { return t.latencies[int(math.Ceil(q*float64(n)))-1] }
		f.P50, f.P90, f.P99, f.Max = rank(0.50), rank(0.90), rank(0.99), t.latencies[n-1]
	}
	if f.Elapsed > 0 {
		f.RPS = float64(f.Expected) / f.Elapsed.Seconds()
	}
	return f
}

// attack sends sc with l, after an unrecorded warm-up of the same load,
// and returns its figures. stop, when not nil, ends the attack early once
// closed.
func attack(ctx context.Context, sc scenario, l load, warmup time.Duration, stop <-chan struct{}) figures {
	t := newTally(sc.expect)
	attackInto(ctx, sc, l, warmup, stop, t)
	return t.figures()
}

// attackInto is attack adding to t. The load generator's goroutines are
// labelled for the CPU profile.
func attackInto(ctx context.Context, sc scenario, l load, warmup time.Duration, stop <-chan struct{}, t *tally) {
	pprof.Do(ctx, pprof.Labels(labelSide, sideGenerator), func(ctx context.Context) {
		if warmup > 0 {
			send(ctx, sc, load{workers: l.workers, rate: l.rate, duration: warmup}, stop, newTally(sc.expect))
		}
		send(ctx, sc, l, stop, t)
	})
}

func send(ctx context.Context, sc scenario, l load, stop <-chan struct{}, t *tally) {
	atk := vegeta.NewAttacker(
		vegeta.Workers(uint64(l.workers)), vegeta.MaxWorkers(uint64(l.workers)),
		vegeta.Connections(l.workers), vegeta.MaxConnections(l.workers),
		vegeta.KeepAlive(true), vegeta.Timeout(30*time.Second), vegeta.MaxBody(0),
	)
	defer atk.Stop()
	var pacer vegeta.Pacer = vegeta.ConstantPacer{Freq: l.rate, Per: time.Second}
	du := l.duration
	if l.rate == 0 && l.minRequests > 0 {
		pacer, du = atLeast{d: l.duration, n: l.minRequests}, 0
	}
	results := atk.Attack(sc.targeter(), pacer, du, sc.name)
	var first, last time.Time
	done := ctx.Done()
	for {
		select {
		case r, ok := <-results:
			if !ok {
				t.elapsed += last.Sub(first)
				return
			}
			if first.IsZero() || r.Timestamp.Before(first) {
				first = r.Timestamp
			}
			if end := r.End(); end.After(last) {
				last = end
			}
			t.latencies = append(t.latencies, r.Latency)
			t.codes[int(r.Code)]++
			if int(r.Code) == t.expect {
				t.expected++
			}
		case <-stop:
			atk.Stop()
			stop = nil
		case <-done:
			atk.Stop()
			done = nil
		}
	}
}
