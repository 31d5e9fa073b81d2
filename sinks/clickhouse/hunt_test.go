//go:build integration

package clickhouse

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/matcher"
)

// TestStore_SightingsNarrowsWithoutMissing stores sightings of every kind,
// some matching and some near misses, and checks that the hunt query
// returns every sighting the matcher confirms and none of the misses.
func TestStore_SightingsNarrowsWithoutMissing(t *testing.T) {
	s := openStore(t, testConfig(t, sharedServer(t)))
	sink := NewSink(s, nil)
	defer sink.Close()
	ctx := context.Background()
	at := time.Now().UTC().Add(-48 * time.Hour)
	src := ioc.Source{Feed: "f", ID: "1", Confidence: 50}
	inds := []*ioc.Indicator{
		ioc.NewIndicator(ioc.Domain, "evil.example", src),
		ioc.NewIndicator(ioc.IPv4, "198.51.100.7", src),
		ioc.NewIndicator(ioc.IPv6, "2001:db8::5", src),
		ioc.NewIndicator(ioc.IPv4, "203.0.113.0/25", src),
		ioc.NewIndicator(ioc.IPv6, "2001:db8:1::/48", src),
		ioc.NewIndicator(ioc.SHA256,
			"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", src),
		ioc.NewIndicator(ioc.URL, "http://files.example/invoice.zip", src),
		ioc.NewIndicator(ioc.Text, "Invoke-Mimikatz", src),
		ioc.NewIndicator(ioc.Mutex, `Global\Loader'Mutex`, src),
	}
	type obs struct{ typ, value string }
	hits := []obs{
		{"domain", "evil.example"}, {"domain", "a.b.evil.example"},
		{"url", "http://cdn.evil.example/x"}, {"url", "http://198.51.100.7/"},
		{"url", "https://203.0.113.5:8443/p"}, {"url", "http://[2001:db8:1::9]/"},
		{"url", "http://[2001:db8::5]/"},
		{"ipv4", "198.51.100.7"}, {"ipv4", "203.0.113.127"}, {"ipv6", "2001:db8:1:ffff::1"},
		{"sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"url", "http://files.example/invoice.zip"},
		{"text", "powershell -c invoke-mimikatz -dump"}, {"mutex", `Global\Loader'Mutex`},
	}
	misses := []obs{
		{"domain", "notevil.example"}, {"domain", "evil.example.org"},
		{"url", "http://evil.example.org/"}, {"ipv4", "203.0.113.128"},
		{"ipv4", "198.51.100.70"}, {"ipv6", "2001:db8:2::1"},
		{"sha256", "a3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"url", "http://files.example/invoice.zip2"}, {"text", "mimikatz"},
		{"mutex", `global\loader'mutex`},
	}
	var sgs []Sighting
	for i, o := range append(slices.Clone(hits), misses...) {
		sgs = append(sgs, Sighting{EventID: fmt.Sprintf("e%02d", i), EventTime: at,
			Format: "json", Type: o.typ, Value: o.value, Field: "f" + o.typ})
	}
	// An event outside the window must not come back.
	sgs = append(sgs, Sighting{EventID: "old", EventTime: at.Add(-10 * 24 * time.Hour),
		Type: "domain", Value: "evil.example", Field: "x"})
	if err := sink.WriteSightings(ctx, sgs); err != nil {
		t.Fatal(err)
	}
	var got []obs
	err := s.Sightings(ctx, at.Add(-time.Hour), at.Add(time.Hour), inds, func(sg *Sighting) error {
		got = append(got, obs{sg.Type, sg.Value})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	snap := matcher.Build(1, inds)
	for _, h := range hits {
		typ, _ := ioc.ParseType(h.typ)
		if len(snap.Lookup(typ, h.value, nil)) == 0 {
			t.Errorf("test data: matcher does not confirm %v", h)
		}
		if !slices.Contains(got, h) {
			t.Errorf("sighting %v missing from the hunt query", h)
		}
	}
	for _, m := range misses {
		if slices.Contains(got, m) {
			t.Errorf("near miss %v returned by the hunt query", m)
		}
	}
	if len(got) != len(hits) {
		t.Errorf("hunt query returned %d sightings, want %d: %v", len(got), len(hits), got)
	}
}

func TestStore_PruneObservablesDropsOldDays(t *testing.T) {
	s := openStore(t, testConfig(t, sharedServer(t)))
	sink := NewSink(s, nil)
	defer sink.Close()
	now := time.Now().UTC()
	var sgs []Sighting
	for d := range 5 {
		sgs = append(sgs, Sighting{EventID: fmt.Sprint(d),
			EventTime: now.Add(-time.Duration(d) * 24 * time.Hour),
			Type:      "domain", Value: "x.example", Field: "f"})
	}
	if err := sink.WriteSightings(context.Background(), sgs); err != nil {
		t.Fatal(err)
	}
	// With a 30-day retention, pruning as if 28 days had passed drops the
	// days before the one 2 days ago.
	n, err := s.PruneObservables(context.Background(), now.Add(28*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("dropped partitions: got %d, want 2", n)
	}
	if got := queryUint(t, s, "SELECT count() FROM "+s.table("observables")); got != 3 {
		t.Errorf("sightings left: got %d, want 3", got)
	}
}
