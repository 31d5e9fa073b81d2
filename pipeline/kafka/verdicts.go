package kafka

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/iocflow/iocflow/internal/logkey"
	"github.com/iocflow/iocflow/sinks/verdict"
)

// DefaultVerdictBatch is the most verdicts a Verdicts consumer hands to its
// writer in one call.
const DefaultVerdictBatch = 500

// VerdictWriter takes a batch of verdicts; enforce.Service is one. Write
// returns nil once the batch is the writer's; the batch is reused after
// the call.
type VerdictWriter interface {
	Write(ctx context.Context, batch []verdict.Verdict) error
}

// VerdictsConfig is what a Verdicts consumer connects.
type VerdictsConfig struct {
	// Kafka gives the brokers, client id, session timeout and fetch limits;
	// its topics and group are not used.
	Kafka Config
	// Topic is the verdict topic (sinks.verdict_topic.topic).
	Topic string
	// Group is the consumer group of the readers of Topic; it must differ
	// from the matching workers' group.
	Group string
	// Writer receives the verdicts.
	Writer VerdictWriter
	// Batch is the most verdicts per Write. Default DefaultVerdictBatch.
	Batch int
	// Registerer receives the consumer's metrics; nil counts nothing.
	Registerer prometheus.Registerer
	// Logger receives lifecycle lines and rate-limited problems; nil
	// discards.
	Logger *slog.Logger
}

// Verdicts reads the verdict topic in a consumer group of its own and
// hands the verdicts to a VerdictWriter: the enforcement service, fed by
// every matching worker of a deployment. Each assigned partition is read
// in order into batches that close when full or at the partition's end;
// a batch's offsets are committed only after Write returned nil for it
// (at-least-once: after a crash, verdicts since the last commit are
// written again, so the writer must take repeats; enforcement keeps one
// action per target and adapter).
//
// Verdicts are decoded with encoding/json: this path runs at the rate of
// verdicts, not of events. A record that is not a verdict is counted,
// logged (rate-limited) and skipped.
//
// Run is called once; Joined is safe for concurrent use.
type Verdicts struct {
	cfg    VerdictsConfig
	dialer *kafkago.Dialer
	joined atomic.Bool
	m      verdictMetrics
	// rejects and failures count problems for rate-limited logging.
	rejects, failures atomic.Int64
}

// verdictMetrics are the consumer's Prometheus metrics.
type verdictMetrics struct {
	read, rejected, writeFailures, commitFailures prometheus.Counter
	lag                                           *prometheus.GaugeVec
}

// NewVerdicts returns a verdict consumer; cfg.Kafka must have had Defaults
// applied.
func NewVerdicts(cfg VerdictsConfig) *Verdicts {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultVerdictBatch
	}
	v := &Verdicts{cfg: cfg, dialer: newDialer(cfg.Kafka)}
	v.m = verdictMetrics{
		read: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ioc_kafka_verdicts_read_total",
			Help: "Verdicts read from the verdict topic and handed to the writer.",
		}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ioc_kafka_verdict_rejects_total",
			Help: "Records of the verdict topic skipped because they were not a verdict.",
		}),
		writeFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ioc_kafka_verdict_write_failures_total",
			Help: "Batches of verdicts the writer refused, each retried.",
		}),
		commitFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ioc_kafka_verdict_commit_failures_total",
			Help: "Offset commits of the verdict consumer that failed.",
		}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ioc_kafka_verdict_lag_messages",
			Help: "Verdicts of an assigned partition not yet read, as of the last batch.",
		}, []string{"partition"}),
	}
	if cfg.Registerer != nil {
		cfg.Registerer.MustRegister(v.m.read, v.m.rejected, v.m.writeFailures,
			v.m.commitFailures, v.m.lag)
	}
	return v
}

// Joined reports whether the consumer is a member of a generation of its
// group.
func (v *Verdicts) Joined() bool { return v.joined.Load() }

// Run consumes until ctx ends and returns nil then; a batch being written
// when ctx ends is finished and committed. It returns an error only when
// the group cannot be set up at all.
func (v *Verdicts) Run(ctx context.Context) error {
	k := v.cfg.Kafka
	err := runGroup(ctx, kafkago.ConsumerGroupConfig{
		ID: v.cfg.Group, Brokers: k.Brokers, Dialer: v.dialer, Topics: []string{v.cfg.Topic},
		StartOffset:       kafkago.FirstOffset,
		SessionTimeout:    k.SessionTimeout.D(),
		HeartbeatInterval: k.SessionTimeout.D() / 4,
		RebalanceTimeout:  k.SessionTimeout.D() + 5*time.Second,
		JoinGroupBackoff:  joinBackoff,
		ErrorLogger:       printfLogger{v.cfg.Logger, "kafka client error"},
	}, v.cfg.Logger, func(genCtx context.Context, gen *kafkago.Generation) {
		v.generation(ctx, genCtx, gen)
	})
	v.joined.Store(false)
	return err
}

