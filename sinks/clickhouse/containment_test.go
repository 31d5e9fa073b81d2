//go:build integration

package clickhouse

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/iocflow/iocflow/enforce"
	"github.com/iocflow/iocflow/feeds/ioc"
)

// listDevice is an enforcement adapter that holds blocks in memory and can
// be read back, so that reconciliation can find drift.
type listDevice struct {
	mu   sync.Mutex
	held map[string]enforce.Target
}

func (d *listDevice) Name() string                 { return "fw" }
func (d *listDevice) Supports(k enforce.Kind) bool { return k == enforce.BlockIP }

func (d *listDevice) Apply(_ context.Context, r enforce.Request) (enforce.Receipt, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.held[r.Target.Key()] = r.Target
	return enforce.Receipt{Answer: "ok"}, nil
}

func (d *listDevice) Remove(_ context.Context, r enforce.Request) (enforce.Receipt, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.held, r.Target.Key())
	return enforce.Receipt{Answer: "ok"}, nil
}

func (d *listDevice) Held(context.Context) ([]enforce.Target, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []enforce.Target
	for _, t := range d.held {
		out = append(out, t)
	}
	return out, nil
}

func (d *listDevice) forget() {
	d.mu.Lock()
	clear(d.held)
	d.mu.Unlock()
}

// An action approved, then applied, reaches the containment KPI of its
// verdict's department with the delay from verdict to apply; applying it
// again after drift counts it neither twice nor later.
func TestContainment_ApprovedThenAppliedCounted(t *testing.T) {
	s := openStore(t, testConfig(t, sharedServer(t)))
	ctx := context.Background()
	audit := NewAuditSink(s, nil)
	defer audit.Close()
	verdictAt := time.Now().UTC().Truncate(time.Hour).Add(-2*time.Hour + 10*time.Minute)
	now := verdictAt.Add(30 * time.Second)
	clock := func() time.Time { return now }
	dev := &listDevice{held: map[string]enforce.Target{}}
	cfg := enforce.Config{SkipDefaultAllowlist: true,
		StateFile: filepath.Join(t.TempDir(), "state.json"),
		Policy: enforce.Policy{Rules: []enforce.Rule{{Name: "ip", Action: enforce.BlockIP,
			Mode: enforce.ModeApproval, TTL: enforce.Duration(time.Hour),
			Adapters: []string{"fw"}}}}}
	svc, err := enforce.New(enforce.Options{Config: cfg, Adapters: []enforce.Adapter{dev},
		Audit: audit, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	f := enforce.Finding{EventID: "ev-c2", Time: verdictAt, Indicator: "ipv4:198.51.100.77",
		Type: ioc.IPv4, Value: "198.51.100.77", Severity: ioc.SeverityHigh, Department: "legal",
		Observable: ioc.Observable{Type: ioc.IPv4, Value: "198.51.100.77", Field: "dest_ip"}}
	if err := svc.Submit(ctx, []enforce.Finding{f}); err != nil {
		t.Fatal(err)
	}
	as, _ := svc.List(enforce.Principal{Name: "v", Role: enforce.RoleViewer}, enforce.Filter{})
	if len(as) != 1 {
		t.Fatalf("actions = %+v, want 1", as)
	}
	now = verdictAt.Add(2 * time.Minute)
	err = svc.Approve(ctx, enforce.Principal{Name: "ana", Role: enforce.RoleApprover}, as[0].ID,
		"")
	if err != nil {
		t.Fatal(err)
	}
	now = verdictAt.Add(3 * time.Minute)
	svc.Tick(ctx)

	// The device loses the block; reconciliation applies it again later.
	dev.forget()
	now = verdictAt.Add(43 * time.Minute)
	svc.Reconcile(ctx)
	svc.Tick(ctx)

	var empty, applied uint64
	err = s.conn.QueryRow(ctx, "SELECT countIf(event_id = '' OR department = ''),"+
		" countIf(event = 'applied') FROM "+s.table("actions")+" WHERE action_id = ?",
		as[0].ID).Scan(&empty, &applied)
	if err != nil {
		t.Fatal(err)
	}
	if empty != 0 || applied != 2 {
		t.Errorf("actions rows: %d without their verdict, %d applied; want 0, 2", empty,
			applied)
	}
	buckets := map[uint32]uint64{}
	rows, err := s.conn.Query(ctx, "SELECT contain_le, uniqMerge(verdicts) FROM "+
		s.table("kpi_containment_hourly")+" WHERE department = 'legal'"+
		" AND event = 'applied' GROUP BY contain_le")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var le uint32
		var n uint64
		if err := rows.Scan(&le, &n); err != nil {
			t.Fatal(err)
		}
		buckets[le] = n
	}
	rows.Close()
	if len(buckets) != 1 || buckets[300] != 1 {
		t.Errorf("applied delay buckets = %v, want {300: 1} (applied 3m after the verdict)",
			buckets)
	}
	kpis, err := s.KPIs(ctx, verdictAt.Add(-time.Hour), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(kpis) != 1 || kpis[0].Department != "legal" || kpis[0].Contained != 1 ||
		kpis[0].ContainedIn5m != 1 || kpis[0].ContainMax != 3*time.Minute {
		t.Errorf("KPIs = %+v, want legal: contained 1, all within 5m, longest 3m", kpis)
	}
}
