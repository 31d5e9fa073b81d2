package kafka

import (
	"context"
	"fmt"
	"strconv"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/iocflow/iocflow/internal/clip"
	"github.com/iocflow/iocflow/pipeline"
)

// Header keys of a dead letter. The record's key and value are kept as
// they were read.
const (
	HeaderReason          = "iocflow.reason"
	HeaderSourceTopic     = "iocflow.source.topic"
	HeaderSourcePartition = "iocflow.source.partition"
	HeaderSourceOffset    = "iocflow.source.offset"
	HeaderFormat          = "iocflow.format"
)

// maxReasonBytes bounds the reason header; a decoder's message may quote
// the record.
const maxReasonBytes = 1024

// DeadLetters writes undecodable records to the dead-letter topic. It
// implements pipeline.DeadLetterSink and is used by one goroutine at a
// time.
type DeadLetters struct {
	w    *kafkago.Writer
	msgs []kafkago.Message
}

// NewDeadLetters returns a writer to cfg.DeadLetterTopic.
func NewDeadLetters(cfg Config) *DeadLetters {
	return &DeadLetters{w: newWriter(cfg, cfg.DeadLetterTopic, &kafkago.Hash{})}
}

// WriteDeadLetters implements pipeline.DeadLetterSink: it returns once the
// broker has acknowledged every record on all in-sync replicas.
func (d *DeadLetters) WriteDeadLetters(ctx context.Context, batch []pipeline.DeadLetter) error {
	d.msgs = d.msgs[:0]
	for i := range batch {
		dl := &batch[i]
		reason := dl.Reason
		if len(reason) > maxReasonBytes {
			reason = clip.Quote(reason)
		}
		d.msgs = append(d.msgs, kafkago.Message{
			Key: dl.Record.Key, Value: dl.Record.Value,
			Headers: []kafkago.Header{
				{Key: HeaderReason, Value: []byte(reason)},
				{Key: HeaderSourceTopic, Value: []byte(dl.Source.Topic)},
				{Key: HeaderSourcePartition,
					Value: strconv.AppendInt(nil, int64(dl.Source.Partition), 10)},
				{Key: HeaderSourceOffset, Value: strconv.AppendInt(nil, dl.Record.Offset, 10)},
				{Key: HeaderFormat, Value: []byte(dl.Source.Decoder.Format())},
			},
		})
	}
	// Room for the whole write per partition batch, not for 1,000
	// messages (see kafkatopic.Sink.Write); read only on this goroutine.
	d.w.BatchSize = min(1000, len(d.msgs))
	err := d.w.WriteMessages(ctx, d.msgs...)
	clear(d.msgs)
	if err != nil {
		return fmt.Errorf("write dead letters: %w", err)
	}
	return nil
}

// Close flushes and closes the writer.
func (d *DeadLetters) Close() error { return d.w.Close() }

// newWriter returns a synchronous writer: WriteMessages returns once every
// message is acknowledged by all in-sync replicas. BatchTimeout is short
// because the caller hands over whole batches and waits for them.
func newWriter(cfg Config, topic string, balancer kafkago.Balancer) *kafkago.Writer {
	return &kafkago.Writer{
		Addr:         kafkago.TCP(cfg.Brokers...),
		Topic:        topic,
		Balancer:     balancer,
		RequiredAcks: kafkago.RequireAll,
		BatchSize:    1000, // kafka-go preallocates this many per partition batch; Write lowers it
		BatchTimeout: 2 * time.Millisecond,
		MaxAttempts:  3,
		Transport:    &kafkago.Transport{ClientID: cfg.ClientID, DialTimeout: 10 * time.Second},
	}
}
