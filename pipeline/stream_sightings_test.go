package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/iocflow/iocflow/pipeline/enrich"
)

// sightingSink records sightings; fail makes the next writes fail.
type sightingSink struct {
	mu   sync.Mutex
	got  []Sighting
	fail int
}

func (s *sightingSink) WriteSightings(_ context.Context, batch []Sighting) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail > 0 {
		s.fail--
		return errors.New("store down")
	}
	s.got = append(s.got, batch...)
	return nil
}

func testEnricher(t *testing.T) *enrich.Enricher {
	t.Helper()
	path := filepath.Join(t.TempDir(), "directory.csv")
	dir := "user,department,groups,vip,hosts,ips\nalice,finance,payments,true,ws1,10.0.0.5\n"
	if err := os.WriteFile(path, []byte(dir), 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := enrich.New(enrich.Config{}, enrich.FileSource{Path: path}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Every decoded event's observables reach the sighting sink, enriched,
// and offsets wait until the sink has taken them (it fails twice first).
func TestStream_SightingsEnrichedAndWrittenBeforeOffsets(t *testing.T) {
	t.Parallel()
	sink := &streamSink{}
	sights := &sightingSink{fail: 2}
	offs := NewOffsets()
	s := StartStream(context.Background(), StreamConfig{
		Config: Config{Lanes: 1, QueueBatches: 1, FlushVerdicts: 10,
			Enrich: testEnricher(t), Sightings: sights},
		Engine:  testEngine(),
		Outputs: []Output{{Name: "mem", Sink: sink}}, DeadLetters: sink,
		Offsets: offs, Metrics: NewMetrics(nil),
	})
	src := NewSource("alerts", 0, lineDecoder{}, nil)
	s.Lane() <- testBatch(src, 0, "e1 10.0.0.5", "garbage", "e2 "+badIP)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if len(sights.got) != 2 {
		t.Fatalf("sightings %+v, want one for each of the 2 decoded events", sights.got)
	}
	got := sights.got[0]
	want := Sighting{EventID: "e1", Department: "finance", User: "alice", Host: "ws1",
		Format: "line", Type: "ipv4", Value: "10.0.0.5", Field: "ip"}
	if got != want {
		t.Errorf("sighting of e1 = %+v, want %+v", got, want)
	}
	if v := sink.verdicts(); len(v) != 1 || v[0].EventID != "e2" {
		t.Errorf("verdicts %+v, want one for e2", v)
	}
	if next := offs.Pending()["alerts"][0]; next != 3 {
		t.Errorf("offset %d, want 3", next)
	}
}

// Without a sighting sink, batches carry no sightings.
func TestStream_NoSightingsWithoutSink(t *testing.T) {
	t.Parallel()
	l := &lane{cfg: &StreamConfig{Engine: testEngine(), Now: time.Now}}
	src := NewSource("alerts", 0, lineDecoder{}, nil)
	b := testBatch(src, 0, "e1 "+badIP)
	l.process(b)
	if len(b.Sightings) != 0 || len(b.Verdicts) != 1 {
		t.Errorf("%d sightings and %d verdicts, want 0 and 1", len(b.Sightings),
			len(b.Verdicts))
	}
	PutBatch(b)
}
