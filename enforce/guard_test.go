package enforce_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/iocflow/iocflow/enforce"
	"github.com/iocflow/iocflow/feeds/ioc"
)

func TestAllowlist_TargetNeverSent(t *testing.T) {
	cfg := enforce.Config{
		Allowlist: []string{"192.0.2.7", "198.51.100.0/25", ".corp.example", "www.shop.example",
			"user administrator", "host dc01"},
		Policy: enforce.Policy{Rules: []enforce.Rule{
			rule("ip", enforce.BlockIP, enforce.ModeAutomatic, "fw"),
			rule("cidr", enforce.BlockCIDR, enforce.ModeAutomatic, "fw"),
			rule("dom", enforce.BlockDomain, enforce.ModeAutomatic, "fw"),
			rule("url", enforce.BlockURL, enforce.ModeAutomatic, "fw"),
			rule("user", enforce.RestrictUser, enforce.ModeAutomatic, "fw"),
			rule("host", enforce.IsolateHost, enforce.ModeAutomatic, "fw"),
		}},
	}
	e := newEnv(t, cfg)
	findings := []enforce.Finding{
		ipFinding("192.0.2.7"),                              // exact entry
		{Type: ioc.IPv4, Value: "198.51.100.0/24"},          // covers an entry
		{Type: ioc.IPv4, Value: "10.0.0.0/8"},               // wider than /16
		{Type: ioc.Domain, Value: "mail.corp.example"},      // under a suffix
		{Type: ioc.Domain, Value: "shop.example"},           // parent of an entry
		{Type: ioc.URL, Value: "http://vpn.corp.example/x"}, // host under a suffix
		{Type: ioc.URL, Value: "http://[2001:db8::1]/a"},    // not protected: the control
		{Type: ioc.Domain, Value: "com"},                    // top-level name
		{User: "Administrator", Host: "DC01", Type: ioc.MD5, Value: "x"},
	}
	e.submit(t, findings...)
	e.svc.Tick(context.Background())

	// The one unprotected target is the control: it must reach the device.
	calls := e.dev.Calls()
	if len(calls) != 1 || calls[0].Target.Value != "http://[2001:db8::1]/a" {
		t.Errorf("device calls = %+v; want only the unprotected URL", calls)
	}
	sup := e.audit.events(enforce.EventSuppressed)
	if len(sup) < 9 {
		t.Errorf("suppressed records = %d, want at least 9 (one per protected target)", len(sup))
	}
	for _, r := range sup {
		if r.Finding == nil || r.Rule == "" || r.Note == "" {
			t.Errorf("suppressed record lacks why or who: %+v", r)
		}
	}
}

func TestAllowlist_AddedLaterRollsBack(t *testing.T) {
	cfg := enforce.Config{Policy: enforce.Policy{Rules: []enforce.Rule{
		rule("ip", enforce.BlockIP, enforce.ModeAutomatic, "fw")}}}
	e := newEnv(t, cfg)
	e.submit(t, ipFinding("203.0.113.9"))
	e.svc.Tick(context.Background())
	target := enforce.Target{Kind: enforce.BlockIP, Value: "203.0.113.9"}
	if !e.dev.Holds(target) {
		t.Fatalf("device does not hold %s after apply", target)
	}

	cfg.Allowlist = []string{"203.0.113.0/24"}
	e.svc = e.restart(t, cfg)
	e.svc.Tick(context.Background())
	if e.dev.Holds(target) {
		t.Errorf("device still holds %s after it was allowlisted", target)
	}
	if got := e.list(t, enforce.StateRolledBack); len(got) != 1 {
		t.Errorf("rolled back actions = %d, want 1", len(got))
	}
	if len(e.audit.events(enforce.EventRolledBack)) == 0 {
		t.Error("no rolled_back audit record")
	}
}

