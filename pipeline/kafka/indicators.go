package kafka

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/internal/logkey"
	"github.com/iocflow/iocflow/matcher"
)

// Indicators keeps a matcher.Engine in step with the compacted indicator
// topic: it reads the topic from the start, builds the first snapshot
// once it has reached the end the topic had when it started, and then
// applies every later change as a delta, a few at a time. Run is called
// once; Ready and Loaded are safe for concurrent use.
type Indicators struct {
	cfg     Config
	engine  *matcher.Engine
	metrics *Metrics
	logger  *slog.Logger
	ready   chan struct{}
	client  *kafkago.Client
	// maxDelay bounds how long a change waits for others to share its
	// delta.
	maxDelay time.Duration
}

// NewIndicators returns a loader that keeps engine up to date from
// cfg.IndicatorTopic. A nil logger discards, nil metrics count nothing.
func NewIndicators(cfg Config, engine *matcher.Engine, m *Metrics,
	logger *slog.Logger) *Indicators {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Indicators{cfg: cfg, engine: engine, metrics: m.orDiscard(), logger: logger,
		ready: make(chan struct{}), client: newClient(cfg), maxDelay: 50 * time.Millisecond}
}

// Ready is closed once the first snapshot is in force.
func (x *Indicators) Ready() <-chan struct{} { return x.ready }

// change is one record of the indicator topic, decoded: an upsert, or a
// removal when in is nil. A record that was not valid has an empty id; it
// is passed on only so that the initial load sees its offset.
type change struct {
	partition int
	offset    int64
	id        string
	in        *ioc.Indicator
}

// Run follows the topic until ctx ends. It returns an error if the topic
// cannot be read at start; later read errors are retried by the client.
func (x *Indicators) Run(ctx context.Context) error {
	changes := make(chan change, 4096)
	ends, err := x.follow(ctx, changes)
	if err != nil {
		return err
	}
	current, err := x.load(ctx, changes, ends)
	if err != nil {
		return err
	}
	version := uint64(1)
	snap := matcher.Build(version, current)
	x.store(snap)
	x.logger.Info("indicators loaded", logkey.Topic, x.cfg.IndicatorTopic,
		logkey.Count, snap.Len(), logkey.Version, version)
	close(x.ready)
	for {
		d, err := x.nextDelta(ctx, changes)
		if err != nil {
			return nil // ctx ended
		}
		version++
		snap = snap.Apply(version, d)
		x.store(snap)
		x.logger.Debug("indicator changes applied", logkey.Count,
			len(d.Upsert)+len(d.Remove), logkey.Version, version)
	}
}

func (x *Indicators) store(s *matcher.Snapshot) {
	x.engine.Store(s)
	x.metrics.snapshot.Set(float64(s.Version()))
	x.metrics.indicators.Set(float64(s.Len()))
}

// partitionEnd is where one partition of the topic ended when Run
// started: its first record has to be read only if start < end.
type partitionEnd struct {
	start, end int64
}

// follow starts a reader per partition of the topic from its first
// offset, sending decoded changes to out until ctx ends, and returns each
// partition's offsets at the time it started.
func (x *Indicators) follow(ctx context.Context, out chan<- change) (map[int]partitionEnd, error) {
	ends, err := topicOffsets(ctx, x.client, x.cfg.IndicatorTopic)
	if err != nil {
		return nil, fmt.Errorf("read indicator topic: %w", err)
	}
	for p := range ends {
		go x.readPartition(ctx, p, out)
	}
	return ends, nil
}

func (x *Indicators) readPartition(ctx context.Context, partition int, out chan<- change) {
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers: x.cfg.Brokers, Dialer: newDialer(x.cfg), Topic: x.cfg.IndicatorTopic,
		Partition: partition, MinBytes: 1, MaxBytes: int(x.cfg.FetchMaxBytes),
		MaxWait: x.cfg.FetchMaxWait.D(), StartOffset: kafkago.FirstOffset,
		ReadBackoffMin: time.Millisecond, ReadBackoffMax: 10 * time.Millisecond,
		ErrorLogger: printfLogger{x.logger, "kafka reader error"},
	})
	defer r.Close()
	for {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			return // only ctx ends a partition reader's fetch
		}
		c := x.decode(&m)
		c.partition, c.offset = partition, m.Offset
		select {
		case out <- c:
		case <-ctx.Done():
			return
		}
	}
}

