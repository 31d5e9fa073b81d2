// Package logkey names the attribute keys of iocflow's structured logs, so
// that every package spells them the same way.
package logkey

// Attribute keys, snake_case.
const (
	Component     = "component"
	Count         = "count"
	Err           = "err"
	Feed          = "feed"
	Format        = "format"
	IndicatorType = "indicator_type"
	Origin        = "origin"
	Path          = "path"
	Position      = "position"
	Reason        = "reason"
	Suppressed    = "suppressed"
	Version       = "version"
)
