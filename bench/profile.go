package main

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/google/pprof/profile"
)

// ourPrefix starts the function names of this project's code.
const ourPrefix = "github.com/blogapi/blogapi/"

// profileRow is one function of a CPU profile: flat (its own code) or cum
// (itself and what it calls) time.
type profileRow struct {
	Func  string
	Time  time.Duration
	Share float64 // of the profile's total without the load generator
}

// profileSummary is what the report says about the CPU profile of the
// user-centre load: where the process's CPU went by side, and the top
// functions of the server side (everything but the load generator, whose
// goroutines carry the label side=generator).
type profileSummary struct {
	Total   time.Duration            // all samples
	BySide  map[string]time.Duration // label side → time; "" for unlabelled
	Flat    []profileRow             // top functions by flat time, server side
	OursCum []profileRow             // this project's functions by cum time, server side
}

// summarize reads a CPU profile (runtime/pprof's format) and keeps the
// top n functions by flat time and this project's top n by cum time, as
// `go tool pprof -top` (flat) and `-top -cum` would list them, over the
// samples not labelled side=generator.
func summarize(data []byte, n int) (profileSummary, error) {
	p, err := profile.Parse(bytes.NewReader(data))
	if err != nil {
		return profileSummary{}, fmt.Errorf("cpu profile: %w", err)
	}
	idx := -1
	for i, st := range p.SampleType {
		if st.Type == "cpu" && st.Unit == "nanoseconds" {
			idx = i
		}
	}
	if idx < 0 {
		return profileSummary{}, fmt.Errorf("cpu profile: no cpu/nanoseconds sample type")
	}
	s := profileSummary{BySide: map[string]time.Duration{}}
	flat := map[string]int64{}
	cum := map[string]int64{}
	var server int64
	for _, smp := range p.Sample {
		v := smp.Value[idx]
		s.Total += time.Duration(v)
		side := ""
		if l := smp.Label[labelSide]; len(l) > 0 {
			side = l[0]
		}
		s.BySide[side] += time.Duration(v)
		if side == sideGenerator {
			continue
		}
		server += v
		seen := map[string]bool{}
		for i, loc := range smp.Location {
			// Line[0] is the innermost of the functions inlined at loc.
			for j, ln := range loc.Line {
				if ln.Function == nil {
					continue
				}
				name := ln.Function.Name
				if i == 0 && j == 0 {
					flat[name] += v
				}
				if !seen[name] {
					seen[name] = true
					cum[name] += v
				}
			}
		}
	}
	s.Flat = topRows(flat, server, n, func(string) bool { return true })
	s.OursCum = topRows(cum, server, n, func(name string) bool { return strings.HasPrefix(name, ourPrefix) })
	return s, nil
}

func topRows(m map[string]int64, total int64, n int, keep func(string) bool) []profileRow {
	var rows []profileRow
	for name, v := range m {
		if keep(name) {
			rows = append(rows, profileRow{Func: name, Time: time.Duration(v), Share: float64(v) / float64(max(total, 1))})
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Time != rows[j].Time {
			return rows[i].Time > rows[j].Time
		}
		return rows[i].Func < rows[j].Func
	})
	if len(rows) > n {
		rows = rows[:n]
	}
	return rows
}

// writeMerged writes the CPU profiles (runtime/pprof's format) merged into
// one to path.
func writeMerged(path string, profiles [][]byte) error {
	var ps []*profile.Profile
	for _, data := range profiles {
		p, err := profile.Parse(bytes.NewReader(data))
		if err != nil {
			return err
		}
		ps = append(ps, p)
	}
	merged, err := profile.Merge(ps)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := merged.Write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
