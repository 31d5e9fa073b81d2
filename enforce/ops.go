package enforce

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Filter selects actions for List. The zero Filter selects every action.
type Filter struct {
	// States, if set, keeps actions in one of these states.
	States []State
	// Adapter, if set, keeps actions on that adapter.
	Adapter string
}

// List returns copies of the actions that f selects, newest first. It
// needs the viewer role.
func (s *Service) List(p Principal, f Filter) ([]Action, error) {
	if err := require(p, RoleViewer); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Action
	for _, a := range s.actions {
		if len(f.States) > 0 && !slices.Contains(f.States, a.State) {
			continue
		}
		if f.Adapter != "" && a.Adapter != f.Adapter {
			continue
		}
		out = append(out, *a)
	}
	slices.SortFunc(out, func(a, b Action) int {
		return cmp.Or(b.Created.Compare(a.Created), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// Get returns a copy of one action. It needs the viewer role.
func (s *Service) Get(p Principal, id string) (Action, error) {
	if err := require(p, RoleViewer); err != nil {
		return Action{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.actions[id]
	if !ok {
		return Action{}, fmt.Errorf("action %q: %w", id, ErrNotFound)
	}
	return *a, nil
}

// Approve lets a pending action be applied (or, in dry-run mode, be
// recorded as what would be applied). It needs the approver role. An
// approval overrides the blast-radius limit but never the allowlist.
func (s *Service) Approve(ctx context.Context, p Principal, id, note string) error {
	return s.decide(ctx, p, id, note, true)
}

// Deny refuses a pending action. It needs the approver role.
func (s *Service) Deny(ctx context.Context, p Principal, id, note string) error {
	return s.decide(ctx, p, id, note, false)
}

func (s *Service) decide(ctx context.Context, p Principal, id, note string, approve bool) error {
	if err := require(p, RoleApprover); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.actions[id]
	if !ok {
		return fmt.Errorf("action %q: %w", id, ErrNotFound)
	}
	if a.State != StatePending {
		return fmt.Errorf("action %s is %s, not pending: %w", id, a.State, ErrState)
	}
	now := s.now()
	rec := s.record(now, a, EventDenied)
	rec.Actor, rec.Note = p.Actor(), note
	if !approve {
		rec.State = StateDenied
		if err := s.audit.Write(ctx, []Record{rec}); err != nil {
			return fmt.Errorf("deny %s: %w: %w", id, ErrAudit, err)
		}
		s.finalize(now, a, StateDenied)
		a.ApprovedBy = p.Name
		s.saveLocked()
		return nil
	}
	if reason, ok := s.allow.Protects(a.Target); ok {
		rec.Event, rec.Note = EventSuppressed, "approval refused: allowlist: "+reason
		if err := s.audit.Write(ctx, []Record{rec}); err != nil {
			return fmt.Errorf("approve %s: %w: %w", id, ErrAudit, err)
		}
		return fmt.Errorf("approve %s: %s: %w", id, reason, ErrProtected)
	}
	next := StateQueued
	if s.cfg.DryRun {
		next = StateDryRun
	}
	// The TTL starts when the action is applied, not now; a dry run is
	// in force on paper from its approval.
	var expires time.Time
	if s.cfg.DryRun {
		expires = now.Add(time.Duration(a.TTL))
	}
	rec.Event, rec.State, rec.DryRun = EventApproved, next, s.cfg.DryRun
	rec.Lapses, rec.Expires = time.Time{}, expires
	if err := s.audit.Write(ctx, []Record{rec}); err != nil {
		return fmt.Errorf("approve %s: %w: %w", id, ErrAudit, err)
	}
	a.State, a.ApprovedBy, a.NextTry, a.Updated = next, p.Name, now, now
	a.Lapses, a.Expires = time.Time{}, expires
	s.saveLocked()
	s.poke()
	return nil
}

// Release undoes an action before its time to live ends. It needs the
// approver role. A pending action is denied instead.
func (s *Service) Release(ctx context.Context, p Principal, id, note string) error {
	if err := require(p, RoleApprover); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.actions[id]
	if !ok {
		return fmt.Errorf("action %q: %w", id, ErrNotFound)
	}
	now := s.now()
	rec := s.record(now, a, EventReleased)
	rec.Actor, rec.Note = p.Actor(), note
	var do func()
	switch {
	case a.State == StateDryRun || (a.State == StateQueued && a.Attempts == 0 && !s.busy[id]):
		rec.State = StateReleased
		do = func() { s.finalize(now, a, StateReleased) }
	case s.busy[id] && (a.State == StateQueued || a.State == StateApplied):
		rec.State, rec.Note = StateRemoving, joinNote(note, "removing once the call under way ends")
		do = func() { a.Undo = StateReleased }
	case a.State == StateQueued || a.State == StateApplied:
		rec.State, rec.Op = StateRemoving, opRemove
		do = func() {
			a.State, a.Undo, a.Attempts, a.NextTry, a.Updated =
				StateRemoving, StateReleased, 0, now, now
		}
	default:
		return fmt.Errorf("action %s is %s, not in force: %w", id, a.State, ErrState)
	}
	if err := s.audit.Write(ctx, []Record{rec}); err != nil {
		return fmt.Errorf("release %s: %w: %w", id, ErrAudit, err)
	}
	do()
	s.saveLocked()
	s.poke()
	return nil
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// Policy returns the policy in force, and who set it through the API (""
// when it is the configured one). It needs the viewer role.
func (s *Service) Policy(p Principal) (Policy, string, error) {
	if err := require(p, RoleViewer); err != nil {
		return Policy{}, "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return clonePolicy(s.policy), s.policyBy, nil
}

// SetPolicy replaces the policy. It needs the admin role. The new policy
// applies to findings from now on; live actions keep their rule's terms.
// It is stored, so it survives restarts.
func (s *Service) SetPolicy(ctx context.Context, p Principal, pol Policy) error {
	if err := require(p, RoleAdmin); err != nil {
		return err
	}
	pol = clonePolicy(pol)
	pol.Defaults()
	if err := pol.Validate("policy"); err != nil {
		return err
	}
	if err := s.checkPolicy(&pol, "policy"); err != nil {
		return err
	}
	names := make([]string, len(pol.Rules))
	for i, r := range pol.Rules {
		names[i] = r.Name
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	rec := Record{Time: now, Event: EventPolicy, Actor: p.Actor(),
		Note: fmt.Sprintf("%d rules: %s", len(names), strings.Join(names, ", "))}
	if err := s.audit.Write(ctx, []Record{rec}); err != nil {
		return fmt.Errorf("set policy: %w: %w", ErrAudit, err)
	}
	s.policy, s.policyBy, s.policyAt = pol, p.Name, now
	s.saveLocked()
	return nil
}

func clonePolicy(p Policy) Policy {
	p.Rules = slices.Clone(p.Rules)
	for i := range p.Rules {
		r := &p.Rules[i]
		r.Adapters = slices.Clone(r.Adapters)
		r.Match.Types = slices.Clone(r.Match.Types)
		r.Match.Feeds = slices.Clone(r.Match.Feeds)
		r.Match.Departments = slices.Clone(r.Match.Departments)
	}
	return p
}
