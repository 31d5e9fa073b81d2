package enforce_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/iocflow/iocflow/enforce"
	"github.com/iocflow/iocflow/feeds/ioc"
)

// clock is a fake clock that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// call is one call a fakeDevice received.
type call struct {
	Op     string
	Target enforce.Target
	Ref    string
	ID     string
}

// fakeDevice is an adapter over an in-memory device. It records every
// call, can be told to fail the next calls, and can be read back.
type fakeDevice struct {
	name  string
	kinds []enforce.Kind

	mu    sync.Mutex
	calls []call
	held  map[string]enforce.Target
	fail  int  // fail this many calls from now
	perm  bool // failures are permanent
	seq   int
}

func newDevice(name string, kinds ...enforce.Kind) *fakeDevice {
	return &fakeDevice{name: name, kinds: kinds, held: map[string]enforce.Target{}}
}

func (d *fakeDevice) Name() string                 { return d.name }
func (d *fakeDevice) Supports(k enforce.Kind) bool { return slices.Contains(d.kinds, k) }
func (d *fakeDevice) failNext(n int, permanent bool) {
	d.mu.Lock()
	d.fail, d.perm = n, permanent
	d.mu.Unlock()
}

func (d *fakeDevice) do(op string, r enforce.Request) (enforce.Receipt, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, call{Op: op, Target: r.Target, Ref: r.Ref, ID: r.ID})
	if d.fail > 0 {
		d.fail--
		return enforce.Receipt{}, &enforce.DeviceError{Answer: "HTTP 503 busy", Permanent: d.perm}
	}
	if op == "apply" {
		d.seq++
		d.held[r.Target.Key()] = r.Target
		return enforce.Receipt{Ref: fmt.Sprintf("ref-%d", d.seq), Answer: "HTTP 200"}, nil
	}
	delete(d.held, r.Target.Key())
	return enforce.Receipt{Answer: "HTTP 204"}, nil
}

func (d *fakeDevice) Apply(_ context.Context, r enforce.Request) (enforce.Receipt, error) {
	return d.do("apply", r)
}

func (d *fakeDevice) Remove(_ context.Context, r enforce.Request) (enforce.Receipt, error) {
	return d.do("remove", r)
}

func (d *fakeDevice) Held(context.Context) ([]enforce.Target, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []enforce.Target
	for _, t := range d.held {
		out = append(out, t)
	}
	return out, nil
}

func (d *fakeDevice) Calls() []call {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.calls)
}

func (d *fakeDevice) Holds(t enforce.Target) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.held[t.Key()]
	return ok
}

// memAudit keeps records in memory; it can be told to fail.
type memAudit struct {
	mu   sync.Mutex
	recs []enforce.Record
	err  error
}

func (m *memAudit) Write(_ context.Context, recs []enforce.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	m.recs = append(m.recs, recs...)
	return nil
}

func (m *memAudit) Close() error { return nil }

func (m *memAudit) setErr(err error) { m.mu.Lock(); m.err = err; m.mu.Unlock() }

// events returns the records of event ev.
func (m *memAudit) events(ev enforce.Event) []enforce.Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []enforce.Record
	for _, r := range m.recs {
		if r.Event == ev {
			out = append(out, r)
		}
	}
	return out
}

// memStore keeps the snapshot in memory, as JSON would round-trip it.
type memStore struct {
	mu   sync.Mutex
	snap enforce.Snapshot
}

func (m *memStore) Load() (*enforce.Snapshot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.snap
	return &s, nil
}

func (m *memStore) Save(s *enforce.Snapshot) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.snap = *s
	return nil
}

var (
	approver = enforce.Principal{Name: "ana", Role: enforce.RoleApprover}
	viewer   = enforce.Principal{Name: "vic", Role: enforce.RoleViewer}
	admin    = enforce.Principal{Name: "ada", Role: enforce.RoleAdmin}
)

// rule returns an automatic rule of kind k to adapters, with a TTL of 1h.
func rule(name string, k enforce.Kind, mode enforce.Mode, adapters ...string) enforce.Rule {
	return enforce.Rule{Name: name, Action: k, Mode: mode, TTL: enforce.Duration(time.Hour),
		Adapters: adapters}
}

// ipFinding is a high-severity finding on one IPv4 address.
func ipFinding(ip string) enforce.Finding {
	return enforce.Finding{EventID: "ev-" + ip, Indicator: "ipv4:" + ip, Type: ioc.IPv4, Value: ip,
		Observable: ioc.Observable{Type: ioc.IPv4, Value: ip, Field: "dest_ip"},
		Severity:   ioc.SeverityHigh, Confidence: 90, Feeds: []string{"et-block"}}
}

type env struct {
	svc    *enforce.Service
	clock  *clock
	audit  *memAudit
	store  *memStore
	dev    *fakeDevice
	alerts *[]enforce.Alert
}

// newEnv builds a service over one fake device named "fw" with cfg
// (documentation ranges are not protected, so tests can use them).
func newEnv(t *testing.T, cfg enforce.Config) *env {
	t.Helper()
	e := &env{clock: newClock(), audit: &memAudit{}, store: &memStore{},
		dev: newDevice("fw", enforce.BlockIP, enforce.BlockCIDR, enforce.BlockDomain,
			enforce.BlockURL, enforce.RestrictUser, enforce.IsolateHost)}
	e.alerts = new([]enforce.Alert)
	e.svc = e.restart(t, cfg)
	return e
}

// restart builds a new service over the same store, audit and device.
func (e *env) restart(t *testing.T, cfg enforce.Config) *enforce.Service {
	t.Helper()
	cfg.SkipDefaultAllowlist = true
	var mu sync.Mutex
	svc, err := enforce.New(enforce.Options{Config: cfg, Adapters: []enforce.Adapter{e.dev},
		Audit: e.audit, Store: e.store, Now: e.clock.Now,
		OnAlert: func(a enforce.Alert) {
			mu.Lock()
			*e.alerts = append(*e.alerts, a)
			mu.Unlock()
		}})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return svc
}

func (e *env) submit(t *testing.T, fs ...enforce.Finding) {
	t.Helper()
	if err := e.svc.Submit(context.Background(), fs); err != nil {
		t.Fatalf("Submit: %v", err)
	}
}

func (e *env) list(t *testing.T, states ...enforce.State) []enforce.Action {
	t.Helper()
	as, err := e.svc.List(viewer, enforce.Filter{States: states})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return as
}

func countOps(calls []call, op string) int {
	n := 0
	for _, c := range calls {
		if c.Op == op {
			n++
		}
	}
	return n
}

var errDiskFull = errors.New("disk full")
