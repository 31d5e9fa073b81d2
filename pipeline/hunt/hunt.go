// Package hunt is retro-hunting: when indicators arrive, it looks them up
// in the observables stored from earlier events and makes verdicts for the
// sightings it finds, marked retrospective, so that an infection that began
// before its indicator was published is still found.
//
// The store narrows the sightings by value (it runs the query), and the
// hunt confirms each with a matcher snapshot built from the indicators, so
// a retrospective verdict follows exactly the rules of a live one: parent
// domains, CIDR blocks, URL hosts, text patterns. A verdict the store
// already holds for the same event and indicator (made live, or by an
// earlier hunt) is not made again.
//
// A Hunter is used by one goroutine at a time.
package hunt

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/internal/logkey"
	"github.com/iocflow/iocflow/matcher"
	"github.com/iocflow/iocflow/sinks"
	"github.com/iocflow/iocflow/sinks/clickhouse"
	"github.com/iocflow/iocflow/sinks/verdict"
)

// Store is where the observables of past events are kept;
// *clickhouse.Store implements it.
type Store interface {
	// Sightings calls fn for the stored sightings in [from, to) that may
	// match one of inds, the sightings of one event one after another.
	Sightings(ctx context.Context, from, to time.Time, inds []*ioc.Indicator,
		fn func(*clickhouse.Sighting) error) error
	// KnownVerdicts calls fn for each verdict already stored for eventIDs.
	KnownVerdicts(ctx context.Context, eventIDs []string,
		fn func(eventID, indicatorID string)) error
}

// Hunter runs hunts.
type Hunter struct {
	Store Store
	// Sink receives the retrospective verdicts; for ClickHouse it is
	// (*clickhouse.Sink).Retrospective(), which marks them so.
	Sink sinks.Sink
	// Forward, if set, also receives every batch, before Sink: in service
	// mode the verdict topic, so that enforcement can act on what the hunt
	// found. It is written first because the store is what marks a verdict
	// as made: if Forward fails nothing is stored and the next hunt makes
	// the batch again; if Sink fails after it, the batch may be forwarded
	// twice, which enforcement absorbs (one action per target and adapter).
	Forward sinks.Sink
	// Logger nil discards.
	Logger *slog.Logger
	// Now stamps the verdicts and judges the indicators' validity; default
	// time.Now.
	Now func() time.Time
	// BatchSize is how many verdicts are checked and written at once;
	// default 1000.
	BatchSize int
}

// Stats counts what a hunt did.
type Stats struct {
	// Indicators hunted: those of the input active at the hunt's time.
	Indicators int
	// Sightings the store returned, and how many the matcher confirmed.
	Sightings, Confirmed int
	// Verdicts written, and those skipped as already known.
	Verdicts, Known int
}

// Hunt looks inds up in the sightings of [from, to) and writes a
// retrospective verdict for each (event, indicator) found that the store
// does not hold yet. An indicator counts when one of its sources is active
// now, whatever its valid-from: a hunt exists to find what happened before
// the indicator was published. Revoked and expired sources never count.
func (h *Hunter) Hunt(ctx context.Context, inds []*ioc.Indicator,
	from, to time.Time) (Stats, error) {
	r := h.newRun(inds)
	if len(r.active) == 0 {
		return r.stats, nil
	}
	err := h.Store.Sightings(ctx, from, to, r.active, func(sg *clickhouse.Sighting) error {
		return r.sighting(ctx, sg)
	})
	if err == nil {
		err = r.endEvent(ctx, true)
	}
	h.logger().Info("retro-hunt finished", "indicators", r.stats.Indicators,
		"sightings", r.stats.Sightings, "verdicts", r.stats.Verdicts, "known", r.stats.Known)
	if err != nil {
		return r.stats, fmt.Errorf("hunt: %w", err)
	}
	return r.stats, nil
}

func (h *Hunter) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Logger
}

// run is the state of one hunt.
type run struct {
	h      *Hunter
	now    time.Time
	active []*ioc.Indicator
	snap   *matcher.Snapshot
	stats  Stats
	refs   []matcher.Ref
	event  string            // id of the event whose sightings are coming
	cur    []verdict.Verdict // its verdicts so far
	batch  []verdict.Verdict // verdicts of finished events, to check and write
}

