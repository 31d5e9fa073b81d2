package pipeline

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/matcher"
	"github.com/iocflow/iocflow/pipeline/decode"
	"github.com/iocflow/iocflow/pipeline/event"
	"github.com/iocflow/iocflow/sinks/verdict"
)

// lineDecoder reads records of the form "<id> <ip>"; "panic" panics and
// anything else is not of the format.
type lineDecoder struct{}

func (lineDecoder) Format() string { return "line" }

func (lineDecoder) Decode(data []byte, ev *event.Event) error {
	s := string(data)
	if s == "panic" {
		panic("hostile input")
	}
	id, ip, ok := strings.Cut(s, " ")
	if !ok {
		return &decode.Error{Format: "line", Reason: "no space"}
	}
	ev.ID, ev.Format = id, "line"
	return ev.AddIP(ip, "ip")
}

// streamSink records what it was given; fail makes the next writes fail, and
// gate, when set, blocks every write until it is closed.
type streamSink struct {
	mu    sync.Mutex
	got   []verdict.Verdict
	dead  []DeadLetter
	fail  int
	calls int
	gate  chan struct{}
}

func (m *streamSink) Write(ctx context.Context, batch []verdict.Verdict) error {
	if m.gate != nil {
		select {
		case <-m.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.fail > 0 {
		m.fail--
		return errors.New("sink down")
	}
	m.got = append(m.got, batch...)
	return nil
}

func (m *streamSink) Close() error { return nil }

func (m *streamSink) WriteDeadLetters(_ context.Context, batch []DeadLetter) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dead = append(m.dead, batch...)
	return nil
}

func (m *streamSink) verdicts() []verdict.Verdict {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.got)
}

const badIP = "198.51.100.23"

func testEngine() *matcher.Engine {
	in := ioc.NewIndicator(ioc.IPv4, badIP, ioc.Source{Feed: "test", ID: "1", Confidence: 80})
	var e matcher.Engine
	e.Store(matcher.Build(7, []*ioc.Indicator{in}))
	return &e
}

func testBatch(src *Source, first int64, values ...string) *Batch {
	b := GetBatch()
	b.Source = src
	b.Fetched = time.Now()
	for i, v := range values {
		b.Records = append(b.Records, Record{Offset: first + int64(i), Value: []byte(v)})
	}
	return b
}

func newTestStream(t *testing.T, ctx context.Context, sink *streamSink) (*Stream, *Offsets) {
	t.Helper()
	offs := NewOffsets()
	s := StartStream(ctx, StreamConfig{
		Config:  Config{Lanes: 2, QueueBatches: 1, FlushVerdicts: 10},
		Engine:  testEngine(),
		Outputs: []Output{{Name: "mem", Sink: sink}}, DeadLetters: sink,
		Offsets: offs, Metrics: NewMetrics(nil),
	})
	return s, offs
}

func TestStream_WritesVerdictsDeadLettersAndOffsets(t *testing.T) {
	t.Parallel()
	sink := &streamSink{}
	s, offs := newTestStream(t, context.Background(), sink)
	a := NewSource("alerts", 0, lineDecoder{}, nil)
	b := NewSource("alerts", 1, lineDecoder{}, nil)
	la, lb := s.Lane(), s.Lane()
	la <- testBatch(a, 10, "e1 "+badIP, "e2 192.0.2.1", "garbage")
	lb <- testBatch(b, 0, "panic", "e3 "+badIP)
	la <- testBatch(a, 13, "e4 "+badIP)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	var ids []string
	for _, v := range sink.verdicts() {
		ids = append(ids, v.EventID+"@"+v.Origin)
		if v.MatcherVersion != 7 || v.Indicator.Value != badIP {
			t.Errorf("verdict %+v: want matcher version 7 and indicator %s", v, badIP)
		}
	}
	slices.Sort(ids)
	want := []string{"e1@alerts/0@10", "e3@alerts/1@1", "e4@alerts/0@13"}
	if !slices.Equal(ids, want) {
		t.Errorf("verdicts %v, want %v", ids, want)
	}
	var dead []string
	for _, d := range sink.dead {
		dead = append(dead, d.Source.Origin(d.Record.Offset)+" "+d.Reason)
	}
	slices.Sort(dead)
	if len(dead) != 2 || !strings.HasPrefix(dead[0], "alerts/0@12 not a line record") ||
		!strings.HasPrefix(dead[1], "alerts/1@0 decoder line panicked: hostile input") {
		t.Errorf("dead letters %q", dead)
	}
	got := offs.Pending()
	if got["alerts"][0] != 14 || got["alerts"][1] != 2 {
		t.Errorf("pending offsets %v, want alerts/0 at 14 and alerts/1 at 2", got)
	}
}

