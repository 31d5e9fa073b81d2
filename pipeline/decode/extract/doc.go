// Package extract holds what every decoder needs to turn raw field values
// into observables: an Adder that canonicalises values read as bytes and
// adds them to an event without allocating for values that are already
// canonical (or only need ASCII lower-casing), the arena the Adder copies
// values into, timestamp parsing for the layouts the supported sources
// write, and Text, which keeps free text as a text observable and pulls
// out the indicators written inside it.
//
// The fast paths are checked against package ioc, which stays the one
// place that defines canonical forms: whenever a value is not in a shape
// the fast path is sure about, the Adder hands it to ioc and accepts the
// allocation. The fuzz tests compare both paths.
//
// An Adder and an Arena are used by one goroutine at a time.
package extract
