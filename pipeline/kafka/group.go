package kafka

import (
	"context"
	"fmt"
	"log/slog"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/iocflow/iocflow/internal/logkey"
)

// runGroup joins the consumer group cfg describes and runs generation for
// each generation it is given, one after the other, until ctx ends; then it
// leaves the group and returns nil. A failed join is retried (kafka-go backs
// off) and logged on the first failure and every thirtieth after. It
// returns an error only when the group cannot be set up at all.
func runGroup(ctx context.Context, cfg kafkago.ConsumerGroupConfig, logger *slog.Logger,
	generation func(genCtx context.Context, gen *kafkago.Generation)) error {
	group, err := kafkago.NewConsumerGroup(cfg)
	if err != nil {
		return fmt.Errorf("join group %q: %w", cfg.ID, err)
	}
	defer group.Close()
	failures := 0
	for ctx.Err() == nil {
		gen, err := group.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			failures++
			if failures == 1 || failures%30 == 0 {
				logger.Warn("joining consumer group failed; retrying", logkey.Group, cfg.ID,
					logkey.Attempts, failures, logkey.Err, err)
			}
			continue
		}
		failures = 0
		done := make(chan struct{})
		gen.Start(func(genCtx context.Context) {
			defer close(done)
			generation(genCtx, gen)
		})
		<-done
	}
	return nil
}
