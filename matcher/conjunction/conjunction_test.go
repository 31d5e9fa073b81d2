package conjunction_test

import (
	"errors"
	"testing"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/feeds/stix"
	"github.com/iocflow/iocflow/matcher"
	"github.com/iocflow/iocflow/matcher/conjunction"
)

const (
	mispDomainIP = "[domain-name:value = 'circl.lu' AND " +
		"domain-name:resolves_to_refs[*].value = '149.13.33.14']"
	fileNameHash = "[file:name = 'foo.dll' AND file:hashes.MD5 = '" + md5Empty + "']"
	twoTerms     = "[file:name = 'a.dll' AND (file:hashes.MD5 = '" + md5Empty + "'" +
		" OR file:hashes.MD5 = '0cc175b9c0f1b6a831c399e269772661')]"
	netCIDR = "[network-traffic:dst_ref.value ISSUBSET '203.0.113.0/24' AND " +
		"network-traffic:dst_ref.value = 'c2.example']"
)

const md5Empty = "d41d8cd98f00b204e9800998ecf8427e"

// indicators reads patterns as a STIX feed would, one source each.
func indicators(t testing.TB, feed string, patterns ...string) []*ioc.Indicator {
	t.Helper()
	b := feeds.NewBuilder(feed, "stix")
	for i, p := range patterns {
		id := "indicator--" + string(rune('a'+i))
		stix.AddPattern(b, id, p, ioc.Source{ID: id, Confidence: 80})
	}
	res := b.Result()
	if len(res.Rejects)+len(res.NotEnforced) != 0 {
		t.Fatalf("patterns not all enforced: %v %v", res.Rejects, res.NotEnforced)
	}
	return res.Indicators
}

func obs(pairs ...any) []ioc.Observable {
	var out []ioc.Observable
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, ioc.Observable{Type: pairs[i].(ioc.Type), Value: pairs[i+1].(string),
			Field: "f"})
	}
	return out
}

// matches runs a lookup of every observable through a snapshot and the
// gates, as the pipeline's match stage does, and returns the indicator ids
// that survive.
func matches(inds []*ioc.Indicator, set *conjunction.Set, ev []ioc.Observable) []string {
	snap := matcher.Build(1, inds)
	var scratch ioc.Indicator
	var out []string
	for _, o := range ev {
		for _, r := range snap.Lookup(o.Type, o.Value, nil) {
			if in := set.Filter(snap.Indicator(r), ev, &scratch); in != nil {
				out = append(out, in.ID)
			}
		}
	}
	return out
}

func TestSet_Filter(t *testing.T) {
	t.Parallel()
	inds := indicators(t, "f", mispDomainIP, fileNameHash, twoTerms, netCIDR)
	set, errs := conjunction.Build(inds)
	if len(errs) != 0 || set.Len() != 5 {
		t.Fatalf("Build: %d gates, errors %v; want 5 gated sources", set.Len(), errs)
	}
	cases := []struct {
		name string
		ev   []ioc.Observable
		want int // surviving hits
	}{
		{"dns answer with name", obs(ioc.Domain, "circl.lu", ioc.IPv4, "149.13.33.14"), 1},
		{"subdomain", obs(ioc.Domain, "www.circl.lu", ioc.IPv4, "149.13.33.14"), 1},
		{"url host", obs(ioc.URL, "http://circl.lu/x", ioc.IPv4, "149.13.33.14"), 1},
		{"address alone", obs(ioc.IPv4, "149.13.33.14"), 0},
		{"other name", obs(ioc.Domain, "circl.lu.example", ioc.IPv4, "149.13.33.14"), 0},
		{"hash alone", obs(ioc.MD5, md5Empty), 0},
		{"hash and name", obs(ioc.MD5, md5Empty, ioc.FileName, "foo.dll"), 1},
		{"second term", obs(ioc.MD5, "0cc175b9c0f1b6a831c399e269772661", ioc.FileName, "a.dll"), 1},
		{"first term", obs(ioc.MD5, md5Empty, ioc.FileName, "a.dll"), 1},
		{"cidr and name", obs(ioc.IPv4, "203.0.113.9", ioc.Domain, "c2.example"), 1},
		{"cidr, url host", obs(ioc.URL, "http://203.0.113.9/", ioc.Domain, "c2.example"), 1},
		{"cidr outside", obs(ioc.IPv4, "203.0.114.9", ioc.Domain, "c2.example"), 0},
	}
	for _, c := range cases {
		if got := matches(inds, set, c.ev); len(got) != c.want {
			t.Errorf("%s: %v survive, want %d", c.name, got, c.want)
		}
	}
}

func TestSet_FilterKeepsOtherSources(t *testing.T) {
	t.Parallel()
	atomic := indicators(t, "plain", "[file:hashes.MD5 = '"+md5Empty+"']")
	conj := indicators(t, "conj", fileNameHash)
	inds := feeds.Merge([]*feeds.Result{{Indicators: atomic}, {Indicators: conj}})
	if len(inds) != 1 || len(inds[0].Sources) != 2 {
		t.Fatalf("merge: %d indicators, want one md5 with two sources", len(inds))
	}
	set, _ := conjunction.Build(inds)
	var scratch ioc.Indicator
	got := set.Filter(inds[0], obs(ioc.MD5, md5Empty), &scratch)
	if got == nil || len(got.Sources) != 1 || got.Sources[0].Feed != "plain" {
		t.Fatalf("Filter kept %+v, want only the plain feed's source", got)
	}
	met := obs(ioc.MD5, md5Empty, ioc.FileName, "foo.dll")
	if got = set.Filter(inds[0], met, &scratch); got != inds[0] {
		t.Errorf("Filter with the conjunction met returned %p, want the indicator itself", got)
	}
}

func TestBuild_BrokenPatternShut(t *testing.T) {
	t.Parallel()
	in := ioc.NewIndicator(ioc.MD5, md5Empty, ioc.Source{Feed: "f", ID: "indicator--x",
		Pattern: "[file:name = 'a' AND"})
	set, errs := conjunction.Build([]*ioc.Indicator{in})
	var be *conjunction.BuildError
	if len(errs) != 1 || !errors.As(errs[0], &be) || be.Source != "indicator--x" {
		t.Fatalf("Build errors %v, want one *BuildError for indicator--x", errs)
	}
	var scratch ioc.Indicator
	if got := set.Filter(in, obs(ioc.MD5, md5Empty, ioc.FileName, "a"), &scratch); got != nil {
		t.Errorf("a source whose conjunction cannot be read matched: %+v", got)
	}
}

func TestSet_NilGatesNothing(t *testing.T) {
	t.Parallel()
	var set *conjunction.Set
	in := ioc.NewIndicator(ioc.MD5, md5Empty, ioc.Source{Pattern: fileNameHash})
	if got := set.Filter(in, nil, &ioc.Indicator{}); got != in {
		t.Errorf("nil Set filtered an indicator")
	}
}

func TestSet_FilterAllocs(t *testing.T) {
	inds := indicators(t, "f", mispDomainIP)
	set, _ := conjunction.Build(inds)
	ev := obs(ioc.URL, "http://www.circl.lu/a", ioc.Domain, "example.org", ioc.IPv4, "149.13.33.14")
	var scratch ioc.Indicator
	allocs := testing.AllocsPerRun(100, func() {
		if set.Filter(inds[0], ev, &scratch) == nil {
			t.Fatal("conjunction not met")
		}
	})
	if allocs != 0 {
		t.Errorf("Filter allocates %.1f times per call, want 0", allocs)
	}
}
