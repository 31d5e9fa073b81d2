package matcher

import (
	"math/rand/v2"
	"testing"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/matcher/reference"
)

// applyRandom applies a random delta to s and to the live set, and returns
// both.
func applyRandom(r *rand.Rand, s *Snapshot, live map[string]*ioc.Indicator,
	version uint64) (*Snapshot, map[string]*ioc.Indicator) {
	next := make(map[string]*ioc.Indicator, len(live))
	for id, in := range live {
		next[id] = in
	}
	var d Delta
	for id := range live {
		if r.IntN(3) == 0 {
			d.Remove = append(d.Remove, id)
			delete(next, id)
		}
	}
	d.Remove = append(d.Remove, "domain:not.there", "bogus")
	for _, in := range genIndicators(r, r.IntN(40)) {
		if r.IntN(2) == 0 {
			in.Sources[0].Feed = "updated"
		}
		d.Upsert = append(d.Upsert, in)
		next[in.ID] = in
	}
	return s.Apply(version, d), next
}

func liveSlice(m map[string]*ioc.Indicator) []*ioc.Indicator {
	out := make([]*ioc.Indicator, 0, len(m))
	for _, in := range m {
		out = append(out, in)
	}
	return out
}

func checkAgainst(t *testing.T, r *rand.Rand, s *Snapshot, live map[string]*ioc.Indicator) {
	t.Helper()
	inds := liveSlice(live)
	ref := reference.New(inds)
	if s.Len() != len(inds) {
		t.Fatalf("Len() = %d, want %d", s.Len(), len(inds))
	}
	for range 200 {
		typ, v := genObservable(r)
		compare(t, s, ref, inds, typ, v)
	}
	for _, in := range inds {
		var got *ioc.Indicator
		var refs []Ref
		if p, ok := ioc.IPKey(in.Type, in.Value); ok {
			refs = s.LookupAddr(p.Addr(), nil)
		} else {
			refs = s.Lookup(in.Type, in.Value, nil)
		}
		for _, ref := range refs {
			if s.Indicator(ref).ID == in.ID {
				got = s.Indicator(ref)
			}
		}
		if in.Type != ioc.Text && got != in {
			t.Fatalf("indicator %s: found %p, want the upserted %p", in.ID, got, in)
		}
	}
}

func TestSnapshot_ApplyAgreesWithReference(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(21, 22))
	for range 10 {
		inds := genIndicators(r, 200)
		live := map[string]*ioc.Indicator{}
		for _, in := range inds {
			live[in.ID] = in
		}
		s := Build(1, inds)
		for v := range uint64(15) {
			old, oldLive := s, live
			s, live = applyRandom(r, s, live, v+2)
			if s.Version() != v+2 {
				t.Fatalf("Version() = %d, want %d", s.Version(), v+2)
			}
			checkAgainst(t, r, s, live)
			checkAgainst(t, r, old, oldLive) // the old snapshot is untouched
		}
	}
}

func TestSnapshot_ApplyLargeSharesAndCompacts(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(23, 24))
	var inds []*ioc.Indicator
	live := map[string]*ioc.Indicator{}
	for i := range 5000 {
		in := ind(ioc.SHA1, genHex(r, 40)[:30]+hex10(i))
		inds = append(inds, in)
		live[in.ID] = in
	}
	s := Build(1, inds)
	var d Delta
	for _, in := range inds[:3000] {
		d.Remove = append(d.Remove, in.ID)
		delete(live, in.ID)
	}
	s = s.Apply(2, d)
	checkAgainst(t, r, s, live)
	if int(s.next) != s.Len() {
		t.Fatalf("after removing 60%%: %d refs for %d indicators, want a compacted snapshot",
			s.next, s.Len())
	}
}

func hex10(i int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 10)
	for j := range b {
		b[9-j] = digits[i&15]
		i >>= 4
	}
	return string(b)
}
