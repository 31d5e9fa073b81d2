package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/iocflow/iocflow/internal/logkey"
)

// topicsTimeout bounds creating the topics and waiting for their leaders.
const topicsTimeout = 30 * time.Second

// createTopics creates the service's topics that are missing (topics.create)
// and waits until every partition of each has a leader. Existing topics
// are left as they are, whatever their partitions or policy.
func createTopics(ctx context.Context, cfg *fileConfig, logger *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, topicsTimeout)
	defer cancel()
	c := &kafkago.Client{Addr: kafkago.TCP(cfg.Kafka.Brokers...), Timeout: topicsTimeout,
		Transport: &kafkago.Transport{ClientID: cfg.Kafka.ClientID}}
	req := &kafkago.CreateTopicsRequest{}
	add := func(name string, compact bool) {
		tc := kafkago.TopicConfig{Topic: name, NumPartitions: cfg.Topics.Partitions,
			ReplicationFactor: cfg.Topics.ReplicationFactor}
		if compact {
			tc.ConfigEntries = []kafkago.ConfigEntry{
				{ConfigName: "cleanup.policy", ConfigValue: "compact"}}
		}
		req.Topics = append(req.Topics, tc)
	}
	for _, in := range cfg.Kafka.Inputs {
		add(in.Topic, false)
	}
	add(cfg.Kafka.DeadLetterTopic, false)
	add(cfg.Kafka.IndicatorTopic, true)
	add(cfg.Sinks.VerdictTopic.Topic, false)
	res, err := c.CreateTopics(ctx, req)
	if err != nil {
		return fmt.Errorf("create topics: %w", err)
	}
	created := 0
	for name, err := range res.Errors {
		switch {
		case err == nil:
			created++
		case !errors.Is(err, kafkago.TopicAlreadyExists):
			return fmt.Errorf("create topic %q: %w", name, err)
		}
	}
	for _, tc := range req.Topics {
		if err := waitLeaders(ctx, c, tc.Topic); err != nil {
			return err
		}
	}
	logger.Info("topics ready", logkey.Count, len(req.Topics), logkey.Added, created)
	return nil
}

// waitLeaders waits until every partition of topic has a leader that
// answers for it: a new topic's leaders are named in the metadata a
// moment before they serve.
func waitLeaders(ctx context.Context, c *kafkago.Client, topic string) error {
	for !serving(ctx, c, topic) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("topic %q has no leader: %w", topic, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// serving reports whether every partition of topic has a leader that
// lists the partition's offsets.
func serving(ctx context.Context, c *kafkago.Client, topic string) bool {
	meta, err := c.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{topic}})
	if err != nil || len(meta.Topics) != 1 || meta.Topics[0].Error != nil ||
		len(meta.Topics[0].Partitions) == 0 || !allLed(meta.Topics[0].Partitions) {
		return false
	}
	var reqs []kafkago.OffsetRequest
	for _, p := range meta.Topics[0].Partitions {
		reqs = append(reqs, kafkago.FirstOffsetOf(p.ID))
	}
	res, err := c.ListOffsets(ctx, &kafkago.ListOffsetsRequest{
		Topics: map[string][]kafkago.OffsetRequest{topic: reqs}})
	if err != nil || len(res.Topics[topic]) != len(reqs) {
		return false
	}
	for _, po := range res.Topics[topic] {
		if po.Error != nil {
			return false
		}
	}
	return true
}

func allLed(parts []kafkago.Partition) bool {
	for _, p := range parts {
		if p.Error != nil || p.Leader.Host == "" {
			return false
		}
	}
	return true
}
