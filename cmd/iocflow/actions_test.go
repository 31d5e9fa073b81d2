package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/iocflow/iocflow/enforce"
	"github.com/iocflow/iocflow/enforce/api"
	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/internal/config"
)

const enforcementYAML = `
enforcement:
  dry_run: false
  state_file: /var/lib/iocflow/enforce.json
  allowlist: [10.0.0.0/8, .corp.example, user administrator]
  blast_radius: {limit: 20, window: 15m}
  policy:
    rules:
      - name: c2-addresses
        match: {types: [ipv4, ipv6], min_severity: high, min_confidence: 80, vip: false}
        action: block_ip
        mode: automatic
        ttl: 24h
        adapters: [edl]
  api: {listen: "127.0.0.1:9781", tokens_file: /etc/iocflow/tokens}
  edl:
    - name: edl
      username: pan
      password_env: EDL_PASSWORD
      lists:
        - {path: /pan/ip.txt, device: paloalto, type: ip}
        - {path: /cp/all.csv, device: checkpoint, type: all}
`

func TestEnforcementConfig_DecodesStrictly(t *testing.T) {
	var fc struct {
		Enforcement enforcementConfig `yaml:"enforcement"`
	}
	if err := config.Decode([]byte(enforcementYAML), &fc); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	c := &fc.Enforcement
	c.defaults("workers")
	if err := c.validate("enforcement"); err != nil {
		t.Fatalf("validate: %v", err)
	}
	r := c.Policy.Rules[0]
	if r.TTL != enforce.Duration(24*time.Hour) || r.Mode != enforce.ModeAutomatic ||
		r.Match.VIP == nil || *r.Match.VIP || r.Match.MinSeverity != ioc.SeverityHigh ||
		c.BlastRadius.Limit != 20 || c.EDL[0].Lists[1].MaxEntries != 1_000_000 {
		t.Errorf("decoded %+v", c)
	}
	bad := strings.Replace(enforcementYAML, "dry_run", "dryrun", 1)
	if err := config.Decode([]byte(bad), &fc); err == nil {
		t.Error("unknown key accepted")
	}
}

type okDevice struct{}

func (okDevice) Name() string                 { return "fw" }
func (okDevice) Supports(k enforce.Kind) bool { return k == enforce.BlockIP }
func (okDevice) Apply(context.Context, enforce.Request) (enforce.Receipt, error) {
	return enforce.Receipt{Answer: "ok"}, nil
}
func (okDevice) Remove(context.Context, enforce.Request) (enforce.Receipt, error) {
	return enforce.Receipt{Answer: "ok"}, nil
}

func TestActions_ListApproveOverTheAPI(t *testing.T) {
	dir := t.TempDir()
	audit, err := enforce.OpenFileAudit(dir + "/audit.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer audit.Close()
	svc, err := enforce.New(enforce.Options{Audit: audit, Adapters: []enforce.Adapter{okDevice{}},
		Config: enforce.Config{StateFile: dir + "/state.json", SkipDefaultAllowlist: true,
			Policy: enforce.Policy{Rules: []enforce.Rule{{Name: "ip", Action: enforce.BlockIP,
				Adapters: []string{"fw"}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	f := enforce.Finding{Type: ioc.IPv4, Value: "203.0.113.77"}
	if err := svc.Submit(context.Background(), []enforce.Finding{f}); err != nil {
		t.Fatal(err)
	}
	tokens, _ := enforce.ParseTokens("t", strings.NewReader(
		"viewer vic viewer-token-0123456789\napprover ana approver-token-0123456789\n"))
	srv := httptest.NewServer(api.New(svc, tokens, nil))
	defer srv.Close()

	run := func(token string, args ...string) (int, string, string) {
		t.Setenv("IOCFLOW_TOKEN", token)
		var out, errb bytes.Buffer
		code := runMain(
			context.Background(),
			append([]string{"actions"}, args...),
			nil,
			&out,
			&errb,
		)
		return code, out.String(), errb.String()
	}
	code, out, errOut := run(
		"viewer-token-0123456789",
		"list",
		"--server",
		srv.URL,
		"--state",
		"pending",
	)
	if code != exitOK || !strings.Contains(out, "203.0.113.77") ||
		!strings.Contains(out, "pending") {
		t.Fatalf("list: %d %q %q", code, out, errOut)
	}
	as, _ := svc.List(enforce.Principal{Name: "t", Role: enforce.RoleViewer}, enforce.Filter{})
	id := as[0].ID
	code, _, errOut = run("viewer-token-0123456789", "approve", "--server", srv.URL, id)
	if code == exitOK || !strings.Contains(errOut, "403") {
		t.Errorf("viewer approve: %d %q, want a refusal", code, errOut)
	}
	code, out, errOut = run("approver-token-0123456789", "approve", "--server", srv.URL,
		"--note", "confirmed C2", id)
	if code != exitOK || !strings.Contains(out, "queued") {
		t.Errorf("approver approve: %d %q %q", code, out, errOut)
	}
}

// Help needs no token: "actions -h" and "actions list -h" print the usage
// and exit 0; "actions" alone prints it and exits 2.
func TestActions_HelpWithoutToken(t *testing.T) {
	t.Setenv("IOCFLOW_TOKEN", "")
	cases := []struct {
		args     []string
		wantCode int
	}{
		{[]string{"actions", "-h"}, exitOK},
		{[]string{"actions", "--help"}, exitOK},
		{[]string{"actions", "help"}, exitOK},
		{[]string{"actions", "list", "-h"}, exitOK},
		{[]string{"actions"}, exitUsage},
	}
	for _, tc := range cases {
		var out, errb bytes.Buffer
		code := runMain(context.Background(), tc.args, nil, &out, &errb)
		all := out.String() + errb.String()
		if code != tc.wantCode || !strings.Contains(all, "usage: iocflow actions") ||
			strings.Contains(all, "no token") {
			t.Errorf("%q: exit %d, output %q; want exit %d with the usage and no token "+
				"complaint", tc.args, code, all, tc.wantCode)
		}
	}
}
