// Package cputime measures the processor time a benchmark used, next to
// the wall time that testing.B reports. On a shared machine the wall time
// counts the time other processes held the processor; with -cpu 1 the
// process's processor time is the benchmark's own cost (plus its GC).
//
// It is for benchmarks only and keeps no state of its own.
package cputime

import (
	"testing"
	"time"
)

// Start begins measuring and returns a function to call right after the
// b.Loop loop, which reports the processor time per iteration as the
// metric "cpu-ns/op".
func Start(b *testing.B) func() {
	t0 := Used()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(Used()-t0)/float64(b.N), "cpu-ns/op")
		}
	}
}

// Used returns the user and system processor time the process has used.
func Used() time.Duration { return used() }
