// Package clickhouse stores verdicts, the observables of every event and
// the enforcement audit trail in ClickHouse, and reads back what
// retro-hunting and the KPI report need.
//
// A Store is the connection pool and the schema: Migrate applies the
// embedded, numbered migrations, whose statements are idempotent. A Sink
// implements sinks.Sink for verdicts and also takes sightings (the
// observables of every event, kept for look-back); an AuditSink implements
// enforce.AuditSink. Both queue rows per table in bounded memory and send
// them over the native protocol from one goroutine per table, in INSERTs
// by size and age, retrying with doubling pauses while the server is
// down; writers block when the queue is full, so a down server slows the
// pipeline and loses nothing. A batch is acknowledged only once the server
// accepted its INSERT.
//
// Repeats are expected (at-least-once delivery) and absorbed by the
// schema: base tables are ReplacingMergeTree keyed by (event id, indicator
// id), and the KPI views keep uniq states of that key, so a repeated
// verdict adds nothing to a count.
//
// The schema and every query use only what ClickHouse 18.16 understands,
// the oldest release supported, so they run on current releases too.
//
// Store, Sink and AuditSink are safe for concurrent use.
package clickhouse
