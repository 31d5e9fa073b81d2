package pipeline

import (
	"context"
	"strings"
	"testing"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/feeds/stix"
	"github.com/iocflow/iocflow/matcher"
)

// conjunctionEvents: the first event satisfies the STIX conjunction
// (address in the range and the host name), the second has the address
// alone, the third the name alone, the fourth neither.
var conjunctionEvents = strings.Join([]string{
	`{"event_type":"http","src_ip":"10.0.0.1","dest_ip":"203.0.113.9",` +
		`"http":{"hostname":"c2.example","url":"/a"}}`,
	`{"event_type":"http","src_ip":"10.0.0.1","dest_ip":"203.0.113.9",` +
		`"http":{"hostname":"benign.example","url":"/a"}}`,
	`{"event_type":"http","src_ip":"10.0.0.1","dest_ip":"192.0.2.1",` +
		`"http":{"hostname":"c2.example","url":"/a"}}`,
	`{"event_type":"flow","src_ip":"10.0.0.1","dest_ip":"192.0.2.1"}`,
}, "\n")

// stixIndicators reads a STIX pattern as the STIX feed does: one anchor
// indicator per conjunction term, its source carrying the whole pattern.
func stixIndicators(t *testing.T, pattern string) []*ioc.Indicator {
	t.Helper()
	b := feeds.NewBuilder("stix-feed", "stix")
	stix.AddPattern(b, "indicator--1", pattern, ioc.Source{ID: "indicator--1", Confidence: 80})
	res := b.Result()
	if len(res.Indicators) == 0 || len(res.Rejects)+len(res.NotEnforced) != 0 {
		t.Fatalf("pattern not enforced: %d indicators, %v %v", len(res.Indicators),
			res.Rejects, res.NotEnforced)
	}
	return res.Indicators
}

const conjunctionPattern = "[network-traffic:dst_ref.value ISSUBSET '203.0.113.0/24' AND " +
	"network-traffic:dst_ref.value = 'c2.example']"

func runConjunction(t *testing.T, e *matcher.Engine) []string {
	t.Helper()
	sink := &memSink{}
	if _, err := newRunner(e, sink).Run(context.Background(),
		[]Input{{"in", strings.NewReader(conjunctionEvents)}}); err != nil {
		t.Fatal(err)
	}
	var origins []string
	for _, v := range sink.all() {
		origins = append(origins, v.Origin)
	}
	return origins
}

// TestEmbedded_ConjunctionGates checks that a STIX conjunction's anchor
// produces a verdict only for the event that meets the whole pattern, with
// the gates the snapshot carries, whether the snapshot was built with the
// indicator or received it in a delta.
func TestEmbedded_ConjunctionGates(t *testing.T) {
	inds := stixIndicators(t, conjunctionPattern)
	plain := indicator(t, ioc.IPv4, "192.0.2.1", ioc.Source{})

	built := engineOf(t, append([]*ioc.Indicator{plain}, inds...)...)
	if got := runConjunction(t, built); strings.Join(got, " ") != "in:1 in:3 in:4" {
		t.Errorf("built snapshot: verdicts for %v, want in:1 (conjunction) and in:3, in:4 "+
			"(the plain address)", got)
	}

	// The same indicators arriving in a delta bring their gates along.
	applied := engineOf(t, plain)
	applied.Store(applied.Load().Apply(8, matcher.Delta{Upsert: inds}))
	if got := runConjunction(t, applied); strings.Join(got, " ") != "in:1 in:3 in:4" {
		t.Errorf("applied snapshot: verdicts for %v, want in:1, in:3, in:4", got)
	}

	// Removing them takes the anchors and the gates away together.
	var ids []string
	for _, in := range inds {
		ids = append(ids, in.ID)
	}
	applied.Store(applied.Load().Apply(9, matcher.Delta{Remove: ids}))
	if got := runConjunction(t, applied); strings.Join(got, " ") != "in:3 in:4" {
		t.Errorf("after removal: verdicts for %v, want in:3, in:4", got)
	}
	if n := applied.Load().Gates().Len(); n != 0 {
		t.Errorf("after removal the snapshot still has %d gates", n)
	}
}
