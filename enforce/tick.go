package enforce

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/iocflow/iocflow/internal/logkey"
)

// Device operations.
const (
	opApply  = "apply"
	opRemove = "remove"
)

// job is one device call.
type job struct {
	id      string
	op      string
	adapter Adapter
	req     Request
	attempt int
	// drift marks a removal of something the device held that no action
	// wants (reconciliation); there is no action to update.
	drift bool
}

type result struct {
	job
	receipt Receipt
	err     error
}

// Tick does the work that is due at the clock's now: it applies queued
// actions, retries failed calls whose backoff has passed, undoes actions
// whose time to live has ended (or whose target has since been
// allowlisted), and lets pending approvals lapse. It returns when every
// device call it started has answered or timed out. Run calls it every
// second and after every change; tests call it directly with a fake clock.
// It returns the number of device calls made.
func (s *Service) Tick(ctx context.Context) int {
	s.mu.Lock()
	jobs, alerts := s.collectLocked(ctx)
	s.mu.Unlock()
	s.fire(alerts)
	if len(jobs) == 0 {
		return 0
	}
	results := s.call(ctx, jobs)
	s.mu.Lock()
	alerts = s.finishLocked(ctx, results)
	s.mu.Unlock()
	s.fire(alerts)
	return len(jobs)
}

// step is a change planned under the lock and made only once its audit
// records are written.
type step struct {
	recs []Record
	do   []func()
	jobs []job
}

func (st *step) add(rec Record, do func()) {
	st.recs = append(st.recs, rec)
	st.do = append(st.do, do)
}

// record returns an audit record of event ev on a, stamped now. It carries
// a copy of the action's finding, so that the record names the verdict
// behind it wherever it ends up (file, ClickHouse) and whatever changes
// the action later.
func (s *Service) record(now time.Time, a *Action, ev Event) Record {
	r := Record{Time: now, Event: ev, ActionID: a.ID, Target: a.Target, Adapter: a.Adapter,
		Rule: a.Rule, Actor: "system", Mode: a.Mode.String(), DryRun: a.State == StateDryRun,
		State: a.State, TTL: a.TTL, Lapses: a.Lapses, Applied: a.Applied, Expires: a.Expires}
	if a.Finding.EventID != "" || a.Finding.Indicator != "" {
		f := a.Finding
		r.Finding = &f
	}
	return r
}

func (s *Service) collectLocked(ctx context.Context) ([]job, []Alert) {
	now := s.now()
	st := &step{}
	perAdapter := map[string]int{}
	for _, a := range s.actions {
		if s.busy[a.ID] || !a.State.IsLive() {
			continue
		}
		s.plan(now, a, st)
	}
	// Bound the calls per adapter; the rest wait for the next tick.
	kept := st.jobs[:0]
	for _, j := range st.jobs {
		if perAdapter[j.adapter.Name()] < maxJobsPerAdapter {
			perAdapter[j.adapter.Name()]++
			kept = append(kept, j)
		}
	}
	st.jobs = kept
	for _, j := range st.jobs {
		a := s.actions[j.id]
		r := s.record(now, a, EventTried)
		r.Op, r.Attempt = j.op, j.attempt
		st.recs = append(st.recs, r)
	}
	if len(st.recs) == 0 {
		return nil, nil
	}
	if err := s.audit.Write(ctx, st.recs); err != nil {
		return nil, []Alert{s.auditFailed(now, err, len(st.jobs))}
	}
	for _, do := range st.do {
		do()
	}
	for _, j := range st.jobs {
		s.busy[j.id] = true
	}
	s.saveLocked()
	return st.jobs, nil
}

// plan adds what is due for one live action to st. Changes of state are
// closures run after the audit write.
func (s *Service) plan(now time.Time, a *Action, st *step) {
	reason, protected := s.allow.Protects(a.Target)
	// Expires is zero until the action is first applied: its TTL runs
	// from then.
	expired := !a.Expires.IsZero() && !now.Before(a.Expires)
	switch a.State {
	case StatePending:
		if !a.Lapses.IsZero() && !now.Before(a.Lapses) {
			r := s.record(now, a, EventExpired)
			r.State, r.Note = StateExpired, "not approved within the approval timeout"
			st.add(r, func() { s.finalize(now, a, StateExpired) })
		}
	case StateDryRun:
		if expired {
			r := s.record(now, a, EventExpired)
			r.State, r.Note = StateExpired, "dry run: nothing to undo"
			st.add(r, func() { s.finalize(now, a, StateExpired) })
		}
	case StateQueued:
		switch {
		case protected:
			s.planUndo(now, a, st, StateRolledBack, "allowlist: "+reason)
		case expired:
			s.planUndo(now, a, st, StateExpired, "time to live ended before applying")
		case !now.Before(a.NextTry):
			st.jobs = append(st.jobs, s.newJob(now, a, opApply))
		}
	case StateApplied:
		switch {
		case protected:
			s.planUndo(now, a, st, StateRolledBack, "allowlist: "+reason)
		case expired:
			s.planUndo(now, a, st, StateExpired, "time to live ended")
		}
	case StateRemoving:
		if !now.Before(a.NextTry) {
			st.jobs = append(st.jobs, s.newJob(now, a, opRemove))
		}
	}
}

