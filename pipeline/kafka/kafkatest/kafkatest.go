// Package kafkatest helps integration tests and benchmarks use the broker
// that deploy/kafka.sh started: it finds the broker's address, creates
// uniquely named topics, produces records and reads topics back. It never
// starts a broker itself and never looks anywhere but loopback: the
// address comes from $IOCFLOW_KAFKA or from deploy/.run/kafka/address.
package kafkatest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// Broker returns the address of the test broker, or fails the test with
// how to start one.
func Broker(tb testing.TB) string {
	tb.Helper()
	addr, err := Address()
	if err != nil {
		tb.Fatalf("no Kafka broker: %v (start one with deploy/kafka.sh start)", err)
	}
	return addr
}

// Address finds the test broker's address.
func Address() (string, error) {
	if a := os.Getenv("IOCFLOW_KAFKA"); a != "" {
		return a, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "deploy", ".run", "kafka", "address"))
		if err == nil {
			return strings.TrimSpace(string(b)), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("neither $IOCFLOW_KAFKA nor deploy/.run/kafka/address is set")
		}
		dir = parent
	}
}

// Name returns prefix with a random suffix, for topics and groups that no
// other test run shares.
func Name(prefix string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// Topic describes a topic to create.
type Topic struct {
	Name       string
	Partitions int
	Compacted  bool
}

// CreateTopics creates the topics and waits until each has a leader for
// every partition.
func CreateTopics(ctx context.Context, addr string, topics ...Topic) error {
	c := &kafkago.Client{Addr: kafkago.TCP(addr), Timeout: 20 * time.Second}
	req := &kafkago.CreateTopicsRequest{}
	for _, t := range topics {
		tc := kafkago.TopicConfig{Topic: t.Name, NumPartitions: t.Partitions,
			ReplicationFactor: 1}
		if t.Compacted {
			tc.ConfigEntries = []kafkago.ConfigEntry{
				{ConfigName: "cleanup.policy", ConfigValue: "compact"}}
		}
		req.Topics = append(req.Topics, tc)
	}
	res, err := c.CreateTopics(ctx, req)
	if err != nil {
		return fmt.Errorf("create topics: %w", err)
	}
	for name, err := range res.Errors {
		if err != nil && !errors.Is(err, kafkago.TopicAlreadyExists) {
			return fmt.Errorf("create topic %s: %w", name, err)
		}
	}
	for _, t := range topics {
		if err := waitLeaders(ctx, c, t); err != nil {
			return err
		}
	}
	return nil
}

func waitLeaders(ctx context.Context, c *kafkago.Client, t Topic) error {
	for {
		meta, err := c.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{t.Name}})
		if err == nil && len(meta.Topics) == 1 && meta.Topics[0].Error == nil &&
			len(meta.Topics[0].Partitions) == t.Partitions && allLed(meta.Topics[0]) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("topic %s has no leaders: %w", t.Name, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func allLed(t kafkago.Topic) bool {
	for _, p := range t.Partitions {
		if p.Error != nil || p.Leader.Host == "" {
			return false
		}
	}
	return true
}

// Writer returns a synchronous writer to topic that places records by
// key with Kafka's murmur2 partitioner, or round-robin when keys are nil.
func Writer(addr, topic string) *kafkago.Writer {
	return &kafkago.Writer{Addr: kafkago.TCP(addr), Topic: topic,
		Balancer: kafkago.Murmur2Balancer{}, RequiredAcks: kafkago.RequireAll,
		BatchSize: 1000, BatchTimeout: 2 * time.Millisecond, BatchBytes: 1 << 20}
}

// Collector reads every partition of a topic from the start and keeps
// what it reads, until Close.
type Collector struct {
	mu     sync.Mutex
	msgs   []kafkago.Message
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Collect starts reading the partitions of topic.
func Collect(addr, topic string, partitions int) *Collector {
	ctx, cancel := context.WithCancel(context.Background())
	c := &Collector{cancel: cancel}
	for p := range partitions {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: []string{addr}, Topic: topic,
				Partition: p, MaxWait: 100 * time.Millisecond, MaxBytes: 8 << 20})
			defer r.Close()
			for {
				m, err := r.FetchMessage(ctx)
				if err != nil {
					return
				}
				c.mu.Lock()
				c.msgs = append(c.msgs, m)
				c.mu.Unlock()
			}
		}()
	}
	return c
}

// Messages returns a copy of what was read so far.
func (c *Collector) Messages() []kafkago.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]kafkago.Message(nil), c.msgs...)
}

// WaitFor polls until done holds for the messages read so far or the
// timeout passes; it reports whether done held.
func (c *Collector) WaitFor(timeout time.Duration, done func([]kafkago.Message) bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if done(c.Messages()) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Close stops reading.
func (c *Collector) Close() {
	c.cancel()
	c.wg.Wait()
}
