package pattern

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"math"
	"strconv"
	"time"
)

// String renders the pattern canonically: single spaces around operators,
// parentheses only where precedence needs them, keys quoted only when they
// must be, and literals in one spelling each. Parsing the result yields an
// equal Pattern (see Equal).
func (p *Pattern) String() string { return string(appendObs(nil, p.Expr, 0)) }

// String renders the observation canonically.
func (o *Observation) String() string { return string(appendObs(nil, o, 0)) }

// String renders the expression canonically.
func (o *ObservationBinary) String() string { return string(appendObs(nil, o, 0)) }

// String renders the expression canonically.
func (q *Qualified) String() string { return string(appendObs(nil, q, 0)) }

// String renders the expression canonically.
func (c *CompBinary) String() string { return string(appendComp(nil, c, 0)) }

// String renders the comparison canonically.
func (c *Comparison) String() string { return string(appendComp(nil, c, 0)) }

// String renders the test canonically.
func (e *Exists) String() string { return string(appendComp(nil, e, 0)) }

// String returns the operator keyword.
func (op ObsOp) String() string {
	switch op {
	case ObsAnd:
		return "AND"
	case ObsOr:
		return "OR"
	case ObsFollowedBy:
		return "FOLLOWEDBY"
	}
	return "ObsOp(" + strconv.Itoa(int(op)) + ")"
}

// String returns the operator keyword.
func (op CompOp) String() string {
	switch op {
	case CompAnd:
		return "AND"
	case CompOr:
		return "OR"
	}
	return "CompOp(" + strconv.Itoa(int(op)) + ")"
}

var operatorNames = [...]string{
	Equal: "=", NotEqual: "!=", Less: "<", LessEqual: "<=", Greater: ">",
	GreaterEqual: ">=", In: "IN", Like: "LIKE", Matches: "MATCHES",
	IsSubset: "ISSUBSET", IsSuperset: "ISSUPERSET",
}

// String returns the canonical spelling: "=", "!=", "IN", "MATCHES", ….
func (op Operator) String() string {
	if op > 0 && int(op) < len(operatorNames) {
		return operatorNames[op]
	}
	return "Operator(" + strconv.Itoa(int(op)) + ")"
}

var kindNames = [...]string{
	String: "string", Int: "int", Float: "float", Bool: "bool",
	Timestamp: "timestamp", Hex: "hex", Binary: "binary",
}

// String returns the kind's lower-case name, e.g. "timestamp".
func (k LiteralKind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "LiteralKind(" + strconv.Itoa(int(k)) + ")"
}

// String renders e.g. "WITHIN 300 SECONDS".
func (w Within) String() string { return "WITHIN " + formatSeconds(w.Seconds) + " SECONDS" }

// String renders e.g. "REPEATS 5 TIMES".
func (r Repeats) String() string { return "REPEATS " + strconv.Itoa(r.Times) + " TIMES" }

// String renders e.g. "START t'2016-01-01T00:00:00Z' STOP t'2016-01-02T00:00:00Z'".
func (s StartStop) String() string {
	b := appendTime([]byte("START "), s.Start)
	return string(appendTime(append(b, " STOP "...), s.Stop))
}

// String renders the path canonically, e.g. `file:hashes.'SHA-256'`.
func (p Path) String() string {
	return string(p.AppendKey(append([]byte(p.ObjectType), ':')))
}

// Key renders the path without its object type, e.g. `hashes.'SHA-256'`
// or `body_multipart[*].body_raw_ref.name`.
func (p Path) Key() string { return string(p.AppendKey(nil)) }

// AppendKey appends Key's rendering to dst and returns the extended slice.
func (p Path) AppendKey(dst []byte) []byte {
	for i, s := range p.Steps {
		switch s.Kind {
		case KeyStep:
			if i > 0 {
				dst = append(dst, '.')
			}
			if isBareKey(s.Key) {
				dst = append(dst, s.Key...)
			} else {
				dst = appendQuoted(dst, s.Key)
			}
		case IndexStep:
			dst = append(strconv.AppendInt(append(dst, '['), int64(s.Index), 10), ']')
		case AnyIndexStep:
			dst = append(dst, "[*]"...)
		}
	}
	return dst
}

// String renders the literal as it would appear in a pattern.
func (l Literal) String() string { return string(l.AppendTo(nil)) }

