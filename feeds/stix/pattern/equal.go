package pattern

import "bytes"

// Equal reports whether p and q have the same structure and values,
// ignoring source offsets and how the source was spelled (quoting, spaces,
// redundant parentheses, `==` versus `=`).
func (p *Pattern) Equal(q *Pattern) bool {
	if p == nil || q == nil {
		return p == q
	}
	return equalObs(p.Expr, q.Expr)
}

func equalObs(a, b ObservationExpr) bool {
	switch a := a.(type) {
	case *Observation:
		b, ok := b.(*Observation)
		return ok && equalComp(a.Comparison, b.Comparison)
	case *ObservationBinary:
		b, ok := b.(*ObservationBinary)
		return ok && a.Op == b.Op && equalObs(a.Left, b.Left) && equalObs(a.Right, b.Right)
	case *Qualified:
		b, ok := b.(*Qualified)
		return ok && equalQualifier(a.Qualifier, b.Qualifier) && equalObs(a.Expr, b.Expr)
	}
	return false
}

func equalQualifier(a, b Qualifier) bool {
	switch a := a.(type) {
	case Within:
		b, ok := b.(Within)
		return ok && a.Seconds == b.Seconds
	case Repeats:
		b, ok := b.(Repeats)
		return ok && a.Times == b.Times
	case StartStop:
		b, ok := b.(StartStop)
		return ok && a.Start.Equal(b.Start) && a.Stop.Equal(b.Stop)
	}
	return false
}

func equalComp(a, b CompExpr) bool {
	switch a := a.(type) {
	case *CompBinary:
		b, ok := b.(*CompBinary)
		return ok && a.Op == b.Op && equalComp(a.Left, b.Left) && equalComp(a.Right, b.Right)
	case *Comparison:
		b, ok := b.(*Comparison)
		return ok && equalComparison(a, b)
	case *Exists:
		b, ok := b.(*Exists)
		return ok && a.Path.Equal(b.Path)
	}
	return false
}

func equalComparison(a, b *Comparison) bool {
	if a.Negated != b.Negated || a.Op != b.Op || !a.Path.Equal(b.Path) ||
		!a.Value.Equal(b.Value) || len(a.Set) != len(b.Set) || (a.Set == nil) != (b.Set == nil) {
		return false
	}
	for i := range a.Set {
		if !a.Set[i].Equal(b.Set[i]) {
			return false
		}
	}
	return true
}

// Equal reports whether p and q name the same object type and steps,
// ignoring offsets.
func (p Path) Equal(q Path) bool {
	if p.ObjectType != q.ObjectType || len(p.Steps) != len(q.Steps) {
		return false
	}
	for i := range p.Steps {
		if p.Steps[i] != q.Steps[i] {
			return false
		}
	}
	return true
}

// Equal reports whether l and m are the same constant, ignoring offsets.
// Timestamps compare as instants and floats with ==.
func (l Literal) Equal(m Literal) bool {
	if l.Kind != m.Kind {
		return false
	}
	switch l.Kind {
	case String:
		return l.Str == m.Str
	case Int:
		return l.Int == m.Int
	case Float:
		return l.Float == m.Float
	case Bool:
		return l.Bool == m.Bool
	case Timestamp:
		return l.Time.Equal(m.Time)
	case Hex, Binary:
		return bytes.Equal(l.Bytes, m.Bytes)
	}
	return true
}
