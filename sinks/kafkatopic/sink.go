// Package kafkatopic writes verdicts to a Kafka topic, one record per
// verdict, keyed by event id, whose value is the verdict as JSON (the same
// object the JSON-lines sink writes). Keying by event id sends every
// verdict of an event to one partition, in order, so that a consumer can
// drop the repeats that at-least-once delivery brings after a crash.
//
// A Sink is used by one goroutine at a time.
package kafkatopic

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/iocflow/iocflow/internal/config"
	"github.com/iocflow/iocflow/sinks/verdict"
)

// Config is the "sinks.verdict_topic" section of the config file.
type Config struct {
	// Topic receives the verdicts. Required.
	Topic string `yaml:"topic"`
	// Brokers are the bootstrap addresses, host:port. Default: the
	// brokers of the kafka section.
	Brokers []string `yaml:"brokers"`
	// Compression of record batches: none, gzip, snappy, lz4 or zstd.
	// Default none.
	Compression string `yaml:"compression"`
}

// Defaults fills in the zero fields; brokers are the kafka section's.
func (c *Config) Defaults(brokers []string) {
	if len(c.Brokers) == 0 {
		c.Brokers = brokers
	}
	if c.Compression == "" {
		c.Compression = "none"
	}
}

// Validate returns every problem of c, after Defaults.
func (c *Config) Validate() error {
	var p config.Problems
	if c.Topic == "" {
		p.Add("topic", "must be set")
	}
	if len(c.Brokers) == 0 {
		p.Add("brokers", "must list at least one host:port")
	}
	if _, ok := compressions[c.Compression]; !ok {
		p.Add("compression", "want none, gzip, snappy, lz4 or zstd, got %q", c.Compression)
	}
	return p.Err()
}

var compressions = map[string]kafkago.Compression{
	"none": 0, "gzip": kafkago.Gzip, "snappy": kafkago.Snappy,
	"lz4": kafkago.Lz4, "zstd": kafkago.Zstd,
}

// Sink writes verdicts to a topic.
type Sink struct {
	w     *kafkago.Writer
	buf   []byte
	spans []span
	msgs  []kafkago.Message
}

// batchTimeout is how long kafka-go holds a partition's batch open for
// more records. Write hands kafka-go all of its records in one call, which
// appends each partition's share under the partition's lock before the
// batch's timer can close it, and then waits; holding the batch open
// longer gains nothing and delays every write, and the offset commits
// behind it, by that much. At 2ms (before) the event-to-verdict p50 of
// bench/kafka was 2ms higher (bench/RESULTS.md "kafka pipeline").
const batchTimeout = 50 * time.Microsecond

// maxBatch is the most records of one partition in one produce request.
const maxBatch = 1000

// New returns a sink for cfg, which must have had Defaults and Validate.
// clientID names the process to the brokers.
func New(cfg Config, clientID string) *Sink {
	return &Sink{w: &kafkago.Writer{
		Addr:         kafkago.TCP(cfg.Brokers...),
		Topic:        cfg.Topic,
		Balancer:     kafkago.Murmur2Balancer{},
		RequiredAcks: kafkago.RequireAll,
		Compression:  compressions[cfg.Compression],
		BatchSize:    maxBatch,
		BatchTimeout: batchTimeout,
		MaxAttempts:  3,
		Transport: &kafkago.Transport{ClientID: clientID,
			DialTimeout: 10 * time.Second},
	}}
}

// Write implements sinks.Sink: it returns once every verdict is
// acknowledged by all in-sync replicas of the topic. Keys and values share
// one buffer that Write reuses, so in steady state encoding allocates
// nothing.
func (s *Sink) Write(ctx context.Context, batch []verdict.Verdict) error {
	if len(batch) == 0 {
		return nil
	}
	s.buf = s.buf[:0]
	s.spans = s.spans[:0]
	for i := range batch {
		keyAt := len(s.buf)
		s.buf = append(s.buf, batch[i].EventID...)
		valueAt := len(s.buf)
		s.buf = AppendVerdict(s.buf, &batch[i])
		s.spans = append(s.spans, span{keyAt, valueAt, len(s.buf)})
	}
	// The buffer may have moved while it grew, so slice it only now.
	s.msgs = s.msgs[:0]
	for _, sp := range s.spans {
		s.msgs = append(s.msgs, kafkago.Message{
			Key:   s.buf[sp.key:sp.value:sp.value],
			Value: s.buf[sp.value:sp.end:sp.end],
		})
	}
	// kafka-go gives each partition's batch room for BatchSize messages
	// up front (about 150 bytes each): at a fixed 1,000 that was 1.3 MB
	// for a write of 40 verdicts over 8 partitions, most of the garbage
	// of the verdict path. No partition gets more than the whole write,
	// so room for that many never splits a batch. BatchSize is read only
	// inside WriteMessages, on this goroutine.
	s.w.BatchSize = min(maxBatch, len(s.msgs))
	err := s.w.WriteMessages(ctx, s.msgs...)
	clear(s.msgs)
	if err != nil {
		return fmt.Errorf("write verdicts to %s: %w", s.w.Topic, describe(err))
	}
	return nil
}

// span locates one record in the buffer: key at [key, value), value at
// [value, end).
type span struct{ key, value, end int }

// describe shortens kafka-go's WriteErrors, which hold one error per
// message, to the first distinct ones.
func describe(err error) error {
	var we kafkago.WriteErrors
	if !errors.As(err, &we) {
		return err
	}
	var parts []string
	seen := map[string]bool{}
	for _, e := range we {
		if e == nil || seen[e.Error()] {
			continue
		}
		seen[e.Error()] = true
		parts = append(parts, e.Error())
	}
	return fmt.Errorf("%d of %d records failed: %s", we.Count(), len(we),
		strings.Join(parts, "; "))
}

// Close implements sinks.Sink.
func (s *Sink) Close() error { return s.w.Close() }
