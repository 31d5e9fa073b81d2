package msgraph

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iocflow/iocflow/enforce"
)

const (
	alice = "alice@corp.example"
	// soc is a mailbox whose local part holds '/' and '#' (both allowed by
	// RFC 5322 section 3.2.3): it reaches Graph only if escaped.
	soc = "soc/ops#1@corp.example"
	// quarantine is a folder id with '/' and '=', as Graph ids may have.
	quarantine = "AQMk/qf="
)

func quarantineTarget(mailbox, imid string) enforce.Target {
	return enforce.Target{Kind: enforce.QuarantineMessage, Value: imid, Mailbox: mailbox}
}

// captureAudit keeps every record written.
type captureAudit struct {
	mu   sync.Mutex
	recs []enforce.Record
}

func (c *captureAudit) Write(_ context.Context, rs []enforce.Record) error {
	c.mu.Lock()
	c.recs = append(c.recs, rs...)
	c.mu.Unlock()
	return nil
}

func (c *captureAudit) Close() error { return nil }

func (c *captureAudit) drift() []enforce.Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []enforce.Record
	for _, r := range c.recs {
		if r.Event == enforce.EventDrift {
			out = append(out, r)
		}
	}
	return out
}

// A message a user moves back out of quarantine is quarantined again by
// the next reconciliation; a message in the quarantine folder that iocflow
// did not put there is left alone.
func TestGraph_ReconcileQuarantinesAgain(t *testing.T) {
	t.Parallel()
	g := newGraph(t, map[string]message{
		"AAMk-0": {mailbox: alice, imid: "<evil@mail.example>", folder: "inbox"},
		"AAMk-s": {mailbox: alice, imid: "<spam@mail.example>", folder: quarantine},
	})
	a := newAdapter(t, g, quarantine)
	audit := &captureAudit{}
	svc, err := enforce.New(enforce.Options{Audit: audit, Adapters: []enforce.Adapter{a},
		Config: enforce.Config{StateFile: filepath.Join(t.TempDir(), "state.json"),
			Policy: enforce.Policy{Rules: []enforce.Rule{{Name: "mail",
				Action: enforce.QuarantineMessage, Mode: enforce.ModeAutomatic,
				Adapters: []string{"msgraph"}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err = svc.Submit(ctx, []enforce.Finding{{MessageID: "<evil@mail.example>", Mailbox: alice}})
	if err != nil {
		t.Fatal(err)
	}
	svc.Tick(ctx)
	if f := g.folderOf(alice, "<evil@mail.example>"); f != quarantine {
		t.Fatalf("after the first tick the message is in %q, want %q", f, quarantine)
	}

	// Nothing drifted: reconciling changes nothing.
	svc.Reconcile(ctx)
	svc.Tick(ctx)
	if d := audit.drift(); len(d) != 0 {
		t.Fatalf("drift without a change: %+v", d)
	}

	g.userMoves(alice, "<evil@mail.example>", "inbox")
	svc.Reconcile(ctx)
	svc.Tick(ctx)
	if f := g.folderOf(alice, "<evil@mail.example>"); f != quarantine {
		t.Errorf("after reconciling, the message moved back is in %q, want %q", f, quarantine)
	}
	d := audit.drift()
	if len(d) != 1 || d[0].Target != quarantineTarget(alice, "<evil@mail.example>") {
		t.Errorf("drift records %+v, want one for the message moved back", d)
	}
	if f := g.folderOf(alice, "<spam@mail.example>"); f != quarantine {
		t.Errorf("the message iocflow did not quarantine is in %q, want it left in %q",
			f, quarantine)
	}
	if _, moved := g.snapshot(); slices.Contains(moved, "<spam@mail.example>") {
		t.Errorf("moves %q: the message iocflow did not quarantine was moved", moved)
	}
}

// After a restart the adapter has no record of earlier quarantines: the
// first reconciliation applies each live one again (the message stays in
// quarantine), and the next finds no drift.
func TestGraph_RestartAppliesOnce(t *testing.T) {
	t.Parallel()
	g := newGraph(t, map[string]message{
		"AAMk-0": {mailbox: alice, imid: "<evil@mail.example>", folder: "inbox"},
	})
	state := filepath.Join(t.TempDir(), "state.json")
	ctx := context.Background()
	start := func() (*enforce.Service, *captureAudit) {
		audit := &captureAudit{}
		svc, err := enforce.New(enforce.Options{Audit: audit,
			Adapters: []enforce.Adapter{newAdapter(t, g, quarantine)},
			Config: enforce.Config{StateFile: state, Policy: enforce.Policy{Rules: []enforce.Rule{
				{Name: "mail", Action: enforce.QuarantineMessage, Mode: enforce.ModeAutomatic,
					Adapters: []string{"msgraph"}}}}}})
		if err != nil {
			t.Fatal(err)
		}
		return svc, audit
	}
	svc, _ := start()
	err := svc.Submit(ctx, []enforce.Finding{{MessageID: "<evil@mail.example>", Mailbox: alice}})
	if err != nil {
		t.Fatal(err)
	}
	svc.Tick(ctx)

	svc, audit := start()
	for range 2 {
		svc.Reconcile(ctx)
		svc.Tick(ctx)
	}
	if d := audit.drift(); len(d) != 1 {
		t.Errorf("drift records after a restart and two reconciliations: %+v, want one", d)
	}
	if f := g.folderOf(alice, "<evil@mail.example>"); f != quarantine {
		t.Errorf("after a restart the message is in %q, want %q", f, quarantine)
	}
}

// Held reads every page of each mailbox's quarantine folder, escapes the
// mailbox and folder in the path, and reports only what the adapter put
// there and is still there.
func TestGraph_HeldPages(t *testing.T) {
	t.Parallel()
	g := newGraph(t, map[string]message{
		"AAAA-1": {mailbox: alice, imid: "<spam1@mail.example>", folder: quarantine},
		"AAAA-2": {mailbox: alice, imid: "<spam2@mail.example>", folder: quarantine},
		"AAMk-0": {mailbox: alice, imid: "<evil@mail.example>", folder: "inbox"},
		"AAMk-9": {mailbox: soc, imid: "<evil@mail.example>", folder: "inbox"},
	})
	g.page = 2
	a := newAdapter(t, g, quarantine)
	ctx := context.Background()
	held, err := a.Held(ctx)
	if listings, _ := g.snapshot(); err != nil || len(held) != 0 || len(listings) != 0 {
		t.Fatalf("Held before any quarantine = %v, %v after %d listings; want nothing, "+
			"no listing", held, err, len(listings))
	}

	ta, ts := quarantineTarget(alice, "<evil@mail.example>"), quarantineTarget(soc,
		"<evil@mail.example>")
	for _, tg := range []enforce.Target{ta, ts} {
		if _, err := a.Apply(ctx, enforce.Request{ID: tg.Mailbox, Target: tg}); err != nil {
			t.Fatal(err)
		}
	}
	g.userMoves(soc, "<evil@mail.example>", "inbox")
	held, err = a.Held(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(held) != 1 || held[0] != ta {
		t.Errorf("Held = %v, want [%v]", held, ta)
	}

	listings, _ := g.snapshot()
	alicePath := "/v1.0/users/alice@corp.example/mailFolders/AQMk%2Fqf=/messages?"
	socPath := "/v1.0/users/soc%2Fops%231@corp.example/mailFolders/AQMk%2Fqf=/messages?"
	if len(listings) != 3 || !strings.HasPrefix(listings[0], alicePath) ||
		!strings.HasPrefix(listings[1], alicePath) || !strings.Contains(listings[1], "skip=2") ||
		!strings.HasPrefix(listings[2], socPath) {
		t.Errorf("listings %q, want two pages of %s then one of %s", listings, alicePath,
			socPath)
	}
}

// A throttled listing (or move) is sent again after the wait Retry-After
// asks for; a wait longer than allowed, or than the call may last, is not
// waited and Held fails, to be tried at the next reconciliation.
func TestGraph_HeldThrottled(t *testing.T) {
	t.Parallel()
	g := newGraph(t, map[string]message{
		"AAMk-0": {mailbox: alice, imid: "<evil@mail.example>", folder: "inbox"},
	})
	a := newAdapter(t, g, quarantine)
	var waited []time.Duration
	a.rt.sleep = func(_ context.Context, d time.Duration) error {
		waited = append(waited, d)
		return nil
	}
	ctx := context.Background()
	tg := quarantineTarget(alice, "<evil@mail.example>")
	rec, err := a.Apply(ctx, enforce.Request{ID: "a1", Target: tg})
	if err != nil {
		t.Fatal(err)
	}

	g.mu.Lock()
	g.throttle, g.retryAfter = 2, "7"
	g.mu.Unlock()
	held, err := a.Held(ctx)
	if err != nil || len(held) != 1 || held[0] != tg {
		t.Errorf("Held after two 429s = %v, %v; want [%v]", held, err, tg)
	}
	if !slices.Equal(waited, []time.Duration{7 * time.Second, 7 * time.Second}) {
		t.Errorf("waited %v, want 7s twice (Retry-After: 7)", waited)
	}

	for _, c := range []struct {
		name, retryAfter string
		timeout          time.Duration
	}{
		{"longer than allowed", "120", 0},
		{"longer than the call may last", "5", 2 * time.Second},
	} {
		g.mu.Lock()
		g.throttle, g.retryAfter = 1, c.retryAfter
		g.mu.Unlock()
		waited = nil
		cctx, cancel := context.WithCancel(ctx)
		if c.timeout > 0 {
			cctx, cancel = context.WithTimeout(ctx, c.timeout)
		}
		_, err := a.Held(cctx)
		cancel()
		var de *enforce.DeviceError
		if !errors.As(err, &de) || de.Permanent || !strings.HasPrefix(de.Answer, "HTTP 429") ||
			len(waited) != 0 {
			t.Errorf("%s (Retry-After: %s): Held = %v after waits %v; want a temporary "+
				"HTTP 429 error and no wait", c.name, c.retryAfter, err, waited)
		}
	}

	// A throttled move goes again with its body.
	g.mu.Lock()
	g.throttle, g.retryAfter = 1, "3"
	g.mu.Unlock()
	waited = nil
	if _, err := a.Remove(ctx, enforce.Request{ID: "a1", Target: tg, Ref: rec.Ref}); err != nil {
		t.Fatal(err)
	}
	if f := g.folderOf(alice, "<evil@mail.example>"); f != "inbox" || len(waited) != 1 {
		t.Errorf("after a throttled release the message is in %q after waits %v, want inbox "+
			"after one", f, waited)
	}
}

// A next link that leaves graph_url is not followed: the bearer token goes
// nowhere else.
func TestGraph_HeldNextLinkElsewhere(t *testing.T) {
	t.Parallel()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("followed a next link to another server: %s %s", r.Method, r.URL)
	}))
	defer other.Close()
	g := newGraph(t, map[string]message{
		"AAAA-1": {mailbox: alice, imid: "<spam1@mail.example>", folder: quarantine},
		"AAMk-0": {mailbox: alice, imid: "<evil@mail.example>", folder: "inbox"},
	})
	g.page, g.nextLink = 1, other.URL+"/v1.0/users/alice@corp.example/messages?$skip=1"
	a := newAdapter(t, g, quarantine)
	ctx := context.Background()
	tg := quarantineTarget(alice, "<evil@mail.example>")
	if _, err := a.Apply(ctx, enforce.Request{ID: "a1", Target: tg}); err != nil {
		t.Fatal(err)
	}
	_, err := a.Held(ctx)
	var de *enforce.DeviceError
	if !errors.As(err, &de) || !de.Permanent {
		t.Errorf("Held with a foreign next link = %v, want a permanent device error", err)
	}
}

func TestRetryAfter_Forms(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		status int
		header string
		want   time.Duration
		ok     bool
	}{
		{429, "7", 7 * time.Second, true},
		{429, " 0 ", 0, true},
		{503, "2", 2 * time.Second, true},
		{429, "Sun, 01 Mar 2026 12:00:30 GMT", 30 * time.Second, true},
		{429, "Sun, 01 Mar 2026 11:00:00 GMT", 0, true},
		{429, "", 0, false},
		{429, "-1", 0, false},
		{429, "soon", 0, false},
		{500, "7", 0, false},
	} {
		resp := &http.Response{StatusCode: c.status, Header: http.Header{}}
		if c.header != "" {
			resp.Header.Set("Retry-After", c.header)
		}
		got, ok := retryAfter(resp, now)
		if got != c.want || ok != c.ok {
			t.Errorf("retryAfter(%d, %q) = %v, %v; want %v, %v", c.status, c.header, got, ok,
				c.want, c.ok)
		}
	}
}
