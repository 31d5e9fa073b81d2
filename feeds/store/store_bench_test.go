package store

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
)

// feedOf returns n list-feed indicators; with edited, the first ten differ
// as ten edited lines would: four updated, three removed, three added.
func feedOf(n int, edited bool) []*ioc.Indicator {
	out := make([]*ioc.Indicator, 0, n+3)
	addr := netip.MustParseAddr("10.0.0.0")
	for i := range n {
		addr = addr.Next()
		src := ioc.Source{Feed: "bench", ID: fmt.Sprintf("line %d", i+1), Confidence: 80,
			Severity: ioc.SeverityHigh, ThreatTypes: []string{"c2"}}
		switch {
		case !edited || i >= 10:
		case i%3 == 0:
			src.Confidence = 90
		case i%3 == 1:
			continue
		default:
			out = append(out, ioc.NewIndicator(ioc.IPv4, "192.0.2."+fmt.Sprint(i), src))
		}
		out = append(out, ioc.NewIndicator(ioc.IPv4, addr.String(), src))
	}
	return out
}

// BenchmarkStoreReplace measures a refresh of a feed already in force in
// which ten lines changed, alternating with the refresh that changes them
// back, so that every iteration publishes ten changes.
func BenchmarkStoreReplace(b *testing.B) {
	for _, n := range []int{1e3, 1e5, 1e6} {
		b.Run(fmt.Sprintf("lines=%d/changed=10", n), func(b *testing.B) {
			published := 0
			pub := feeds.PublisherFunc(func(_ context.Context, cs []feeds.Change) error {
				published += len(cs)
				return nil
			})
			s, _ := New(Options{Publisher: pub})
			ctx := context.Background()
			versions := [2][]*ioc.Indicator{feedOf(n, false), feedOf(n, true)}
			if _, err := s.Replace(ctx, "bench", versions[0]); err != nil {
				b.Fatal(err)
			}
			published = 0
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				if _, err := s.Replace(ctx, "bench", versions[i%2]); err != nil {
					b.Fatal(err)
				}
			}
			if published != 10*i {
				b.Fatalf("published %d changes in %d refreshes, want %d", published, i, 10*i)
			}
		})
	}
}
