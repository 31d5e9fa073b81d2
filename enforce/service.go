package enforce

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/iocflow/iocflow/internal/logkey"
	"github.com/iocflow/iocflow/sinks/verdict"
)

// keepFinal is how long actions in a final state stay in the state file
// (and in List) after their last change; the audit trail keeps them for
// ever.
const keepFinal = 7 * 24 * time.Hour

// tickInterval is how often Run looks for due work when nothing wakes it.
const tickInterval = time.Second

// maxJobsPerAdapter bounds the device calls one adapter gets per tick, so
// that a tick ends in bounded time even when a device hangs.
const maxJobsPerAdapter = 256

// Options are what New needs besides the configuration.
type Options struct {
	Config   Config
	Adapters []Adapter
	// Audit receives every record; required.
	Audit AuditSink
	// Store keeps the state; default a FileStore at Config.StateFile.
	Store Store
	// Logger receives lifecycle lines and rate-limited problems; nil
	// discards.
	Logger *slog.Logger
	// Now is the clock; default time.Now. Tests inject a fake one.
	Now func() time.Time
	// OnAlert, if set, is called (outside the service's lock) for every
	// alert: blast radius reached, an action given up, a removal that
	// keeps failing, audit records that could not be written.
	OnAlert func(Alert)
}

// Alert is something an operator must look at.
type Alert struct {
	Time     time.Time
	Adapter  string
	ActionID string
	Reason   string
}

// Service is the enforcement service. It consumes findings (Write takes
// verdicts directly, so a Service is a sinks.Sink), keeps the desired
// state of every adapter and drives it there. Safe for concurrent use.
type Service struct {
	cfg      Config
	adapters map[string]Adapter
	audit    AuditSink
	store    Store
	log      *slog.Logger
	now      func() time.Time
	onAlert  func(Alert)
	allow    *Allowlist
	metrics  metrics
	limiter  logLimiter
	wake     chan struct{}

	mu       sync.Mutex
	policy   Policy
	policyBy string
	policyAt time.Time
	actions  map[string]*Action
	// live maps liveKey(target, adapter) to the id of the live action.
	live map[string]string
	// auto holds, per adapter, when automatic actions were taken within
	// the blast-radius window, oldest first.
	auto map[string][]time.Time
	// alerted holds, per adapter, when the blast-radius alert last fired.
	alerted map[string]time.Time
	// busy marks actions with a device call under way.
	busy map[string]bool
}

func liveKey(t Target, adapter string) string { return t.Key() + "|" + adapter }

// New builds a service, loads its state from the store and checks the
// policy against the adapters. The returned service does nothing until
// Run (or Tick) is called.
func New(o Options) (*Service, error) {
	cfg := o.Config
	cfg.Defaults()
	if err := cfg.Validate("enforcement"); err != nil {
		return nil, err
	}
	if o.Audit == nil {
		return nil, errors.New("enforcement: no audit sink")
	}
	s := &Service{
		cfg: cfg, adapters: map[string]Adapter{}, audit: o.Audit, store: o.Store,
		log: o.Logger, now: o.Now, onAlert: o.OnAlert, wake: make(chan struct{}, 1),
		actions: map[string]*Action{}, live: map[string]string{},
		auto: map[string][]time.Time{}, alerted: map[string]time.Time{}, busy: map[string]bool{},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.store == nil {
		s.store = &FileStore{Path: cfg.StateFile}
	}
	if err := s.setup(o.Adapters); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Service) setup(adapters []Adapter) error {
	var err error
	s.allow, err = NewAllowlist(s.cfg.Allowlist, !s.cfg.SkipDefaultAllowlist)
	if err != nil {
		return fmt.Errorf("enforcement.allowlist: %w", err)
	}
	if s.cfg.AllowlistFile != "" {
		if err := s.allow.LoadAllowlistFile(s.cfg.AllowlistFile); err != nil {
			return fmt.Errorf("enforcement.allowlist_file: %w", err)
		}
	}
	for _, a := range adapters {
		if _, dup := s.adapters[a.Name()]; dup {
			return fmt.Errorf("enforcement: two adapters named %q", a.Name())
		}
		s.adapters[a.Name()] = a
	}
	s.policy = s.cfg.Policy
	if err := s.checkPolicy(&s.policy, "enforcement.policy"); err != nil {
		return err
	}
	return s.load()
}

// checkPolicy reports rules that name an unknown adapter or one that cannot
// carry out the rule's kind.
func (s *Service) checkPolicy(p *Policy, prefix string) error {
	var errs []error
	for i, r := range p.Rules {
		for j, name := range r.Adapters {
			a, ok := s.adapters[name]
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("%s.rules[%d].adapters[%d]: no adapter named %q",
					prefix, i, j, name))
			case !a.Supports(r.Action):
				errs = append(errs, fmt.Errorf("%s.rules[%d].adapters[%d]: %q cannot %s",
					prefix, i, j, name, r.Action))
			}
		}
	}
	return errors.Join(errs...)
}

