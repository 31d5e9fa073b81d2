package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iocflow/iocflow/matcher"
	"github.com/iocflow/iocflow/sinks"
)

// Output is a named sink; the name appears in logs and metrics.
type Output struct {
	Name string
	Sink sinks.Sink
}

// DeadLetterSink takes records that could not be decoded. Like a Sink, it
// returns only once the batch is durably handed over, and is used by one
// goroutine at a time.
type DeadLetterSink interface {
	WriteDeadLetters(ctx context.Context, batch []DeadLetter) error
}

// Sighting is one observable of one decoded event as a SightingSink keeps
// it for retro-hunting: what was seen, in which field of which event, when
// and whom it concerns. Its fields are those of clickhouse.Sighting, so a
// value converts to one directly. Its strings are the event's own and stay
// valid after the batch is recycled.
type Sighting struct {
	EventID   string
	EventTime time.Time
	// Department, User and Host say whom the event concerns, as the record
	// named them and enrichment (when configured) completed them.
	Department, User, Host string
	// Format is the input format of the event ("suricata").
	Format string
	Type   string
	Value  string
	Field  string
}

// SightingSink takes the observables of decoded events. Like a Sink, it
// returns only once the batch is durably handed over, keeps nothing of
// the slice, and is used by one goroutine at a time.
type SightingSink interface {
	WriteSightings(ctx context.Context, batch []Sighting) error
}

// StreamConfig is what a Stream needs: its tuning and the parts it
// connects.
type StreamConfig struct {
	Config
	// Engine holds the matcher snapshot in force; each batch is matched
	// against the snapshot loaded when its lane starts it.
	Engine *matcher.Engine
	// Outputs take every verdict; a batch counts as written once all have.
	Outputs []Output
	// DeadLetters takes undecodable records; nil drops them (counted).
	DeadLetters DeadLetterSink
	// Offsets receives the offsets of written batches.
	Offsets *Offsets
	Metrics *Metrics
	// Logger receives lifecycle, retry and rate-limited record reports;
	// nil discards them.
	Logger *slog.Logger
	// Now stamps verdicts; default time.Now, read once per batch.
	Now func() time.Time
}

// ErrAbandoned is returned by Stream.Close when the stream was stopped
// (its context ended) with batches not yet written: their offsets were
// not reported, so they will be read again.
var ErrAbandoned = errors.New("batches abandoned unwritten")

// Stream runs the stages behind a transport: Lanes goroutines that decode,
// normalise and match batches, and one emitter that writes verdicts and
// dead letters and then reports offsets. Every queue between them is
// bounded, so a slow sink fills the emit queue, then the lane queues, and
// then blocks the transport's reader: memory stays bounded and nothing is
// dropped.
//
// A transport binds each source to a lane with Lane and sends its batches
// there in offset order; since lanes and the emitter keep arrival order,
// each partition's batches are written and reported in order.
type Stream struct {
	cfg     StreamConfig
	lanes   []chan *Batch
	emit    chan *Batch
	next    int // lane for the next source
	lanesWG sync.WaitGroup
	done    chan struct{}
	err     error
	// abandoned is set by a lane that dropped a batch on stop.
	abandoned atomic.Bool
}

// StartStream starts the stages. Cancelling ctx abandons what is not
// written yet; to drain instead, stop sending and call Close.
func StartStream(ctx context.Context, cfg StreamConfig) *Stream {
	cfg.Defaults()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Offsets == nil {
		cfg.Offsets = NewOffsets()
	}
	s := &Stream{cfg: cfg, emit: make(chan *Batch, cfg.QueueBatches), done: make(chan struct{})}
	laneDepth := cfg.Metrics.depth("lane")
	for range cfg.Lanes {
		in := make(chan *Batch, cfg.QueueBatches)
		s.lanes = append(s.lanes, in)
		l := &lane{cfg: &s.cfg, in: in, out: s.emit, depth: laneDepth,
			reports: newLimiter(10 * time.Second), abandoned: &s.abandoned}
		l.match.Enrich = cfg.Enrich
		s.lanesWG.Add(1)
		go func() {
			defer s.lanesWG.Done()
			l.run(ctx)
		}()
	}
	e := newEmitter(&s.cfg, s.emit)
	go func() {
		defer close(s.done)
		s.err = e.run(ctx)
	}()
	return s
}

// Lane binds a source to a lane and returns the lane's queue. The caller
// sends the source's batches there, in order, and stops sending before
// Close. Lane is not safe for concurrent use.
func (s *Stream) Lane() chan<- *Batch {
	l := s.lanes[s.next%len(s.lanes)]
	s.next++
	return l
}

// Close drains the stream: it waits until every batch sent so far is
// written and reported, or abandoned because the context ended
// (ErrAbandoned). Every sender must have stopped before Close.
func (s *Stream) Close() error {
	for _, l := range s.lanes {
		close(l)
	}
	s.lanesWG.Wait()
	close(s.emit)
	<-s.done
	if s.err == nil && s.abandoned.Load() {
		return ErrAbandoned
	}
	return s.err
}
