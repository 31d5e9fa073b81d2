package publish

import (
	"testing"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
)

func src(feed, id string, conf int) ioc.Source {
	return ioc.Source{Feed: feed, ID: id, Confidence: conf}
}

func TestReplace_LoadedFeedsReplaceTheirOwnSourcesOnly(t *testing.T) {
	t.Parallel()
	shared := &ioc.Indicator{ID: "domain:a.example", Type: ioc.Domain, Value: "a.example",
		Sources: []ioc.Source{src("upload", "u1", 90), src("et", "line 1", 50)}}
	etOnly := ioc.NewIndicator(ioc.IPv4, "192.0.2.1", src("et", "line 2", 50))
	uploadOnly := ioc.NewIndicator(ioc.IPv4, "192.0.2.9", src("upload", "u2", 70))
	current := feeds.NewSet([]*ioc.Indicator{shared, etOnly, uploadOnly})

	// The et feed now lists 192.0.2.1 with another confidence and
	// 198.51.100.7, and no longer a.example.
	b := feeds.NewBuilder("et", "list")
	b.AddCanonical(ioc.IPv4, "192.0.2.1", src("", "line 1", 60))
	b.AddCanonical(ioc.IPv4, "198.51.100.7", src("", "line 2", 60))
	next := Replace(current, []*feeds.Result{b.Result()})

	changes := feeds.Diff(current, next)
	got := map[string]feeds.ChangeOp{}
	for _, c := range changes {
		got[c.ID] = c.Op
	}
	want := map[string]feeds.ChangeOp{
		"domain:a.example":  feeds.Updated, // keeps the upload source
		"ipv4:192.0.2.1":    feeds.Updated,
		"ipv4:198.51.100.7": feeds.Added,
	}
	if len(got) != len(want) {
		t.Errorf("changes %v, want %v", got, want)
	}
	for id, op := range want {
		if got[id] != op {
			t.Errorf("change of %s = %v, want %v", id, got[id], op)
		}
	}
	shared2, _ := next.Get("domain:a.example")
	if n := len(shared2.Sources); n != 1 {
		t.Errorf("a.example keeps %d sources, want the upload's only", n)
	}
	if up, _ := next.Get("ipv4:192.0.2.9"); len(shared.Sources) != 2 || up != uploadOnly {
		t.Errorf("current was modified or an untouched indicator was copied")
	}

	// Publishing an empty et feed removes what only et listed.
	empty := feeds.NewBuilder("et", "list").Result()
	for _, c := range feeds.Diff(next, Replace(next, []*feeds.Result{empty})) {
		if c.ID == "ipv4:198.51.100.7" && c.Op != feeds.Removed {
			t.Errorf("198.51.100.7: %v, want removed", c.Op)
		}
	}
}
