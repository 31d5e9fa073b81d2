package edl_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iocflow/iocflow/enforce"
	"github.com/iocflow/iocflow/enforce/edl"
	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/matcher"
	"github.com/iocflow/iocflow/pipeline"
	"github.com/iocflow/iocflow/pipeline/decode/suricata"
)

// A Suricata alert to an address a feed lists goes through the embedded
// pipeline into the enforcement service, and the address must appear in
// the served PAN-OS list within a second.
func TestEndToEnd_VerdictBecomesListLineWithinASecond(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("EDL_E2E_PASSWORD", "e2e-password-123")
	ec := edl.Config{Name: "edl", Username: "pan", PasswordEnv: "EDL_E2E_PASSWORD",
		Lists: []edl.ListConfig{{Path: "/pan/ip.txt", Device: edl.PaloAlto, Type: edl.IPList}}}
	ec.Defaults()
	if err := ec.Validate("edl"); err != nil {
		t.Fatal(err)
	}
	list, err := edl.New(ec, nil)
	if err != nil {
		t.Fatal(err)
	}
	audit, err := enforce.OpenFileAudit(filepath.Join(dir, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer audit.Close()
	svc, err := enforce.New(enforce.Options{
		Config: enforce.Config{
			StateFile: filepath.Join(dir, "state.json"), SkipDefaultAllowlist: true,
			Policy: enforce.Policy{Rules: []enforce.Rule{{Name: "c2", Action: enforce.BlockIP,
				Mode: enforce.ModeAutomatic, Adapters: []string{"edl"},
				Match: enforce.Match{MinSeverity: ioc.SeverityHigh}}}},
		},
		Adapters: []enforce.Adapter{list}, Audit: audit,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	srv := httptest.NewServer(list)
	defer srv.Close()

	var engine matcher.Engine
	engine.Store(matcher.Build(1, []*ioc.Indicator{ioc.NewIndicator(ioc.IPv4, "198.51.100.23",
		ioc.Source{Feed: "c2-feed", ID: "line 1", Confidence: 90, Severity: ioc.SeverityHigh})}))
	emb := &pipeline.Embedded{Decoder: suricata.Decoder{}, Engine: &engine, Sink: svc}
	event := `{"timestamp":"2026-11-20T09:14:02.118233+0100","event_type":"alert",` +
		`"src_ip":"10.20.4.31","src_port":51544,"dest_ip":"198.51.100.23","dest_port":443,` +
		`"proto":"TCP","alert":{"signature":"test","severity":1}}` + "\n"

	start := time.Now()
	stats, err := emb.Run(ctx, []pipeline.Input{{Name: "eve", R: strings.NewReader(event)}})
	if err != nil || stats.Verdicts != 1 {
		t.Fatalf("pipeline: %v, %d verdicts, want 1", err, stats.Verdicts)
	}
	deadline := start.Add(time.Second)
	for {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/pan/ip.txt", nil)
		req.SetBasicAuth("pan", "e2e-password-123")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK && strings.Contains(string(b), "198.51.100.23\n") {
			t.Logf("verdict to list line: %v", time.Since(start))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 1s the list is %d %q; want it to hold 198.51.100.23",
				resp.StatusCode, b)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