// planUndo moves a to removing, with undo as its final state. An action
// that was never sent to its device reaches undo at once.
func (s *Service) planUndo(now time.Time, a *Action, st *step, undo State, note string) {
	if a.State == StateQueued && a.Attempts == 0 {
		r := s.record(now, a, eventOf(undo))
		r.State, r.Note = undo, note+"; never sent"
		st.add(r, func() { s.finalize(now, a, undo) })
		return
	}
	r := s.record(now, a, eventOf(undo))
	r.State, r.Op, r.Note = StateRemoving, opRemove, note+"; removing"
	st.add(r, func() {
		a.State, a.Undo, a.Attempts, a.NextTry, a.Updated = StateRemoving, undo, 0, now, now
	})
	a2 := *a
	a2.Attempts = 0
	st.jobs = append(st.jobs, s.newJob(now, &a2, opRemove))
}

func eventOf(st State) Event {
	switch st {
	case StateExpired:
		return EventExpired
	case StateReleased:
		return EventReleased
	case StateRolledBack:
		return EventRolledBack
	case StateDenied:
		return EventDenied
	}
	return EventFailed
}

// newJob returns the next call of op for a at now. The first apply asks the
// device to hold the target for the action's TTL from now; applying again
// after drift keeps the expiry the first apply set.
func (s *Service) newJob(now time.Time, a *Action, op string) job {
	exp := a.Expires
	if op == opApply && exp.IsZero() {
		exp = now.Add(time.Duration(a.TTL))
	}
	return job{id: a.ID, op: op, adapter: s.adapters[a.Adapter], attempt: a.Attempts + 1,
		req: Request{ID: a.ID, Target: a.Target, Expires: exp, Ref: a.Ref, Rule: a.Rule}}
}

// finalize puts a in a final state and frees its (target, adapter) slot.
func (s *Service) finalize(now time.Time, a *Action, st State) {
	a.State, a.Undo, a.Updated, a.NextTry = st, "", now, time.Time{}
	if s.live[liveKey(a.Target, a.Adapter)] == a.ID {
		delete(s.live, liveKey(a.Target, a.Adapter))
	}
	s.metrics.inc("ioc_enforce_actions_final_total", "state", string(st))
}

