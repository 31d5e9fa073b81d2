// Package pipeline runs iocflow's stages: decode, normalise, match and emit.
// The Embedded runner drives them in one process over files or standard
// input and hands verdicts to a sink; the Kafka workers reuse the same
// stages. The stages themselves (Decode, Match) hold per-worker scratch
// space and are used by one goroutine each; the matcher snapshot they read
// is shared and lock-free.
package pipeline
