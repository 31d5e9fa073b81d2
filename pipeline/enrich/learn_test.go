package enrich

import (
	"net/netip"
	"testing"
	"time"

	"github.com/iocflow/iocflow/pipeline/event"
)

// TestEnricher_Learn: a binding an event states is learned at the event's
// time, only for internal addresses, and expires; an event without one
// costs no allocation.
func TestEnricher_Learn(t *testing.T) {
	e, err := New(Config{}, nil, NewBindings(time.Hour), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	lease := event.Event{Time: t0, Binding: event.Binding{
		IP: netip.MustParseAddr("10.1.2.3"), Host: "WS-17"}}
	e.Learn(&lease, t0.Add(time.Minute))
	outside := event.Event{Binding: event.Binding{
		IP: netip.MustParseAddr("198.51.100.7"), User: "mallory"}}
	e.Learn(&outside, t0)
	leased := netip.MustParseAddr("10.1.2.3")
	if _, h, ok := e.Bindings.Lookup(leased, t0.Add(59*time.Minute)); !ok || h != "WS-17" {
		t.Errorf("lease: host %q ok %v, want WS-17 within the hour", h, ok)
	}
	if _, _, ok := e.Bindings.Lookup(leased, t0.Add(time.Hour)); ok {
		t.Error("lease still bound an hour after the event's time")
	}
	if _, _, ok := e.Bindings.Lookup(netip.MustParseAddr("198.51.100.7"), t0); ok {
		t.Error("an external address was learned")
	}
	var none event.Event
	if n := testing.AllocsPerRun(100, func() { e.Learn(&none, t0) }); n != 0 {
		t.Errorf("Learn without a binding allocates %.1f times, want 0", n)
	}
}

// TestBindings_MergeAgreeing: a renewal naming the same machine keeps the
// user a logon named; a lease to another machine drops it.
func TestBindings_MergeAgreeing(t *testing.T) {
	b := NewBindings(time.Hour)
	a := netip.MustParseAddr("10.1.2.3")
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	b.Learn(a, `CORP\bob`, "WS-BOB", t0)
	b.Learn(a, "", "ws-bob.corp.example", t0.Add(time.Minute))
	if u, h, _ := b.Lookup(a, t0.Add(2*time.Minute)); u != `CORP\bob` ||
		h != "ws-bob.corp.example" {
		t.Errorf("after renewal: %q %q, want CORP\\bob on ws-bob.corp.example", u, h)
	}
	b.Learn(a, "", "WS-17", t0.Add(3*time.Minute))
	if u, h, _ := b.Lookup(a, t0.Add(4*time.Minute)); u != "" || h != "WS-17" {
		t.Errorf("after a lease to WS-17: %q %q, want no user on WS-17", u, h)
	}
}
