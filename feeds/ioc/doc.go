// Package ioc holds the two shared models of iocflow's values: the Type of
// an observable or indicator, and the Indicator with its Sources. It is also
// the one place where values are made canonical (Canonical, ParsePrefix,
// CanonicalURL), used alike by the feed parsers and the event decoders, so
// that a value from a feed and the same value from an event compare equal.
//
// The package does no I/O and keeps no state. Its functions are safe for
// concurrent use; an Indicator is not, and is treated as immutable once it is
// handed to the matcher.
package ioc