func TestBlastRadius_BurstOfThousand(t *testing.T) {
	cfg := enforce.Config{
		BlastRadius: enforce.BlastRadius{Limit: 25, Window: enforce.Duration(10 * time.Minute)},
		Policy: enforce.Policy{Rules: []enforce.Rule{
			rule("ip", enforce.BlockIP, enforce.ModeAutomatic, "fw")}},
	}
	e := newEnv(t, cfg)

	// A thousand verdicts on distinct addresses, from 8 goroutines at once.
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 125 {
				n := g*125 + i
				f := ipFinding(fmt.Sprintf("203.0.%d.%d", 100+n/250, n%250+1))
				if err := e.svc.Submit(context.Background(), []enforce.Finding{f}); err != nil {
					t.Errorf("Submit: %v", err)
				}
			}
		})
	}
	wg.Wait()
	for e.svc.Tick(context.Background()) > 0 {
	}

	if got := countOps(e.dev.Calls(), "apply"); got != 25 {
		t.Errorf("device applies = %d, want exactly the limit 25", got)
	}
	if got := len(e.list(t, enforce.StatePending)); got != 975 {
		t.Errorf("pending actions = %d, want 975", got)
	}
	if got := len(e.audit.events(enforce.EventHeld)); got != 975 {
		t.Errorf("held records = %d, want 975", got)
	}
	if got := len(*e.alerts); got != 1 {
		t.Errorf("alerts = %d, want 1 per adapter and window", got)
	}

	// The window slides: 25 more are allowed ten minutes later, not more.
	e.clock.Add(10*time.Minute + time.Second)
	for i := range 40 {
		e.submit(t, ipFinding(fmt.Sprintf("198.51.100.%d", i+1)))
	}
	e.svc.Tick(context.Background())
	if got := countOps(e.dev.Calls(), "apply"); got != 50 {
		t.Errorf("device applies after the window slid = %d, want 50", got)
	}
	if got := len(*e.alerts); got != 2 {
		t.Errorf("alerts = %d, want 2 (one per window)", got)
	}
}

func TestBlastRadius_ApprovalOverridesLimit(t *testing.T) {
	cfg := enforce.Config{
		BlastRadius: enforce.BlastRadius{Limit: 1},
		Policy: enforce.Policy{Rules: []enforce.Rule{
			rule("ip", enforce.BlockIP, enforce.ModeAutomatic, "fw")}},
	}
	e := newEnv(t, cfg)
	e.submit(t, ipFinding("203.0.113.1"), ipFinding("203.0.113.2"))
	held := e.list(t, enforce.StatePending)
	if len(held) != 1 || !held[0].Held {
		t.Fatalf("pending = %+v, want one action held by the blast radius", held)
	}
	if err := e.svc.Approve(context.Background(), approver, held[0].ID, "checked"); err != nil {
		t.Fatalf("Approve: %v", err)
	}
	e.svc.Tick(context.Background())
	if got := countOps(e.dev.Calls(), "apply"); got != 2 {
		t.Errorf("applies = %d, want 2 (1 automatic + 1 approved)", got)
	}
}

func TestDedupe_OneActionPerTargetAndAdapter(t *testing.T) {
	dev2 := newDevice("proxy", enforce.BlockIP)
	cfg := enforce.Config{SkipDefaultAllowlist: true, Policy: enforce.Policy{Rules: []enforce.Rule{
		rule("ip", enforce.BlockIP, enforce.ModeAutomatic, "fw", "proxy"),
		rule("ip-again", enforce.BlockIP, enforce.ModeAutomatic, "fw"),
		rule("cidr", enforce.BlockCIDR, enforce.ModeAutomatic, "fw"),
	}}}
	e := newEnv(t, enforce.Config{})
	svc, err := enforce.New(enforce.Options{Config: cfg, Now: e.clock.Now, Audit: e.audit,
		Store: &memStore{}, Adapters: []enforce.Adapter{e.dev, dev2}})
	if err != nil {
		t.Fatal(err)
	}
	var fs []enforce.Finding
	for range 300 {
		fs = append(fs, ipFinding("203.0.113.50"))
	}
	if err := svc.Submit(context.Background(), fs); err != nil {
		t.Fatal(err)
	}
	svc.Tick(context.Background())
	if got := countOps(e.dev.Calls(), "apply"); got != 1 {
		t.Errorf("fw applies = %d, want 1 for 300 verdicts and 3 rules", got)
	}
	if got := countOps(dev2.Calls(), "apply"); got != 1 {
		t.Errorf("proxy applies = %d, want 1", got)
	}
	as, _ := svc.List(viewer, enforce.Filter{Adapter: "fw"})
	if len(as) != 1 || as[0].Hits != 300 {
		t.Errorf("fw actions = %+v, want one with 300 hits (one per verdict)", as)
	}
}

