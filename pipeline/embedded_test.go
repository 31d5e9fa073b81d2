package pipeline

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/matcher"
	"github.com/iocflow/iocflow/pipeline/decode/jsonmap"
	"github.com/iocflow/iocflow/pipeline/decode/suricata"
	"github.com/iocflow/iocflow/sinks/verdict"
)

// memSink keeps what it is given; failAfter > 0 makes the call after that
// many batches fail.
type memSink struct {
	batches   [][]verdict.Verdict
	failAfter int
}

func (m *memSink) Write(_ context.Context, b []verdict.Verdict) error {
	if m.failAfter > 0 && len(m.batches) == m.failAfter {
		return errors.New("disk full")
	}
	m.batches = append(m.batches, append([]verdict.Verdict(nil), b...))
	return nil
}

func (m *memSink) Close() error { return nil }

func (m *memSink) all() []verdict.Verdict {
	var out []verdict.Verdict
	for _, b := range m.batches {
		out = append(out, b...)
	}
	return out
}

func engineOf(t *testing.T, inds ...*ioc.Indicator) *matcher.Engine {
	t.Helper()
	var e matcher.Engine
	e.Store(matcher.Build(7, inds))
	return &e
}

func indicator(t *testing.T, typ ioc.Type, v string, src ioc.Source) *ioc.Indicator {
	t.Helper()
	src.Feed = "test"
	if src.ID == "" {
		src.ID = "id-" + v
	}
	return ioc.NewIndicator(typ, v, src)
}

func newRunner(e *matcher.Engine, s *memSink) *Embedded {
	return &Embedded{
		Decoder: AutoDecoder{EVE: suricata.Decoder{}, Generic: jsonmap.New(jsonmap.DefaultMapping())},
		Engine:  e, Sink: s, BatchSize: 2,
		Now: func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) },
	}
}

func TestEmbedded_VerdictPerEventAndIndicator(t *testing.T) {
	e := engineOf(t,
		indicator(t, ioc.IPv4, "198.51.100.0/24", ioc.Source{Confidence: 60, Severity: ioc.SeverityLow}),
		indicator(t, ioc.IPv4, "198.51.100.7", ioc.Source{Confidence: 90, Severity: ioc.SeverityHigh}),
		indicator(t, ioc.Domain, "evil.example", ioc.Source{Confidence: 50}),
	)
	in := strings.Join([]string{
		// The address is in the event twice (flow and http host) and hits
		// two indicators: two verdicts, not four.
		`{"event_type":"http","src_ip":"10.0.0.1","dest_ip":"198.51.100.7",` +
			`"http":{"hostname":"198.51.100.7","url":"/x"}}`,
		`{"event":{"id":"e2"},"dns":{"question":{"name":"WWW.Evil.Example."}}}`,
		`{"event":{"id":"e3"},"destination":{"ip":"192.0.2.1"}}`,
	}, "\n")
	sink := &memSink{}
	stats, err := newRunner(e, sink).Run(context.Background(), []Input{{"in", strings.NewReader(in)}})
	if err != nil {
		t.Fatal(err)
	}
	got := sink.all()
	if stats.Read != 3 || stats.Decoded != 3 || stats.Verdicts != 3 || len(got) != 3 {
		t.Fatalf("stats %+v with %d verdicts, want 3 read, decoded and verdicts", stats, len(got))
	}
	want := []struct{ origin, ind, field string }{
		{"in:1", "ipv4:198.51.100.7", "dest_ip"},
		{"in:1", "ipv4:198.51.100.0/24", "dest_ip"},
		{"in:2", "domain:evil.example", "dns.question.name"},
	}
	for i, w := range want {
		v := got[i]
		if v.Origin != w.origin || v.Indicator.ID != w.ind || v.Observable.Field != w.field ||
			v.MatcherVersion != 7 {
			t.Errorf("verdict %d = %s %s %s v%d, want %+v", i, v.Origin, v.Indicator.ID,
				v.Observable.Field, v.MatcherVersion, w)
		}
	}
	if f := got[0].OtherFields; len(f) != 2 || f[0] != "http.hostname" || f[1] != "http.url" {
		t.Errorf("other fields = %v, want http.hostname and http.url", f)
	}
	if got[2].EventID != "e2" || got[0].Confidence != 90 || got[0].Severity != ioc.SeverityHigh {
		t.Errorf("verdicts carry wrong id or assessment: %+v", got)
	}
}

