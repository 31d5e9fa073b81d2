// Package ac finds every occurrence of many fixed patterns in a text in one
// pass, after Aho and Corasick (1975), ignoring ASCII case.
//
// An Automaton is built once from the patterns and is then immutable and
// safe for concurrent use without locks. Its states are numbered in
// breadth-first order; the shallow states, where a scan of ordinary text
// spends almost all of its time, have dense rows with a transition for
// every byte class, and the deep states keep only their own transitions
// and a failure link. The split is chosen per automaton so that the dense
// rows stay within a memory budget (see Options), which keeps the hot part
// of the table in the processor's caches: with 10,000 patterns nearly every
// byte costs one table load, with 100,000 the occasional deep state costs a
// few more.
//
// Bytes are folded to lower case for ASCII letters only; other bytes,
// including those of UTF-8 sequences, must match exactly. Bytes that occur
// in no pattern share one class, which sends the scan back to the root.
//
// The package knows nothing of indicators: a pattern is named by its index
// in the slice given to Build, and the caller maps indexes to its own
// references.
package ac