// decode reads one record: the key is the indicator id, the value the
// indicator as JSON, or empty for a removal. A record whose value does not
// decode, or whose id is not the key or not the id of its type and value,
// is counted, logged and ignored: one bad record must not stop the others.
func (x *Indicators) decode(m *kafkago.Message) change {
	id := string(m.Key)
	if len(m.Value) == 0 {
		x.metrics.changes.WithLabelValues("remove").Inc()
		return change{id: id}
	}
	in := new(ioc.Indicator)
	err := json.Unmarshal(m.Value, in)
	switch {
	case err != nil:
	case in.ID != id:
		err = fmt.Errorf("value has id %q under key %q", in.ID, id)
	case !in.Type.IsValid() || in.ID != ioc.MakeID(in.Type, in.Value):
		err = fmt.Errorf("id %q is not the id of type %s and its value", in.ID, in.Type)
	}
	if err != nil || id == "" {
		x.metrics.rejected.Inc()
		x.logger.Warn("invalid indicator record ignored", logkey.Topic, x.cfg.IndicatorTopic,
			logkey.Partition, m.Partition, logkey.Offset, m.Offset, logkey.Err, err)
		return change{}
	}
	x.metrics.changes.WithLabelValues("upsert").Inc()
	return change{id: id, in: in}
}

// load collects changes until every partition has reached the end it had
// at start, and returns the indicators then in force.
func (x *Indicators) load(ctx context.Context, in <-chan change,
	ends map[int]partitionEnd) ([]*ioc.Indicator, error) {
	waiting := map[int]bool{}
	for p, e := range ends {
		if e.start < e.end {
			waiting[p] = true
		}
	}
	current := map[string]*ioc.Indicator{}
	for len(waiting) > 0 {
		var c change
		select {
		case c = <-in:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if c.offset+1 >= ends[c.partition].end {
			delete(waiting, c.partition)
		}
		switch {
		case c.id == "":
		case c.in == nil:
			delete(current, c.id)
		default:
			current[c.id] = c.in
		}
	}
	out := make([]*ioc.Indicator, 0, len(current))
	for _, in := range current {
		out = append(out, in)
	}
	return out, nil
}

// nextDelta waits for a change, then gathers those that follow within
// maxDelay (or until 10,000 are pending) into one delta. The last change
// of an id wins.
func (x *Indicators) nextDelta(ctx context.Context, in <-chan change) (matcher.Delta, error) {
	pending := map[string]*ioc.Indicator{}
	add := func(c change) {
		if c.id != "" {
			pending[c.id] = c.in
		}
	}
	select {
	case c := <-in:
		add(c)
	case <-ctx.Done():
		return matcher.Delta{}, ctx.Err()
	}
	deadline := time.NewTimer(x.maxDelay)
	defer deadline.Stop()
gather:
	for len(pending) < 10000 {
		select {
		case c := <-in:
			add(c)
		case <-deadline.C:
			break gather
		case <-ctx.Done():
			return matcher.Delta{}, ctx.Err()
		}
	}
	var d matcher.Delta
	for id, in := range pending {
		if in == nil {
			d.Remove = append(d.Remove, id)
		} else {
			d.Upsert = append(d.Upsert, in)
		}
	}
	return d, nil
}

// ReadAll reads the indicator topic to the end it has now and returns the
// indicators in force: what a publisher compares new feed content with.
func ReadAll(ctx context.Context, cfg Config, logger *slog.Logger) (*feeds.Set, error) {
	x := NewIndicators(cfg, new(matcher.Engine), nil, logger)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	changes := make(chan change, 4096)
	ends, err := x.follow(ctx, changes)
	if err != nil {
		return nil, err
	}
	inds, err := x.load(ctx, changes, ends)
	if err != nil {
		return nil, fmt.Errorf("read indicator topic: %w", err)
	}
	return feeds.NewSet(inds), nil
}

// topicOffsets returns the first and next offset of every partition of
// topic.
func topicOffsets(ctx context.Context, c *kafkago.Client,
	topic string) (map[int]partitionEnd, error) {
	meta, err := c.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	if len(meta.Topics) != 1 {
		return nil, fmt.Errorf("metadata: topic %q not in answer", topic)
	}
	if err := meta.Topics[0].Error; err != nil {
		return nil, fmt.Errorf("topic %q: %w", topic, err)
	}
	var reqs []kafkago.OffsetRequest
	for _, p := range meta.Topics[0].Partitions {
		reqs = append(reqs, kafkago.FirstOffsetOf(p.ID), kafkago.LastOffsetOf(p.ID))
	}
	res, err := c.ListOffsets(ctx, &kafkago.ListOffsetsRequest{
		Topics: map[string][]kafkago.OffsetRequest{topic: reqs},
	})
	if err != nil {
		return nil, fmt.Errorf("list offsets: %w", err)
	}
	ends := map[int]partitionEnd{}
	for _, po := range res.Topics[topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("list offsets of partition %d: %w", po.Partition, po.Error)
		}
		ends[po.Partition] = partitionEnd{start: po.FirstOffset, end: po.LastOffset}
	}
	if len(ends) == 0 {
		return nil, errors.New("topic has no partitions")
	}
	return ends, nil
}

func newClient(cfg Config) *kafkago.Client {
	return &kafkago.Client{
		Addr:      kafkago.TCP(cfg.Brokers...),
		Timeout:   10 * time.Second,
		Transport: &kafkago.Transport{ClientID: cfg.ClientID, DialTimeout: 10 * time.Second},
	}
}
