//go:build integration

package kafka

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/internal/config"
	"github.com/iocflow/iocflow/matcher"
	"github.com/iocflow/iocflow/pipeline"
	"github.com/iocflow/iocflow/pipeline/decode"
	"github.com/iocflow/iocflow/pipeline/decode/suricata"
	"github.com/iocflow/iocflow/pipeline/event"
	"github.com/iocflow/iocflow/pipeline/kafka/kafkatest"
	"github.com/iocflow/iocflow/sinks/verdict"
)

// setup creates the topics of one test and returns its config.
func setup(t *testing.T, inputPartitions int) Config {
	t.Helper()
	addr := kafkatest.Broker(t)
	cfg := Config{
		Brokers: []string{addr}, Group: kafkatest.Name("group"),
		Inputs:          []Input{{Topic: kafkatest.Name("alerts"), Format: suricata.FormatName}},
		DeadLetterTopic: kafkatest.Name("dead"), IndicatorTopic: kafkatest.Name("indicators"),
		SessionTimeout: config.Duration(6 * time.Second),
		CommitInterval: config.Duration(200 * time.Millisecond),
	}
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := kafkatest.CreateTopics(ctx, addr,
		kafkatest.Topic{Name: cfg.Inputs[0].Topic, Partitions: inputPartitions},
		kafkatest.Topic{Name: cfg.DeadLetterTopic, Partitions: 1},
		kafkatest.Topic{Name: cfg.IndicatorTopic, Partitions: 2, Compacted: true})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func publish(t *testing.T, cfg Config, changes ...feeds.Change) {
	t.Helper()
	p := NewPublisher(cfg)
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := p.Publish(ctx, changes); err != nil {
		t.Fatal(err)
	}
}

func added(t ioc.Type, v string) feeds.Change {
	in := ioc.NewIndicator(t, v, ioc.Source{Feed: "test", ID: v, Confidence: 70})
	return feeds.Change{Op: feeds.Added, ID: in.ID, Indicator: in}
}

// eveRecord returns a distinct EVE alert whose destination is ip.
func eveRecord(i int, ip string) []byte {
	return fmt.Appendf(nil, `{"timestamp":"2026-11-20T09:14:%02d.%06d+0000","flow_id":%d,`+
		`"event_type":"alert","src_ip":"10.0.0.5","dest_ip":%q,"proto":"TCP"}`,
		i%60, i, 1000+i, ip)
}

// idSink keeps the event ids of the verdicts it takes.
type idSink struct {
	mu  sync.Mutex
	ids map[string]int
}

func (s *idSink) Write(_ context.Context, b []verdict.Verdict) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range b {
		s.ids[v.EventID]++
	}
	return nil
}

func (s *idSink) Close() error { return nil }

func (s *idSink) has(ids []string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if s.ids[id] == 0 {
			return false
		}
	}
	return true
}

