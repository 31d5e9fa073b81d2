package stix

import (
	"net/netip"
	"strconv"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/feeds/stix/pattern"
)

// MaxTerms bounds the terms of a conjunction in disjunctive normal form:
// [(a OR b) AND (c OR d)] has four. A pattern with more is not enforced.
const MaxTerms = 64

// Alt is one value a Test accepts.
type Alt struct {
	// Type is the observable type; never TypeInvalid.
	Type ioc.Type
	// Value is canonical for Type; for IPv4 and IPv6 it is the prefix as
	// ioc.FormatPrefix writes it.
	Value string
	// Prefix is the address block for IPv4 and IPv6, zero otherwise.
	Prefix netip.Prefix
}

// Test is one comparison of a pattern, as a test on the observables of an
// event: it holds when some observable matches one of Alts.
type Test struct {
	// Path is the comparison's object path, for messages.
	Path string
	Alts []Alt
}

// Term is a conjunction of tests, all of which must hold.
type Term struct {
	Tests []Test
	// Anchor is the index in Tests of the test whose values go into the
	// matcher: the most selective one (hashes, then URLs, addresses,
	// e-mail addresses, domains, other exact names, CIDR blocks last).
	Anchor int
}

// Conjunction is a compiled single-observation pattern in disjunctive
// normal form: it holds when one of its terms holds. It is immutable and
// safe for concurrent use.
type Conjunction struct {
	Terms []Term
}

// CompileError says why a pattern cannot be compiled into a Conjunction.
// Invalid is true when a compared value is not valid for its type (the
// pattern is wrong); otherwise the pattern is fine but not enforceable per
// event (an unsupported operator or a property no event observable has).
type CompileError struct {
	Reason  string
	Invalid bool
}

func (e *CompileError) Error() string { return e.Reason }

// CompileConjunction compiles a pattern that Classify calls Atomic or
// Conjunction into tests on event observables. Each STIX path maps to the
// observable types that carry it (see the package README); a path none
// carries makes the pattern not enforceable, as does a term with more than
// MaxTerms terms. Values are refanged and made canonical.
func CompileConjunction(p *pattern.Pattern) (*Conjunction, error) {
	shape := p.Classify()
	if shape.Kind != pattern.Atomic && shape.Kind != pattern.Conjunction {
		return nil, &CompileError{Reason: shape.Reason}
	}
	obs, ok := p.Expr.(*pattern.Observation)
	if !ok {
		return nil, &CompileError{Reason: "not a single observation"}
	}
	terms, err := dnf(obs.Comparison)
	if err != nil {
		return nil, err
	}
	tests := map[*pattern.Comparison]Test{}
	c := &Conjunction{Terms: make([]Term, 0, len(terms))}
	for _, cs := range terms {
		var term Term
		for _, cmp := range cs {
			t, ok := tests[cmp]
			if !ok {
				if t, err = compileTest(cmp); err != nil {
					return nil, err
				}
				tests[cmp] = t
			}
			term.Tests = append(term.Tests, t)
		}
		term.Anchor = anchor(term.Tests)
		c.Terms = append(c.Terms, term)
	}
	return c, nil
}

// dnf returns e in disjunctive normal form: a list of terms, each a list of
// comparisons that must all hold.
func dnf(e pattern.CompExpr) ([][]*pattern.Comparison, error) {
	switch e := e.(type) {
	case *pattern.Comparison:
		return [][]*pattern.Comparison{{e}}, nil
	case *pattern.CompBinary:
		l, err := dnf(e.Left)
		if err != nil {
			return nil, err
		}
		r, err := dnf(e.Right)
		if err != nil {
			return nil, err
		}
		if e.Op == pattern.CompOr {
			return bounded(append(l, r...))
		}
		if len(l)*len(r) > MaxTerms {
			return nil, tooManyTerms()
		}
		var out [][]*pattern.Comparison
		for _, a := range l {
			for _, b := range r {
				out = append(out, append(append([]*pattern.Comparison(nil), a...), b...))
			}
		}
		return out, nil
	}
	return nil, &CompileError{Reason: "EXISTS test"}
}

func bounded(t [][]*pattern.Comparison) ([][]*pattern.Comparison, error) {
	if len(t) > MaxTerms {
		return nil, tooManyTerms()
	}
	return t, nil
}

func tooManyTerms() error {
	return &CompileError{Reason: "more than " + strconv.Itoa(MaxTerms) + " terms once expanded"}
}

// compileTest turns one comparison into a test on observables.
func compileTest(c *pattern.Comparison) (Test, error) {
	path := c.Path.String()
	t, ok := propertyType(c.Path)
	if !ok {
		return Test{}, &CompileError{Reason: path + " is not carried by any event observable"}
	}
	if c.Op == pattern.IsSubset && t != ioc.TypeInvalid && !t.IsIP() {
		return Test{}, &CompileError{Reason: "ISSUBSET on " + path + ", which is not an address"}
	}
	test := Test{Path: path}
	lits := c.Set
	if c.Op != pattern.In {
		lits = []pattern.Literal{c.Value}
	}
	for _, l := range lits {
		if l.Kind != pattern.String {
			return Test{}, &CompileError{Reason: path + " compared with a " + l.Kind.String() +
				" literal", Invalid: true}
		}
		a, err := compileAlt(t, l.Str)
		if err != nil {
			return Test{}, &CompileError{Reason: path + ": " + err.Error(), Invalid: true}
		}
		test.Alts = append(test.Alts, a)
	}
	if len(test.Alts) == 0 {
		return Test{}, &CompileError{Reason: path + " IN an empty set never holds"}
	}
	return test, nil
}

// compileAlt makes one compared value canonical for type t (TypeInvalid:
// typed by the value).
func compileAlt(t ioc.Type, raw string) (Alt, error) {
	fixed, _ := ioc.Refang(raw)
	if t == ioc.TypeInvalid {
		dt, v, err := ioc.Detect(fixed)
		if err != nil {
			return Alt{}, err
		}
		t, fixed = dt, v
	}
	if t.IsIP() {
		p, err := ioc.ParsePrefix(fixed)
		if err != nil {
			return Alt{}, err
		}
		return Alt{Type: ioc.AddrType(p.Addr()), Value: ioc.FormatPrefix(p), Prefix: p}, nil
	}
	v, err := ioc.Canonical(t, fixed)
	return Alt{Type: t, Value: v}, err
}

// anchor picks the most selective test of a term.
func anchor(tests []Test) int {
	best, bestRank := 0, 1<<30
	for i, t := range tests {
		r := 0
		for _, a := range t.Alts {
			r = max(r, altRank(a))
		}
		if r < bestRank {
			best, bestRank = i, r
		}
	}
	return best
}

func altRank(a Alt) int {
	switch {
	case a.Type.IsHash():
		return 0
	case a.Type == ioc.URL:
		return 1
	case a.Type.IsIP() && a.Prefix.IsSingleIP():
		return 2
	case a.Type == ioc.Email:
		return 3
	case a.Type == ioc.Domain:
		return 4
	case a.Type == ioc.RegistryKey, a.Type == ioc.Mutex, a.Type == ioc.FilePath:
		return 5
	case a.Type.IsIP():
		return 7
	}
	return 6
}