func TestDryRun_NothingSent(t *testing.T) {
	cfg := enforce.Config{DryRun: true, Policy: enforce.Policy{Rules: []enforce.Rule{
		rule("ip", enforce.BlockIP, enforce.ModeAutomatic, "fw"),
		rule("dom", enforce.BlockDomain, enforce.ModeApproval, "fw")}}}
	e := newEnv(t, cfg)
	e.submit(t, ipFinding("203.0.113.3"), enforce.Finding{Type: ioc.Domain, Value: "bad.test"})
	pend := e.list(t, enforce.StatePending)
	if len(pend) != 1 {
		t.Fatalf("pending = %d, want 1", len(pend))
	}
	if err := e.svc.Approve(context.Background(), approver, pend[0].ID, ""); err != nil {
		t.Fatal(err)
	}
	e.svc.Tick(context.Background())
	e.clock.Add(2 * time.Hour)
	e.svc.Tick(context.Background())
	e.svc.Reconcile(context.Background())
	if calls := e.dev.Calls(); len(calls) != 0 {
		t.Errorf("device calls in dry run = %+v, want none", calls)
	}
	if got := len(e.list(t, enforce.StateExpired)); got != 2 {
		t.Errorf("expired dry-run actions = %d, want 2", got)
	}
	for _, r := range e.audit.events(enforce.EventProposed) {
		if !r.DryRun {
			t.Errorf("proposed record without dry_run: %+v", r)
		}
	}
}

func TestExpiry_UndoesExactlyWhatWasDone(t *testing.T) {
	cfg := enforce.Config{Policy: enforce.Policy{Rules: []enforce.Rule{
		{Name: "short", Action: enforce.BlockIP, Mode: enforce.ModeAutomatic,
			TTL: enforce.Duration(time.Hour), Adapters: []string{"fw"}},
		{Name: "long", Action: enforce.BlockDomain, Mode: enforce.ModeAutomatic,
			TTL: enforce.Duration(3 * time.Hour), Adapters: []string{"fw"}},
	}}}
	e := newEnv(t, cfg)
	e.dev.held["block_ip:203.0.113.200"] = enforce.Target{Kind: enforce.BlockIP,
		Value: "203.0.113.200"} // put there by hand; no action of ours
	e.submit(t, ipFinding("203.0.113.10"), ipFinding("203.0.113.11"),
		enforce.Finding{Type: ioc.Domain, Value: "evil.test"})
	e.svc.Tick(context.Background())
	applied := map[string]string{} // target key -> ref
	for _, a := range e.list(t, enforce.StateApplied) {
		applied[a.Target.Key()] = a.Ref
	}
	if len(applied) != 3 {
		t.Fatalf("applied = %v, want 3", applied)
	}

	e.clock.Add(59 * time.Minute)
	e.svc.Tick(context.Background())
	if n := countOps(e.dev.Calls(), "remove"); n != 0 {
		t.Fatalf("removals before the TTL ended = %d, want 0", n)
	}
	e.clock.Add(time.Minute)
	e.svc.Tick(context.Background())

	var removed []call
	for _, c := range e.dev.Calls() {
		if c.Op == "remove" {
			removed = append(removed, c)
		}
	}
	if len(removed) != 2 {
		t.Fatalf("removals at 1h = %+v, want the two 1h addresses", removed)
	}
	for _, c := range removed {
		ref, ok := applied[c.Target.Key()]
		if !ok || c.Target.Kind != enforce.BlockIP || c.Ref != ref {
			t.Errorf(
				"removed %s ref %q; want one of the applied addresses with its ref",
				c.Target,
				c.Ref,
			)
		}
	}
	if !e.dev.Holds(enforce.Target{Kind: enforce.BlockIP, Value: "203.0.113.200"}) {
		t.Error("expiry removed an entry iocflow never made")
	}
	if got := len(e.audit.events(enforce.EventExpired)); got < 2 {
		t.Errorf("expired records = %d, want at least 2", got)
	}
	e.clock.Add(2 * time.Hour)
	e.svc.Tick(context.Background())
	if got := len(e.list(t, enforce.StateExpired)); got != 3 {
		t.Errorf("expired = %d, want 3", got)
	}
}