func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A record that is not EVE must land in the dead-letter topic with its
// reason and origin, while its neighbours get their verdicts and the
// offsets past all of them are committed.
func TestConsumer_PoisonMessageGoesToDeadLettersAndStreamGoesOn(t *testing.T) {
	cfg := setup(t, 3)
	const badIP = "203.0.113.77"
	publish(t, cfg, added(ioc.IPv4, badIP))
	addr := cfg.Brokers[0]
	topic := cfg.Inputs[0].Topic

	var msgs []kafkago.Message
	var want []string
	for i := range 60 {
		rec := eveRecord(i, badIP)
		want = append(want, event.HashID(rec))
		msgs = append(msgs, kafkago.Message{Key: []byte(strconv.Itoa(i)), Value: rec})
		if i == 30 {
			msgs = append(msgs, kafkago.Message{Key: []byte("poison"),
				Value: []byte(`{"event_type": "alert", "dest_ip": `)})
		}
	}
	w := kafkatest.Writer(addr, topic)
	if err := w.WriteMessages(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
	w.Close()

	var engine matcher.Engine
	sink := &idSink{ids: map[string]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	inds := NewIndicators(cfg, &engine, nil, nil)
	go inds.Run(ctx)
	<-inds.Ready()
	dead := NewDeadLetters(cfg)
	defer dead.Close()
	c := NewConsumer(ConsumerConfig{Kafka: cfg, Pipeline: testPipeline(),
		Decoders: map[string]decode.Decoder{topic: suricata.Decoder{}}, Engine: &engine,
		Outputs: []pipeline.Output{{Name: "ids", Sink: sink}}, DeadLetters: dead})
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()

	dl := kafkatest.Collect(addr, cfg.DeadLetterTopic, 1)
	defer dl.Close()
	waitUntil(t, 30*time.Second, "verdicts of every good record",
		func() bool { return sink.has(want) })
	if !dl.WaitFor(10*time.Second, func(m []kafkago.Message) bool { return len(m) >= 1 }) {
		t.Fatal("no dead letter within 10s")
	}
	d := dl.Messages()[0]
	headers := map[string]string{}
	for _, h := range d.Headers {
		headers[h.Key] = string(h.Value)
	}
	if string(d.Key) != "poison" || headers[HeaderSourceTopic] != topic ||
		headers[HeaderSourceOffset] == "" || headers[HeaderSourcePartition] == "" ||
		headers[HeaderFormat] != "suricata" || headers[HeaderReason] == "" {
		t.Errorf("dead letter key %q headers %v", d.Key, headers)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := committedTotal(t, cfg); got != int64(len(msgs)) {
		t.Errorf("committed offsets add up to %d, want every record (%d)", got, len(msgs))
	}
}

func testPipeline() pipeline.Config {
	p := pipeline.Config{Lanes: 2, BatchRecords: 16,
		ShutdownTimeout: config.Duration(10 * time.Second)}
	p.Defaults()
	return p
}

// committedTotal adds up the group's committed offsets of the input topic.
func committedTotal(t *testing.T, cfg Config) int64 {
	t.Helper()
	c := &kafkago.Client{Addr: kafkago.TCP(cfg.Brokers...), Timeout: 10 * time.Second}
	res, err := c.OffsetFetch(context.Background(), &kafkago.OffsetFetchRequest{
		GroupID: cfg.Group, Topics: map[string][]int{cfg.Inputs[0].Topic: {0, 1, 2}}})
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, p := range res.Topics[cfg.Inputs[0].Topic] {
		if p.CommittedOffset > 0 {
			sum += p.CommittedOffset
		}
	}
	return sum
}

// Indicators already on the topic are in the first snapshot; one
// published while the loader runs is matched within a second; a
// tombstone removes one.
func TestIndicators_FollowTheTopic(t *testing.T) {
	cfg := setup(t, 1)
	publish(t, cfg, added(ioc.IPv4, "192.0.2.1"), added(ioc.Domain, "evil.example"))
	var engine matcher.Engine
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	inds := NewIndicators(cfg, &engine, nil, nil)
	go inds.Run(ctx)
	select {
	case <-inds.Ready():
	case <-time.After(20 * time.Second):
		t.Fatal("indicators not ready within 20s")
	}
	finds := func(typ ioc.Type, v string) bool {
		return len(engine.Load().Lookup(typ, v, nil)) > 0
	}
	if !finds(ioc.IPv4, "192.0.2.1") || !finds(ioc.Domain, "a.evil.example") {
		t.Fatal("first snapshot lacks the indicators published before start")
	}

	start := time.Now()
	publish(t, cfg, added(ioc.SHA256,
		"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"))
	waitUntil(t, 5*time.Second, "uploaded indicator in the matcher", func() bool {
		return finds(ioc.SHA256, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
	})
	if took := time.Since(start); took > time.Second {
		t.Errorf("upload reached the matcher in %v, want within 1s", took)
	} else {
		t.Logf("upload reached the matcher in %v", took)
	}

	publish(t, cfg, feeds.Change{Op: feeds.Removed, ID: ioc.MakeID(ioc.IPv4, "192.0.2.1")})
	waitUntil(t, 5*time.Second, "tombstoned indicator gone", func() bool {
		return !finds(ioc.IPv4, "192.0.2.1")
	})
	if v := engine.Load().Version(); v < 3 {
		t.Errorf("snapshot version %d after two deltas, want at least 3", v)
	}
	all, err := ReadAll(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := all.Get(ioc.MakeID(ioc.IPv4, "192.0.2.1")); all.Len() != 2 || ok {
		t.Errorf("ReadAll = %d indicators, want the 2 left after the tombstone", all.Len())
	}
}
