package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/iocflow/iocflow/enforce"
	"github.com/iocflow/iocflow/feeds/ioc"
)

// device is the smallest adapter: it accepts every block_ip.
type device struct{ applied []string }

func (d *device) Name() string                 { return "fw" }
func (d *device) Supports(k enforce.Kind) bool { return k == enforce.BlockIP }
func (d *device) Apply(_ context.Context, r enforce.Request) (enforce.Receipt, error) {
	d.applied = append(d.applied, r.Target.Value)
	return enforce.Receipt{Answer: "ok"}, nil
}
func (d *device) Remove(context.Context, enforce.Request) (enforce.Receipt, error) {
	return enforce.Receipt{Answer: "ok"}, nil
}

type nopAudit struct{ n int }

func (a *nopAudit) Write(_ context.Context, r []enforce.Record) error { a.n += len(r); return nil }
func (a *nopAudit) Close() error                                      { return nil }

const tokenLines = `# test tokens
viewer vic viewer-token-0123456789
approver ana approver-token-0123456789
admin ada admin-token-0123456789
`

func setup(t *testing.T) (*enforce.Service, *httptest.Server, *device) {
	t.Helper()
	tokens, err := enforce.ParseTokens("test", strings.NewReader(tokenLines))
	if err != nil {
		t.Fatal(err)
	}
	dev := &device{}
	svc, err := enforce.New(enforce.Options{Audit: &nopAudit{}, Adapters: []enforce.Adapter{dev},
		Config: enforce.Config{StateFile: t.TempDir() + "/state.json", SkipDefaultAllowlist: true,
			Policy: enforce.Policy{Rules: []enforce.Rule{{Name: "ip", Action: enforce.BlockIP,
				Adapters: []string{"fw"}, TTL: enforce.Duration(time.Hour)}}}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(svc, tokens, nil))
	t.Cleanup(srv.Close)
	f := enforce.Finding{Type: ioc.IPv4, Value: "203.0.113.5",
		Observable: ioc.Observable{Type: ioc.IPv4, Value: "203.0.113.5"}}
	if err := svc.Submit(context.Background(), []enforce.Finding{f}); err != nil {
		t.Fatal(err)
	}
	return svc, srv, dev
}

func client(srv *httptest.Server, token string) *Client {
	return &Client{BaseURL: srv.URL, Token: token, HTTP: srv.Client()}
}

func status(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

func TestAPI_RolesOnEveryRoute(t *testing.T) {
	svc, srv, dev := setup(t)
	ctx := context.Background()
	viewer := client(srv, "viewer-token-0123456789")
	approver := client(srv, "approver-token-0123456789")
	admin := client(srv, "admin-token-0123456789")
	if _, err := client(srv, "").List(ctx); status(err) != http.StatusUnauthorized {
		t.Errorf("no token: %v, want 401", err)
	}
	guessed := client(srv, "guessed-token-0123456789")
	if _, err := guessed.List(ctx); status(err) != http.StatusUnauthorized {
		t.Errorf("unknown token: %v, want 401", err)
	}
	as, err := viewer.List(ctx, enforce.StatePending)
	if err != nil || len(as) != 1 {
		t.Fatalf("viewer list pending: %v %v", as, err)
	}
	id := as[0].ID
	if _, err := viewer.Decide(ctx, "approve", id, ""); status(err) != http.StatusForbidden {
		t.Errorf("viewer approve: %v, want 403", err)
	}
	a, err := approver.Decide(ctx, "approve", id, "looks bad")
	if err != nil || a.State != enforce.StateQueued || a.ApprovedBy != "ana" {
		t.Fatalf("approver approve: %+v %v", a, err)
	}
	if _, err := approver.Decide(ctx, "approve", id, ""); status(err) != http.StatusConflict {
		t.Errorf("approve twice: %v, want 409", err)
	}
	if _, err := approver.Decide(ctx, "approve", "nope", ""); status(err) != http.StatusNotFound {
		t.Errorf("unknown id: %v, want 404", err)
	}
	svc.Tick(ctx)
	if len(dev.applied) != 1 {
		t.Errorf("device applied %v after approval", dev.applied)
	}
	a, err = approver.Decide(ctx, "release", id, "done")
	if err != nil || a.State != enforce.StateRemoving {
		t.Errorf("release: %+v %v", a, err)
	}

	pol := enforce.Policy{Rules: []enforce.Rule{{Name: "auto", Action: enforce.BlockIP,
		Mode: enforce.ModeAutomatic, Adapters: []string{"fw"}}}}
	if _, err := approver.SetPolicy(ctx, pol); status(err) != http.StatusForbidden {
		t.Errorf("approver set policy: %v, want 403", err)
	}
	got, err := admin.SetPolicy(ctx, pol)
	if err != nil || got.SetBy != "ada" ||
		got.Policy.Rules[0].TTL != enforce.Duration(enforce.DefaultTTL) {
		t.Errorf("admin set policy: %+v %v", got, err)
	}
	pol.Rules[0].Adapters = []string{"missing"}
	if _, err := admin.SetPolicy(ctx, pol); status(err) != http.StatusBadRequest {
		t.Errorf("policy naming a missing adapter: %v, want 400", err)
	}

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer viewer-token-0123456789")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `ioc_enforce_findings_total 1`) {
		t.Errorf("metrics:\n%s", b)
	}
}

func TestTokens_BadLinesRejectedWithoutEchoingTokens(t *testing.T) {
	_, err := enforce.ParseTokens("tokens", strings.NewReader(
		"root ann secret-token-0123456789\nviewer bob tiny1\nadmin x\n"))
	if err == nil {
		t.Fatal("bad token lines accepted")
	}
	for _, want := range []string{"tokens:1", "tokens:2", "tokens:3"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %s", err, want)
		}
	}
	if strings.Contains(err.Error(), "secret-token") || strings.Contains(err.Error(), "tiny1") {
		t.Errorf("error %q echoes a token", err)
	}
}