func TestRetry_FailingDeviceRetriedAndAudited(t *testing.T) {
	cfg := enforce.Config{
		Retry: enforce.Retry{Attempts: 4, Base: enforce.Duration(time.Second),
			Max: enforce.Duration(time.Minute)},
		Policy: enforce.Policy{Rules: []enforce.Rule{
			rule("ip", enforce.BlockIP, enforce.ModeAutomatic, "fw")}},
	}
	e := newEnv(t, cfg)
	e.dev.failNext(2, false)
	e.submit(t, ipFinding("203.0.113.20"))
	e.svc.Tick(context.Background())
	a := e.list(t)[0]
	if a.State != enforce.StateQueued || a.Attempts != 1 || a.LastError == "" {
		t.Fatalf("after one failure: %+v, want queued with 1 attempt and the error", a)
	}
	e.svc.Tick(context.Background()) // backoff not over: no call
	if got := len(e.dev.Calls()); got != 1 {
		t.Errorf("calls before the backoff ended = %d, want 1", got)
	}
	for range 2 {
		e.clock.Add(3 * time.Second)
		e.svc.Tick(context.Background())
	}
	if got := e.list(t)[0].State; got != enforce.StateApplied {
		t.Fatalf("state after 2 failures and a success = %s, want applied", got)
	}
	failed := e.audit.events(enforce.EventFailed)
	if len(failed) != 2 {
		t.Fatalf("failed records = %d, want 2", len(failed))
	}
	for _, r := range failed {
		if r.Answer != "HTTP 503 busy" || r.Attempt == 0 || r.Op != "apply" {
			t.Errorf("failed record %+v: want the device's answer, attempt and op", r)
		}
	}
	if got := len(e.audit.events(enforce.EventTried)); got != 3 {
		t.Errorf("tried records = %d, want 3 (written before each call)", got)
	}
}

func TestRetry_GivesUpAndUndoes(t *testing.T) {
	cfg := enforce.Config{
		Retry: enforce.Retry{Attempts: 3, Base: enforce.Duration(time.Second),
			Max: enforce.Duration(time.Second)},
		Policy: enforce.Policy{Rules: []enforce.Rule{
			rule("ip", enforce.BlockIP, enforce.ModeAutomatic, "fw")}},
	}
	e := newEnv(t, cfg)
	e.dev.failNext(3, false)
	e.submit(t, ipFinding("203.0.113.30"))
	for range 5 {
		e.svc.Tick(context.Background())
		e.clock.Add(2 * time.Second)
	}
	as := e.list(t)
	if as[0].State != enforce.StateFailed {
		t.Fatalf("state = %s, want failed", as[0].State)
	}
	calls := e.dev.Calls()
	if countOps(calls, "apply") != 3 || countOps(calls, "remove") != 1 {
		t.Errorf("calls = %+v, want 3 applies then 1 removal of what may be held", calls)
	}
	if len(*e.alerts) == 0 {
		t.Error("no alert for an action given up")
	}
}

func TestRetry_PermanentRefusalNotRetried(t *testing.T) {
	cfg := enforce.Config{Policy: enforce.Policy{Rules: []enforce.Rule{
		rule("ip", enforce.BlockIP, enforce.ModeAutomatic, "fw")}}}
	e := newEnv(t, cfg)
	e.dev.failNext(1, true)
	e.submit(t, ipFinding("203.0.113.31"))
	e.svc.Tick(context.Background())
	e.clock.Add(time.Hour / 2)
	e.svc.Tick(context.Background())
	if got := len(e.dev.Calls()); got != 1 {
		t.Errorf("calls = %d, want 1", got)
	}
	if got := e.list(t)[0].State; got != enforce.StateFailed {
		t.Errorf("state = %s, want failed", got)
	}
}