func (h *Hunter) newRun(inds []*ioc.Indicator) *run {
	now := time.Now()
	if h.Now != nil {
		now = h.Now()
	}
	r := &run{h: h, now: now}
	for _, in := range inds {
		if in.IsActive(now) {
			r.active = append(r.active, in)
		}
	}
	r.stats.Indicators = len(r.active)
	r.snap = matcher.Build(1, r.active)
	return r
}

func (r *run) batchSize() int {
	if r.h.BatchSize > 0 {
		return r.h.BatchSize
	}
	return 1000
}

// sighting confirms one sighting with the matcher and adds its verdicts.
func (r *run) sighting(ctx context.Context, sg *clickhouse.Sighting) error {
	r.stats.Sightings++
	if sg.EventID != r.event {
		if err := r.endEvent(ctx, false); err != nil {
			return err
		}
		r.event = sg.EventID
	}
	t, ok := ioc.ParseType(sg.Type)
	if !ok {
		return nil
	}
	r.refs = r.snap.Lookup(t, sg.Value, r.refs[:0])
	if len(r.refs) > 0 {
		r.stats.Confirmed++
	}
	for _, ref := range r.refs {
		r.add(sg, t, r.snap.Indicator(ref))
	}
	return nil
}

// add makes or extends the verdict of the current event on in.
func (r *run) add(sg *clickhouse.Sighting, t ioc.Type, in *ioc.Indicator) {
	for i := range r.cur {
		v := &r.cur[i]
		if v.Indicator.ID == in.ID {
			if sg.Field != v.Observable.Field && !slices.Contains(v.OtherFields, sg.Field) {
				v.OtherFields = append(v.OtherFields, sg.Field)
			}
			return
		}
	}
	a, ok := in.Assess(r.now)
	if !ok {
		return
	}
	r.cur = append(r.cur, verdict.Verdict{
		EventID: sg.EventID, EventTime: sg.EventTime, Time: r.now, Format: sg.Format,
		Origin: "retro-hunt", Retrospective: true,
		Observable: ioc.Observable{Type: t, Value: sg.Value, Field: sg.Field},
		Indicator:  verdict.IndicatorOf(in, r.now), Confidence: a.Confidence, Severity: a.Severity,
		ThreatTypes: a.ThreatTypes, Malware: a.Malware, Campaigns: a.Campaigns,
		Actors: a.Actors, MatcherVersion: r.snap.Version(),
		Department: sg.Department, User: sg.User, Host: sg.Host,
	})
}

// endEvent moves the current event's verdicts to the batch, and writes the
// batch when it is full or when last is set.
func (r *run) endEvent(ctx context.Context, last bool) error {
	r.batch = append(r.batch, r.cur...)
	r.cur = r.cur[:0]
	if len(r.batch) == 0 || (!last && len(r.batch) < r.batchSize()) {
		return nil
	}
	return r.flush(ctx)
}

// flush drops the verdicts the store already holds and writes the rest.
func (r *run) flush(ctx context.Context) error {
	var ids []string
	for i := range r.batch {
		if i == 0 || r.batch[i].EventID != r.batch[i-1].EventID {
			ids = append(ids, r.batch[i].EventID)
		}
	}
	known := map[[2]string]bool{}
	err := r.h.Store.KnownVerdicts(ctx, ids, func(ev, ind string) {
		known[[2]string{ev, ind}] = true
	})
	if err != nil {
		return err
	}
	out := r.batch[:0]
	for _, v := range r.batch {
		if known[[2]string{v.EventID, v.Indicator.ID}] {
			r.stats.Known++
			continue
		}
		out = append(out, v)
	}
	if len(out) > 0 && r.h.Forward != nil {
		if err := r.h.Forward.Write(ctx, out); err != nil {
			return fmt.Errorf("forward verdicts: %w", err)
		}
	}
	if len(out) > 0 {
		if err := r.h.Sink.Write(ctx, out); err != nil {
			return fmt.Errorf("write verdicts: %w", err)
		}
	}
	r.stats.Verdicts += len(out)
	r.h.logger().Debug("retro-hunt batch written", logkey.Count, len(out))
	clear(r.batch)
	r.batch = r.batch[:0]
	return nil
}
