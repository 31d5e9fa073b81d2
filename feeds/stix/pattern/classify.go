package pattern

import "strconv"

// ShapeKind says how a matcher can evaluate a pattern. The zero value is
// Unsupported.
type ShapeKind uint8

// Shape kinds, from least to most convenient for the matcher's tables.
const (
	// Unsupported patterns need state across events or observations, or
	// use operators the matcher does not evaluate.
	Unsupported ShapeKind = iota
	// Atomic patterns are one comparison or an OR of comparisons that can
	// go straight into lookup tables.
	Atomic
	// Conjunction patterns are evaluable per event and contain AND, with
	// only lookup comparisons.
	Conjunction
	// Evaluable patterns are evaluable per event but use LIKE or MATCHES,
	// so no lookup table answers them alone.
	Evaluable
)

// String returns the kind's lower-case name.
func (k ShapeKind) String() string {
	switch k {
	case Unsupported:
		return "unsupported"
	case Atomic:
		return "atomic"
	case Conjunction:
		return "conjunction"
	case Evaluable:
		return "evaluable"
	}
	return "ShapeKind(" + strconv.Itoa(int(k)) + ")"
}

// Shape is the result of Classify.
type Shape struct {
	// Kind is the evaluation class.
	Kind ShapeKind
	// ObjectType is the single object type of a supported pattern; empty
	// when Kind is Unsupported.
	ObjectType string
	// Comparisons lists the pattern's comparisons in source order for
	// Atomic, Conjunction and Evaluable; nil for Unsupported. The pointers
	// are the pattern's own nodes and must not be modified.
	Comparisons []*Comparison
	// Reason says in a few words why the pattern got its Kind, e.g.
	// "FOLLOWEDBY needs state across events".
	Reason string
}

// Classify sorts the pattern into a ShapeKind by the rules in the package
// documentation. It allocates only the Comparisons slice and the Reason
// text, and is safe for concurrent use.
func (p *Pattern) Classify() Shape {
	if reason := crossEventReason(p.Expr); reason != "" {
		return Shape{Reason: reason}
	}
	switch e := p.Expr.(type) {
	case *Observation:
		return classifyObservation(e)
	case *ObservationBinary:
		n := countObservations(e)
		return Shape{Reason: strconv.Itoa(n) + " observations joined by " + e.Op.String() +
			" need state across events"}
	}
	return Shape{Reason: "empty pattern"}
}

// crossEventReason returns why e needs state across events because of
// FOLLOWEDBY or a qualifier, or "" if it uses neither. FOLLOWEDBY is
// reported before qualifiers.
func crossEventReason(e ObservationExpr) string {
	if hasFollowedBy(e) {
		return "FOLLOWEDBY needs state across events"
	}
	return qualifierReason(e)
}

func hasFollowedBy(e ObservationExpr) bool {
	switch e := e.(type) {
	case *ObservationBinary:
		return e.Op == ObsFollowedBy || hasFollowedBy(e.Left) || hasFollowedBy(e.Right)
	case *Qualified:
		return hasFollowedBy(e.Expr)
	}
	return false
}

// qualifierReason names the outermost qualifier in e, or returns "".
func qualifierReason(e ObservationExpr) string {
	switch e := e.(type) {
	case *ObservationBinary:
		if r := qualifierReason(e.Left); r != "" {
			return r
		}
		return qualifierReason(e.Right)
	case *Qualified:
		switch e.Qualifier.(type) {
		case Within:
			return "WITHIN qualifier needs state across events"
		case Repeats:
			return "REPEATS qualifier needs state across events"
		}
		return "START/STOP qualifier needs a time window"
	}
	return ""
}

func countObservations(e ObservationExpr) int {
	switch e := e.(type) {
	case *ObservationBinary:
		return countObservations(e.Left) + countObservations(e.Right)
	case *Qualified:
		return countObservations(e.Expr)
	}
	return 1
}

// leafScan collects the leaves of one observation's comparison expression.
type leafScan struct {
	comparisons []*Comparison
	types       []string
	hasAnd      bool
	exists      bool
}

func (s *leafScan) walk(e CompExpr) {
	switch e := e.(type) {
	case *CompBinary:
		s.hasAnd = s.hasAnd || e.Op == CompAnd
		s.walk(e.Left)
		s.walk(e.Right)
	case *Comparison:
		s.comparisons = append(s.comparisons, e)
		s.addType(e.Path.ObjectType)
	case *Exists:
		s.exists = true
		s.addType(e.Path.ObjectType)
	}
}

func (s *leafScan) addType(t string) {
	for _, seen := range s.types {
		if seen == t {
			return
		}
	}
	s.types = append(s.types, t)
}

// classifyObservation classifies one unqualified observation.
func classifyObservation(o *Observation) Shape {
	var s leafScan
	s.walk(o.Comparison)
	switch {
	case len(s.types) > 1:
		return Shape{Reason: "comparisons on " + strconv.Itoa(len(s.types)) + " object types"}
	case s.exists:
		return Shape{Reason: "EXISTS test"}
	}
	var scanOp Operator
	for _, c := range s.comparisons {
		if r := unsupportedReason(c); r != "" {
			return Shape{Reason: r}
		}
		if c.Op == Like || c.Op == Matches {
			scanOp = c.Op
		}
	}
	shape := Shape{ObjectType: s.types[0], Comparisons: s.comparisons}
	n := strconv.Itoa(len(s.comparisons))
	switch {
	case scanOp != 0:
		shape.Kind, shape.Reason = Evaluable, scanOp.String()+" needs per-event evaluation"
	case s.hasAnd:
		shape.Kind, shape.Reason = Conjunction, "AND of "+n+" comparisons"
	case len(s.comparisons) == 1:
		shape.Kind, shape.Reason = Atomic, "single comparison"
	default:
		shape.Kind, shape.Reason = Atomic, "OR of "+n+" comparisons"
	}
	return shape
}

// unsupportedReason says why c cannot be evaluated as a lookup or a
// per-event scan, or returns "".
func unsupportedReason(c *Comparison) string {
	switch {
	case c.Negated:
		return "negated comparison (NOT " + c.Op.String() + ")"
	case c.Op == NotEqual:
		return "!= comparison"
	case c.Op >= Less && c.Op <= GreaterEqual:
		return "ordering comparison (" + c.Op.String() + ")"
	case c.Op == IsSuperset:
		return "ISSUPERSET comparison"
	}
	return ""
}