func TestAudit_NothingHappensWithoutARecord(t *testing.T) {
	cfg := enforce.Config{Policy: enforce.Policy{Rules: []enforce.Rule{
		rule("ip", enforce.BlockIP, enforce.ModeAutomatic, "fw"),
		rule("dom", enforce.BlockDomain, enforce.ModeApproval, "fw")}}}
	e := newEnv(t, cfg)

	e.audit.setErr(errDiskFull)
	e.submit(t, ipFinding("203.0.113.40"))
	if got := e.list(t); len(got) != 0 {
		t.Errorf("actions while the audit fails = %+v, want none", got)
	}

	e.audit.setErr(nil)
	e.submit(t, ipFinding("203.0.113.41"), enforce.Finding{Type: ioc.Domain, Value: "x.test"})
	e.audit.setErr(errDiskFull)
	e.svc.Tick(context.Background())
	if got := len(e.dev.Calls()); got != 0 {
		t.Errorf("device calls while the audit fails = %d, want 0", got)
	}
	pend := e.list(t, enforce.StatePending)
	err := e.svc.Approve(context.Background(), approver, pend[0].ID, "")
	if !errors.Is(err, enforce.ErrAudit) {
		t.Errorf("Approve while the audit fails: %v, want ErrAudit", err)
	}
	if got := len(*e.alerts); got == 0 {
		t.Error("no alert for failing audit writes")
	}

	e.audit.setErr(nil)
	e.svc.Tick(context.Background())
	if got := countOps(e.dev.Calls(), "apply"); got != 1 {
		t.Errorf("applies once the audit works = %d, want 1", got)
	}
}

func TestRoles_OnlyApproverApprovesOnlyAdminSetsPolicy(t *testing.T) {
	pol := enforce.Policy{
		Rules: []enforce.Rule{rule("ip", enforce.BlockIP, enforce.ModeApproval, "fw")},
	}
	e := newEnv(t, enforce.Config{Policy: pol})
	e.submit(t, ipFinding("203.0.113.60"), ipFinding("203.0.113.61"))
	pend := e.list(t, enforce.StatePending)
	ctx := context.Background()
	if err := e.svc.Approve(ctx, viewer, pend[0].ID, ""); !errors.Is(err, enforce.ErrForbidden) {
		t.Errorf("viewer approve: %v, want ErrForbidden", err)
	}
	if err := e.svc.SetPolicy(ctx, approver, pol); !errors.Is(err, enforce.ErrForbidden) {
		t.Errorf("approver set policy: %v, want ErrForbidden", err)
	}
	if _, err := e.svc.List(enforce.Principal{Name: "x"}, enforce.Filter{}); !errors.Is(
		err,
		enforce.ErrForbidden,
	) {
		t.Errorf("no role list: %v, want ErrForbidden", err)
	}
	if err := e.svc.Approve(ctx, approver, pend[0].ID, "ok"); err != nil {
		t.Fatalf("approver approve: %v", err)
	}
	if err := e.svc.Deny(ctx, approver, pend[1].ID, "false positive"); err != nil {
		t.Fatalf("approver deny: %v", err)
	}
	if err := e.svc.Approve(ctx, approver, pend[1].ID, ""); !errors.Is(err, enforce.ErrState) {
		t.Errorf("approve after deny: %v, want ErrState", err)
	}
	e.svc.Tick(ctx)
	if err := e.svc.Release(ctx, approver, pend[0].ID, "contained"); err != nil {
		t.Fatalf("release: %v", err)
	}
	e.svc.Tick(ctx)
	calls := e.dev.Calls()
	if len(calls) != 2 || calls[0].Op != "apply" || calls[1].Op != "remove" {
		t.Errorf("calls = %+v, want apply then remove of the approved action", calls)
	}
	a, _ := e.svc.Get(viewer, pend[0].ID)
	if a.State != enforce.StateReleased || a.ApprovedBy != "ana" {
		t.Errorf("released action = %+v", a)
	}
	rec := e.audit.events(enforce.EventApproved)
	if len(rec) != 1 || rec[0].Actor != "user:ana" || rec[0].Note != "ok" {
		t.Errorf("approved records = %+v, want one by user:ana", rec)
	}

	newPol := enforce.Policy{
		Rules: []enforce.Rule{rule("auto", enforce.BlockIP, enforce.ModeAutomatic, "fw")},
	}
	if err := e.svc.SetPolicy(ctx, admin, newPol); err != nil {
		t.Fatalf("admin set policy: %v", err)
	}
	bad := enforce.Policy{
		Rules: []enforce.Rule{rule("x", enforce.QuarantineMessage, enforce.ModeAutomatic, "fw")},
	}
	if err := e.svc.SetPolicy(ctx, admin, bad); err == nil {
		t.Error("policy with an adapter that cannot quarantine was accepted")
	}
	if len(e.audit.events(enforce.EventPolicy)) != 1 {
		t.Error("policy change not audited")
	}
}

