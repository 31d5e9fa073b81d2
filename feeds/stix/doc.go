// Package stix reads STIX 2.1 and 2.0 content into indicators: bundle files
// (Format, a feeds.Format), TAXII 2.1 envelopes, and objects already decoded
// by a caller (Store, which also keeps the newest version of every object
// across TAXII polls).
//
// Patterns are parsed and classified with feeds/stix/pattern:
//
//   - Atomic patterns (one comparison, or an OR of comparisons, on one object
//     type) become one matcher entry per compared value.
//   - Conjunctions over properties of one object
//     ([file:name = 'a.dll' AND file:hashes.MD5 = '…']) are compiled into
//     tests on event observables (CompileConjunction). One equality test per
//     term, the anchor, goes into the matcher as an ordinary indicator whose
//     source carries the pattern; the rest is checked per event by
//     matcher/conjunction on a hit.
//   - Everything else (FOLLOWEDBY, WITHIN, REPEATS, START/STOP, several
//     observations, LIKE and MATCHES, NOT, ordering operators, non-STIX
//     pattern types, properties that no event observable carries) is kept
//     and reported as not enforced, with the reason.
//
// Relationships attach context to indicators: "indicates" names the
// malware, tools, campaigns, threat actors, intrusion sets and attack
// patterns (STIX 2.1 section 4.7.1); a campaign or intrusion set that is
// "attributed-to" a threat actor also names the actor; "based-on" to an
// observed-data object (the MISP export shape) gives the first time the
// value was observed.
//
// Versions: the identity of an object version is (id, modified) (STIX 2.1
// section 3.6). Within a bundle and across the polls a Store sees, only the
// newest version of an id is used, so a newer version with another pattern
// replaces the older values, and a newer revoked version makes the
// indicator's source revoked (kept, never matching).
//
// STIX 2.0 differences handled: an indicator without spec_version (or with
// "2.0") keeps its indicator vocabulary in labels; 2.1 labels are free text
// and ignored. Observed-data of either version may hold the 2.0 "objects"
// dictionary.
//
// Format values are stateless and safe for concurrent use. A Store is not
// safe for concurrent use; it is owned by one poller.
package stix
