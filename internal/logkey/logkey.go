// Package logkey names the attribute keys of iocflow's structured logs, so
// that every package spells them the same way.
package logkey

// Attribute keys, snake_case.
const (
	Address       = "address"
	Attempts      = "attempts"
	Component     = "component"
	Count         = "count"
	Duration      = "duration"
	Err           = "err"
	Feed          = "feed"
	Format        = "format"
	Generation    = "generation"
	Group         = "group"
	IndicatorType = "indicator_type"
	Offset        = "offset"
	Origin        = "origin"
	Partition     = "partition"
	Partitions    = "partitions"
	Path          = "path"
	Position      = "position"
	Reason        = "reason"
	Sink          = "sink"
	Suppressed    = "suppressed"
	Topic         = "topic"
	Version       = "version"
)
