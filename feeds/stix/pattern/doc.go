// Package pattern parses the STIX 2.1 patterning language (STIX 2.1 part 9;
// grammar pattern_grammar/STIXPattern.g4 in oasis-open/cti-stix2-json-schemas)
// into an abstract syntax tree, renders trees back to canonical text, and
// classifies patterns by how a matcher can evaluate them. STIX 2.0 patterns
// parse as well: 2.0 is 2.1 without EXISTS, and its START/STOP timestamps
// may be plain strings.
//
// # Syntax
//
// Parse follows the 2.1 grammar exactly. Keywords are upper-case and
// case-sensitive, booleans are lower-case true and false, and whitespace
// and /* */ or // comments may appear between tokens but are needed only
// where two tokens would otherwise run together. Inside brackets AND binds
// tighter than OR; between observations AND binds tighter than OR, which
// binds tighter than FOLLOWEDBY; all are left-associative. Qualifiers
// (WITHIN, REPEATS, START/STOP) follow an observation expression and may be
// repeated. NOT goes between the path and the operator; EXISTS has no
// negated form in the grammar. String literals know only the escapes \'
// and \\. Property names with a hyphen must be quoted
// (file:hashes.'SHA-256'); object types need not be. Errors are
// *SyntaxError values carrying the byte offset and rune column.
//
// # Classification
//
// Pattern.Classify returns a Shape whose Kind is decided in this order:
//
//   - Unsupported when the pattern uses FOLLOWEDBY, any qualifier, or joins
//     two or more observations with AND or OR ([a] AND [b]): all need state
//     across events.
//   - Unsupported when the one observation compares several object types,
//     uses EXISTS, a negated comparison (NOT), !=, an ordering operator
//     (<, <=, >, >=) or ISSUPERSET.
//   - Evaluable when, of the remaining operators (=, IN, ISSUBSET, LIKE,
//     MATCHES), LIKE or MATCHES occurs: the pattern is evaluable on a single
//     event but no lookup table answers it.
//   - Conjunction when the comparison expression contains AND: evaluable
//     per event, every comparison being a lookup (=, IN, ISSUBSET).
//   - Atomic otherwise: one comparison, or an OR of comparisons, all with =,
//     IN or ISSUBSET, on one object type. Whether an = against a CIDR
//     string acts as ISSUBSET is left to the matcher.
//
// Shape.Comparisons lists the comparisons of every kind but Unsupported in
// source order, and Shape.Reason says briefly why the kind was chosen.
//
// # What it leaves to others
//
// The package does no matching, no I/O and no validation of object types
// or property names against the STIX object model: unknown types such as
// x-usb-device are legal syntax. Regular expressions in MATCHES and CIDR
// strings in ISSUBSET are kept as strings for the matcher to compile.
//
// # Concurrency
//
// Parse is safe for concurrent use. A parsed Pattern is immutable: every
// method only reads it, so it may be shared between goroutines without
// locking. Callers must not modify its nodes or the slices they hold.
package pattern
