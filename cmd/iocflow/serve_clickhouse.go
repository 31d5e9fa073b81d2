package main

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/iocflow/iocflow/enforce"
	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/internal/logkey"
	"github.com/iocflow/iocflow/pipeline"
	"github.com/iocflow/iocflow/pipeline/hunt"
	"github.com/iocflow/iocflow/sinks"
	"github.com/iocflow/iocflow/sinks/clickhouse"
)

// chParts is the ClickHouse side of the service: the store, the sink of
// verdicts and sightings, and the audit copy for enforcement.
type chParts struct {
	cfg   *clickhouseConfig
	store *clickhouse.Store
	sink  *clickhouse.Sink
	log   *slog.Logger // component sinks/clickhouse
	base  *slog.Logger // the service's logger
}

// openClickHouse connects, brings the schema up to date and starts the
// sink; nil when the config has no ClickHouse section.
func openClickHouse(ctx context.Context, cfg *clickhouseConfig,
	logger *slog.Logger) (*chParts, error) {
	if cfg == nil {
		return nil, nil
	}
	log := logger.With(logkey.Component, "sinks/clickhouse")
	store, err := clickhouse.Open(ctx, cfg.Config, log)
	if err != nil {
		return nil, err
	}
	applied, err := store.Migrate(ctx)
	if err != nil {
		store.Close()
		return nil, err
	}
	log.Info("clickhouse schema ready", logkey.Count, len(applied))
	return &chParts{cfg: cfg, store: store, sink: clickhouse.NewSink(store, log), log: log,
		base: logger}, nil
}

// close sends what the sink holds and releases the connections.
func (c *chParts) close() error {
	if c == nil {
		return nil
	}
	return errors.Join(c.sink.Close(), c.store.Close())
}

// auditCopies returns the audit sinks enforcement copies its trail to.
// The enforcement service closes them.
func (c *chParts) auditCopies() []enforce.AuditSink {
	if c == nil {
		return nil
	}
	return []enforce.AuditSink{clickhouse.NewAuditSink(c.store, c.log)}
}

// sightings returns the stream's sighting sink.
func (c *chParts) sightings() pipeline.SightingSink {
	return &chSightings{sink: c.sink}
}

// chSightings hands the stream's sightings to the ClickHouse sink. The
// stream's emitter is its only caller at a time; the mutex only guards the
// reused conversion buffer should two streams ever overlap.
type chSightings struct {
	sink *clickhouse.Sink
	mu   sync.Mutex
	buf  []clickhouse.Sighting
}

// WriteSightings implements pipeline.SightingSink: it returns once
// ClickHouse has accepted the batch.
func (s *chSightings) WriteSightings(ctx context.Context, batch []pipeline.Sighting) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = s.buf[:0]
	for i := range batch {
		s.buf = append(s.buf, clickhouse.Sighting(batch[i]))
	}
	err := s.sink.WriteSightings(ctx, s.buf)
	clear(s.buf)
	return err
}

// Retro-hunting on arrival. The feeds side of the service (scheduler and
// upload API) is the one place where indicators arrive, and it runs on one
// instance, so hunting there needs no coordination between workers: an
// arrivalHunter stands in front of the indicator topic's publisher and,
// after each publish, hunts what was added or updated.
const (
	// huntChunk bounds the indicators of one hunt query.
	huntChunk = 10000
	// huntSettleMin is the least wait between a publish and its hunt, so
	// that events the workers read just before they had the indicator
	// have their sightings stored by the time the hunt reads them.
	huntSettleMin = 2 * time.Second
	// huntRetry paces hunts after one failed.
	huntRetry = 30 * time.Second
)

// arrivalHunter is a feeds.Publisher that passes changes on and then
// queues the added and updated indicators for a retro-hunt, which Run
// carries out one at a time.
type arrivalHunter struct {
	next   feeds.Publisher
	hunter *hunt.Hunter
	window time.Duration
	settle time.Duration
	log    *slog.Logger

	mu     sync.Mutex
	queued map[string]*ioc.Indicator // by id; the latest change wins
	wake   chan struct{}
}

// newArrivalHunter returns the hunter in front of next. Its verdicts go to
// ClickHouse and, first, to forward (the verdict topic, so that the
// enforcer sees them, marked retrospective); forward nil sends them to
// ClickHouse only. The caller closes forward.
func newArrivalHunter(next feeds.Publisher, c *chParts, forward sinks.Sink) *arrivalHunter {
	log := c.base.With(logkey.Component, "pipeline/hunt")
	return &arrivalHunter{
		next: next, window: time.Duration(c.cfg.HuntWindow),
		hunter: &hunt.Hunter{Store: c.store, Sink: c.sink.Retrospective(), Forward: forward,
			Logger: log},
		// Twice the sink's flush interval lets sightings already queued
		// reach the table before the hunt looks.
		settle: max(huntSettleMin, 2*c.cfg.FlushInterval),
		log:    log, queued: map[string]*ioc.Indicator{}, wake: make(chan struct{}, 1),
	}
}

// Publish implements feeds.Publisher.
func (a *arrivalHunter) Publish(ctx context.Context, changes []feeds.Change) error {
	if err := a.next.Publish(ctx, changes); err != nil {
		return err
	}
	a.mu.Lock()
	for _, c := range changes {
		if c.Op != feeds.Removed && c.Indicator != nil {
			a.queued[c.ID] = c.Indicator
		}
	}
	a.mu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default:
	}
	return nil
}

// Run hunts what arrives until ctx ends, a settle time after each
// arrival. A hunt that fails (ClickHouse down) is logged and tried again
// every huntRetry with what is queued by then.
func (a *arrivalHunter) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-a.wake:
		}
		for wait := a.settle; ; wait = huntRetry {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
			if a.round(ctx) {
				break
			}
		}
	}
}

// round hunts everything queued, a chunk at a time, and reports whether
// it all went; the Hunter logs each hunt's counts.
func (a *arrivalHunter) round(ctx context.Context) bool {
	a.mu.Lock()
	inds := slices.Collect(maps.Values(a.queued))
	clear(a.queued)
	a.mu.Unlock()
	to := time.Now()
	for start := 0; start < len(inds); start += huntChunk {
		chunk := inds[start:min(start+huntChunk, len(inds))]
		if _, err := a.hunter.Hunt(ctx, chunk, to.Add(-a.window), to); err != nil {
			a.requeue(inds[start:])
			if ctx.Err() == nil {
				a.log.Warn("retro-hunt on arrival failed; retrying", logkey.Count,
					len(inds)-start, logkey.Err, err)
			}
			return false
		}
	}
	return true
}

// huntNow waits the settle time and hunts what is queued, once, for a
// command that publishes and exits; it reports whether the hunt went.
func (a *arrivalHunter) huntNow(ctx context.Context) bool {
	t := time.NewTimer(a.settle)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
	}
	return a.round(ctx)
}

func (a *arrivalHunter) requeue(inds []*ioc.Indicator) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, in := range inds {
		if _, newer := a.queued[in.ID]; !newer {
			a.queued[in.ID] = in
		}
	}
}
