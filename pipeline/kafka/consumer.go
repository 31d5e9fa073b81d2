package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/iocflow/iocflow/internal/logkey"
	"github.com/iocflow/iocflow/matcher"
	"github.com/iocflow/iocflow/pipeline"
	"github.com/iocflow/iocflow/pipeline/decode"
)

// ConsumerConfig is what a Consumer connects.
type ConsumerConfig struct {
	Kafka    Config
	Pipeline pipeline.Config
	// Decoders maps each input topic to the decoder of its format.
	Decoders map[string]decode.Decoder
	Engine   *matcher.Engine
	Outputs  []pipeline.Output
	// DeadLetters takes undecodable records; see NewDeadLetters.
	DeadLetters pipeline.DeadLetterSink
	// StageMetrics are the pipeline's metrics, Metrics the consumer's; nil
	// counts nothing.
	StageMetrics *pipeline.Metrics
	Metrics      *Metrics
	Logger       *slog.Logger
}

// Consumer is one worker of the consumer group: it reads the partitions
// the group assigns it, runs them through a pipeline.Stream and commits
// what the stream reports written. Each generation of the group gets a
// fresh stream; when a generation ends (rebalance, or Run's context ends),
// reading stops, the stream drains within the shutdown timeout, and the
// last offsets are committed before the partitions are given up.
type Consumer struct {
	cfg    ConsumerConfig
	dialer *kafkago.Dialer
	joined atomic.Bool
}

// NewConsumer returns a consumer; cfg.Kafka and cfg.Pipeline must have had
// Defaults applied and validated.
func NewConsumer(cfg ConsumerConfig) *Consumer {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Metrics = cfg.Metrics.orDiscard()
	return &Consumer{cfg: cfg, dialer: newDialer(cfg.Kafka)}
}

// Joined reports whether the consumer is a member of a generation of its
// group; it is safe for concurrent use.
func (c *Consumer) Joined() bool { return c.joined.Load() }

// joinBackoff paces retries after the group could not be joined.
const joinBackoff = time.Second

// Run consumes until ctx ends, then drains, commits, leaves the group and
// returns nil. It returns an error only when the group cannot be set up
// at all.
func (c *Consumer) Run(ctx context.Context) error {
	k := c.cfg.Kafka
	topics := make([]string, len(k.Inputs))
	for i, in := range k.Inputs {
		topics[i] = in.Topic
	}
	err := runGroup(ctx, kafkago.ConsumerGroupConfig{
		ID: k.Group, Brokers: k.Brokers, Dialer: c.dialer, Topics: topics,
		StartOffset:       kafkago.FirstOffset,
		SessionTimeout:    k.SessionTimeout.D(),
		HeartbeatInterval: k.SessionTimeout.D() / 4,
		RebalanceTimeout:  c.cfg.Pipeline.ShutdownTimeout.D() + 5*time.Second,
		JoinGroupBackoff:  joinBackoff,
		ErrorLogger:       printfLogger{c.cfg.Logger, "kafka client error"},
	}, c.cfg.Logger, func(genCtx context.Context, gen *kafkago.Generation) {
		c.generation(ctx, genCtx, gen)
	})
	c.joined.Store(false)
	return err
}

// generation consumes the partitions of one generation until it ends or
// ctx ends, then drains and commits.
func (c *Consumer) generation(ctx, genCtx context.Context, gen *kafkago.Generation) {
	readCtx, stopReading := context.WithCancel(genCtx)
	defer stopReading()
	stopOnCtx := context.AfterFunc(ctx, stopReading)
	defer stopOnCtx()
	hardCtx, abandon := context.WithCancel(context.Background())
	defer abandon()

	offsets := pipeline.NewOffsets()
	stream := pipeline.StartStream(hardCtx, pipeline.StreamConfig{
		Config: c.cfg.Pipeline, Engine: c.cfg.Engine, Outputs: c.cfg.Outputs,
		DeadLetters: c.cfg.DeadLetters, Offsets: offsets, Metrics: c.cfg.StageMetrics,
		Logger: c.cfg.Logger,
	})
	var readers sync.WaitGroup
	var sources []*pipeline.Source
	for topic, parts := range gen.Assignments {
		for _, pa := range parts {
			src := pipeline.NewSource(topic, pa.ID, c.cfg.Decoders[topic], c.cfg.StageMetrics)
			sources = append(sources, src)
			lane := stream.Lane()
			readers.Add(1)
			go func() {
				defer readers.Done()
				c.readPartition(readCtx, src, pa.Offset, lane)
			}()
		}
	}
	c.joined.Store(true)
	c.cfg.Logger.Info("consumer group generation started", logkey.Group, gen.GroupID,
		logkey.Generation, gen.ID, logkey.Partitions, len(sources))

	committer := make(chan struct{})
	go func() {
		defer close(committer)
		c.commitLoop(readCtx, gen, offsets)
	}()
	<-readCtx.Done()

	// Drain: no more reads; what was read is written and committed within
	// the shutdown timeout, or left uncommitted for the next owner.
	start := time.Now()
	timer := time.AfterFunc(c.cfg.Pipeline.ShutdownTimeout.D(), abandon)
	defer timer.Stop()
	readers.Wait()
	streamErr := stream.Close()
	<-committer
	commitErr := c.commit(gen, offsets)
	for _, src := range sources {
		c.cfg.Metrics.forget(src.Topic, src.Partition)
	}
	level := slog.LevelInfo
	if streamErr != nil || commitErr != nil {
		level = slog.LevelWarn
	}
	c.cfg.Logger.Log(context.Background(), level, "consumer group generation ended",
		logkey.Generation, gen.ID, logkey.Drain, time.Since(start),
		logkey.Err, errors.Join(streamErr, commitErr))
}

