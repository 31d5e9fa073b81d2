package clickhouse

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/iocflow/iocflow/sinks"
	"github.com/iocflow/iocflow/sinks/verdict"
)

// Sink writes verdicts and the observables of every event to ClickHouse.
// It implements sinks.Sink for verdicts. Each table has its own queue and
// sender goroutine, so a burst of observables does not hold up verdicts.
//
// A Sink is safe for concurrent use: concurrent Writes share INSERTs, which
// is how several pipeline workers on one sink get large batches.
type Sink struct {
	store      *Store
	logger     *slog.Logger
	verdicts   *batcher[verdictRow]
	sightings  *batcher[Sighting]
	retention  time.Duration
	closeAfter time.Duration
	stopPrune  chan struct{}
}

var _ sinks.Sink = (*Sink)(nil)

// NewSink returns a sink writing through store, whose schema Migrate must
// have brought up to date. It also drops the observables older than the
// retention, at start and hourly. logger nil discards.
func NewSink(store *Store, logger *slog.Logger) *Sink {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg := store.cfg
	s := &Sink{
		store:  store,
		logger: logger,
		verdicts: newBatcher("verdicts",
			insertRows(store, "verdicts", verdictColumns, appendVerdicts), &cfg, logger),
		sightings: newBatcher("observables",
			insertRows(store, "observables", sightingColumns, appendSightings), &cfg, logger),
		retention:  cfg.ObservableRetention,
		closeAfter: cfg.Timeout,
		stopPrune:  make(chan struct{}),
	}
	go pruneLoop(store, logger, s.stopPrune)
	return s
}

// Write implements sinks.Sink: it queues the batch, has it sent at once
// (with whatever other writers queued) and returns when ClickHouse has
// accepted it. While the server is down it waits, retrying, until ctx
// ends; the rows then stay queued and are still written, so a caller that
// gives up and repeats the batch makes a repeat, which the schema absorbs.
// Write blocks while the queue is full. It keeps nothing of batch.
func (s *Sink) Write(ctx context.Context, batch []verdict.Verdict) error {
	return s.verdicts.write(ctx, s.rows(batch, false))
}

// Enqueue queues the batch and returns without waiting for the INSERT,
// blocking only while the queue is full. ack is called once, from the
// sink's sender goroutine, with nil when ClickHouse has accepted every
// verdict of the batch, or with an error when Close gave up on them; it
// must not block. Batches are sent when full (batch_rows) or when their
// oldest row is flush_interval old. This is the API for a pipeline that
// commits input offsets on acknowledgement.
func (s *Sink) Enqueue(ctx context.Context, batch []verdict.Verdict, ack func(error)) error {
	_, err := s.verdicts.enqueue(ctx, s.rows(batch, false), ack)
	return err
}

// Retrospective returns a sinks.Sink that writes through s and marks its
// verdicts as found by retro-hunting.
func (s *Sink) Retrospective() sinks.Sink { return retroSink{s} }

type retroSink struct{ s *Sink }

func (r retroSink) Write(ctx context.Context, batch []verdict.Verdict) error {
	return r.s.verdicts.write(ctx, r.s.rows(batch, true))
}

// Close of the retrospective view does nothing: the Sink it writes
// through is closed by its owner.
func (r retroSink) Close() error { return nil }

func (s *Sink) rows(batch []verdict.Verdict, retro bool) []verdictRow {
	rows := make([]verdictRow, len(batch))
	for i := range batch {
		rows[i] = toVerdictRow(&batch[i])
		rows[i].Retrospective = rows[i].Retrospective || retro
	}
	return rows
}

// WriteSightings queues the observables of events for retro-hunting and
// returns when ClickHouse has accepted them, like Write. Sightings older
// than the retention are left out, since the next prune would drop them;
// a zero event time is taken as now. It keeps nothing of batch.
func (s *Sink) WriteSightings(ctx context.Context, batch []Sighting) error {
	return s.sightings.write(ctx, s.keepSightings(batch))
}

// EnqueueSightings is Enqueue for sightings.
func (s *Sink) EnqueueSightings(ctx context.Context, batch []Sighting, ack func(error)) error {
	_, err := s.sightings.enqueue(ctx, s.keepSightings(batch), ack)
	return err
}

func (s *Sink) keepSightings(batch []Sighting) []Sighting {
	now := time.Now()
	cutoff := now.Add(-s.retention)
	kept := make([]Sighting, 0, len(batch))
	for _, sg := range batch {
		if sg.EventTime.IsZero() {
			sg.EventTime = now
		}
		if sg.EventTime.Before(cutoff) {
			continue
		}
		kept = append(kept, sg)
	}
	return kept
}

// Stats is what the sink did so far, per table.
type Stats struct {
	Verdicts, Sightings TableStats
}

// TableStats counts one table's writes.
type TableStats struct {
	// Rows accepted by ClickHouse, repeats included.
	Rows uint64
	// Inserts accepted, and INSERT attempts that failed (each retry
	// counts).
	Inserts, Failures uint64
	// Pending rows: queued or in flight.
	Pending int64
}

// Stats returns the counters; safe to call at any time.
func (s *Sink) Stats() Stats {
	get := func(t *tableStats) TableStats {
		return TableStats{Rows: t.Rows.Load(), Inserts: t.Inserts.Load(),
			Failures: t.Failures.Load(), Pending: t.Pending.Load()}
	}
	return Stats{Verdicts: get(s.verdicts.stats), Sightings: get(s.sightings.stats)}
}

// Close implements sinks.Sink: it sends what is queued, waiting at most
// the configured timeout for a server that is down, and stops the
// senders. Rows it could not send are counted in the error (they were
// never acknowledged, so an at-least-once pipeline repeats them). It does
// not close the Store.
func (s *Sink) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.closeAfter)
	defer cancel()
	return s.CloseContext(ctx)
}

// CloseContext is Close with the caller's deadline instead.
func (s *Sink) CloseContext(ctx context.Context) error {
	close(s.stopPrune)
	return errors.Join(s.verdicts.close(ctx), s.sightings.close(ctx))
}
