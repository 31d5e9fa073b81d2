//go:build integration

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iocflow/iocflow/enforce"
	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/pipeline/kafka"
)

// enforcer is the config of one `iocflow enforce` beside a deployment's
// workers: an automatic block rule to an EDL list.
type enforcer struct {
	config, audit, edl string
}

func (d *deployment) enforcer(t *testing.T) *enforcer {
	t.Helper()
	dir := t.TempDir()
	base, err := os.ReadFile(d.configPath)
	if err != nil {
		t.Fatal(err)
	}
	e := &enforcer{config: filepath.Join(dir, "enforce.yaml"),
		audit: filepath.Join(dir, "audit.jsonl"), edl: freeAddr(t)}
	writeText(t, filepath.Join(dir, "api-tokens"), "viewer tester viewer-token-0123456789\n")
	writeText(t, e.config, string(base)+fmt.Sprintf(`
enforcement:
  state_file: %[1]s/enforce.json
  audit_file: %[2]s
  skip_default_allowlist: true
  blast_radius: {limit: 10000}
  policy:
    rules:
      - {name: block-ips, match: {types: [ipv4]}, action: block_ip, mode: automatic,
         ttl: 1h, adapters: [edl]}
  api: {listen: %[3]s, tokens_file: %[1]s/api-tokens}
  edl: [{listen: %[4]s, anonymous: true, lists: [{path: /ip.txt, device: paloalto, type: ip}]}]
`, dir, e.audit, freeAddr(t), e.edl))
	return e
}

func (e *enforcer) start(t *testing.T) *worker {
	t.Helper()
	return startProcess(t, "enforce", "--config", e.config)
}

// listed returns the addresses the EDL list serves, or nil while it does
// not serve.
func (e *enforcer) listed() map[string]bool {
	resp, err := http.Get("http://" + e.edl + "/ip.txt")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	out := map[string]bool{}
	for _, l := range strings.Fields(string(body)) {
		out[l] = true
	}
	return out
}

