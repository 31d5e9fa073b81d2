//go:build integration

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/iocflow/iocflow/pipeline/kafka/kafkatest"
)

// TestProduce_SendsEveryLine sends an event file through `iocflow produce`
// and reads the topic back: every non-blank line is one record, in order
// within the topic's single partition.
func TestProduce_SendsEveryLine(t *testing.T) {
	addr := kafkatest.Broker(t)
	topic := kafkatest.Name("produce")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := kafkatest.CreateTopics(ctx, addr,
		kafkatest.Topic{Name: topic, Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "events.json")
	want := []string{`{"event_type":"flow","dest_ip":"198.18.0.1"}`,
		`{"event_type":"flow","dest_ip":"198.18.0.2"}`}
	os.WriteFile(file, []byte(want[0]+"\n\n"+want[1]+"\n"), 0o644)
	out, code := runText(t, "produce", "--brokers", addr, "--topic", topic, file)
	if code != exitOK || !strings.Contains(out, "sent 2 records") {
		t.Fatalf("produce: exit %d, %q", code, out)
	}
	r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: []string{addr}, Topic: topic,
		Partition: 0, MinBytes: 1, MaxBytes: 1 << 20})
	defer r.Close()
	for i, w := range want {
		m, err := r.ReadMessage(ctx)
		if err != nil || string(m.Value) != w {
			t.Fatalf("record %d = %q, %v; want %q", i, m.Value, err, w)
		}
	}
}
