package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iocflow/iocflow/internal/logkey"
)

// ErrClosed is returned for rows that a closed sink will not write: Write
// or Enqueue after Close, and rows still queued when Close gave up.
var ErrClosed = errors.New("clickhouse sink closed")

// insertFunc sends rows to one table in one INSERT. It must not keep rows.
type insertFunc[T any] func(ctx context.Context, rows []T) error

// batcher queues rows for one table and sends them from one goroutine, in
// order, in INSERTs of at most batchRows rows: when a batch is full, when
// its oldest row has waited flushInterval, or at once when a Write waits
// for it. A failed INSERT is retried with doubling pauses until it is
// accepted or the batcher is closed and gives up. Rows queued and in
// flight never exceed maxPending (except one oversize call on an empty
// queue); writers block until there is room.
//
// Sequence numbers count rows ever queued (queued) and ever accepted
// (acked); a writer waits until acked reaches the number of its last row.
// One mutex guards the fields below it; changed is closed and replaced on
// every state change, which wakes waiting writers.
type batcher[T any] struct {
	table         string
	insert        insertFunc[T]
	batchRows     int
	maxPending    int
	flushInterval time.Duration
	retryMax      time.Duration
	timeout       time.Duration
	logger        *slog.Logger
	stats         *tableStats

	kick    chan struct{} // wakes the flusher; buffered 1
	stopped chan struct{} // closed when the flusher returns
	giveUp  context.CancelFunc
	runCtx  context.Context

	mu       sync.Mutex
	changed  chan struct{}
	queue    []T
	oldest   time.Time // when the oldest queued row was queued
	inflight int
	queued   uint64
	acked    uint64
	urgent   uint64 // a Write waits for rows up to here
	acks     []pendingAck
	closing  bool
	failed   error // set when the batcher gave up; later waits return it
}

type pendingAck struct {
	seq uint64
	fn  func(error)
}

// tableStats counts what one table's batcher did; read with atomics.
type tableStats struct {
	Rows, Inserts, Failures atomic.Uint64
	Pending                 atomic.Int64
}

func newBatcher[T any](table string, ins insertFunc[T], cfg *Config,
	logger *slog.Logger) *batcher[T] {
	ctx, cancel := context.WithCancel(context.Background())
	b := &batcher[T]{
		table: table, insert: ins, batchRows: cfg.BatchRows, maxPending: cfg.MaxPendingRows,
		flushInterval: cfg.FlushInterval, retryMax: cfg.RetryMax, timeout: cfg.Timeout,
		logger: logger, stats: &tableStats{},
		kick: make(chan struct{}, 1), stopped: make(chan struct{}),
		giveUp: cancel, runCtx: ctx, changed: make(chan struct{}),
	}
	go b.run()
	return b
}

// broadcast wakes every waiter; b.mu must be held.
func (b *batcher[T]) broadcast() {
	close(b.changed)
	b.changed = make(chan struct{})
}

func (b *batcher[T]) wake() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// enqueue queues rows, blocking while the memory bound is reached, and
// returns the sequence number of the last row. ack, if not nil, is called
// once from the flusher goroutine when the rows are accepted, or with an
// error when they never will be.
func (b *batcher[T]) enqueue(ctx context.Context, rows []T, ack func(error)) (uint64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		if b.closing || b.failed != nil {
			return 0, ErrClosed
		}
		used := len(b.queue) + b.inflight
		if used == 0 || used+len(rows) <= b.maxPending {
			break
		}
		ch := b.changed
		b.mu.Unlock()
		select {
		case <-ch:
			b.mu.Lock()
		case <-ctx.Done():
			b.mu.Lock()
			return 0, fmt.Errorf("wait for room in %s queue: %w", b.table, ctx.Err())
		}
	}
	wasEmpty := len(b.queue) == 0
	if wasEmpty {
		b.oldest = time.Now()
	}
	b.queue = append(b.queue, rows...)
	b.queued += uint64(len(rows))
	b.stats.Pending.Add(int64(len(rows)))
	if ack != nil {
		b.acks = append(b.acks, pendingAck{seq: b.queued, fn: ack})
	}
	// The flusher sleeps while the queue is empty; the first row starts its
	// age clock, a full batch goes at once.
	if wasEmpty || len(b.queue) >= b.batchRows {
		b.wake()
	}
	return b.queued, nil
}

// write queues rows, asks for them to be sent now and waits until they are
// accepted. When ctx ends first, the rows stay queued and are still sent.
func (b *batcher[T]) write(ctx context.Context, rows []T) error {
	seq, err := b.enqueue(ctx, rows, nil)
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.urgent = max(b.urgent, seq)
	b.mu.Unlock()
	b.wake()
	return b.wait(ctx, seq)
}

