package pipeline

import (
	"bufio"
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/matcher"
	"github.com/iocflow/iocflow/pipeline/decode/suricata"
	"github.com/iocflow/iocflow/pipeline/event"
)

// eveSamples returns the EVE records of examples/events that decode (the
// file ends with a truncated one on purpose); they follow real Suricata
// output (alert, dns, http, fileinfo, tls, flow).
func eveSamples(b *testing.B) [][]byte {
	b.Helper()
	f, err := os.Open("../examples/events/suricata-eve.json")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev event.Event
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) > 0 && (suricata.Decoder{}).Decode(line, &ev) == nil {
			out = append(out, bytes.Clone(line))
		}
	}
	return out
}

// BenchmarkLane measures the lane stage alone, on one core: decode,
// normalise and match a batch of 500 EVE records against 100,000
// indicators, gathering the verdicts into the batch.
func BenchmarkLane(b *testing.B) {
	samples := eveSamples(b)
	inds := make([]*ioc.Indicator, 0, 100000)
	for i := range 100000 {
		inds = append(inds, ioc.NewIndicator(ioc.IPv4,
			fmt.Sprintf("198.18.%d.%d", i/250%256, i%250+1), ioc.Source{Feed: "b", ID: "x"}))
	}
	// One sample destination in the set, so that some records match.
	inds = append(inds, ioc.NewIndicator(ioc.IPv4, "198.51.100.23",
		ioc.Source{Feed: "b", ID: "y", Confidence: 80}))
	var engine matcher.Engine
	engine.Store(matcher.Build(1, inds))
	cfg := &StreamConfig{Engine: &engine, Now: time.Now, Logger: slog.New(slog.DiscardHandler)}
	l := &lane{cfg: cfg, reports: newLimiter(time.Hour)}
	src := NewSource("alerts", 0, suricata.Decoder{}, nil)
	batch := GetBatch()
	batch.Source = src
	size := 0
	for i := range 500 {
		rec := samples[i%len(samples)]
		size += len(rec)
		batch.Records = append(batch.Records, Record{Offset: int64(i), Value: rec})
	}
	b.Run("format=suricata", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(size))
		for b.Loop() {
			clear(batch.Verdicts)
			batch.Verdicts, batch.Dead = batch.Verdicts[:0], batch.Dead[:0]
			l.process(batch)
		}
		b.ReportMetric(float64(b.N)*500/b.Elapsed().Seconds(), "events/s")
		b.ReportMetric(float64(len(batch.Verdicts)), "verdicts/batch")
		if len(batch.Dead) > 0 {
			b.Fatalf("%d sample records did not decode: %s", len(batch.Dead), batch.Dead[0].Reason)
		}
	})
}