// AppendTo appends the literal's pattern spelling to dst.
func (l Literal) AppendTo(dst []byte) []byte {
	switch l.Kind {
	case String:
		return appendQuoted(dst, l.Str)
	case Int:
		return strconv.AppendInt(dst, l.Int, 10)
	case Float:
		return appendFloat(dst, l.Float)
	case Bool:
		return strconv.AppendBool(dst, l.Bool)
	case Timestamp:
		return appendTime(dst, l.Time)
	case Hex:
		return append(hex.AppendEncode(append(dst, "h'"...), l.Bytes), '\'')
	case Binary:
		return append(base64.StdEncoding.AppendEncode(append(dst, "b'"...), l.Bytes), '\'')
	}
	return append(dst, "<invalid literal>"...)
}

// appendQuoted appends s as a STIX string literal, escaping ' and \.
func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '\'')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\'' || c == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '\'')
}

// appendFloat writes f in plain decimal with at least one fractional digit,
// since the grammar has no exponent form and "7" would read back as an int.
func appendFloat(dst []byte, f float64) []byte {
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
	if bytes.IndexByte(dst[start:], '.') < 0 {
		dst = append(dst, ".0"...)
	}
	return dst
}

// formatSeconds writes whole WITHIN durations as integers (small enough to
// read back as int64) and others as decimals.
func formatSeconds(s float64) string {
	if s == math.Trunc(s) && s < 1e15 {
		return strconv.FormatInt(int64(s), 10)
	}
	return string(appendFloat(nil, s))
}

// appendTime writes t'…' in UTC with the shortest exact fraction.
func appendTime(dst []byte, t time.Time) []byte {
	dst = t.UTC().AppendFormat(append(dst, "t'"...), "2006-01-02T15:04:05.999999999Z")
	return append(dst, '\'')
}

// Precedence ranks for rendering; a higher rank binds tighter.
const (
	rankFollowedBy = iota + 1
	rankObsOr
	rankObsAnd
	rankObsPrimary
)

func obsRank(e ObservationExpr) int {
	b, ok := e.(*ObservationBinary)
	if !ok {
		return rankObsPrimary
	}
	switch b.Op {
	case ObsFollowedBy:
		return rankFollowedBy
	case ObsOr:
		return rankObsOr
	}
	return rankObsAnd
}

// appendObs renders e, parenthesised when its rank is below minRank.
func appendObs(dst []byte, e ObservationExpr, minRank int) []byte {
	if obsRank(e) < minRank {
		return append(appendObs(append(dst, '('), e, 0), ')')
	}
	switch e := e.(type) {
	case *Observation:
		return append(appendComp(append(dst, '['), e.Comparison, 0), ']')
	case *ObservationBinary:
		r := obsRank(e)
		dst = appendObs(dst, e.Left, r)
		dst = append(append(append(dst, ' '), e.Op.String()...), ' ')
		return appendObs(dst, e.Right, r+1) // left-associative
	case *Qualified:
		dst = appendObs(dst, e.Expr, rankObsPrimary)
		return append(append(dst, ' '), e.Qualifier.String()...)
	}
	return append(dst, "<invalid observation>"...)
}

// Comparison-level ranks.
const (
	rankCompOr = iota + 1
	rankCompAnd
	rankCompPrimary
)

func compRank(e CompExpr) int {
	b, ok := e.(*CompBinary)
	if !ok {
		return rankCompPrimary
	}
	if b.Op == CompOr {
		return rankCompOr
	}
	return rankCompAnd
}

// appendComp renders e, parenthesised when its rank is below minRank.
func appendComp(dst []byte, e CompExpr, minRank int) []byte {
	if compRank(e) < minRank {
		return append(appendComp(append(dst, '('), e, 0), ')')
	}
	switch e := e.(type) {
	case *CompBinary:
		r := compRank(e)
		dst = appendComp(dst, e.Left, r)
		dst = append(append(append(dst, ' '), e.Op.String()...), ' ')
		return appendComp(dst, e.Right, r+1)
	case *Comparison:
		return appendComparison(dst, e)
	case *Exists:
		return append(append(dst, "EXISTS "...), e.Path.String()...)
	}
	return append(dst, "<invalid comparison>"...)
}

func appendComparison(dst []byte, c *Comparison) []byte {
	dst = append(dst, c.Path.ObjectType...)
	dst = c.Path.AppendKey(append(dst, ':'))
	if c.Negated {
		dst = append(dst, " NOT"...)
	}
	dst = append(append(append(dst, ' '), c.Op.String()...), ' ')
	if c.Op != In {
		return c.Value.AppendTo(dst)
	}
	dst = append(dst, '(')
	for i, l := range c.Set {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = l.AppendTo(dst)
	}
	return append(dst, ')')
}
