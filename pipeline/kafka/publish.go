package kafka

import (
	"context"
	"encoding/json"
	"fmt"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/iocflow/iocflow/feeds"
)

// Publisher writes indicator changes to the compacted indicator topic: an
// added or updated indicator as a record keyed by its id whose value is
// the indicator as JSON, a removed one as a tombstone (empty value) for
// its id. Keys are placed with the murmur2 partitioner that Kafka's own
// clients use, so every record of an id lands in one partition and its
// last record wins. It implements feeds.Publisher; Publish is called by
// one goroutine at a time.
type Publisher struct {
	w *kafkago.Writer
}

var _ feeds.Publisher = (*Publisher)(nil)

// NewPublisher returns a publisher to cfg.IndicatorTopic.
func NewPublisher(cfg Config) *Publisher {
	return &Publisher{w: newWriter(cfg, cfg.IndicatorTopic, kafkago.Murmur2Balancer{})}
}

// Publish implements feeds.Publisher: it returns once every change is
// acknowledged by all in-sync replicas. A repeat of a change is harmless.
func (p *Publisher) Publish(ctx context.Context, changes []feeds.Change) error {
	msgs := make([]kafkago.Message, 0, len(changes))
	for _, c := range changes {
		m := kafkago.Message{Key: []byte(c.ID)}
		switch c.Op {
		case feeds.Added, feeds.Updated:
			if c.Indicator == nil || c.Indicator.ID != c.ID {
				return fmt.Errorf("publish %s of %q: indicator missing or with another id",
					c.Op, c.ID)
			}
			v, err := json.Marshal(c.Indicator)
			if err != nil {
				return fmt.Errorf("publish %q: encode: %w", c.ID, err)
			}
			m.Value = v
		case feeds.Removed:
		default:
			return fmt.Errorf("publish %q: unknown change %d", c.ID, c.Op)
		}
		msgs = append(msgs, m)
	}
	if len(msgs) == 0 {
		return nil
	}
	if err := p.w.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("publish indicators: %w", err)
	}
	return nil
}

// Close flushes and closes the writer.
func (p *Publisher) Close() error { return p.w.Close() }
