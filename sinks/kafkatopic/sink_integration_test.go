//go:build integration

package kafkatopic

import (
	"context"
	"strconv"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/iocflow/iocflow/pipeline/kafka/kafkatest"
	"github.com/iocflow/iocflow/sinks/verdict"
)

// newTestSink creates a verdict topic of partitions on the test broker
// (deploy/kafka.sh start, or $IOCFLOW_KAFKA) and a sink writing to it.
func newTestSink(tb testing.TB, partitions int) (*Sink, string, string) {
	tb.Helper()
	addr := kafkatest.Broker(tb)
	topic := kafkatest.Name("verdicts")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := kafkatest.CreateTopics(ctx, addr,
		kafkatest.Topic{Name: topic, Partitions: partitions}); err != nil {
		tb.Fatal(err)
	}
	cfg := Config{Topic: topic}
	cfg.Defaults([]string{addr})
	if err := cfg.Validate(); err != nil {
		tb.Fatal(err)
	}
	s := New(cfg, "iocflow-test")
	tb.Cleanup(func() { s.Close() })
	return s, addr, topic
}

func numbered(n, from int) []verdict.Verdict {
	base := sampleVerdicts()[0]
	out := make([]verdict.Verdict, n)
	for i := range out {
		out[i] = base
		out[i].EventID = "ev-" + strconv.Itoa(from+i)
	}
	return out
}

// TestSink_WriteReturnsWhenStored: once Write returns, every verdict it
// was given is in the topic, keyed by its event id, whatever the size of
// the write and of the batch room sized to it.
func TestSink_WriteReturnsWhenStored(t *testing.T) {
	s, addr, topic := newTestSink(t, 4)
	ctx := context.Background()
	total := 0
	for _, n := range []int{1, 7, 250, 2500} {
		if err := s.Write(ctx, numbered(n, total)); err != nil {
			t.Fatalf("write %d: %v", n, err)
		}
		total += n
	}
	c := kafkatest.Collect(addr, topic, 4)
	defer c.Close()
	ok := c.WaitFor(30*time.Second, func(m []kafkago.Message) bool { return len(m) >= total })
	msgs := c.Messages()
	if !ok {
		t.Fatalf("read %d of %d verdicts", len(msgs), total)
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		seen[string(m.Key)] = true
	}
	for i := range total {
		if !seen["ev-"+strconv.Itoa(i)] {
			t.Fatalf("verdict ev-%d missing", i)
		}
	}
}

// BenchmarkSink_Write times one Write of the verdicts a flush of the
// emitter carries in the benchmark's mix (about 10 per batch of 500
// records, a few batches per flush) and of a large flush, with kafka-go's
// batch timeout as the sink sets it and as it was (2ms). B/op shows the
// batch room sized to the write: it was 1.3 MB per write of 40.
func BenchmarkSink_Write(b *testing.B) {
	for _, timeout := range []time.Duration{batchTimeout, 2 * time.Millisecond} {
		for _, n := range []int{40, 1000} {
			b.Run("timeout="+timeout.String()+"/verdicts="+strconv.Itoa(n), func(b *testing.B) {
				s, _, _ := newTestSink(b, 8)
				s.w.BatchTimeout = timeout
				vs := numbered(n, 0)
				ctx := context.Background()
				b.ReportAllocs()
				for b.Loop() {
					if err := s.Write(ctx, vs); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "verdicts/s")
			})
		}
	}
}
