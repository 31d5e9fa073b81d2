// Package matcher is iocflow's indicator engine. A Snapshot holds a set of
// canonical indicators in per-type structures and answers lookups of
// observable values; an Engine holds the snapshot in force and swaps in a
// new one atomically.
//
// The structures, each chosen by measurement (see README.md):
//
//   - exact values (domains, URLs, e-mail addresses, file names and paths,
//     registry keys, mutexes, process names, user agents) in flat
//     bucketed hash tables keyed by a seeded 64-bit hash, with an overlay
//     for the keys deltas add, each hit checked against the indicator's
//     value;
//   - MD5, SHA-1, SHA-256 and SHA-512 as binary digests in tables of the
//     same kind, and host addresses by their bits;
//   - IP ranges in a cidr.Table, which reports every containing prefix;
//   - substring patterns over free text in an ac.Automaton, matched
//     without ASCII case: Text observables are passed as the event gave
//     them, and Text indicator values (lower case) are folded again when
//     the automaton is built.
//
// Snapshot.Apply derives a snapshot from a Delta, sharing every part that
// the changes do not touch, so a feed update costs in proportion to its
// size rather than to the indicator set.
//
// The package is pure computation: no I/O, no logging, no clocks. Validity
// windows and revocation are judged by the caller at the time it chooses,
// through ioc.Indicator.Assess. Snapshots are immutable and safe for
// concurrent reads without locks; lookups allocate nothing once the
// caller's result slice has grown to size.
package matcher