// eventually reports whether every one of ips is listed within timeout.
func (e *enforcer) eventually(ips []string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		got := e.listed()
		n := 0
		for _, ip := range ips {
			if got[ip] {
				n++
			}
		}
		if n == len(ips) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// waitListed polls until every one of ips is listed and returns how long
// that took.
func (e *enforcer) waitListed(t *testing.T, ips []string, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		got := e.listed()
		left := 0
		for _, ip := range ips {
			if !got[ip] {
				left++
			}
		}
		if left == 0 {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			t.Fatalf("%d of %d addresses not in the EDL list within %v", left, len(ips), timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// proposals reads the audit trail and returns the action ids proposed per
// target.
func (e *enforcer) proposals(t *testing.T) map[string][]string {
	t.Helper()
	f, err := os.Open(e.audit)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var r enforce.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		if r.Event == enforce.EventProposed || r.Event == enforce.EventHeld {
			out[r.Target.Value] = append(out[r.Target.Value], r.ActionID)
		}
	}
	return out
}

// publishAll publishes one indicator per address in one batch.
func (d *deployment) publishAll(t *testing.T, ips []string) {
	t.Helper()
	changes := make([]feeds.Change, 0, len(ips))
	for _, ip := range ips {
		in := ioc.NewIndicator(ioc.IPv4, ip, ioc.Source{Feed: "upload", ID: ip, Confidence: 90})
		changes = append(changes, feeds.Change{Op: feeds.Added, ID: in.ID, Indicator: in})
	}
	p := kafka.NewPublisher(d.cfg)
	defer p.Close()
	if err := p.Publish(context.Background(), changes); err != nil {
		t.Fatal(err)
	}
}

func addresses(first, n int) []string {
	out := make([]string, 0, n)
	for i := first; i < first+n; i++ {
		out = append(out, fmt.Sprintf("198.51.%d.%d", 100+i/250, 1+i%250))
	}
	return out
}

// Two matching workers and one enforcer reading the verdict topic: the
// verdicts of both workers' partitions reach the EDL list within a second,
// and an enforcer killed with SIGKILL mid-stream and started again loses
// and doubles no action (one proposal per address in the audit trail).
func TestService_EnforcerFedByTwoWorkers(t *testing.T) {
	d := newDeployment(t)
	const warmIP = "203.0.113.200"
	ips := addresses(0, 300)
	d.publishAll(t, append([]string{warmIP}, ips...))
	e := d.enforcer(t)
	enf := e.start(t)
	a, b := d.start(t), d.start(t)

	// Settle the group with partitions on both workers.
	deadline := time.Now().Add(30 * time.Second)
	for a.partitions(t) == 0 || b.partitions(t) == 0 ||
		a.partitions(t)+b.partitions(t) < partitions {
		if time.Now().After(deadline) {
			t.Fatalf("partitions not spread over both workers within 30s: %d and %d",
				a.partitions(t), b.partitions(t))
		}
		time.Sleep(100 * time.Millisecond)
	}
	d.produce(t, 900000, 8, warmIP)
	if !e.eventually([]string{warmIP}, 20*time.Second) {
		t.Fatalf("warm-up address not listed within 20s; enforcer read %v verdicts, "+
			"skipped %v; workers read %v events, matched %v, wrote %v",
			enf.metric(t, "ioc_kafka_verdicts_read_total"),
			enf.metric(t, "ioc_kafka_verdict_rejects_total"),
			a.metric(t, "ioc_pipeline_events_total", `stage="read"`)+
				b.metric(t, "ioc_pipeline_events_total", `stage="read"`),
			a.metric(t, "ioc_pipeline_events_total", `stage="matched"`)+
				b.metric(t, "ioc_pipeline_events_total", `stage="matched"`),
			a.metric(t, "ioc_pipeline_verdicts_total", `stage="written"`)+
				b.metric(t, "ioc_pipeline_verdicts_total", `stage="written"`))
	}

	// Latency: 8 addresses, 4 events each, spread over every partition.
	beforeA := a.metric(t, "ioc_pipeline_verdicts_total", `stage="written"`)
	beforeB := b.metric(t, "ioc_pipeline_verdicts_total", `stage="written"`)
	for i, ip := range ips[:8] {
		d.produce(t, 1000*i, 4, ip)
	}
	took := e.waitListed(t, ips[:8], 10*time.Second)
	gainA := a.metric(t, "ioc_pipeline_verdicts_total", `stage="written"`) - beforeA
	gainB := b.metric(t, "ioc_pipeline_verdicts_total", `stage="written"`) - beforeB
	t.Logf("8 addresses from both workers (%v + %v verdicts) in the EDL list %v after "+
		"producing the last event", gainA, gainB, took.Round(time.Millisecond))
	if gainA == 0 || gainB == 0 {
		t.Errorf("verdicts written: first worker %v, second %v; want both > 0", gainA, gainB)
	}
	if took > time.Second {
		t.Errorf("addresses reached the EDL list in %v, want within 1s", took)
	}

	// SIGKILL mid-stream: the rest of the addresses, a few at a time.
	rest := ips[8:]
	producing := make(chan struct{})
	go func() {
		defer close(producing)
		for i := 0; i < len(rest); i += 4 {
			for j, ip := range rest[i:min(i+4, len(rest))] {
				d.produce(t, 10000+1000*(i+j), 3, ip)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	for len(e.listed()) < 60 {
		time.Sleep(5 * time.Millisecond)
	}
	enf.kill(t)
	killedAt := time.Now()
	<-producing
	enf = e.start(t)
	restarted := time.Since(killedAt)
	all := e.waitListed(t, ips, 60*time.Second)
	proposed := e.proposals(t)
	lost, doubled := 0, 0
	for _, ip := range ips {
		switch n := len(proposed[ip]); {
		case n == 0:
			lost++
		case n > 1:
			doubled++
			t.Errorf("%s proposed %d times: %v", ip, n, proposed[ip])
		}
	}
	t.Logf("enforcer killed with %d listed; ready again %v later; all %d listed %v after "+
		"that; lost %d, doubled %d", 60, restarted.Round(time.Millisecond), len(ips),
		all.Round(time.Millisecond), lost, doubled)
	if lost > 0 {
		t.Errorf("%d addresses have no proposal in the audit trail", lost)
	}
	enf.stop(t)
	a.stop(t)
	b.stop(t)
}
