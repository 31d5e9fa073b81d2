//go:build integration

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/iocflow/iocflow/enforce"
	"github.com/iocflow/iocflow/pipeline/event"
	"github.com/iocflow/iocflow/pipeline/kafka/kafkatest"
)

// product is one whole service: Kafka topics it creates itself, ClickHouse
// with hunting on arrival, enrichment, the upload API, and enforcement
// with an EDL list and its API.
type product struct {
	t                     *testing.T
	dir, config           string
	kafka, input          string
	chHTTP, db            string
	uploadToken, apiToken string
	enfAPI, edl           string
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func writeText(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func newProduct(t *testing.T) *product {
	t.Helper()
	chAddr, chHTTP := os.Getenv("CLICKHOUSE_ADDR"), os.Getenv("CLICKHOUSE_HTTP_ADDR")
	if chAddr == "" || chHTTP == "" {
		t.Skip("CLICKHOUSE_ADDR and CLICKHOUSE_HTTP_ADDR unset: run through deploy/test.sh")
	}
	p := &product{t: t, dir: t.TempDir(), kafka: kafkatest.Broker(t), chHTTP: chHTTP,
		db:    strings.ReplaceAll(kafkatest.Name("iocflow_it"), "-", "_"),
		input: kafkatest.Name("alerts"), uploadToken: "curator-token-0123456789",
		apiToken: "approver-token-0123456789", enfAPI: freeAddr(t), edl: freeAddr(t)}
	t.Cleanup(func() { p.query("DROP DATABASE IF EXISTS " + p.db) })
	writeText(t, filepath.Join(p.dir, "upload-tokens"), p.uploadToken+" curator\n")
	writeText(t, filepath.Join(p.dir, "api-tokens"), "approver tester "+p.apiToken+"\n")
	writeText(t, filepath.Join(p.dir, "directory.csv"),
		"user,department,groups,vip,hosts,ips\nsoc.analyst,soc,analysts,false,ws-1,10.1.2.3\n")
	p.config = filepath.Join(p.dir, "iocflow.yaml")
	writeText(t, p.config, fmt.Sprintf(`
kafka:
  brokers: [%[1]s]
  group: %[2]s
  inputs: [{topic: %[3]s, format: auto}]
  dead_letter_topic: %[4]s
  indicator_topic: %[5]s
  session_timeout: 3s
  commit_interval: 200ms
topics: {create: true, partitions: 2}
pipeline: {lanes: 2, shutdown_timeout: 10s}
enrich: {directory: %[6]s/directory.csv}
sinks:
  verdict_topic: {topic: %[7]s}
  clickhouse:
    addr: [%[8]s]
    database: %[9]s
    flush_interval: 100ms
    hunt_on_arrival: true
    hunt_window: 1d
metrics: {listen: "127.0.0.1:0"}
allowlist: {defaults: false}   # the test uploads a documentation address
api: {listen: "127.0.0.1:0", tokens_file: %[6]s/upload-tokens, state_dir: %[6]s/state}
enforcement:
  state_file: %[6]s/enforce.json
  audit_file: %[6]s/audit.jsonl
  skip_default_allowlist: true
  policy:
    rules:
      - {name: block-ips, match: {types: [ipv4]}, action: block_ip, mode: approval,
         ttl: 1h, adapters: [edl]}
  api: {listen: %[10]s, tokens_file: %[6]s/api-tokens}
  edl: [{listen: %[11]s, anonymous: true, lists: [{path: /ip.txt, device: paloalto, type: ip}]}]
`, p.kafka, kafkatest.Name("workers"), p.input, kafkatest.Name("dead"),
		kafkatest.Name("indicators"), p.dir, kafkatest.Name("verdicts"), chAddr, p.db,
		p.enfAPI, p.edl))
	return p
}

// query runs SQL through ClickHouse's HTTP interface and returns the
// answer as tab-separated text.
func (p *product) query(sql string) string {
	p.t.Helper()
	resp, err := http.Post("http://"+p.chHTTP+"/", "text/plain", strings.NewReader(sql))
	if err != nil {
		p.t.Fatalf("clickhouse: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		p.t.Fatalf("clickhouse: %s: %s", resp.Status, body)
	}
	return strings.TrimSpace(string(body))
}

// eventually polls f every 100ms until it returns "" or timeout passes, and
// fails with f's last answer.
func (p *product) eventually(what string, timeout time.Duration, f func() string) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		why := f()
		if why == "" {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: not within %v: %s", what, timeout, why)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// produce writes one EVE alert from the directory's address to ip and
// returns its event id.
func (p *product) produce(n int, ip string) string {
	p.t.Helper()
	rec := fmt.Appendf(nil, `{"timestamp":%q,"flow_id":%d,"event_type":"alert",`+
		`"src_ip":"10.1.2.3","dest_ip":%q,"proto":"TCP","alert":{"signature":"t %d"}}`,
		time.Now().UTC().Format("2006-01-02T15:04:05.000000-0700"), n, ip, n)
	w := kafkatest.Writer(p.kafka, p.input)
	defer w.Close()
	// The service created the topic just before; a producer may still be
	// told it is unknown for a moment.
	p.eventually("producing to "+p.input, 10*time.Second, func() string {
		if err := w.WriteMessages(context.Background(), kafkago.Message{Value: rec}); err != nil {
			return err.Error()
		}
		return ""
	})
	return event.HashID(rec)
}

// run runs the binary with args and returns its standard output.
func (p *product) run(args ...string) string {
	p.t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		p.t.Fatalf("iocflow %s: %v\n%s%s", strings.Join(args, " "), err, out.String(),
			errb.String())
	}
	return out.String()
}

func (p *product) actions(state string) []enforce.Action {
	p.t.Helper()
	out := p.run("actions", "list", "--server", "http://"+p.enfAPI, "--token-file",
		filepath.Join(p.dir, "approver-token"), "--state", state, "--json")
	var as []enforce.Action
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var a enforce.Action
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			p.t.Fatalf("actions list: %v: %q", err, sc.Text())
		}
		as = append(as, a)
	}
	return as
}

func (p *product) edlList() string {
	resp, err := http.Get("http://" + p.edl + "/ip.txt")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.Status + "\n" + string(body)
}

// The whole product: an event seen before its indicator is found by the
// hunt on arrival, an event after it gets a live verdict, both land in
// ClickHouse enriched, and the live one leads to an action that, once
// approved through the CLI, appears in the served EDL list.
func TestService_ProductUploadToVerdictToEDL(t *testing.T) {
	p := newProduct(t)
	const badIP = "198.51.100.77"
	start := time.Now()
	w := startWorker(t, p.config)
	started := time.Since(start)
	writeText(t, filepath.Join(p.dir, "approver-token"), p.apiToken)
	apiAddr := w.addr("api server listening")
	if apiAddr == "" {
		t.Fatalf("no upload API address logged\n%s", w.logText())
	}
	db := p.db

	// Seen before the indicator exists: stored as a sighting, no verdict.
	early := p.produce(1, badIP)
	p.eventually("sighting of the early event", 20*time.Second, func() string {
		n := p.query(fmt.Sprintf("SELECT count() FROM %s.observables WHERE event_id = '%s' "+
			"AND value = '%s' AND department = 'soc'", db, early, badIP))
		return map[bool]string{true: "", false: "count " + n}[n != "0"]
	})

	upload := filepath.Join(p.dir, "new.json")
	writeText(t, upload, `[{"value":"198.51.100[.]77","type":"ipv4","severity":"high",`+
		`"confidence":90,"id":"TICKET-1"}]`)
	uploadAt := time.Now()
	tokenFile := filepath.Join(p.dir, "upload-tokens")
	if out := p.run("feeds", "upload", upload, "--server", "http://"+apiAddr,
		"--token-file", tokenFile); !strings.Contains(out, "1 accepted (1 added") {
		t.Fatalf("upload answered %q", out)
	}
	p.eventually("the indicator in the matcher", 10*time.Second, func() string {
		return map[bool]string{true: "", false: "not yet"}[w.metric(t, "ioc_matcher_indicators") >= 1]
	})
	live := p.produce(2, badIP)

	verdict := func(id string) string {
		return p.query(fmt.Sprintf("SELECT retrospective, department, user, severity FROM "+
			"%s.verdicts FINAL WHERE event_id = '%s' AND indicator_id = 'ipv4:%s'", db, id, badIP))
	}
	p.eventually("live verdict in ClickHouse", 20*time.Second, func() string {
		if got := verdict(live); got != "0\tsoc\tsoc.analyst\thigh" {
			return fmt.Sprintf("got %q", got)
		}
		return ""
	})
	liveAfter := time.Since(uploadAt)
	p.eventually("retrospective verdict in ClickHouse", 30*time.Second, func() string {
		if got := verdict(early); got != "1\tsoc\tsoc.analyst\thigh" {
			return fmt.Sprintf("got %q", got)
		}
		return ""
	})
	retroAfter := time.Since(uploadAt)

	var pending []enforce.Action
	p.eventually("a pending action", 20*time.Second, func() string {
		pending = p.actions("pending")
		return map[bool]string{true: "", false: "none"}[len(pending) == 1]
	})
	if pending[0].Target.Value != badIP {
		t.Fatalf("pending action targets %q, want %s", pending[0].Target.Value, badIP)
	}
	p.run("actions", "approve", "--server", "http://"+p.enfAPI,
		"--token-file", filepath.Join(p.dir, "approver-token"), pending[0].ID)
	p.eventually("the address in the EDL list", 20*time.Second, func() string {
		if l := p.edlList(); !strings.Contains(l, "200 OK\n") ||
			!strings.Contains(l, badIP+"\n") {
			return fmt.Sprintf("list %q", l)
		}
		return ""
	})
	p.eventually("the audit trail in ClickHouse", 20*time.Second, func() string {
		n := p.query(fmt.Sprintf("SELECT count() FROM %s.actions WHERE event = 'applied' "+
			"AND target = 'block_ip:%s'", db, badIP))
		if n != "0" {
			return ""
		}
		return "rows: " + p.query(fmt.Sprintf("SELECT event, target FROM %s.actions", db))
	})
	enforced := time.Since(uploadAt)
	took := w.stop(t)
	t.Logf("worker ready in %v; after the upload: live verdict %v, retrospective %v, "+
		"in the EDL list and audited %v; SIGTERM took %v", started.Round(time.Millisecond),
		liveAfter.Round(time.Millisecond), retroAfter.Round(time.Millisecond),
		enforced.Round(time.Millisecond), took.Round(time.Millisecond))
}
