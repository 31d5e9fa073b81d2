package matcher

import (
	"strings"

	"github.com/iocflow/iocflow/feeds/ioc"
)

// Delta is a set of changes to a snapshot's indicators.
type Delta struct {
	// Remove lists the IDs of indicators to remove. Unknown IDs are
	// ignored. An ID is found through its value, so it must be
	// ioc.MakeID of the indicator's type and value, as ioc builds them.
	Remove []string
	// Upsert lists indicators to add, or to put in place of the indicator
	// with the same ID (new sources, new validity). Upserts apply after
	// removals, so an ID in both ends up present.
	Upsert []*ioc.Indicator
}

// compactRatio: Apply rebuilds the snapshot from scratch when more than
// one ref in compactRatio is a hole left by a removal.
const compactRatio = 4

// Apply returns a snapshot with version and the changes of d; s is not
// changed and stays valid for the readers that hold it. Structures and
// parts of structures that no change touches are shared between the two:
// an exact table copies only the shards (about 64 entries each) that a
// change falls in, the CIDR trie copies the paths to the changed prefixes,
// the indicator list the 1,024-entry chunks that change. Two things are
// rebuilt whole: the substring automaton when a Text pattern is added
// (removing one costs nothing), and the whole snapshot, by Build, when
// removals have left more than a quarter of the refs empty. Refs of s stay
// valid in the new snapshot unless it was rebuilt whole.
//
// Apply is not for the hot path and must not run concurrently with
// another Apply on the same snapshot's lineage if their results are to be
// combined; each call returns an independent snapshot.
func (s *Snapshot) Apply(version uint64, d Delta) *Snapshot {
	ns := *s
	ns.version = version
	ns.inds = append([][]*ioc.Indicator(nil), s.inds...)
	a := &applier{ns: &ns, owned: map[int]bool{}, added: map[string]Ref{}}
	a.del.h, a.add.h = &s.h, &s.h
	for _, id := range d.Remove {
		if r, ok := a.locate(id); ok {
			a.remove(r)
		}
	}
	for _, in := range d.Upsert {
		a.upsert(in)
	}
	if holes := int(ns.next) - ns.live; holes > 1024 && holes*compactRatio > int(ns.next) {
		return Build(version, a.liveIndicators())
	}
	applyTo(&ns, s, &a.del, &a.add)
	ns.gates, ns.gateErrs = s.gates.With(d.Remove, d.Upsert)
	return &ns
}

// applier carries the state of one Apply.
type applier struct {
	ns       *Snapshot
	owned    map[int]bool // chunks already copied for ns
	added    map[string]Ref
	del, add builder
}

func (a *applier) set(r Ref, in *ioc.Indicator) {
	ns := a.ns
	c := int(r >> chunkBits)
	if c == len(ns.inds) {
		ns.inds = append(ns.inds, make([]*ioc.Indicator, chunkSize))
		a.owned[c] = true
	}
	if !a.owned[c] {
		ns.inds[c] = append([]*ioc.Indicator(nil), ns.inds[c]...)
		a.owned[c] = true
	}
	ns.inds[c][r&(chunkSize-1)] = in
}

func (a *applier) remove(r Ref) {
	in := a.ns.Indicator(r)
	if in == nil {
		return
	}
	a.set(r, nil)
	a.ns.live--
	a.del.add(r, in)
	delete(a.added, in.ID)
}

func (a *applier) upsert(in *ioc.Indicator) {
	if in == nil {
		return
	}
	if r, ok := a.locate(in.ID); ok {
		old := a.ns.Indicator(r)
		if old.Type == in.Type && old.Value == in.Value {
			a.set(r, in)
			return
		}
		a.remove(r)
	}
	r := a.ns.next
	a.ns.next++
	a.set(r, in)
	a.ns.live++
	a.add.add(r, in)
	a.added[in.ID] = r
}

// locate finds the live ref of the indicator with the given id, among the
// indicators of the snapshot Apply started from and those added since.
func (a *applier) locate(id string) (Ref, bool) {
	if r, ok := a.added[id]; ok {
		return r, true
	}
	t, v, ok := splitID(id)
	if !ok {
		return 0, false
	}
	var buf [4]Ref
	for _, r := range a.ns.candidates(t, v, buf[:0]) {
		if in := a.ns.Indicator(r); in != nil && in.ID == id {
			return r, true
		}
	}
	return 0, false
}

// splitID reads "<type>:<value>" as ioc.MakeID writes it.
func splitID(id string) (ioc.Type, string, bool) {
	name, v, ok := strings.Cut(id, ":")
	if !ok {
		return 0, "", false
	}
	for t := ioc.Type(1); int(t) < ioc.NumTypes; t++ {
		if t.String() == name {
			return t, v, true
		}
	}
	return 0, "", false
}

// candidates appends the refs stored under exactly the value v of type t,
// as the builder keyed it (no parent walk, no containment).
func (s *Snapshot) candidates(t ioc.Type, v string, dst []Ref) []Ref {
	switch {
	case t.IsIP():
		p, ok := ioc.IPKey(t, v)
		if !ok {
			return dst
		}
		if p.IsSingleIP() {
			return s.LookupAddr(p.Addr(), dst)
		}
		if s.cidrs != nil {
			for _, r := range s.cidrs.Get(p) {
				dst = append(dst, Ref(r))
			}
		}
		return dst
	case t.IsHash():
		return s.lookupHash(t, v, dst)
	}
	return s.lookupString(t, v, dst)
}

func (a *applier) liveIndicators() []*ioc.Indicator {
	out := make([]*ioc.Indicator, 0, a.ns.live)
	for _, c := range a.ns.inds {
		for _, in := range c {
			if in != nil {
				out = append(out, in)
			}
		}
	}
	return out
}
