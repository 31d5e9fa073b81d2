package enforce_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/iocflow/iocflow/enforce"
)

// frozenStore stands for a state file whose saves stop reaching disk: what
// a crash between the audit write and the state save leaves behind.
type frozenStore struct {
	memStore
	frozen bool
	mu     sync.Mutex
}

func (f *frozenStore) Save(s *enforce.Snapshot) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.frozen {
		return nil
	}
	return f.memStore.Save(s)
}

func newFileAuditService(t *testing.T, path string, st enforce.Store,
	dev *fakeDevice) (*enforce.Service, *enforce.FileAudit) {
	t.Helper()
	audit, err := enforce.OpenFileAudit(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := enforce.Config{SkipDefaultAllowlist: true, Policy: enforce.Policy{Rules: []enforce.Rule{
		rule("ip", enforce.BlockIP, enforce.ModeAutomatic, "fw")}}}
	svc, err := enforce.New(enforce.Options{Config: cfg, Adapters: []enforce.Adapter{dev},
		Audit: audit, Store: st})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return svc, audit
}

// A proposal in the audit trail whose state save a crash lost is brought
// back at start, so that the verdict read again proposes no second action.
func TestService_RecoversProposalsFromTheAuditTrail(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	st := &frozenStore{}
	dev := newDevice("fw", enforce.BlockIP)
	svc, audit := newFileAuditService(t, path, st, dev)
	ctx := context.Background()
	if err := svc.Submit(ctx, []enforce.Finding{ipFinding("198.51.100.1")}); err != nil {
		t.Fatal(err)
	}
	st.mu.Lock()
	st.frozen = true
	st.mu.Unlock()
	if err := svc.Submit(ctx, []enforce.Finding{ipFinding("198.51.100.2")}); err != nil {
		t.Fatal(err)
	}
	audit.Close()

	st.mu.Lock()
	st.frozen = false
	st.mu.Unlock()
	again, audit2 := newFileAuditService(t, path, st, dev)
	defer audit2.Close()
	for _, ip := range []string{"198.51.100.1", "198.51.100.2"} {
		if err := again.Submit(ctx, []enforce.Finding{ipFinding(ip)}); err != nil {
			t.Fatal(err)
		}
	}
	as, err := again.List(viewer, enforce.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	byTarget := map[string]int{}
	for _, a := range as {
		byTarget[a.Target.Value]++
	}
	if len(as) != 2 || byTarget["198.51.100.1"] != 1 || byTarget["198.51.100.2"] != 1 {
		t.Errorf("actions after the restart = %v, want one per address", byTarget)
	}
	recs, err := audit2.ReadTail(0)
	if err != nil {
		t.Fatal(err)
	}
	proposed := map[string][]string{}
	for _, r := range recs {
		if r.Event == enforce.EventProposed {
			proposed[r.Target.Value] = append(proposed[r.Target.Value], r.ActionID)
		}
	}
	for ip, ids := range proposed {
		if len(ids) != 1 {
			t.Errorf("audit trail proposes %s %d times (%v), want once", ip, len(ids), ids)
		}
	}
	again.Tick(ctx)
	if !dev.Holds(enforce.Target{Kind: enforce.BlockIP, Value: "198.51.100.2"}) {
		t.Errorf("the recovered action was not applied; calls %+v", dev.Calls())
	}
}
