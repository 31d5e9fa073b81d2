// Package matcher is iocflow's indicator engine. A Snapshot holds a set of
// canonical indicators in per-type structures (maps for exact values and
// typed binary hashes, prefix tables for IP ranges, a label walk for parent
// domains, substring patterns for free text) and answers lookups of
// canonical observable values. An Engine holds the snapshot in force and
// swaps in a new one atomically.
//
// The package is pure computation: no I/O, no logging, no clocks. Validity
// windows and revocation are judged by the caller at the time it chooses,
// through ioc.Indicator.Assess. Snapshots are immutable and safe for
// concurrent reads without locks.
package matcher
