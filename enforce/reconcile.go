package enforce

import (
	"context"
	"time"

	"github.com/iocflow/iocflow/internal/logkey"
)

// Reconcile reads back every device that allows it (adapters that are
// Listers) and repairs drift: a target the desired state has applied but
// the device lacks is queued to be applied again; a target the device
// holds under iocflow's marker that no live action wants is removed. Each
// finding is audited as a drift record before anything is changed. In
// dry-run mode drift is only audited.
func (s *Service) Reconcile(ctx context.Context) {
	for name, ad := range s.adapters {
		l, ok := ad.(Lister)
		if !ok {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, time.Duration(s.cfg.CallTimeout))
		held, err := l.Held(cctx)
		cancel()
		if err != nil {
			s.metrics.inc("ioc_enforce_reconcile_errors_total", "adapter", name)
			if n, ok := s.limiter.allow("reconcile:"+name, s.now()); ok {
				s.log.Warn(
					"read back failed",
					logkey.Adapter,
					name,
					logkey.Err,
					err,
					logkey.Suppressed,
					n,
				)
			}
			continue
		}
		s.repair(ctx, ad, held)
	}
}

func (s *Service) repair(ctx context.Context, ad Adapter, held []Target) {
	s.mu.Lock()
	now := s.now()
	name := ad.Name()
	st := &step{}
	onDevice := map[string]bool{}
	for _, t := range held {
		onDevice[liveKey(t, name)] = true
		id, live := s.live[liveKey(t, name)]
		if live && s.actions[id].State != StatePending {
			continue
		}
		r := Record{Time: now, Event: EventDrift, Target: t, Adapter: name, Actor: "system",
			DryRun: s.cfg.DryRun, Note: "held by the device but not desired; removing"}
		if s.cfg.DryRun {
			r.Note = "held by the device but not desired; dry run: left alone"
		} else {
			st.jobs = append(st.jobs, job{id: "drift", op: opRemove, adapter: ad, attempt: 1,
				drift: true, req: Request{ID: "drift-" + t.Key(), Target: t}})
		}
		st.recs = append(st.recs, r)
	}
	for _, a := range s.actions {
		if a.Adapter != name || a.State != StateApplied || s.busy[a.ID] ||
			onDevice[liveKey(a.Target, name)] {
			continue
		}
		r := s.record(now, a, EventDrift)
		r.Note = "desired but missing on the device; applying again"
		st.add(r, func() { a.State, a.NextTry, a.Attempts, a.Updated = StateQueued, now, 0, now })
	}
	if len(st.recs) > 0 {
		s.metrics.add("ioc_enforce_drift_total", int64(len(st.recs)), "adapter", name)
	}
	for _, j := range st.jobs {
		r := Record{Time: now, Event: EventTried, Op: opRemove, Target: j.req.Target,
			Adapter: name, Actor: "system", Attempt: 1, Note: "drift"}
		st.recs = append(st.recs, r)
	}
	if len(st.recs) == 0 {
		s.mu.Unlock()
		return
	}
	if err := s.audit.Write(ctx, st.recs); err != nil {
		alert := s.auditFailed(now, err, len(st.recs))
		s.mu.Unlock()
		s.fire([]Alert{alert})
		return
	}
	for _, do := range st.do {
		do()
	}
	s.saveLocked()
	s.mu.Unlock()
	s.poke()
	if len(st.jobs) == 0 {
		return
	}
	results := s.call(ctx, st.jobs)
	s.mu.Lock()
	alerts := s.finishLocked(ctx, results)
	s.mu.Unlock()
	s.fire(alerts)
}

// driftResult records the device's answer to the removal of a drifted
// target.
func (s *Service) driftResult(now time.Time, r result) Record {
	rec := Record{Time: now, Event: EventDrift, Op: opRemove, Target: r.req.Target,
		Adapter: r.adapter.Name(), Actor: "system", Attempt: r.attempt,
		Answer: r.receipt.Answer, Note: "removed"}
	if r.err != nil {
		rec.Event, rec.Error, rec.Note = EventFailed, r.err.Error(), "drift removal failed; "+
			"next reconciliation tries again"
		s.metrics.inc("ioc_enforce_calls_total", "adapter", rec.Adapter, "op", opRemove,
			"result", "error")
	}
	return rec
}
