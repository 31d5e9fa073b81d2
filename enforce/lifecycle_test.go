package enforce_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/iocflow/iocflow/enforce"
)

// Every audit record of an action names the verdict behind it, in the
// JSON-lines file as written: the containment KPIs join an applied record
// to its event, department and verdict time, and only the proposal used to
// carry them.
func TestAudit_EveryRecordOfAnActionCarriesItsVerdict(t *testing.T) {
	c := newClock()
	audit, err := enforce.OpenFileAudit(filepath.Join(t.TempDir(), "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer audit.Close()
	dev := newDevice("fw", enforce.BlockIP)
	cfg := enforce.Config{SkipDefaultAllowlist: true, Policy: enforce.Policy{Rules: []enforce.Rule{
		rule("ip", enforce.BlockIP, enforce.ModeApproval, "fw")}}}
	svc, err := enforce.New(enforce.Options{Config: cfg, Adapters: []enforce.Adapter{dev},
		Audit: audit, Store: &memStore{}, Now: c.Now})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f := ipFinding("203.0.113.7")
	f.Department, f.Time = "finance", c.Now().Add(-time.Minute)
	if err := svc.Submit(context.Background(), []enforce.Finding{f}); err != nil {
		t.Fatal(err)
	}
	c.Add(2 * time.Minute)
	pending, _ := svc.List(viewer, enforce.Filter{States: []enforce.State{enforce.StatePending}})
	if len(pending) != 1 {
		t.Fatalf("pending = %+v, want 1 action", pending)
	}
	if err := svc.Approve(context.Background(), approver, pending[0].ID, ""); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	svc.Tick(context.Background())

	recs, err := audit.ReadTail(0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[enforce.Event]bool{}
	for _, r := range recs {
		seen[r.Event] = true
		g := r.Finding
		if g == nil || g.EventID != f.EventID || g.Indicator != f.Indicator ||
			g.Department != "finance" || !g.Time.Equal(f.Time) {
			t.Errorf("%s record: finding %+v, want event %q, indicator %q, department "+
				"finance, verdict time %s", r.Event, g, f.EventID, f.Indicator, f.Time)
		}
	}
	for _, ev := range []enforce.Event{enforce.EventProposed, enforce.EventApproved,
		enforce.EventTried, enforce.EventApplied} {
		if !seen[ev] {
			t.Errorf("no %s record in the trail; got %d records", ev, len(recs))
		}
	}
}

// The TTL runs from when the device is asked to apply the action, not from
// the proposal: an hour's block approved 17 minutes late still lasts an
// hour.
func TestTTL_RunsFromApplyNotFromProposal(t *testing.T) {
	cfg := enforce.Config{Policy: enforce.Policy{Rules: []enforce.Rule{
		rule("ip", enforce.BlockIP, enforce.ModeApproval, "fw")}}}
	e := newEnv(t, cfg)
	e.submit(t, ipFinding("203.0.113.9"))
	a := e.list(t)[0]
	if !a.Expires.IsZero() {
		t.Errorf("pending action expires %s; want no expiry before it is applied", a.Expires)
	}
	e.clock.Add(17 * time.Minute)
	if err := e.svc.Approve(context.Background(), approver, a.ID, ""); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	// The device is busy at first: the TTL starts with the call it takes.
	e.dev.failNext(1, false)
	e.svc.Tick(context.Background())
	e.clock.Add(time.Minute)
	e.svc.Tick(context.Background())
	appliedAt := e.clock.Now()
	got, err := e.svc.Get(viewer, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != enforce.StateApplied || !got.Applied.Equal(appliedAt) ||
		!got.Expires.Equal(appliedAt.Add(time.Hour)) {
		t.Fatalf("after apply: state %s, applied %s, expires %s; want applied at %s, "+
			"expires an hour later", got.State, got.Applied, got.Expires, appliedAt)
	}
	recs := e.audit.events(enforce.EventApplied)
	if len(recs) != 1 || !recs[0].Expires.Equal(got.Expires) || !recs[0].Applied.Equal(appliedAt) {
		t.Errorf("applied records = %+v, want one with the action's applied and expires", recs)
	}

	e.clock.Add(59 * time.Minute)
	e.svc.Tick(context.Background())
	if n := countOps(e.dev.Calls(), "remove"); n != 0 {
		t.Fatalf("removed %d times 59m after apply (78m after the proposal); want 0", n)
	}
	e.clock.Add(time.Minute)
	e.svc.Tick(context.Background())
	if n := countOps(e.dev.Calls(), "remove"); n != 1 {
		t.Errorf("removals an hour after apply = %d, want 1", n)
	}
}

// A pending action lapses after enforcement.approval_timeout, whatever its
// rule's TTL, and nothing reaches the device.
func TestTTL_PendingLapsesAfterApprovalTimeout(t *testing.T) {
	r := rule("ip", enforce.BlockIP, enforce.ModeApproval, "fw")
	r.TTL = enforce.Duration(7 * 24 * time.Hour)
	cfg := enforce.Config{ApprovalTimeout: enforce.Duration(30 * time.Minute),
		Policy: enforce.Policy{Rules: []enforce.Rule{r}}}
	e := newEnv(t, cfg)
	e.submit(t, ipFinding("203.0.113.10"))
	a := e.list(t)[0]
	if want := e.clock.Now().Add(30 * time.Minute); !a.Lapses.Equal(want) {
		t.Errorf("lapses = %s, want %s", a.Lapses, want)
	}
	e.clock.Add(29 * time.Minute)
	e.svc.Tick(context.Background())
	if got := e.list(t, enforce.StatePending); len(got) != 1 {
		t.Fatalf("pending after 29m = %d, want 1", len(got))
	}
	e.clock.Add(time.Minute)
	e.svc.Tick(context.Background())
	if got := e.list(t, enforce.StateExpired); len(got) != 1 {
		t.Errorf("expired after the 30m approval timeout = %d, want 1", len(got))
	}
	if calls := e.dev.Calls(); len(calls) != 0 {
		t.Errorf("device calls = %+v, want none", calls)
	}
}

// An action saved before actions kept their TTL (Expires set at proposal)
// keeps its old deadline for approval, and its TTL counts from apply.
func TestTTL_OldStateUpgraded(t *testing.T) {
	c := newClock()
	created := c.Now()
	st := &memStore{snap: enforce.Snapshot{Actions: []enforce.Action{{ID: "a1",
		Target: enforce.Target{Kind: enforce.BlockIP, Value: "203.0.113.11"}, Adapter: "fw",
		Rule: "ip", Mode: enforce.ModeApproval, State: enforce.StatePending, Created: created,
		Updated: created, Expires: created.Add(2 * time.Hour), Hits: 1}}}}
	dev := newDevice("fw", enforce.BlockIP)
	svc, err := enforce.New(enforce.Options{Config: enforce.Config{SkipDefaultAllowlist: true},
		Adapters: []enforce.Adapter{dev}, Audit: &memAudit{}, Store: st, Now: c.Now})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	a, _ := svc.Get(viewer, "a1")
	if a.TTL != enforce.Duration(2*time.Hour) || !a.Lapses.Equal(created.Add(2*time.Hour)) ||
		!a.Expires.IsZero() {
		t.Errorf("upgraded: ttl %s, lapses %s, expires %s; want 2h, created+2h, none",
			a.TTL.D(), a.Lapses, a.Expires)
	}
}