func TestRestart_StateAndPendingSurvive(t *testing.T) {
	pol := enforce.Policy{Rules: []enforce.Rule{
		rule("ip", enforce.BlockIP, enforce.ModeAutomatic, "fw"),
		rule("dom", enforce.BlockDomain, enforce.ModeApproval, "fw")}}
	e := newEnv(t, enforce.Config{Policy: pol})
	e.submit(t, ipFinding("203.0.113.70"), enforce.Finding{Type: ioc.Domain, Value: "later.test"})
	e.svc.Tick(context.Background())
	if err := e.svc.SetPolicy(context.Background(), admin, pol); err != nil {
		t.Fatal(err)
	}

	e.svc = e.restart(t, enforce.Config{})
	if got := len(e.list(t, enforce.StateApplied)); got != 1 {
		t.Errorf("applied after restart = %d, want 1", got)
	}
	pend := e.list(t, enforce.StatePending)
	if len(pend) != 1 {
		t.Fatalf("pending after restart = %d, want 1", len(pend))
	}
	if _, by, _ := e.svc.Policy(viewer); by != "ada" {
		t.Errorf("policy set by %q after restart, want ada", by)
	}
	if err := e.svc.Approve(context.Background(), approver, pend[0].ID, ""); err != nil {
		t.Fatal(err)
	}
	e.svc.Tick(context.Background())
	e.clock.Add(time.Hour)
	e.svc.Tick(context.Background())
	if got := len(e.list(t, enforce.StateExpired)); got != 2 {
		t.Errorf("expired after restart = %d, want 2", got)
	}
}

func TestReconcile_RepairsDrift(t *testing.T) {
	pol := enforce.Policy{
		Rules: []enforce.Rule{rule("ip", enforce.BlockIP, enforce.ModeAutomatic, "fw")},
	}
	e := newEnv(t, enforce.Config{Policy: pol})
	e.submit(t, ipFinding("203.0.113.80"), ipFinding("203.0.113.81"))
	e.svc.Tick(context.Background())

	// Someone deletes one entry on the device and adds one under our marker.
	lost := enforce.Target{Kind: enforce.BlockIP, Value: "203.0.113.80"}
	stray := enforce.Target{Kind: enforce.BlockIP, Value: "203.0.113.99"}
	e.dev.mu.Lock()
	delete(e.dev.held, lost.Key())
	e.dev.held[stray.Key()] = stray
	e.dev.mu.Unlock()

	e.svc.Reconcile(context.Background())
	e.svc.Tick(context.Background())
	if !e.dev.Holds(lost) || e.dev.Holds(stray) {
		t.Errorf("after reconcile: holds lost=%v stray=%v, want true false",
			e.dev.Holds(lost), e.dev.Holds(stray))
	}
	if got := len(e.audit.events(enforce.EventDrift)); got < 3 {
		t.Errorf("drift records = %d, want at least 3 (two found, one removal answer)", got)
	}
}
