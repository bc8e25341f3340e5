package main

import (
	"math"
	"runtime/metrics"
	"time"
)

// schedLatencies is the Go runtime's histogram of how long goroutines
// waited in a run queue, runnable, before they ran
// (/sched/latencies:seconds): what the user centre's goroutines wait for
// when a flood keeps both cores busy. The process's goroutines all count,
// the load generator's too.
const schedLatencies = "/sched/latencies:seconds"

// schedHist is a snapshot of schedLatencies, or the difference of two.
type schedHist struct {
	counts  []uint64
	buckets []float64 // len(counts)+1 boundaries, seconds
}

// readSched takes a snapshot of schedLatencies.
func readSched() schedHist {
	s := []metrics.Sample{{Name: schedLatencies}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64Histogram {
		return schedHist{}
	}
	h := s[0].Value.Float64Histogram()
	return schedHist{counts: append([]uint64(nil), h.Counts...), buckets: h.Buckets}
}

// add adds the waits counted between snapshots from and to.
func (h *schedHist) add(from, to schedHist) {
	if len(to.counts) == 0 || len(from.counts) != len(to.counts) {
		return
	}
	if h.counts == nil {
		h.counts, h.buckets = make([]uint64, len(to.counts)), to.buckets
	}
	for i := range to.counts {
		h.counts[i] += to.counts[i] - from.counts[i]
	}
}

// quantile is the upper bound of the bucket holding the q-th wait (0 when
// none was counted).
func (h schedHist) quantile(q float64) time.Duration {
	var total uint64
	for _, c := range h.counts {
		total += c
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			upper := h.buckets[i+1]
			if math.IsInf(upper, 1) {
				upper = h.buckets[i]
			}
			return time.Duration(upper * float64(time.Second))
		}
	}
	return 0
}
