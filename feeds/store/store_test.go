package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
)

func ind(feed, value string, conf int) *ioc.Indicator {
	fixed, _ := ioc.Refang(value)
	t, v, err := ioc.Detect(fixed)
	if err != nil {
		panic("test value " + value + ": " + err.Error())
	}
	return ioc.NewIndicator(t, v, ioc.Source{Feed: feed, ID: value, Confidence: conf})
}

// recorder is a publisher that keeps what it was given and fails while
// fail is set.
type recorder struct {
	got  [][]feeds.Change
	fail error
}

func (r *recorder) Publish(_ context.Context, cs []feeds.Change) error {
	if r.fail != nil {
		return r.fail
	}
	r.got = append(r.got, slices.Clone(cs))
	return nil
}

// ops renders changes as "op id feeds..." lines for comparison.
func ops(cs []feeds.Change) string {
	var b strings.Builder
	for _, c := range cs {
		b.WriteString(c.Op.String() + " " + c.ID)
		if c.Indicator != nil {
			for _, s := range c.Indicator.Sources {
				b.WriteString(" " + s.Feed)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestStore_MergedChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pub := &recorder{}
	s, err := New(Options{Publisher: pub})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		feed string
		inds []*ioc.Indicator
		want string
	}{
		{"first feed", "a", []*ioc.Indicator{ind("a", "evil.example", 60), ind("a", "1.2.3.4", 60)},
			"added domain:evil.example a\nadded ipv4:1.2.3.4 a\n"},
		{"second feed shares a value", "b", []*ioc.Indicator{ind("b", "evil.example", 70)},
			"updated domain:evil.example a b\n"},
		{"same set again", "a",
			[]*ioc.Indicator{ind("a", "evil.example", 60), ind("a", "1.2.3.4", 60)}, ""},
		{"first feed drops the shared value", "a", []*ioc.Indicator{ind("a", "1.2.3.4", 60)},
			"updated domain:evil.example b\n"},
		{"confidence change", "a", []*ioc.Indicator{ind("a", "1.2.3.4", 90)},
			"updated ipv4:1.2.3.4 a\n"},
		{"second feed empties", "b", nil, "removed domain:evil.example\n"},
	}
	for _, st := range steps {
		cs, err := s.Replace(ctx, st.feed, st.inds)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := ops(cs); got != st.want {
			t.Errorf("%s: changes\n%swant\n%s", st.name, got, st.want)
		}
	}
	if len(pub.got) != 5 {
		t.Errorf("publisher called %d times, want 5 (never for no change)", len(pub.got))
	}
	in, ok := s.Get("ipv4:1.2.3.4")
	if !ok || in.Sources[0].Confidence != 90 {
		t.Errorf("Get(ipv4:1.2.3.4) = %+v, %v; want confidence 90", in, ok)
	}
	if _, ok := s.Get("domain:evil.example"); ok {
		t.Error("domain:evil.example still in force after every feed dropped it")
	}
}

func TestStore_PublishFailureKeepsPrevious(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pub := &recorder{}
	s, _ := New(Options{Publisher: pub})
	if _, err := s.Replace(ctx, "a", []*ioc.Indicator{ind("a", "evil.example", 60)}); err != nil {
		t.Fatal(err)
	}
	pub.fail = errors.New("broker down")
	_, err := s.Replace(ctx, "a", []*ioc.Indicator{ind("a", "other.example", 60)})
	if !errors.Is(err, pub.fail) {
		t.Fatalf("Replace error = %v, want the publisher's", err)
	}
	if _, ok := s.Get("domain:evil.example"); !ok || s.Len("a") != 1 {
		t.Fatal("failed publish changed the set in force")
	}
	pub.fail = nil
	cs, err := s.Replace(ctx, "a", []*ioc.Indicator{ind("a", "other.example", 60)})
	if err != nil {
		t.Fatal(err)
	}
	want := "added domain:other.example a\nremoved domain:evil.example\n"
	if got := ops(cs); got != want {
		t.Errorf("retry changes\n%swant\n%s", got, want)
	}
}

func TestStore_UpsertRemove(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := New(Options{})
	s.Replace(ctx, "feed", []*ioc.Indicator{ind("feed", "evil.example", 60)})
	cs, err := s.Upsert(ctx, "uploads", []*ioc.Indicator{
		ind("uploads", "evil.example", 90), ind("uploads", "bad.example", 90)})
	if err != nil {
		t.Fatal(err)
	}
	want := "added domain:bad.example uploads\nupdated domain:evil.example feed uploads\n"
	if got := ops(cs); got != want {
		t.Errorf("upsert changes\n%swant\n%s", got, want)
	}
	cs, missing, err := s.Remove(ctx, "uploads",
		[]string{"domain:evil.example", "domain:bad.example", "domain:never.example"})
	if err != nil {
		t.Fatal(err)
	}
	want = "removed domain:bad.example\nupdated domain:evil.example feed\n"
	if got := ops(cs); got != want {
		t.Errorf("remove changes\n%swant\n%s", got, want)
	}
	if !slices.Equal(missing, []string{"domain:never.example"}) {
		t.Errorf("missing = %v, want [domain:never.example]", missing)
	}
}

func TestStore_DurableFeedSurvivesRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := New(Options{Dir: dir, Durable: []string{"uploads"}})
	if err != nil {
		t.Fatal(err)
	}
	up := ind("uploads", "hxxp://evil[.]example/x", 80)
	_, err = s.Upsert(ctx, "uploads", []*ioc.Indicator{up, ind("uploads", "5.6.7.8", 80)})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Remove(ctx, "uploads", []string{"ipv4:5.6.7.8"}); err != nil {
		t.Fatal(err)
	}
	again, err := New(Options{Dir: dir, Durable: []string{"uploads"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := again.FeedIDs("uploads"); !slices.Equal(got, []string{up.ID}) {
		t.Errorf("after restart uploads = %v, want [%s]", got, up.ID)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestStore_BadDurableFileIsAnError(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"not json":      "{",
		"wrong version": `{"version":9,"feed":"uploads","indicators":[]}`,
		"other feed":    `{"version":1,"feed":"x","indicators":[]}`,
		"id mismatch": `{"version":1,"feed":"uploads","indicators":[{"id":"domain:a.example",` +
			`"type":"domain","value":"b.example","sources":[{"feed":"uploads","id":"1"}]}]}`,
		"foreign source": `{"version":1,"feed":"uploads","indicators":[{"id":"domain:a.example",` +
			`"type":"domain","value":"a.example","sources":[{"feed":"et","id":"1"}]}]}`,
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			err := os.WriteFile(filepath.Join(dir, "uploads.json"), []byte(text), 0o600)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := New(Options{Dir: dir, Durable: []string{"uploads"}}); err == nil {
				t.Errorf("New with file %s: no error", text)
			}
		})
	}
}

func TestStore_RestoreThenRefreshPublishesOnlyChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	first, _ := New(Options{})
	first.Replace(ctx, "a",
		[]*ioc.Indicator{ind("a", "evil.example", 60), ind("a", "gone.example", 60)})
	first.Replace(ctx, "b", []*ioc.Indicator{ind("b", "evil.example", 70)})

	pub := &recorder{}
	s, _ := New(Options{Publisher: pub})
	s.Restore(first.Indicators())
	if len(pub.got) != 0 {
		t.Errorf("Restore published %d batches, want none", len(pub.got))
	}
	cs, err := s.Replace(ctx, "a", []*ioc.Indicator{ind("a", "evil.example", 60)})
	if err != nil {
		t.Fatal(err)
	}
	want := "removed domain:gone.example\n"
	if got := ops(cs); got != want {
		t.Errorf("changes after restore\n%swant\n%s", got, want)
	}
}

func TestStore_ConcurrentUse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := New(Options{Publisher: &recorder{}})
	var wg sync.WaitGroup
	for w := range 4 {
		feed := string(rune('a' + w))
		wg.Go(func() {
			for i := range 50 {
				inds := []*ioc.Indicator{ind(feed, "shared.example", i),
					ind(feed, feed+".example", i)}
				if _, err := s.Replace(ctx, feed, inds); err != nil {
					t.Error(err)
				}
			}
		})
		wg.Go(func() {
			for range 200 {
				if in, ok := s.Get("domain:shared.example"); ok && len(in.Sources) == 0 {
					t.Error("merged indicator without sources")
				}
				_ = s.Indicators()
			}
		})
	}
	wg.Wait()
	in, _ := s.Get("domain:shared.example")
	if in == nil || len(in.Sources) != 4 {
		t.Fatalf("shared indicator = %+v, want 4 sources", in)
	}
	for i, src := range in.Sources {
		if want := string(rune('a' + i)); src.Feed != want {
			t.Errorf("source %d from %s, want %s (feed name order)", i, src.Feed, want)
		}
	}
}
