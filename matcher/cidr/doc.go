// Package cidr answers "which of these prefixes contain this address" for
// sets of IPv4 and IPv6 prefixes, reporting every containing prefix and not
// only the longest.
//
// A Table wraps a multibit trie (github.com/gaissmai/bart) whose value at
// each prefix is the closure of that prefix: its own values followed by
// those of every shorter prefix in the table that contains it, longest
// first. A single longest-prefix match therefore yields all containing
// prefixes, so a lookup costs one trie walk however deeply the prefixes
// nest. The price is paid on change: adding or removing a prefix rewrites
// the closures of the prefixes it contains (see Table.Insert).
//
// The package leaves the meaning of the values (indicator references) and
// the canonical form of addresses to its caller: addresses are expected
// unmapped (IPv4-mapped IPv6 as IPv4) and prefixes masked.
//
// A Table is immutable once built. Insert and Delete return a new Table
// that shares every untouched trie node with the old one, so readers of the
// old Table are never disturbed and need no locks.
package cidr