// load restores the state saved by an earlier run.
func (s *Service) load() error {
	snap, err := s.store.Load()
	if err != nil {
		return fmt.Errorf("enforcement: %w", err)
	}
	if snap.Policy != nil {
		if err := s.checkPolicy(snap.Policy, "stored policy"); err != nil {
			return fmt.Errorf("enforcement: policy set through the API no longer fits "+
				"the adapters; reset it or restore the adapters: %w", err)
		}
		s.policy, s.policyBy, s.policyAt = *snap.Policy, snap.PolicyBy, snap.PolicyAt
	}
	for i := range snap.Actions {
		a := snap.Actions[i]
		if _, ok := s.adapters[a.Adapter]; !ok && a.State.IsLive() {
			return fmt.Errorf("enforcement: stored action %s is %s on adapter %q, "+
				"which is no longer configured", a.ID, a.State, a.Adapter)
		}
		upgrade(&a)
		s.actions[a.ID] = &a
		if a.State.IsLive() {
			s.live[liveKey(a.Target, a.Adapter)] = a.ID
		}
		if !a.Auto.IsZero() {
			s.auto[a.Adapter] = append(s.auto[a.Adapter], a.Auto)
		}
	}
	if n := s.recoverTail(snap); n > 0 {
		s.log.Warn("actions recovered from the audit trail after a crash", logkey.Count, n)
	}
	s.rebuildAuto()
	s.log.Info("enforcement state loaded", logkey.Count, len(s.actions), logkey.Live, len(s.live))
	if _, ok := s.audit.(TailReader); ok {
		// Record where the trail ends now, so that a crash before the
		// first change is recovered from here.
		s.saveLocked()
	}
	return nil
}

// recoverTail brings back the actions that the audit trail recorded after
// the snapshot was taken: a crash between writing a proposal to the trail
// and saving the state would otherwise lose them, and the verdict read
// again after the restart would propose a second action for the same
// target. It returns how many it brought back.
func (s *Service) recoverTail(snap *Snapshot) int {
	tr, ok := s.audit.(TailReader)
	if !ok || snap.AuditLen == 0 {
		return 0
	}
	recs, err := tr.ReadTail(snap.AuditLen)
	if err != nil {
		s.log.Warn("audit trail not read back; actions proposed just before a crash "+
			"may be proposed again", logkey.Err, err)
	}
	n := 0
	for i := range recs {
		if a := s.fromRecord(&recs[i]); a != nil {
			s.actions[a.ID] = a
			s.live[liveKey(a.Target, a.Adapter)] = a.ID
			n++
		}
	}
	return n
}

// fromRecord returns the action a proposal record created, or nil when r
// is no proposal or its action is known already.
func (s *Service) fromRecord(r *Record) *Action {
	if r.Event != EventProposed && r.Event != EventHeld || r.ActionID == "" ||
		s.actions[r.ActionID] != nil || !r.State.IsLive() {
		return nil
	}
	if _, ok := s.adapters[r.Adapter]; !ok {
		return nil
	}
	if _, ok := s.live[liveKey(r.Target, r.Adapter)]; ok {
		return nil
	}
	a := &Action{ID: r.ActionID, Target: r.Target, Adapter: r.Adapter, Rule: r.Rule,
		State: r.State, Held: r.Event == EventHeld, Created: r.Time, Updated: r.Time, Hits: 1,
		TTL: r.TTL, Lapses: r.Lapses, Expires: r.Expires}
	upgrade(a)
	_ = a.Mode.UnmarshalText([]byte(r.Mode)) // written by Mode.String
	if r.Finding != nil {
		a.Finding = *r.Finding
	}
	if a.Mode == ModeAutomatic && !a.Held {
		a.Auto = r.Time
	}
	if a.State == StateQueued {
		a.NextTry = r.Time
	}
	return a
}

// upgrade brings an action saved before actions kept their TTL (when
// Expires was set at creation and bounded the wait for approval too) to
// the present form: the TTL is what Expires was past creation, a pending
// action lapses at that old Expires, and one not applied yet gets its
// expiry when it is.
func upgrade(a *Action) {
	if a.TTL != 0 || a.Expires.IsZero() {
		return
	}
	a.TTL = Duration(a.Expires.Sub(a.Created))
	switch a.State {
	case StatePending:
		a.Lapses, a.Expires = a.Expires, time.Time{}
	case StateQueued:
		if a.Ref == "" {
			a.Expires = time.Time{}
		}
	}
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "a" + hex.EncodeToString(b[:])
}

