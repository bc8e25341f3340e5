package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// machine describes where the run happened.
type machine struct {
	CPU     string
	Cores   int // runtime.NumCPU
	Procs   int // GOMAXPROCS
	Memory  string
	OS      string
	Go      string
	LoadAvg string // /proc/loadavg at the start: other work on the machine
}

// readMachine reads the CPU model, memory and OS from /proc and
// /etc/os-release where they exist (Linux); elsewhere those say "unknown".
func readMachine() machine {
	m := machine{
		CPU: "unknown", Cores: runtime.NumCPU(), Procs: runtime.GOMAXPROCS(0), Memory: "unknown",
		OS: runtime.GOOS + "/" + runtime.GOARCH, Go: runtime.Version(), LoadAvg: "unknown",
	}
	if v, ok := procField("/proc/cpuinfo", "model name"); ok {
		m.CPU = v
	}
	if v, ok := procField("/proc/meminfo", "MemTotal"); ok {
		if kb, err := strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64); err == nil {
			m.Memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	if v, ok := procField("/etc/os-release", "PRETTY_NAME"); ok {
		m.OS = strings.Trim(v, `"`) + ", " + m.OS
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.OS += ", kernel " + strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	return m
}

// procField returns the value of the first "name: value" or "name=value"
// line of file.
func procField(file, name string) (string, bool) {
	f, err := os.Open(file)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			k, v, ok = strings.Cut(line, "=")
		}
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}