// generation reads the partitions of one generation until it or ctx
// ends.
func (v *Verdicts) generation(ctx, genCtx context.Context, gen *kafkago.Generation) {
	readCtx, stop := context.WithCancel(genCtx)
	defer stop()
	stopOnCtx := context.AfterFunc(ctx, stop)
	defer stopOnCtx()
	var readers sync.WaitGroup
	parts := gen.Assignments[v.cfg.Topic]
	for _, pa := range parts {
		readers.Go(func() { v.readPartition(readCtx, gen, pa.ID, pa.Offset) })
	}
	v.joined.Store(true)
	v.cfg.Logger.Info("verdict consumer generation started", logkey.Group, gen.GroupID,
		logkey.Generation, gen.ID, logkey.Partitions, len(parts))
	readers.Wait()
	for _, pa := range parts {
		v.m.lag.DeleteLabelValues(strconv.Itoa(pa.ID))
	}
	v.cfg.Logger.Info("verdict consumer generation ended", logkey.Generation, gen.ID)
}

// readPartition reads one partition from offset, writes each batch and
// commits it, until ctx ends.
func (v *Verdicts) readPartition(ctx context.Context, gen *kafkago.Generation, partition int,
	offset int64) {
	k := v.cfg.Kafka
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers: k.Brokers, Dialer: v.dialer, Topic: v.cfg.Topic, Partition: partition,
		MinBytes: 1, MaxBytes: int(k.FetchMaxBytes), MaxWait: k.FetchMaxWait.D(),
		QueueCapacity:  v.cfg.Batch,
		ReadBackoffMin: time.Millisecond, ReadBackoffMax: 10 * time.Millisecond,
		ErrorLogger: printfLogger{v.cfg.Logger, "kafka reader error"},
	})
	defer r.Close()
	if err := r.SetOffset(offset); err != nil {
		v.cfg.Logger.Error("set partition offset", logkey.Topic, v.cfg.Topic,
			logkey.Partition, partition, logkey.Err, err)
		return
	}
	lag := v.m.lag.WithLabelValues(strconv.Itoa(partition))
	batch := make([]verdict.Verdict, 0, v.cfg.Batch)
	for {
		var next, left int64
		var err error
		batch, next, left, err = v.fetch(ctx, r, partition, batch[:0])
		if err != nil {
			return // only ctx ends a fetch; the partial batch is read again
		}
		lag.Set(float64(left))
		if len(batch) > 0 && !v.write(ctx, batch) {
			return
		}
		v.m.read.Add(float64(len(batch)))
		v.commit(gen, partition, next)
	}
}

// fetch fills dst with the verdicts of the next records, up to the batch
// size or the partition's end as the broker last reported it, and returns
// the offset after the last record read and the records left behind it.
func (v *Verdicts) fetch(ctx context.Context, r *kafkago.Reader, partition int,
	dst []verdict.Verdict) ([]verdict.Verdict, int64, int64, error) {
	for {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			return dst, 0, 0, err
		}
		dst = append(dst, verdict.Verdict{})
		if reason := decodeVerdict(m.Value, &dst[len(dst)-1]); reason != "" {
			dst = dst[:len(dst)-1]
			v.reject(partition, m.Offset, reason)
		}
		if left := m.HighWaterMark - m.Offset - 1; left <= 0 || len(dst) == v.cfg.Batch {
			return dst, m.Offset + 1, max(left, 0), nil
		}
	}
}

// decodeVerdict reads one verdict record into v, or says why it is not
// one.
func decodeVerdict(b []byte, v *verdict.Verdict) string {
	if err := json.Unmarshal(b, v); err != nil {
		return "not a verdict: " + err.Error()
	}
	if v.Indicator.Value == "" {
		return "verdict without an indicator value"
	}
	return ""
}

// reject counts a record that is not a verdict and logs the first and
// every hundredth.
func (v *Verdicts) reject(partition int, offset int64, reason string) {
	v.m.rejected.Inc()
	if n := v.rejects.Add(1); n == 1 || n%100 == 0 {
		v.cfg.Logger.Warn("verdict record skipped", logkey.Topic, v.cfg.Topic,
			logkey.Partition, partition, logkey.Offset, offset, logkey.Reason, reason,
			logkey.Count, n)
	}
}

// write hands batch to the writer, retrying with backoff until it takes
// it; false when ctx ended first.
func (v *Verdicts) write(ctx context.Context, batch []verdict.Verdict) bool {
	wait := 100 * time.Millisecond
	for {
		err := v.cfg.Writer.Write(ctx, batch)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		v.m.writeFailures.Inc()
		if n := v.failures.Add(1); n == 1 || n%30 == 0 {
			v.cfg.Logger.Warn("verdict write failed; retrying", logkey.Count, len(batch),
				logkey.Attempts, n, logkey.Err, err)
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// commit commits next as the partition's offset. A failure is counted and
// logged: the next batch's commit covers this one, and a generation that
// ended hands the partition over from the last commit.
func (v *Verdicts) commit(gen *kafkago.Generation, partition int, next int64) {
	err := gen.CommitOffsets(map[string]map[int]int64{v.cfg.Topic: {partition: next}})
	if err == nil {
		return
	}
	v.m.commitFailures.Inc()
	if n := v.failures.Add(1); n == 1 || n%30 == 0 {
		v.cfg.Logger.Warn("verdict offset commit failed", logkey.Partition, partition,
			logkey.Offset, next, logkey.Attempts, n, logkey.Err, err)
	}
}
