package feeds

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/iocflow/iocflow/feeds/ioc"
)

// refreshPair returns a feed of n indicators and a refresh of it in which
// changed indicators differ: of the first changed ones, a third are
// updated, a third removed, and for a third a new value is added, as in a
// list feed where a few lines were edited.
func refreshPair(n, changed int) (old, next []*ioc.Indicator) {
	old = make([]*ioc.Indicator, n)
	addr := netip.MustParseAddr("10.0.0.0")
	for i := range old {
		addr = addr.Next()
		src := ioc.Source{Feed: "bench", ID: fmt.Sprintf("line %d", i+1), Confidence: 80,
			Severity: ioc.SeverityHigh, ThreatTypes: []string{"c2"}}
		old[i] = ioc.NewIndicator(ioc.IPv4, addr.String(), src)
	}
	next = make([]*ioc.Indicator, 0, n)
	for i, in := range old {
		switch {
		case i >= changed:
			c := *in // an equal copy, as a fresh parse of the same line gives
			next = append(next, &c)
		case i%3 == 0:
			c := *in
			c.Sources = []ioc.Source{in.Sources[0]}
			c.Sources[0].Confidence = 90
			next = append(next, &c)
		case i%3 == 1:
		default:
			c := *in
			addr = addr.Next()
			next = append(next, &c, ioc.NewIndicator(ioc.IPv4, addr.String(), in.Sources[0]))
		}
	}
	return old, next
}

// BenchmarkDiff measures one refresh: indexing the new result and diffing
// it against the index in force, which is what feeds/store does per
// refresh before anything is published.
func BenchmarkDiff(b *testing.B) {
	for _, n := range []int{1e3, 1e5, 1e6} {
		old, next := refreshPair(n, 10)
		oldSet := NewSet(old)
		b.Run(fmt.Sprintf("lines=%d/changed=10", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				cs := Diff(oldSet, NewSet(next))
				if len(cs) != 10 {
					b.Fatalf("%d changes, want 10", len(cs))
				}
			}
		})
		nextSet := NewSet(next)
		b.Run(fmt.Sprintf("lines=%d/changed=10/indexed", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if cs := Diff(oldSet, nextSet); len(cs) != 10 {
					b.Fatalf("%d changes, want 10", len(cs))
				}
			}
		})
	}
}