func TestEmbedded_ValidityAtEventTime(t *testing.T) {
	from := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	e := engineOf(t,
		indicator(t, ioc.IPv4, "198.51.100.7", ioc.Source{ValidFrom: from, ValidUntil: from.AddDate(1, 0, 0)}),
		indicator(t, ioc.IPv4, "198.51.100.8", ioc.Source{Revoked: true}),
	)
	in := strings.Join([]string{
		`{"timestamp":"2019-06-01T00:00:00+0000","event_type":"flow","dest_ip":"198.51.100.7"}`,
		`{"timestamp":"2020-06-01T00:00:00+0000","event_type":"flow","dest_ip":"198.51.100.7"}`,
		`{"timestamp":"2021-06-01T00:00:00+0000","event_type":"flow","dest_ip":"198.51.100.7"}`,
		`{"timestamp":"2020-06-01T00:00:00+0000","event_type":"flow","dest_ip":"198.51.100.8"}`,
	}, "\n")
	sink := &memSink{}
	if _, err := newRunner(e, sink).Run(context.Background(), []Input{{"in", strings.NewReader(in)}}); err != nil {
		t.Fatal(err)
	}
	got := sink.all()
	if len(got) != 1 || got[0].Origin != "in:2" {
		t.Errorf("verdicts = %+v, want only the event inside the validity window (in:2)", got)
	}
}

func TestEmbedded_MalformedRecordsSkipped(t *testing.T) {
	e := engineOf(t, indicator(t, ioc.IPv4, "198.51.100.7", ioc.Source{}))
	in := "{\"event_type\":\"flow\",\"dest_ip\":\"198.51.100.7\"}\n{broken\n\n[1,2]\n" +
		"{\"event_type\":\"flow\",\"timestamp\":\"yesterday\"}\n" +
		"{\"event_type\":\"flow\",\"dest_ip\":\"198.51.100.7\",\"src_ip\":\"x.x.1.1\"}\n"
	sink := &memSink{}
	stats, err := newRunner(e, sink).Run(context.Background(), []Input{{"in", strings.NewReader(in)}})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Read != 5 || stats.Malformed != 3 || stats.Decoded != 2 || stats.Verdicts != 2 ||
		stats.SkippedValues != 1 {
		t.Errorf("stats = %+v, want 5 read, 3 malformed, 2 decoded, 2 verdicts, 1 skipped", stats)
	}
}

func TestEmbedded_SinkFailureStopsRun(t *testing.T) {
	e := engineOf(t, indicator(t, ioc.IPv4, "198.51.100.7", ioc.Source{}))
	line := "{\"event_type\":\"flow\",\"dest_ip\":\"198.51.100.7\"}\n"
	sink := &memSink{failAfter: 1}
	_, err := newRunner(e, sink).Run(context.Background(),
		[]Input{{"in", strings.NewReader(strings.Repeat(line, 6))}})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Run error = %v, want the sink's failure", err)
	}
}

// endless is an input that never ends and never has a newline, like
// /dev/zero; it ends ctx after cancelAfter reads.
type endless struct {
	reads, cancelAfter int
	cancel             context.CancelFunc
}

func (e *endless) Read(p []byte) (int, error) {
	if e.reads++; e.reads == e.cancelAfter {
		e.cancel()
	}
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

func TestEmbedded_StopsInsideEndlessRecord(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in := &endless{cancelAfter: 50, cancel: cancel}
	r := newRunner(engineOf(t), &memSink{})
	r.MaxLine = 1 << 10
	_, err := r.Run(ctx, []Input{{Name: "zero", R: in}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run over an endless record = %v, want context.Canceled", err)
	}
	if in.reads > in.cancelAfter+1 {
		t.Errorf("read %d times after ctx ended at read %d", in.reads, in.cancelAfter)
	}
}

func TestEmbedded_ByteOrderMarkAtStart(t *testing.T) {
	e := engineOf(t, indicator(t, ioc.IPv4, "198.51.100.7", ioc.Source{Confidence: 90}))
	in := "\xef\xbb\xbf" + `{"event":{"id":"e1"},"destination":{"ip":"198.51.100.7"}}` + "\r\n" +
		"\xef\xbb\xbf" + `{"event":{"id":"e2"},"destination":{"ip":"198.51.100.7"}}` + "\n"
	sink := &memSink{}
	r := newRunner(e, sink)
	stats, err := r.Run(context.Background(), []Input{{Name: "bom.json", R: strings.NewReader(in)}})
	if err != nil {
		t.Fatal(err)
	}
	// Only a mark at the start of the file is one; the second is bad data.
	if stats.Decoded != 1 || stats.Malformed != 1 || len(sink.all()) != 1 {
		t.Errorf("decoded %d, malformed %d, verdicts %d; want 1, 1, 1",
			stats.Decoded, stats.Malformed, len(sink.all()))
	}
}