// call runs jobs, one goroutine per adapter, each adapter's jobs in order.
func (s *Service) call(ctx context.Context, jobs []job) []result {
	byAdapter := map[string][]job{}
	for _, j := range jobs {
		byAdapter[j.adapter.Name()] = append(byAdapter[j.adapter.Name()], j)
	}
	var (
		mu  sync.Mutex
		out []result
		wg  sync.WaitGroup
	)
	for _, js := range byAdapter {
		wg.Go(func() {
			for _, j := range js {
				r := s.callOne(ctx, j)
				mu.Lock()
				out = append(out, r)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return out
}

func (s *Service) callOne(ctx context.Context, j job) result {
	cctx, cancel := context.WithTimeout(ctx, time.Duration(s.cfg.CallTimeout))
	defer cancel()
	r := result{job: j}
	if j.op == opApply {
		r.receipt, r.err = j.adapter.Apply(cctx, j.req)
	} else {
		r.receipt, r.err = j.adapter.Remove(cctx, j.req)
	}
	return r
}

func (s *Service) finishLocked(ctx context.Context, results []result) []Alert {
	now := s.now()
	var recs []Record
	var alerts []Alert
	for _, r := range results {
		if r.drift {
			recs = append(recs, s.driftResult(now, r))
			continue
		}
		delete(s.busy, r.id)
		a := s.actions[r.id]
		rec, alert := s.settle(now, a, r)
		recs = append(recs, rec)
		if alert != nil {
			alerts = append(alerts, *alert)
		}
	}
	if err := s.audit.Write(ctx, recs); err != nil {
		alerts = append(alerts, s.auditFailed(now, err, 0))
	}
	s.saveLocked()
	return alerts
}

// settle records a device's answer on its action.
func (s *Service) settle(now time.Time, a *Action, r result) (Record, *Alert) {
	a.Updated = now
	if r.err == nil {
		s.metrics.inc("ioc_enforce_calls_total", "adapter", a.Adapter, "op", r.op, "result", "ok")
		if r.op == opApply {
			a.State, a.Ref, a.LastError, a.Attempts = StateApplied, r.receipt.Ref, "", 0
			a.NextTry = time.Time{}
			if a.Applied.IsZero() {
				// The TTL runs from the call the device just confirmed.
				a.Applied, a.Expires = now, r.req.Expires
			}
			if a.Undo != "" {
				// Released while the call was under way: undo it now.
				a.State, a.NextTry = StateRemoving, now
			}
			rec := s.record(now, a, EventApplied)
			rec.Op, rec.Attempt, rec.Answer = r.op, r.attempt, r.receipt.Answer
			return rec, nil
		}
		undo := a.Undo
		s.finalize(now, a, undo)
		rec := s.record(now, a, eventOf(undo))
		rec.Op, rec.Attempt, rec.Answer = r.op, r.attempt, r.receipt.Answer
		return rec, nil
	}
	return s.failed(now, a, r)
}

// failed schedules the retry of a failed call, or gives up applying. A
// removal is never given up: it must undo what was done.
func (s *Service) failed(now time.Time, a *Action, r result) (Record, *Alert) {
	s.metrics.inc("ioc_enforce_calls_total", "adapter", a.Adapter, "op", r.op, "result", "error")
	a.Attempts = r.attempt
	a.LastError = r.err.Error()
	rec := s.record(now, a, EventFailed)
	rec.Op, rec.Attempt, rec.Error = r.op, r.attempt, a.LastError
	var de *DeviceError
	if errors.As(r.err, &de) {
		rec.Answer = de.Answer
	}
	if n, ok := s.limiter.allow("call:"+a.Adapter, now); ok {
		s.log.Warn("device call failed", logkey.Adapter, a.Adapter, logkey.Op, r.op, logkey.Err, r.err,
			logkey.Suppressed, n)
	}
	limit := s.cfg.Retry.Attempts
	permanent := de != nil && de.Permanent
	switch {
	case r.op == opApply && a.Undo != "":
		// Released while the call was under way; it may be held in part.
		a.State, a.Attempts, a.NextTry = StateRemoving, 0, now
		rec.State, rec.Note = StateRemoving, "released during the call; removing"
		return rec, nil
	case r.op == opApply && permanent && r.attempt >= 1:
		s.finalize(now, a, StateFailed)
		rec.State, rec.Note = StateFailed, "device refused; not retried"
		return rec, &Alert{Time: now, Adapter: a.Adapter, ActionID: a.ID, Reason: rec.Note}
	case r.op == opApply && r.attempt >= limit:
		// The device may hold part of it (a timeout after it acted): undo.
		a.State, a.Undo, a.Attempts, a.NextTry = StateRemoving, StateFailed, 0, now
		rec.State = StateRemoving
		rec.Note = fmt.Sprintf("gave up after %d attempts; removing what may be held", r.attempt)
		return rec, &Alert{Time: now, Adapter: a.Adapter, ActionID: a.ID, Reason: rec.Note}
	}
	a.NextTry = now.Add(s.backoff(r.attempt))
	rec.State, rec.Note = a.State, "will retry at "+a.NextTry.UTC().Format(time.RFC3339)
	if r.op == opRemove && r.attempt == limit {
		return rec, &Alert{Time: now, Adapter: a.Adapter, ActionID: a.ID,
			Reason: fmt.Sprintf("removal failed %d times; still retrying", r.attempt)}
	}
	return rec, nil
}

// backoff returns the delay before attempt n+1: Base doubled per attempt,
// capped at Max, plus up to 25% jitter so that many actions failing
// together do not retry in step.
func (s *Service) backoff(n int) time.Duration {
	d := time.Duration(s.cfg.Retry.Base)
	for i := 1; i < n && d < time.Duration(s.cfg.Retry.Max); i++ {
		d *= 2
	}
	d = min(d, time.Duration(s.cfg.Retry.Max))
	return d + time.Duration(rand.Int64N(int64(d)/4+1))
}