// readPartition reads one partition from offset into batches for lane
// until ctx ends. A batch closes when it is full or when it reaches the
// partition's end as the broker last reported it, so a busy partition
// gets full batches and an idle one gets no waiting.
func (c *Consumer) readPartition(ctx context.Context, src *pipeline.Source, offset int64,
	lane chan<- *pipeline.Batch) {
	k := c.cfg.Kafka
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers: k.Brokers, Dialer: c.dialer, Topic: src.Topic, Partition: src.Partition,
		MinBytes: 1, MaxBytes: int(k.FetchMaxBytes), MaxWait: k.FetchMaxWait.D(),
		QueueCapacity: c.cfg.Pipeline.BatchRecords,
		// The broker holds an empty fetch for MaxWait already; kafka-go's
		// default backoff after one (100ms growing to 1s) would add that
		// much to the latency of the next record.
		ReadBackoffMin: time.Millisecond, ReadBackoffMax: 10 * time.Millisecond,
		ErrorLogger: printfLogger{c.cfg.Logger, "kafka reader error"},
	})
	defer r.Close()
	if err := r.SetOffset(offset); err != nil {
		c.cfg.Logger.Error("set partition offset", logkey.Topic, src.Topic,
			logkey.Partition, src.Partition, logkey.Err, err)
		return
	}
	lag := c.cfg.Metrics.lag(src.Topic, src.Partition)
	max := c.cfg.Pipeline.BatchRecords
	for {
		b := pipeline.GetBatch()
		b.Source = src
		for len(b.Records) < max {
			m, err := r.FetchMessage(ctx)
			if err != nil {
				pipeline.PutBatch(b)
				return // only ctx ends a partition reader's fetch
			}
			if len(b.Records) == 0 {
				b.Fetched = time.Now()
			}
			b.Records = append(b.Records, pipeline.Record{Offset: m.Offset, Key: m.Key,
				Value: m.Value, Time: m.Time})
			b.Lag = m.HighWaterMark - m.Offset - 1
			if b.Lag <= 0 {
				break
			}
		}
		lag.Set(float64(b.Lag))
		select {
		case lane <- b:
		case <-ctx.Done():
			pipeline.PutBatch(b)
			return
		}
	}
}

func (c *Consumer) commitLoop(ctx context.Context, gen *kafkago.Generation,
	offsets *pipeline.Offsets) {
	t := time.NewTicker(c.cfg.Kafka.CommitInterval.D())
	defer t.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := c.commit(gen, offsets); err != nil {
			failures++
			if failures == 1 || failures%60 == 0 {
				c.cfg.Logger.Warn("offset commit failed; retrying", logkey.Attempts, failures,
					logkey.Err, err)
			}
			continue
		}
		failures = 0
	}
}

func (c *Consumer) commit(gen *kafkago.Generation, offsets *pipeline.Offsets) error {
	pending := offsets.Pending()
	if pending == nil {
		return nil
	}
	if err := gen.CommitOffsets(pending); err != nil {
		c.cfg.Metrics.commitFailures.Inc()
		return fmt.Errorf("commit offsets: %w", err)
	}
	offsets.MarkCommitted(pending)
	c.cfg.Metrics.commits.Inc()
	return nil
}

// newDialer returns the dialer of every connection: the client id and a
// connect timeout.
func newDialer(k Config) *kafkago.Dialer {
	return &kafkago.Dialer{ClientID: k.ClientID, Timeout: 10 * time.Second, DualStack: true}
}

// printfLogger adapts kafka-go's Printf logger to slog: one constant
// message, the client's text as the reason attribute. kafka-go reports
// connection trouble here; it retries on its own.
type printfLogger struct {
	l   *slog.Logger
	msg string
}

func (p printfLogger) Printf(format string, args ...any) {
	p.l.Debug(p.msg, logkey.Reason, fmt.Sprintf(format, args...))
}
