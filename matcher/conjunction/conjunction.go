// Package conjunction evaluates STIX conjunction patterns per event. The
// feed side (feeds/stix) puts one anchor comparison of each conjunction
// term into the matcher as an ordinary indicator whose source carries the
// whole pattern; a lookup hit on the anchor is only a candidate. A Set,
// built from the same indicators as the matcher snapshot, knows which
// sources are such conjunctions and, on a hit, keeps a source only if the
// event's observables satisfy one whole term of its pattern.
//
// What is approximated: a STIX observation is satisfied by one observed
// object; an event's observables are not objects, so a term holds when each
// of its tests is met by some observable of the event, not necessarily the
// same file or the same domain. [file:name = 'a.dll' AND file:hashes.MD5 =
// 'h'] therefore also holds for an event that names a.dll and, elsewhere,
// carries the hash h. domain-name:resolves_to_refs[*].value is met by any
// address observable of the event (a DNS answer, a destination address).
// Domain tests accept subdomains and URL hosts, and address tests URL hosts,
// as the matcher's lookups do.
//
// The package is pure computation like the rest of matcher. A Set is
// immutable and safe for concurrent use; Filter allocates nothing once its
// scratch indicator has grown.
package conjunction

import (
	"net/netip"
	"strings"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/feeds/stix"
	"github.com/iocflow/iocflow/feeds/stix/pattern"
)

// Set holds the conjunction gates of a set of indicators. The zero value
// and a nil *Set gate nothing.
type Set struct {
	gates map[string][]gate // by indicator id
	n     int
}

// gate is one source of an indicator that is the anchor of a conjunction.
// A nil c never passes: its pattern could not be compiled, and an anchor
// alone must not match.
type gate struct {
	feed, id string
	c        *stix.Conjunction
}

// BuildError says which source's conjunction could not be compiled. That
// source never matches.
type BuildError struct {
	Indicator, Feed, Source string
	Err                     error
}

func (e *BuildError) Error() string {
	return "indicator " + e.Indicator + ": feed " + e.Feed + " source " + e.Source +
		": compile conjunction: " + e.Err.Error()
}

func (e *BuildError) Unwrap() error { return e.Err }

// Build finds the sources of inds whose STIX pattern is a conjunction and
// compiles them. It must be given the indicators the matcher snapshot in
// force was built from; matcher.Build and Snapshot.Apply do so and keep
// the Set in the snapshot (Snapshot.Gates), so that the two change
// together (a Set that knows more gates than the snapshot is harmless,
// one that knows fewer lets anchors match alone). Sources whose pattern
// cannot be compiled are returned as *BuildError values and gated shut.
// Build is not for the hot path; each distinct pattern is parsed once.
func Build(inds []*ioc.Indicator) (*Set, []error) {
	s := &Set{gates: map[string][]gate{}}
	cache := map[string]*stix.Conjunction{}
	var errs []error
	for _, in := range inds {
		errs = s.add(in, cache, errs)
	}
	return s, errs
}

// add records the gated sources of in, whose id has none yet.
func (s *Set) add(in *ioc.Indicator, cache map[string]*stix.Conjunction, errs []error) []error {
	if in == nil {
		return errs
	}
	for i := range in.Sources {
		src := &in.Sources[i]
		c, gated, err := compile(src.Pattern, cache)
		if !gated {
			continue
		}
		if err != nil {
			errs = append(errs, &BuildError{Indicator: in.ID, Feed: src.Feed,
				Source: src.ID, Err: err})
		}
		s.gates[in.ID] = append(s.gates[in.ID], gate{feed: src.Feed, id: src.ID, c: c})
		s.n++
	}
	return errs
}

// With returns the Set for the indicators of s after removing those with
// the ids in remove, then adding or replacing (by id) those of upsert, as
// matcher.Delta describes a change; s is not changed. When no removed id
// has gates and no upserted indicator has or had any, s itself is
// returned; otherwise the gate map is copied once (it holds only the gated
// indicators) and only the upserted indicators' patterns are compiled.
// Errors are those of Build, for the upserted indicators.
func (s *Set) With(remove []string, upsert []*ioc.Indicator) (*Set, []error) {
	touched := false
	for _, id := range remove {
		if _, ok := s.gatesOf(id); ok {
			touched = true
			break
		}
	}
	for i := 0; i < len(upsert) && !touched; i++ {
		if in := upsert[i]; in != nil {
			_, had := s.gatesOf(in.ID)
			touched = had || mayGate(in)
		}
	}
	if !touched {
		return s, nil
	}
	ns := &Set{gates: map[string][]gate{}}
	if s != nil {
		ns.gates = make(map[string][]gate, len(s.gates))
		for id, gs := range s.gates {
			ns.gates[id] = gs
		}
		ns.n = s.n
	}
	for _, id := range remove {
		ns.drop(id)
	}
	cache := map[string]*stix.Conjunction{}
	var errs []error
	for _, in := range upsert {
		if in != nil {
			ns.drop(in.ID)
			errs = ns.add(in, cache, errs)
		}
	}
	return ns, errs
}

func (s *Set) gatesOf(id string) ([]gate, bool) {
	if s == nil {
		return nil, false
	}
	gs, ok := s.gates[id]
	return gs, ok
}