// Write takes a batch of verdicts, so that a Service can be handed to the
// pipeline as a sink: one finding per verdict, or per recipient mailbox of
// a mail message (AppendFindings). See Submit.
func (s *Service) Write(ctx context.Context, batch []verdict.Verdict) error {
	fs := make([]Finding, 0, len(batch))
	for i := range batch {
		fs = AppendFindings(fs, &batch[i])
	}
	return s.Submit(ctx, fs)
}

// Close does nothing: the service's sinks are closed by whoever opened
// them. It makes a Service a sinks.Sink.
func (s *Service) Close() error { return nil }

// Submit runs findings through the policy and the guards and records the
// actions they yield. It returns an error only when ctx ends: a failing
// audit sink drops the new actions (counted, logged, alerted) rather than
// stopping the pipeline that feeds enforcement. Device calls happen later,
// in Tick.
func (s *Service) Submit(ctx context.Context, fs []Finding) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	alerts := s.submitLocked(ctx, fs)
	s.mu.Unlock()
	s.fire(alerts)
	s.poke()
	return nil
}

func (s *Service) submitLocked(ctx context.Context, fs []Finding) []Alert {
	now := s.now()
	b := batch{}
	var props []Proposal
	for i := range fs {
		props = s.policy.Evaluate(&fs[i], props[:0])
		for _, p := range props {
			s.propose(now, &fs[i], p, &b)
		}
	}
	s.metrics.add("ioc_enforce_findings_total", int64(len(fs)))
	if len(b.recs) == 0 && len(b.created) == 0 {
		return b.alerts
	}
	if err := s.audit.Write(ctx, b.recs); err != nil {
		for _, a := range b.created {
			delete(s.actions, a.ID)
			delete(s.live, liveKey(a.Target, a.Adapter))
		}
		s.rebuildAuto()
		return append(b.alerts, s.auditFailed(now, err, len(b.created)))
	}
	s.saveLocked()
	return b.alerts
}

// batch collects what one locked step produced.
type batch struct {
	recs    []Record
	created []*Action
	alerts  []Alert
}

func (s *Service) propose(now time.Time, f *Finding, p Proposal, b *batch) {
	rec := Record{Time: now, Target: p.Target, Adapter: p.Adapter, Rule: p.Rule.Name,
		Actor: "rule:" + p.Rule.Name, Mode: p.Rule.Mode.String(), DryRun: s.cfg.DryRun, Finding: f}
	if reason, ok := s.allow.Protects(p.Target); ok {
		s.metrics.inc("ioc_enforce_suppressed_total", "guard", "allowlist")
		rec.Event, rec.Note = EventSuppressed, "allowlist: "+reason
		b.recs = append(b.recs, rec)
		return
	}
	if id, ok := s.live[liveKey(p.Target, p.Adapter)]; ok {
		s.actions[id].Hits++
		s.metrics.inc("ioc_enforce_deduplicated_total")
		return
	}
	a := &Action{ID: newID(), Target: p.Target, Adapter: p.Adapter, Rule: p.Rule.Name,
		Mode: p.Rule.Mode, Created: now, Updated: now, Hits: 1, Finding: *f, TTL: p.Rule.TTL}
	s.place(now, a, b)
	s.actions[a.ID] = a
	s.live[liveKey(a.Target, a.Adapter)] = a.ID
	b.created = append(b.created, a)
	rec.ActionID, rec.State, rec.Event = a.ID, a.State, EventProposed
	rec.TTL, rec.Lapses, rec.Expires = a.TTL, a.Lapses, a.Expires
	if a.Held {
		rec.Event, rec.Note = EventHeld, "blast radius reached: waits for approval"
	}
	b.recs = append(b.recs, rec)
	s.metrics.inc("ioc_enforce_actions_proposed_total", "kind", a.Target.Kind.String(),
		"state", string(a.State))
}

