// Package logkey names the attribute keys of iocflow's structured logs, so
// that every package spells them the same way.
package logkey

// Attribute keys, snake_case.
const (
	Adapter   = "adapter"
	Added     = "added"
	Address   = "address"
	Attempts  = "attempts"
	Component = "component"
	Count     = "count"
	// Drain is how long stopping took: reads stopped to all written and
	// committed.
	Drain         = "drain"
	DryRun        = "dry_run"
	Duration      = "duration"
	Err           = "err"
	Failures      = "failures"
	Feed          = "feed"
	Format        = "format"
	Generation    = "generation"
	Group         = "group"
	IndicatorType = "indicator_type"
	Limit         = "limit"
	Live          = "live"
	InForce       = "in_force"
	Offset        = "offset"
	Op            = "op"
	Origin        = "origin"
	Partition     = "partition"
	Partitions    = "partitions"
	Path          = "path"
	Position      = "position"
	Reason        = "reason"
	Rejected      = "rejected"
	Removed       = "removed"
	Sink          = "sink"
	Suppressed    = "suppressed"
	Topic         = "topic"
	Updated       = "updated"
	Version       = "version"
	Window        = "window"
)
