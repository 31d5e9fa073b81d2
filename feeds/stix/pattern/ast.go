package pattern

import "time"

// Pattern is one parsed STIX pattern. A Pattern returned by Parse is never
// modified afterwards, so any number of goroutines may read it at once;
// callers must not modify it either.
type Pattern struct {
	// Expr is the root observation expression. It is never nil in a
	// Pattern returned by Parse.
	Expr ObservationExpr
}

// ObservationExpr is an observation expression: an *Observation, an
// *ObservationBinary or a *Qualified.
type ObservationExpr interface {
	// Pos returns the byte offset of the expression's first token.
	Pos() int
	// String renders the expression in canonical form.
	String() string
	obsExpr()
}

// ObsOp is an operator joining two observation expressions. Its zero value
// is not a valid operator.
type ObsOp uint8

// Observation operators, from the tightest binding to the loosest.
const (
	ObsAnd ObsOp = iota + 1
	ObsOr
	ObsFollowedBy
)

// Observation is one bracketed observation, `[ comparison expression ]`.
type Observation struct {
	// Offset is the byte offset of the opening '['.
	Offset int
	// Comparison is the expression inside the brackets.
	Comparison CompExpr
}

// ObservationBinary joins two observation expressions with AND, OR or
// FOLLOWEDBY. Chains are left-associative: `a AND b AND c` is
// `(a AND b) AND c`.
type ObservationBinary struct {
	// Offset is the byte offset of the left operand's first token.
	Offset int
	// OpOffset is the byte offset of the operator keyword.
	OpOffset int
	// Op is the operator.
	Op ObsOp
	// Left and Right are the operands.
	Left, Right ObservationExpr
}

// Qualified is an observation expression followed by one qualifier. Several
// qualifiers nest: in `[a] REPEATS 5 TIMES WITHIN 1800 SECONDS` the WITHIN
// node's Expr is the REPEATS node.
type Qualified struct {
	// Offset is the byte offset of Expr's first token.
	Offset int
	// QualifierOffset is the byte offset of the qualifier keyword.
	QualifierOffset int
	// Expr is the qualified expression.
	Expr ObservationExpr
	// Qualifier is a Within, Repeats or StartStop value.
	Qualifier Qualifier
}

// Qualifier is a Within, Repeats or StartStop value.
type Qualifier interface {
	// String renders the qualifier in canonical form.
	String() string
	qualifier()
}

// Within is the `WITHIN n SECONDS` qualifier. Seconds is positive; the
// spec allows an integer or a decimal number.
type Within struct {
	Seconds float64
}

// Repeats is the `REPEATS n TIMES` qualifier. Times is positive.
type Repeats struct {
	Times int
}

// StartStop is the `START t'…' STOP t'…'` qualifier. Both times are in UTC.
// STIX 2.0 wrote the timestamps as plain strings; Parse accepts both.
type StartStop struct {
	Start, Stop time.Time
}

// CompExpr is a comparison expression inside an observation: a *CompBinary,
// a *Comparison or an *Exists.
type CompExpr interface {
	// Pos returns the byte offset of the expression's first token.
	Pos() int
	// String renders the expression in canonical form.
	String() string
	compExpr()
}

// CompOp is a boolean operator joining two comparison expressions. Its zero
// value is not a valid operator.
type CompOp uint8

// Comparison-expression operators; AND binds tighter than OR.
const (
	CompAnd CompOp = iota + 1
	CompOr
)

// CompBinary joins two comparison expressions with AND or OR. Chains are
// left-associative.
type CompBinary struct {
	// Offset is the byte offset of the left operand's first token.
	Offset int
	// OpOffset is the byte offset of the operator keyword.
	OpOffset int
	// Op is the operator.
	Op CompOp
	// Left and Right are the operands.
	Left, Right CompExpr
}

// Comparison tests one object path against a literal, or against a set of
// literals for IN.
type Comparison struct {
	// Offset is the byte offset of the object path.
	Offset int
	// OpOffset is the byte offset of the operator (after NOT, if any).
	OpOffset int
	// Path is the object path on the left.
	Path Path
	// Negated is true when NOT precedes the operator.
	Negated bool
	// Op is the comparison operator.
	Op Operator
	// Value is the right-hand literal; its Kind is zero for IN.
	Value Literal
	// Set holds the members of an IN set, possibly none; nil for other
	// operators.
	Set []Literal
}

