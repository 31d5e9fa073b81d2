package matcher

import (
	"math/rand/v2"
	"testing"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/matcher/reference"
)

// FuzzMatch builds a snapshot from a random indicator set, applies a
// random delta, and compares both snapshots with the reference matcher on
// random observables and on the fuzzer's own observable.
func FuzzMatch(f *testing.F) {
	f.Add(uint64(1), uint8(50), uint8(ioc.Domain), "a.b.ab")
	f.Add(uint64(2), uint8(200), uint8(ioc.IPv4), "10.0.1.2")
	f.Add(uint64(3), uint8(100), uint8(ioc.URL), "http://[2001:db8::1]/x")
	f.Add(uint64(4), uint8(100), uint8(ioc.Text), "xxABab-abc")
	f.Add(uint64(5), uint8(100), uint8(ioc.SHA1), "00000000000000000000000000000000000000AF")
	f.Fuzz(func(t *testing.T, seed uint64, n uint8, typ uint8, v string) {
		r := rand.New(rand.NewPCG(seed, uint64(n)))
		inds := genIndicators(r, int(n))
		live := map[string]*ioc.Indicator{}
		for _, in := range inds {
			live[in.ID] = in
		}
		s := Build(1, inds)
		ot := ioc.Type(typ % uint8(ioc.NumTypes))
		compare(t, s, reference.New(inds), inds, ot, v)
		for range 20 {
			t2, v2 := genObservable(r)
			compare(t, s, reference.New(inds), inds, t2, v2)
		}
		s, live = applyRandom(r, s, live, 2)
		next := liveSlice(live)
		compare(t, s, reference.New(next), next, ot, v)
		for range 20 {
			t2, v2 := genObservable(r)
			compare(t, s, reference.New(next), next, t2, v2)
		}
	})
}
