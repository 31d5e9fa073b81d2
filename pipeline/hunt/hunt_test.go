package hunt

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/sinks/clickhouse"
	"github.com/iocflow/iocflow/sinks/verdict"
)

// fakeStore returns every sighting it holds, as a store whose narrowing
// query lets everything through would; the hunt must confirm each.
type fakeStore struct {
	sightings []clickhouse.Sighting
	known     [][2]string
}

func (f *fakeStore) Sightings(_ context.Context, from, to time.Time, _ []*ioc.Indicator,
	fn func(*clickhouse.Sighting) error) error {
	for i := range f.sightings {
		sg := f.sightings[i]
		if sg.EventTime.Before(from) || !sg.EventTime.Before(to) {
			continue
		}
		if err := fn(&sg); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeStore) KnownVerdicts(_ context.Context, ids []string, fn func(ev, ind string)) error {
	for _, k := range f.known {
		if slices.Contains(ids, k[0]) {
			fn(k[0], k[1])
		}
	}
	return nil
}

type captureSink struct{ got []verdict.Verdict }

func (c *captureSink) Write(_ context.Context, b []verdict.Verdict) error {
	c.got = append(c.got, b...)
	return nil
}

func (c *captureSink) Close() error { return nil }

func TestHunter_FindsEarlierSightings(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	published := now.Add(-time.Hour)
	src := ioc.Source{Feed: "campaign", ID: "ind-1", Confidence: 90,
		Severity: ioc.SeverityHigh, ValidFrom: published}
	inds := []*ioc.Indicator{
		ioc.NewIndicator(ioc.Domain, "evil.example", src),
		ioc.NewIndicator(ioc.IPv4, "203.0.113.0/25", src),
		ioc.NewIndicator(ioc.Domain, "revoked.example",
			ioc.Source{Feed: "campaign", ID: "ind-2", Revoked: true}),
	}
	day := now.Add(-24 * time.Hour)
	sg := func(ev, typ, value, field string) clickhouse.Sighting {
		return clickhouse.Sighting{EventID: ev, EventTime: day, Format: "suricata",
			Department: "finance", User: "ann", Host: "ws-" + ev,
			Type: typ, Value: value, Field: field}
	}
	store := &fakeStore{
		sightings: []clickhouse.Sighting{
			sg("e1", "domain", "cdn.evil.example", "dns.rrname"),
			sg("e1", "url", "http://cdn.evil.example/x", "http.url"),
			sg("e2", "ipv4", "203.0.113.9", "dest_ip"),
			sg("e2", "ipv4", "203.0.113.200", "src_ip"),
			sg("e3", "domain", "notevil.example", "dns.rrname"),
			sg("e4", "domain", "revoked.example", "dns.rrname"),
			sg("e5", "domain", "evil.example", "tls.sni"),
		},
		known: [][2]string{{"e5", "domain:evil.example"}},
	}
	sink := &captureSink{}
	h := &Hunter{Store: store, Sink: sink, Now: func() time.Time { return now }, BatchSize: 2}
	st, err := h.Hunt(context.Background(), inds, now.Add(-30*24*time.Hour), now)
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{Indicators: 2, Sightings: 7, Confirmed: 4, Verdicts: 2, Known: 1}
	if st != want {
		t.Errorf("stats: got %+v, want %+v", st, want)
	}
	if len(sink.got) != 2 {
		t.Fatalf("verdicts: got %d, want 2: %+v", len(sink.got), sink.got)
	}
	v := sink.got[0]
	if v.EventID != "e1" || v.Indicator.ID != "domain:evil.example" ||
		v.Observable.Field != "dns.rrname" || !slices.Equal(v.OtherFields, []string{"http.url"}) {
		t.Errorf("e1 verdict: got %+v", v)
	}
	if v.Department != "finance" || v.User != "ann" || v.Host != "ws-e1" {
		t.Errorf("e1 verdict subject: got %q %q %q", v.Department, v.User, v.Host)
	}
	if !v.Time.Equal(now) || !v.EventTime.Equal(day) || v.Severity != ioc.SeverityHigh {
		t.Errorf("e1 verdict times or severity: got %v %v %v", v.Time, v.EventTime, v.Severity)
	}
	if v := sink.got[1]; v.EventID != "e2" || v.Indicator.ID != "ipv4:203.0.113.0/25" ||
		v.Observable.Value != "203.0.113.9" {
		t.Errorf("e2 verdict: got %+v", v)
	}
}

func TestHunter_NoActiveIndicatorsQueriesNothing(t *testing.T) {
	h := &Hunter{Store: nil, Sink: &captureSink{}}
	ind := ioc.NewIndicator(ioc.Domain, "gone.example",
		ioc.Source{Feed: "f", ID: "1", ValidUntil: time.Now().Add(-time.Hour)})
	st, err := h.Hunt(context.Background(), []*ioc.Indicator{ind}, time.Time{}, time.Now())
	if err != nil || st != (Stats{}) {
		t.Errorf("got %+v, %v; want zero stats and no error", st, err)
	}
}

type failSink struct{ calls int }

func (f *failSink) Write(context.Context, []verdict.Verdict) error {
	f.calls++
	return context.DeadlineExceeded
}

func (f *failSink) Close() error { return nil }

// A hunt forwards its verdicts, marked retrospective, to the second sink
// (the verdict topic, which enforcement reads) before it stores them; when
// forwarding fails nothing is stored, so the next hunt makes them again.
func TestHunter_ForwardsBeforeStoring(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	src := ioc.Source{Feed: "c2", ID: "ind-1", Confidence: 90, Severity: ioc.SeverityHigh,
		ValidFrom: now.Add(-time.Hour)}
	inds := []*ioc.Indicator{ioc.NewIndicator(ioc.IPv4, "198.51.100.5", src)}
	store := &fakeStore{sightings: []clickhouse.Sighting{{EventID: "e1",
		EventTime: now.Add(-24 * time.Hour), Type: "ipv4", Value: "198.51.100.5",
		Field: "dest_ip", Host: "ws-1"}}}
	from := now.Add(-30 * 24 * time.Hour)

	stored, forwarded := &captureSink{}, &captureSink{}
	clock := func() time.Time { return now }
	h := &Hunter{Store: store, Sink: stored, Forward: forwarded, Now: clock}
	if _, err := h.Hunt(context.Background(), inds, from, now); err != nil {
		t.Fatal(err)
	}
	if len(forwarded.got) != 1 || !forwarded.got[0].Retrospective ||
		forwarded.got[0].Host != "ws-1" || len(stored.got) != 1 {
		t.Errorf("forwarded %+v, stored %d; want one retrospective verdict on ws-1 in each",
			forwarded.got, len(stored.got))
	}

	stored = &captureSink{}
	fail := &failSink{}
	h = &Hunter{Store: store, Sink: stored, Forward: fail, Now: clock}
	if _, err := h.Hunt(context.Background(), inds, from, now); err == nil {
		t.Error("hunt with a failing forward sink: no error")
	}
	if fail.calls != 1 || len(stored.got) != 0 {
		t.Errorf("forward calls %d, stored %d; want 1 and nothing stored", fail.calls,
			len(stored.got))
	}
}
