package matcher

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/matcher/conjunction"
)

const (
	gateMD5    = "d41d8cd98f00b204e9800998ecf8427e"
	gateConjA  = "[file:name = 'foo.dll' AND file:hashes.MD5 = '" + gateMD5 + "']"
	gateConjB  = "[domain-name:value = 'c2.example' AND domain-name:resolves_to_refs[*].value = '192.0.2.7']"
	gateBroken = "[file:name = 'a' AND"
)

var gatePatterns = []string{"", "[file:name = 'foo.dll']", gateConjA, gateConjB, gateBroken}

// gateObs are events: each meets one conjunction, both or neither.
var gateObs = [][]ioc.Observable{
	{{Type: ioc.FileName, Value: "foo.dll"}, {Type: ioc.MD5, Value: gateMD5}},
	{{Type: ioc.Domain, Value: "www.c2.example"}, {Type: ioc.IPv4, Value: "192.0.2.7"}},
	{{Type: ioc.FileName, Value: "foo.dll"}, {Type: ioc.MD5, Value: gateMD5},
		{Type: ioc.Domain, Value: "c2.example"}, {Type: ioc.IPv4, Value: "192.0.2.7"}},
	{{Type: ioc.Domain, Value: "other.example"}},
}

// gateIndicator returns an indicator with one to three sources, each with
// a pattern drawn from gatePatterns.
func gateIndicator(r *rand.Rand, i int) *ioc.Indicator {
	in := ind(ioc.Domain, fmt.Sprintf("d%d.example", i))
	in.Sources = nil
	for j := range 1 + r.IntN(3) {
		in.Sources = append(in.Sources, ioc.Source{Feed: fmt.Sprint("f", j),
			ID: fmt.Sprint("s", r.IntN(4)), Pattern: pick(r, gatePatterns)})
	}
	return in
}

// sameGates checks that got gates every indicator of live as a Set built
// from live does.
func sameGates(t *testing.T, step int, got *conjunction.Set, live map[string]*ioc.Indicator) {
	t.Helper()
	want, _ := conjunction.Build(liveSlice(live))
	if got.Len() != want.Len() {
		t.Fatalf("step %d: %d gated sources, want %d", step, got.Len(), want.Len())
	}
	var s1, s2 ioc.Indicator
	for _, in := range live {
		for k, obs := range gateObs {
			g, w := got.Filter(in, obs, &s1), want.Filter(in, obs, &s2)
			if (g == nil) != (w == nil) || g != nil && len(g.Sources) != len(w.Sources) {
				t.Fatalf("step %d: %s on event %d: kept %v, want %v", step, in.ID, k, g, w)
			}
		}
	}
}

// TestSnapshot_ApplyKeepsGates applies random deltas that add, replace
// and remove indicators with conjunction sources, and checks after each
// that the snapshot's gates are those of its live indicators, and that
// the snapshot it came from kept its own.
func TestSnapshot_ApplyKeepsGates(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(31, 32))
	live := map[string]*ioc.Indicator{}
	var inds []*ioc.Indicator
	for i := range 40 {
		in := gateIndicator(r, i)
		inds = append(inds, in)
		live[in.ID] = in
	}
	s := Build(1, inds)
	sameGates(t, 0, s.Gates(), live)
	if len(s.GateErrors()) == 0 {
		t.Errorf("Build reported no error for the broken pattern")
	}
	for step := 1; step <= 40; step++ {
		var d Delta
		next := make(map[string]*ioc.Indicator, len(live))
		for id, in := range live {
			next[id] = in
		}
		for id := range live {
			if r.IntN(6) == 0 {
				d.Remove = append(d.Remove, id)
				delete(next, id)
			}
		}
		for range r.IntN(6) {
			in := gateIndicator(r, r.IntN(60)) // new ids and replacements
			d.Upsert = append(d.Upsert, in)
			next[in.ID] = in
		}
		old, oldLive := s, live
		s, live = s.Apply(uint64(step+1), d), next
		sameGates(t, step, s.Gates(), live)
		sameGates(t, step, old.Gates(), oldLive)
	}
}

// TestSnapshot_ApplySharesUngatedSet checks that a delta without
// conjunctions leaves the Set as it was, and one with a conjunction
// changes only the new snapshot's.
func TestSnapshot_ApplySharesUngatedSet(t *testing.T) {
	t.Parallel()
	gated := ind(ioc.MD5, gateMD5)
	gated.Sources[0].Pattern = gateConjA
	s := Build(1, []*ioc.Indicator{gated, ind(ioc.Domain, "a.example")})
	s2 := s.Apply(2, Delta{Upsert: []*ioc.Indicator{ind(ioc.Domain, "b.example")}})
	if s2.Gates() != s.Gates() {
		t.Errorf("a delta without conjunctions copied the gates")
	}
	s3 := s2.Apply(3, Delta{Remove: []string{gated.ID}})
	if s3.Gates().Len() != 0 || s2.Gates().Len() != 1 {
		t.Errorf("gates after removal: %d (old snapshot %d), want 0 and 1",
			s3.Gates().Len(), s2.Gates().Len())
	}
}