// place decides the first state of a new action: pending for approval
// rules or over the blast radius (until the approval timeout), dry-run (in
// force, on paper, for its TTL from now), or queued for applying.
func (s *Service) place(now time.Time, a *Action, b *batch) {
	lapses := now.Add(time.Duration(s.cfg.ApprovalTimeout))
	if a.Mode == ModeApproval {
		a.State, a.Lapses = StatePending, lapses
		return
	}
	if !s.blastAllows(a.Adapter, now) {
		a.State, a.Held, a.Lapses = StatePending, true, lapses
		s.metrics.inc("ioc_enforce_held_total", "adapter", a.Adapter)
		win := time.Duration(s.cfg.BlastRadius.Window)
		if last, ok := s.alerted[a.Adapter]; !ok || now.Sub(last) >= win {
			s.alerted[a.Adapter] = now
			b.recs = append(b.recs, Record{Time: now, Event: EventAlert, Adapter: a.Adapter,
				Actor: "system", Note: fmt.Sprintf("blast radius reached: %d automatic "+
					"actions in %s; further actions wait for approval",
					s.cfg.BlastRadius.Limit, win)})
			b.alerts = append(b.alerts, Alert{Time: now, Adapter: a.Adapter,
				Reason: "blast radius reached"})
			s.log.Error("blast radius reached", logkey.Adapter, a.Adapter,
				logkey.Limit, s.cfg.BlastRadius.Limit, logkey.Window, win)
		}
		return
	}
	a.Auto = now
	s.auto[a.Adapter] = append(s.auto[a.Adapter], now)
	if s.cfg.DryRun {
		a.State, a.Expires = StateDryRun, now.Add(time.Duration(a.TTL))
		return
	}
	a.State, a.NextTry = StateQueued, now
}

// blastAllows reports whether adapter may take one more automatic action
// at now.
func (s *Service) blastAllows(adapter string, now time.Time) bool {
	times := s.auto[adapter]
	cut := now.Add(-time.Duration(s.cfg.BlastRadius.Window))
	i := 0
	for i < len(times) && !times[i].After(cut) {
		i++
	}
	times = times[i:]
	s.auto[adapter] = times
	return len(times) < s.cfg.BlastRadius.Limit
}

func (s *Service) rebuildAuto() {
	clear(s.auto)
	for _, a := range s.actions {
		if !a.Auto.IsZero() {
			s.auto[a.Adapter] = append(s.auto[a.Adapter], a.Auto)
		}
	}
	for _, times := range s.auto {
		slices.SortFunc(times, time.Time.Compare)
	}
}

func (s *Service) auditFailed(now time.Time, err error, dropped int) Alert {
	s.metrics.inc("ioc_enforce_audit_errors_total")
	if n, ok := s.limiter.allow("audit", now); ok {
		s.log.Error("audit write failed; step not taken", logkey.Err, err, logkey.Count, dropped,
			logkey.Suppressed, n)
	}
	return Alert{Time: now, Reason: "audit write failed: " + err.Error()}
}

// saveLocked writes the state; a failure is counted and logged, and the
// next change tries again.
func (s *Service) saveLocked() {
	now := s.now()
	snap := &Snapshot{PolicyBy: s.policyBy, PolicyAt: s.policyAt}
	if tr, ok := s.audit.(TailReader); ok {
		// Every audit write happens under s.mu, so the trail's length now
		// is where this snapshot's records end.
		if n, err := tr.AuditLen(); err == nil {
			snap.AuditLen = n
		}
	}
	if s.policyBy != "" {
		p := s.policy
		snap.Policy = &p
	}
	for id, a := range s.actions {
		if !a.State.IsLive() && now.Sub(a.Updated) > keepFinal {
			delete(s.actions, id)
			continue
		}
		snap.Actions = append(snap.Actions, *a)
	}
	slices.SortFunc(snap.Actions, func(a, b Action) int { return a.Created.Compare(b.Created) })
	if err := s.store.Save(snap); err != nil {
		s.metrics.inc("ioc_enforce_state_errors_total")
		if n, ok := s.limiter.allow("state", now); ok {
			s.log.Error("state save failed", logkey.Err, err, logkey.Suppressed, n)
		}
	}
}

func (s *Service) fire(alerts []Alert) {
	for _, a := range alerts {
		s.metrics.inc("ioc_enforce_alerts_total")
		if s.onAlert != nil {
			s.onAlert(a)
		}
	}
}

// poke wakes Run without blocking.
func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run applies, retries, expires and reconciles until ctx ends. It
// reconciles once at start, so that drift from while the service was down
// is repaired first.
func (s *Service) Run(ctx context.Context) error {
	s.log.Info("enforcement started", logkey.Count, len(s.adapters), logkey.DryRun, s.cfg.DryRun)
	s.Reconcile(ctx)
	for s.Tick(ctx) > 0 && ctx.Err() == nil {
	}
	for _, a := range s.adapters {
		if r, ok := a.(Readier); ok {
			r.Ready()
		}
	}
	tick := time.NewTicker(tickInterval)
	defer tick.Stop()
	rec := time.NewTicker(time.Duration(s.cfg.ReconcileInterval))
	defer rec.Stop()
	for {
		select {
		case <-ctx.Done():
			s.log.Info("enforcement stopped")
			return nil
		case <-s.wake:
			s.Tick(ctx)
		case <-tick.C:
			s.Tick(ctx)
		case <-rec.C:
			s.Reconcile(ctx)
		}
	}
}