// Exists is the STIX 2.1 `EXISTS path` test. The 2.1 grammar has no
// negated form, so there is no Negated field: `NOT EXISTS` is a syntax
// error.
type Exists struct {
	// Offset is the byte offset of the EXISTS keyword.
	Offset int
	// Path is the tested object path.
	Path Path
}

// Operator is a comparison operator. Its zero value is not a valid
// operator.
type Operator uint8

// Comparison operators.
const (
	Equal        Operator = iota + 1 // = or ==
	NotEqual                         // != or <>
	Less                             // <
	LessEqual                        // <=
	Greater                          // >
	GreaterEqual                     // >=
	In                               // IN (set)
	Like                             // LIKE 'sql-like'
	Matches                          // MATCHES 'regex'
	IsSubset                         // ISSUBSET 'cidr'
	IsSuperset                       // ISSUPERSET 'cidr'
)

// Path is an object path such as `file:hashes.'SHA-256'`. Steps is never
// empty in a parsed Path and Steps[0] is always a KeyStep.
type Path struct {
	// Offset is the byte offset of the object type.
	Offset int
	// ObjectType is the STIX object type, e.g. "network-traffic".
	ObjectType string
	// Steps are the property keys and list indexes after the colon.
	Steps []Step
}

// StepKind says what a Step selects. Its zero value is not valid.
type StepKind uint8

// Path step kinds.
const (
	KeyStep      StepKind = iota + 1 // .name or .'quoted name'
	IndexStep                        // [n]; n may be negative
	AnyIndexStep                     // [*]
)

// Step is one component of an object path. Whether a key was quoted in the
// source is not kept: `hashes.'MD5'` and `hashes.MD5` are the same path.
type Step struct {
	// Kind says which of the other fields is meaningful.
	Kind StepKind
	// Key is the decoded property name for a KeyStep.
	Key string
	// Index is the list index for an IndexStep.
	Index int
}

// LiteralKind says which field of a Literal holds its value. Its zero value
// means "no literal".
type LiteralKind uint8

// Literal kinds.
const (
	String    LiteralKind = iota + 1 // 'text'; value in Str
	Int                              // 42, +42, -42; value in Int
	Float                            // 4.2, .5, -0.1; value in Float
	Bool                             // true or false; value in Bool
	Timestamp                        // t'2016-01-01T00:00:00Z'; value in Time (UTC)
	Hex                              // h'ffd8'; value in Bytes
	Binary                           // b'base64'; value in Bytes
)

// Literal is a constant in a comparison. Only the field named by Kind is
// set; the others are zero.
type Literal struct {
	// Offset is the byte offset of the literal's first character.
	Offset int
	// Kind says which value field is meaningful.
	Kind LiteralKind
	// Str is a String literal with escapes decoded.
	Str string
	// Int is an Int literal.
	Int int64
	// Float is a Float literal.
	Float float64
	// Bool is a Bool literal.
	Bool bool
	// Time is a Timestamp literal, in UTC.
	Time time.Time
	// Bytes is a Hex or Binary literal, decoded. Callers must not modify it.
	Bytes []byte
}

// Pos returns the byte offset of the opening '['.
func (o *Observation) Pos() int { return o.Offset }

// Pos returns the byte offset of the left operand.
func (o *ObservationBinary) Pos() int { return o.Offset }

// Pos returns the byte offset of the qualified expression.
func (q *Qualified) Pos() int { return q.Offset }

// Pos returns the byte offset of the left operand.
func (c *CompBinary) Pos() int { return c.Offset }

// Pos returns the byte offset of the object path.
func (c *Comparison) Pos() int { return c.Offset }

// Pos returns the byte offset of the EXISTS keyword.
func (e *Exists) Pos() int { return e.Offset }

func (*Observation) obsExpr()       {}
func (*ObservationBinary) obsExpr() {}
func (*Qualified) obsExpr()         {}
func (*CompBinary) compExpr()       {}
func (*Comparison) compExpr()       {}
func (*Exists) compExpr()           {}
func (Within) qualifier()           {}
func (Repeats) qualifier()          {}
func (StartStop) qualifier()        {}