func TestStream_RetriesAFailingSinkWithoutLoss(t *testing.T) {
	t.Parallel()
	sink := &streamSink{fail: 2}
	s, offs := newTestStream(t, context.Background(), sink)
	src := NewSource("alerts", 0, lineDecoder{}, nil)
	s.Lane() <- testBatch(src, 0, "e1 "+badIP, "e2 "+badIP)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := len(sink.verdicts()); got != 2 || sink.calls != 3 {
		t.Errorf("%d verdicts after %d calls, want 2 after 3", got, sink.calls)
	}
	if next := offs.Pending()["alerts"][0]; next != 2 {
		t.Errorf("offset %d, want 2", next)
	}
}

// A sink that does not answer must stop intake after a bounded number of
// batches, report no offset, and lose nothing once it answers again.
func TestStream_SlowSinkBlocksIntakeWithBoundedQueues(t *testing.T) {
	t.Parallel()
	sink := &streamSink{gate: make(chan struct{})}
	s, offs := newTestStream(t, context.Background(), sink)
	src := NewSource("alerts", 0, lineDecoder{}, nil)
	lane := s.Lane()
	sent := 0
	deadline := time.Now().Add(5 * time.Second)
	for blocked := false; !blocked; {
		b := testBatch(src, int64(sent), "e"+string(rune('a'+sent%26))+" "+badIP)
		select {
		case lane <- b:
			sent++
		case <-time.After(50 * time.Millisecond):
			PutBatch(b)
			blocked = true
		}
		if time.Now().After(deadline) || sent > 100 {
			t.Fatalf("intake not blocked after %d batches", sent)
		}
	}
	// Lane queue 1 + batch in the lane + emit queue 1 + what the emitter
	// gathers for one write (flush_verdicts 10, one verdict per batch).
	if sent > 13 {
		t.Errorf("%d batches taken with a stalled sink, want at most 13", sent)
	}
	if p := offs.Pending(); p != nil {
		t.Errorf("offsets %v reported before the sink took anything", p)
	}
	close(sink.gate)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := len(sink.verdicts()); got != sent {
		t.Errorf("%d verdicts written, want %d", got, sent)
	}
	if next := offs.Pending()["alerts"][0]; next != int64(sent) {
		t.Errorf("offset %d, want %d", next, sent)
	}
}

func TestStream_StopAbandonsUnwrittenBatches(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	sink := &streamSink{fail: 1 << 30}
	s, offs := newTestStream(t, ctx, sink)
	src := NewSource("alerts", 0, lineDecoder{}, nil)
	s.Lane() <- testBatch(src, 0, "e1 "+badIP)
	cancel()
	if err := s.Close(); !errors.Is(err, ErrAbandoned) {
		t.Errorf("Close: %v, want ErrAbandoned", err)
	}
	if p := offs.Pending(); p != nil {
		t.Errorf("offsets %v reported for an unwritten batch", p)
	}
}

func TestLane_ProcessAllocatesNothingForUnmatchedRecords(t *testing.T) {
	cfg := &StreamConfig{Engine: testEngine(), Now: time.Now}
	l := &lane{cfg: cfg, reports: newLimiter(time.Second)}
	src := NewSource("alerts", 0, ipOnlyDecoder{}, nil)
	b := testBatch(src, 0, "192.0.2.1", "192.0.2.2", "192.0.2.3")
	l.process(b) // warm the scratch space
	allocs := testing.AllocsPerRun(100, func() {
		b.Verdicts, b.Dead = b.Verdicts[:0], b.Dead[:0]
		l.process(b)
	})
	if allocs != 0 {
		t.Errorf("process allocates %.1f times per batch, want 0", allocs)
	}
}

// ipOnlyDecoder adds the record as an address without allocating, to
// measure the lane alone.
type ipOnlyDecoder struct{}

func (ipOnlyDecoder) Format() string { return "ip" }

func (ipOnlyDecoder) Decode(data []byte, ev *event.Event) error {
	ev.ID = "fixed"
	ev.AddCanonical(ioc.IPv4, "192.0.2.1", "ip")
	return nil
}
