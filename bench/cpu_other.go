//go:build !unix

package main

import "time"

// processCPU is unavailable without getrusage: the report says so and
// gives wall time only.
func processCPU() (time.Duration, bool) { return 0, false }