// wait blocks until the rows up to seq are accepted.
func (b *batcher[T]) wait(ctx context.Context, seq uint64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.acked < seq {
		if b.failed != nil {
			return b.failed
		}
		ch := b.changed
		b.mu.Unlock()
		select {
		case <-ch:
			b.mu.Lock()
		case <-ctx.Done():
			b.mu.Lock()
			return fmt.Errorf("wait for %s insert: %w", b.table, ctx.Err())
		}
	}
	return nil
}

// run is the flusher goroutine.
func (b *batcher[T]) run() {
	defer close(b.stopped)
	var timer *time.Timer
	for {
		batch, wait, done := b.next()
		if done {
			return
		}
		if batch == nil {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			select {
			case <-b.kick:
			case <-timer.C:
			case <-b.runCtx.Done():
			}
			continue
		}
		if err := b.send(batch); err != nil {
			b.fail(err)
			return
		}
		b.done(len(batch))
	}
}

// next takes the next batch to send, or says how long to wait for one, or
// that the batcher is finished.
func (b *batcher[T]) next() (batch []T, wait time.Duration, done bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 {
		if b.closing {
			return nil, 0, true
		}
		return nil, time.Hour, false
	}
	age := time.Since(b.oldest)
	ready := len(b.queue) >= b.batchRows || b.urgent > b.acked || b.closing ||
		age >= b.flushInterval
	if !ready {
		return nil, b.flushInterval - age, false
	}
	n := min(len(b.queue), b.batchRows)
	batch = make([]T, n)
	copy(batch, b.queue)
	rest := copy(b.queue, b.queue[n:])
	clear(b.queue[rest:])
	b.queue = b.queue[:rest]
	b.inflight = n
	b.oldest = time.Now()
	return batch, 0, false
}

// done records an accepted batch of n rows and calls the acks it settles.
func (b *batcher[T]) done(n int) {
	b.mu.Lock()
	b.acked += uint64(n)
	b.inflight = 0
	b.stats.Rows.Add(uint64(n))
	b.stats.Inserts.Add(1)
	b.stats.Pending.Add(-int64(n))
	var settled []pendingAck
	i := 0
	for i < len(b.acks) && b.acks[i].seq <= b.acked {
		i++
	}
	settled = append(settled, b.acks[:i]...)
	b.acks = append(b.acks[:0], b.acks[i:]...)
	b.broadcast()
	b.mu.Unlock()
	for _, a := range settled {
		a.fn(nil)
	}
}

// fail gives up on every row not yet accepted.
func (b *batcher[T]) fail(err error) {
	b.mu.Lock()
	lost := len(b.queue) + b.inflight
	b.failed = fmt.Errorf("%s: %d rows not written: %w", b.table, lost, err)
	acks := b.acks
	b.acks = nil
	b.broadcast()
	b.mu.Unlock()
	b.logger.Error("rows not written", "table", b.table, logkey.Count, lost, logkey.Err, err)
	for _, a := range acks {
		a.fn(b.failed)
	}
}

// send inserts one batch, retrying until it is accepted or the batcher
// gives up. Failures are logged once when they start, then at most once
// per retryLogEvery with the count suppressed, and once on recovery.
func (b *batcher[T]) send(batch []T) error {
	pause := 100 * time.Millisecond
	var first time.Time
	var lastLog time.Time
	suppressed := 0
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(b.runCtx, b.timeout)
		err := b.insert(ctx, batch)
		cancel()
		if err == nil {
			if attempt > 1 {
				b.logger.Info("insert recovered", "table", b.table, "attempts", attempt,
					"down_for", time.Since(first))
			}
			return nil
		}
		b.stats.Failures.Add(1)
		if b.runCtx.Err() != nil {
			return ErrClosed
		}
		now := time.Now()
		if attempt == 1 {
			first = now
		}
		if now.Sub(lastLog) >= retryLogEvery {
			b.logger.Warn("insert failed; retrying", "table", b.table, logkey.Count, len(batch),
				"attempt", attempt, logkey.Suppressed, suppressed, logkey.Err, err)
			lastLog, suppressed = now, 0
		} else {
			suppressed++
		}
		select {
		case <-time.After(pause):
		case <-b.runCtx.Done():
			return ErrClosed
		}
		pause = min(2*pause, b.retryMax)
	}
}

// retryLogEvery rate-limits the log lines of a failing table.
const retryLogEvery = 30 * time.Second

// close sends what is queued and stops the flusher. When ctx ends first it
// gives up: rows not yet accepted are reported through their acks and
// waiters with ErrClosed, and close returns an error counting them.
func (b *batcher[T]) close(ctx context.Context) error {
	b.mu.Lock()
	b.closing = true
	b.broadcast()
	b.mu.Unlock()
	b.wake()
	select {
	case <-b.stopped:
	case <-ctx.Done():
		b.giveUp()
		<-b.stopped
	}
	b.giveUp()
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.failed
}
