// Package logkey names the attribute keys of iocflow's structured logs, so
// that every package spells them the same way.
package logkey

// Attribute keys, snake_case.
const (
	Added         = "added"
	Address       = "address"
	Attempts      = "attempts"
	Component     = "component"
	Count         = "count"
	Duration      = "duration"
	Err           = "err"
	Failures      = "failures"
	Feed          = "feed"
	Format        = "format"
	Generation    = "generation"
	Group         = "group"
	IndicatorType = "indicator_type"
	InForce       = "in_force"
	Offset        = "offset"
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
)
