package pipeline

import (
	"context"
	"time"

	"github.com/iocflow/iocflow/internal/logkey"
	"github.com/iocflow/iocflow/sinks/verdict"
	"github.com/prometheus/client_golang/prometheus"
)

// Retry pacing of a failing sink: the wait doubles from retryFirst up to
// retryMax, and a line is logged at most once per retryLogEvery.
const (
	retryFirst    = 100 * time.Millisecond
	retryMax      = 5 * time.Second
	retryLogEvery = 30 * time.Second
)

// emitter gathers processed batches, writes their verdicts to every output
// and their dead letters to the dead-letter sink, and then reports their
// offsets. A failing write is retried until it succeeds or the stream's
// context ends: the pipeline waits rather than drops.
type emitter struct {
	cfg       *StreamConfig
	in        <-chan *Batch
	depth     prometheus.Gauge
	batches   []*Batch
	verdicts  []verdict.Verdict
	dead      []DeadLetter
	sightings []Sighting
	pending   int // verdicts in batches
}

func newEmitter(cfg *StreamConfig, in <-chan *Batch) *emitter {
	return &emitter{cfg: cfg, in: in, depth: cfg.Metrics.depth("emit")}
}

// run writes batches until in is closed (nil) or ctx ends (ErrAbandoned
// when batches were left unwritten).
func (e *emitter) run(ctx context.Context) error {
	for {
		b, ok := <-e.in
		if !ok {
			return nil
		}
		e.depth.Set(float64(len(e.in)))
		e.add(b)
		closed := e.gather()
		if err := e.flush(ctx); err != nil {
			return err
		}
		if closed {
			return nil
		}
	}
}

// gather takes the batches already waiting, up to FlushVerdicts verdicts,
// without blocking. It reports whether the queue was closed.
func (e *emitter) gather() (closed bool) {
	for e.pending < e.cfg.FlushVerdicts {
		select {
		case b, ok := <-e.in:
			if !ok {
				return true
			}
			e.add(b)
		default:
			return false
		}
	}
	return false
}

func (e *emitter) add(b *Batch) {
	e.batches = append(e.batches, b)
	e.pending += len(b.Verdicts)
}

// flush writes what was gathered and reports its offsets: verdicts to
// every output, then sightings, then dead letters, each retried until
// taken, so an offset is reported only once all three have been.
func (e *emitter) flush(ctx context.Context) error {
	e.verdicts, e.dead, e.sightings = e.verdicts[:0], e.dead[:0], e.sightings[:0]
	for _, b := range e.batches {
		e.verdicts = append(e.verdicts, b.Verdicts...)
		e.dead = append(e.dead, b.Dead...)
		e.sightings = append(e.sightings, b.Sightings...)
	}
	if len(e.verdicts) > 0 {
		for _, o := range e.cfg.Outputs {
			if err := e.retry(ctx, o.Name, func(ctx context.Context) error {
				return o.Sink.Write(ctx, e.verdicts)
			}); err != nil {
				return e.abandon()
			}
		}
	}
	if len(e.sightings) > 0 && e.cfg.Sightings != nil {
		if err := e.retry(ctx, "sightings", func(ctx context.Context) error {
			return e.cfg.Sightings.WriteSightings(ctx, e.sightings)
		}); err != nil {
			return e.abandon()
		}
	}
	if len(e.dead) > 0 && e.cfg.DeadLetters != nil {
		if err := e.retry(ctx, "dead_letters", func(ctx context.Context) error {
			return e.cfg.DeadLetters.WriteDeadLetters(ctx, e.dead)
		}); err != nil {
			return e.abandon()
		}
	}
	now := time.Now()
	for _, b := range e.batches {
		if next := b.Next(); next >= 0 {
			e.cfg.Offsets.Done(b.Source, next)
		}
		b.Source.m.verdictsOut.Add(float64(len(b.Verdicts)))
		b.Source.m.dead.Add(float64(len(b.Dead)))
		if !b.Fetched.IsZero() {
			e.cfg.Metrics.observeLatency(now.Sub(b.Fetched).Seconds())
		}
		PutBatch(b)
	}
	clear(e.batches)
	clear(e.verdicts)
	clear(e.dead)
	clear(e.sightings)
	e.batches, e.pending = e.batches[:0], 0
	return nil
}

func (e *emitter) abandon() error {
	e.cfg.Logger.Warn("stream stopped with batches unwritten; they will be read again",
		logkey.Count, len(e.batches))
	return ErrAbandoned
}

// retry calls write until it succeeds or ctx ends.
func (e *emitter) retry(ctx context.Context, sink string,
	write func(context.Context) error) error {
	wait := retryFirst
	var failedSince, lastLog time.Time
	for attempt := 1; ; attempt++ {
		err := write(ctx)
		if err == nil {
			if attempt > 1 {
				e.cfg.Logger.Info("sink write succeeded after retries", logkey.Sink, sink,
					logkey.Attempts, attempt, logkey.Duration, time.Since(failedSince))
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		e.cfg.Metrics.retries(sink).Inc()
		if attempt == 1 {
			failedSince = time.Now()
		}
		if time.Since(lastLog) >= retryLogEvery {
			lastLog = time.Now()
			e.cfg.Logger.Warn("sink write failed; pipeline waits and retries", logkey.Sink, sink,
				logkey.Attempts, attempt, logkey.Err, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		wait = min(2*wait, retryMax)
	}
}
