package matcher

import (
	"strings"

	"github.com/iocflow/iocflow/feeds/ioc"
)

// ValueMatch is what the snapshot knows about one value an analyst typed.
type ValueMatch struct {
	// Input is the value as given.
	Input string
	// Type is the detected or declared type; Canonical the value Lookup
	// was given.
	Type      ioc.Type
	Canonical string
	// Indicators are the matching indicators, in the order Lookup found
	// them. They are shared and must not be modified.
	Indicators []*ioc.Indicator
}

// MatchValue detects the type of raw with ioc.Detect (after repairing a
// defanged form with ioc.Refang), makes it canonical and returns the
// indicators it matches, as Lookup defines matching. A CIDR block
// matches the indicator prefixes that contain the whole block. It is
// meant for the command line and allocates; the hot path uses Lookup.
func (s *Snapshot) MatchValue(raw string) (ValueMatch, error) {
	v, _ := ioc.Refang(strings.TrimSpace(raw))
	t, c, err := ioc.Detect(v)
	if err != nil {
		return ValueMatch{Input: raw}, err
	}
	return s.matchCanonical(raw, t, c), nil
}

// MatchTyped is MatchValue for a value of a declared type, for the types
// Detect does not guess (file names, registry keys, mutexes, free text).
// Text is matched as given; other values are made canonical first.
func (s *Snapshot) MatchTyped(t ioc.Type, raw string) (ValueMatch, error) {
	c := raw
	if t != ioc.Text {
		var err error
		if c, err = ioc.Canonical(t, raw); err != nil {
			return ValueMatch{Input: raw, Type: t}, err
		}
	}
	return s.matchCanonical(raw, t, c), nil
}

func (s *Snapshot) matchCanonical(raw string, t ioc.Type, c string) ValueMatch {
	m := ValueMatch{Input: raw, Type: t, Canonical: c}
	var refs []Ref
	if p, ok := ioc.IPKey(t, c); ok && !p.IsSingleIP() {
		if s.cidrs != nil {
			for _, r := range s.cidrs.LookupPrefix(p) {
				refs = append(refs, Ref(r))
			}
		}
	} else {
		refs = s.Lookup(t, c, nil)
	}
	for _, r := range refs {
		m.Indicators = append(m.Indicators, s.Indicator(r))
	}
	return m
}