func (s *Set) drop(id string) {
	s.n -= len(s.gates[id])
	delete(s.gates, id)
}

// mayGate reports whether some source of in could be a conjunction: a
// pattern with the keyword AND (see compile).
func mayGate(in *ioc.Indicator) bool {
	for i := range in.Sources {
		if strings.Contains(in.Sources[i].Pattern, "AND") {
			return true
		}
	}
	return false
}

// compile reports whether text is a conjunction pattern and compiles it.
// A pattern without the keyword AND is never one, which spares parsing
// the great majority.
func compile(text string, cache map[string]*stix.Conjunction) (*stix.Conjunction, bool, error) {
	if !strings.Contains(text, "AND") {
		return nil, false, nil
	}
	if c, ok := cache[text]; ok {
		return c, true, nil
	}
	p, err := pattern.Parse(text)
	if err != nil {
		return nil, true, err
	}
	if p.Classify().Kind != pattern.Conjunction {
		return nil, false, nil
	}
	c, err := stix.CompileConjunction(p)
	if err != nil {
		return nil, true, err
	}
	cache[text] = c
	return c, true, nil
}

// Len returns the number of gated sources.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return s.n
}

// Filter returns in when none of its sources is a conjunction that obs
// fails, nil when no source is left, and otherwise scratch filled with in's
// identity and the sources left. The returned indicator is valid until the
// next call with the same scratch and must not be kept or modified. Hot
// path: an indicator without gates costs one map lookup; Filter allocates
// only when scratch's Sources must grow.
func (s *Set) Filter(in *ioc.Indicator, obs []ioc.Observable,
	scratch *ioc.Indicator) *ioc.Indicator {
	if s == nil || len(s.gates) == 0 {
		return in
	}
	gs, ok := s.gates[in.ID]
	if !ok {
		return in
	}
	scratch.ID, scratch.Type, scratch.Value = in.ID, in.Type, in.Value
	scratch.Sources = scratch.Sources[:0]
	for i := range in.Sources {
		src := &in.Sources[i]
		if g := find(gs, src.Feed, src.ID); g != nil && !Holds(g.c, obs) {
			continue
		}
		scratch.Sources = append(scratch.Sources, *src)
	}
	switch len(scratch.Sources) {
	case 0:
		return nil
	case len(in.Sources):
		return in
	}
	return scratch
}

func find(gs []gate, feed, id string) *gate {
	for i := range gs {
		if gs[i].feed == feed && gs[i].id == id {
			return &gs[i]
		}
	}
	return nil
}

// Holds reports whether some term of c has every test met by an
// observable of obs. A nil c never holds. Hot path: it allocates nothing.
func Holds(c *stix.Conjunction, obs []ioc.Observable) bool {
	if c == nil {
		return false
	}
	for i := range c.Terms {
		if termHolds(&c.Terms[i], obs) {
			return true
		}
	}
	return false
}

func termHolds(t *stix.Term, obs []ioc.Observable) bool {
	for i := range t.Tests {
		if !testHolds(&t.Tests[i], obs) {
			return false
		}
	}
	return true
}

func testHolds(t *stix.Test, obs []ioc.Observable) bool {
	for i := range obs {
		for j := range t.Alts {
			if altHolds(&t.Alts[j], &obs[i]) {
				return true
			}
		}
	}
	return false
}

// altHolds reports whether one observable meets one accepted value, with
// the matcher's semantics for addresses, domains and URL hosts.
func altHolds(a *stix.Alt, o *ioc.Observable) bool {
	switch {
	case a.Type.IsIP():
		switch {
		case o.Type.IsIP():
			return prefixHolds(a.Prefix, o.Value)
		case o.Type == ioc.URL:
			h := ioc.URLHost(o.Value)
			if len(h) >= 2 && h[0] == '[' && h[len(h)-1] == ']' {
				return prefixHolds(a.Prefix, h[1:len(h)-1])
			}
			// A name host is not parsed: a failed parse allocates its error.
			return isDottedQuad(h) && prefixHolds(a.Prefix, h)
		}
		return false
	case a.Type == ioc.Domain:
		switch o.Type {
		case ioc.Domain:
			return isSubdomain(o.Value, a.Value)
		case ioc.URL:
			return isSubdomain(ioc.URLHost(o.Value), a.Value)
		}
		return false
	}
	return o.Type == a.Type && o.Value == a.Value
}

func prefixHolds(p netip.Prefix, v string) bool {
	addr, err := netip.ParseAddr(v)
	if err != nil {
		return false
	}
	return p.Contains(addr.WithZone("").Unmap())
}

func isDottedQuad(h string) bool {
	for i := 0; i < len(h); i++ {
		if (h[i] < '0' || h[i] > '9') && h[i] != '.' {
			return false
		}
	}
	return h != ""
}

// isSubdomain reports whether name is parent or ends in "."+parent. Both
// are canonical (lower case); a trailing dot on name is ignored.
func isSubdomain(name, parent string) bool {
	name = strings.TrimSuffix(name, ".")
	if len(name) == len(parent) {
		return name == parent
	}
	return len(name) > len(parent) && name[len(name)-len(parent)-1] == '.' &&
		name[len(name)-len(parent):] == parent
}
