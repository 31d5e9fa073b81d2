package pipeline

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/iocflow/iocflow/internal/clip"
	"github.com/iocflow/iocflow/internal/logkey"
	"github.com/iocflow/iocflow/pipeline/event"
	"github.com/prometheus/client_golang/prometheus"
)

// lane is one decode-and-match worker: it turns each batch's records into
// events (decoders also normalise: observables leave them canonical),
// matches them, and passes the batch on. It owns its scratch event and
// match state.
type lane struct {
	cfg     *StreamConfig
	in      <-chan *Batch
	out     chan<- *Batch
	depth   prometheus.Gauge
	ev      event.Event
	match   Match
	reports *limiter
	// abandoned is set when a batch is dropped because the stream stopped.
	abandoned *atomic.Bool
}

func (l *lane) run(ctx context.Context) {
	for b := range l.in {
		l.depth.Set(float64(len(l.in)))
		l.process(b)
		select {
		case l.out <- b:
		case <-ctx.Done():
			l.abandoned.Store(true)
			PutBatch(b)
		}
	}
}

// process decodes and matches every record of b. Hot path: in steady state
// it allocates only what the decoder and the matched verdicts need, and
// one origin string per record that gave a verdict or a dead letter.
func (l *lane) process(b *Batch) {
	now := l.cfg.Now()
	snap := l.cfg.Engine.Load()
	src := b.Source
	decoded, matched, verdicts := 0, 0, 0
	for i := range b.Records {
		r := &b.Records[i]
		l.ev.Reset()
		if reason := l.decode(src, r.Value); reason != "" {
			b.Dead = append(b.Dead, DeadLetter{Source: src, Record: *r, Reason: reason})
			l.reportDead(src, r, reason)
			continue
		}
		decoded++
		if l.cfg.Enrich != nil {
			l.cfg.Enrich.Learn(&l.ev, now)
		}
		if l.cfg.Sightings != nil {
			l.appendSightings(b, now)
		}
		first := len(b.Verdicts)
		b.Verdicts = l.match.Verdicts(snap, &l.ev, now, b.Verdicts)
		if n := len(b.Verdicts) - first; n > 0 {
			matched++
			verdicts += n
			origin := src.Origin(r.Offset)
			for j := first; j < len(b.Verdicts); j++ {
				b.Verdicts[j].Origin = origin
			}
		}
	}
	src.m.read.Add(float64(len(b.Records)))
	src.m.decoded.Add(float64(decoded))
	src.m.matched.Add(float64(matched))
	src.m.verdictsMatched.Add(float64(verdicts))
}

// appendSightings adds the observables of l.ev to b. With enrichment it
// first fills whom the event concerns, so that a later retro-hunt verdict
// carries the department too (the match stage would do it only for events
// that matched). Hot path: it allocates only when b.Sightings grows.
func (l *lane) appendSightings(b *Batch, now time.Time) {
	ev := &l.ev
	if len(ev.Observables) == 0 {
		return
	}
	if l.cfg.Enrich != nil {
		l.cfg.Enrich.Event(ev, now)
	}
	for _, o := range ev.Observables {
		b.Sightings = append(b.Sightings, Sighting{EventID: ev.ID, EventTime: ev.Time,
			Department: ev.Department, User: ev.User, Host: ev.Host, Format: ev.Format,
			Type: o.Type.String(), Value: o.Value, Field: o.Field})
	}
}

// decode decodes one record into l.ev and returns why it could not, or "".
// A decoder that panics on hostile input costs that record, not the
// stream: the panic becomes the record's dead-letter reason.
func (l *lane) decode(src *Source, data []byte) (reason string) {
	defer func() {
		if p := recover(); p != nil {
			reason = fmt.Sprintf("decoder %s panicked: %v", src.Decoder.Format(), p)
		}
	}()
	if len(data) == 0 {
		return "empty record"
	}
	if err := src.Decoder.Decode(data, &l.ev); err != nil {
		return err.Error()
	}
	return ""
}

func (l *lane) reportDead(src *Source, r *Record, reason string) {
	ok, suppressed := l.reports.allow()
	if !ok {
		return
	}
	l.cfg.Logger.Warn("undecodable record sent to dead letters",
		logkey.Topic, src.Topic, logkey.Partition, src.Partition, logkey.Offset, r.Offset,
		logkey.Reason, clip.Quote(reason), logkey.Suppressed, suppressed)
}
