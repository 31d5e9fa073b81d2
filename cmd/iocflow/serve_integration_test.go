//go:build integration

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/pipeline/event"
	"github.com/iocflow/iocflow/pipeline/kafka"
	"github.com/iocflow/iocflow/pipeline/kafka/kafkatest"
)

// The tests of this file run the binary that TestMain (run_test.go) builds.

const partitions = 4

// deployment is the topics and config file of one test.
type deployment struct {
	addr       string
	configPath string
	cfg        kafka.Config
	verdicts   string
}

func newDeployment(t *testing.T) *deployment {
	t.Helper()
	d := &deployment{addr: kafkatest.Broker(t)}
	d.cfg = kafka.Config{Brokers: []string{d.addr}, Group: kafkatest.Name("workers"),
		Inputs:          []kafka.Input{{Topic: kafkatest.Name("alerts"), Format: "suricata"}},
		DeadLetterTopic: kafkatest.Name("dead"), IndicatorTopic: kafkatest.Name("indicators")}
	d.cfg.Defaults()
	d.verdicts = kafkatest.Name("verdicts")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := kafkatest.CreateTopics(ctx, d.addr,
		kafkatest.Topic{Name: d.cfg.Inputs[0].Topic, Partitions: partitions},
		kafkatest.Topic{Name: d.cfg.DeadLetterTopic, Partitions: 1},
		kafkatest.Topic{Name: d.cfg.IndicatorTopic, Partitions: 1, Compacted: true},
		kafkatest.Topic{Name: d.verdicts, Partitions: partitions})
	if err != nil {
		t.Fatal(err)
	}
	d.configPath = filepath.Join(t.TempDir(), "iocflow.yaml")
	conf := fmt.Sprintf(`
kafka:
  brokers: [%s]
  group: %s
  inputs: [{topic: %s, format: suricata}]
  dead_letter_topic: %s
  indicator_topic: %s
  session_timeout: 3s
  commit_interval: 200ms
pipeline:
  lanes: 2
  batch_records: 100
  shutdown_timeout: 10s
sinks:
  verdict_topic: {topic: %s}
metrics:
  listen: 127.0.0.1:0
`, d.addr, d.cfg.Group, d.cfg.Inputs[0].Topic, d.cfg.DeadLetterTopic, d.cfg.IndicatorTopic,
		d.verdicts)
	if err := os.WriteFile(d.configPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return d
}

func (d *deployment) publish(t *testing.T, typ ioc.Type, v string) {
	t.Helper()
	in := ioc.NewIndicator(typ, v, ioc.Source{Feed: "upload", ID: v, Confidence: 90})
	p := kafka.NewPublisher(d.cfg)
	defer p.Close()
	change := feeds.Change{Op: feeds.Added, ID: in.ID, Indicator: in}
	err := p.Publish(context.Background(), []feeds.Change{change})
	if err != nil {
		t.Fatal(err)
	}
}

// produce writes n distinct EVE alerts to ip, numbered from first, and
// returns their event ids.
func (d *deployment) produce(t *testing.T, first, n int, ip string) []string {
	t.Helper()
	w := kafkatest.Writer(d.addr, d.cfg.Inputs[0].Topic)
	defer w.Close()
	msgs := make([]kafkago.Message, 0, n)
	ids := make([]string, 0, n)
	for i := first; i < first+n; i++ {
		rec := fmt.Appendf(nil, `{"timestamp":"2026-11-20T09:%02d:%02d.%06d+0000",`+
			`"flow_id":%d,"event_type":"alert","src_ip":"10.1.2.3","dest_ip":%q,`+
			`"proto":"TCP","alert":{"signature":"test %d"}}`, i/60%60, i%60, i%1000000, i, ip, i)
		ids = append(ids, event.HashID(rec))
		msgs = append(msgs, kafkago.Message{Key: []byte(strconv.Itoa(i)), Value: rec})
	}
	if err := w.WriteMessages(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
	return ids
}

// worker is one iocflow process.
type worker struct {
	cmd     *exec.Cmd
	mu      sync.Mutex
	log     bytes.Buffer
	metrics string
	exited  chan error
	// addrs holds the address of every "... listening" line, by message.
	addrs map[string]string
}

func (d *deployment) start(t *testing.T) *worker {
	t.Helper()
	return startWorker(t, d.configPath)
}

// startWorker runs the binary on a config file and waits until it is
// ready.
func startWorker(t *testing.T, configPath string) *worker {
	t.Helper()
	return startProcess(t, "run", "--config", configPath)
}

// startProcess runs the binary with args (a command that serves the
// operational endpoints) and waits until it is ready.
func startProcess(t *testing.T, args ...string) *worker {
	t.Helper()
	w := &worker{cmd: exec.Command(binary, args...),
		exited: make(chan error, 1), addrs: map[string]string{}}
	stderr, err := w.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go w.readLog(stderr, addr)
	t.Cleanup(func() {
		if w.cmd.ProcessState == nil {
			w.cmd.Process.Kill()
			<-w.exited
		}
		if t.Failed() {
			t.Logf("log of worker %d:\n%s", w.cmd.Process.Pid, w.logText())
		}
	})
	select {
	case w.metrics = <-addr:
	case err := <-w.exited:
		t.Fatalf("worker exited at start: %v\n%s", err, w.logText())
	case <-time.After(20 * time.Second):
		t.Fatalf("worker logged no metrics address within 20s\n%s", w.logText())
	}
	w.waitReady(t)
	return w
}

// readLog keeps the worker's log and sends the metrics address it logs.
func (w *worker) readLog(r io.Reader, addr chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		w.mu.Lock()
		w.log.Write(line)
		w.log.WriteByte('\n')
		w.mu.Unlock()
		var rec struct {
			Msg     string `json:"msg"`
			Address string `json:"address"`
		}
		if json.Unmarshal(line, &rec) != nil || rec.Address == "" {
			continue
		}
		w.mu.Lock()
		w.addrs[rec.Msg] = rec.Address
		w.mu.Unlock()
		if rec.Msg == "metrics server listening" {
			addr <- rec.Address
		}
	}
	w.exited <- w.cmd.Wait()
}

// addr returns the address the worker logged with msg, or "".
func (w *worker) addr(msg string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.addrs[msg]
}

func (w *worker) logText() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.log.String()
}

func (w *worker) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + w.metrics + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("worker not ready within 30s\n%s", w.logText())
}

// metric returns the sum of the samples of name whose labels contain
// every one of labels.
func (w *worker) metric(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	sum, _ := w.samples(t, name, labels...)
	return sum
}

// samples returns the sum and the number of the samples of name whose
// labels contain every one of labels.
func (w *worker) samples(t *testing.T, name string, labels ...string) (float64, int) {
	t.Helper()
	resp, err := http.Get("http://" + w.metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	sum, n := 0.0, 0
	for line := range strings.Lines(string(body)) {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		fields := strings.Fields(line)
		if v, err := strconv.ParseFloat(fields[len(fields)-1], 64); ok && err == nil {
			sum += v
			n++
		}
	}
	return sum, n
}

// partitions returns how many input partitions the worker has read from in
// its current generation: one lag series each.
func (w *worker) partitions(t *testing.T) int {
	t.Helper()
	_, n := w.samples(t, "ioc_kafka_consumer_lag_messages")
	return n
}

// stop sends SIGTERM and returns how long the worker took to exit.
func (w *worker) stop(t *testing.T) time.Duration {
	t.Helper()
	start := time.Now()
	w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-w.exited:
		if err != nil {
			t.Errorf("worker exited with %v after SIGTERM", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("worker did not exit within 30s of SIGTERM")
	}
	return time.Since(start)
}

func (w *worker) kill(t *testing.T) {
	t.Helper()
	w.cmd.Process.Signal(syscall.SIGKILL)
	<-w.exited
}

// verdictIDs counts verdicts per event id.
func verdictIDs(msgs []kafkago.Message) map[string]int {
	ids := map[string]int{}
	for _, m := range msgs {
		ids[string(m.Key)]++
	}
	return ids
}

func missing(ids map[string]int, want []string) int {
	n := 0
	for _, id := range want {
		if ids[id] == 0 {
			n++
		}
	}
	return n
}

// A worker killed with SIGKILL mid-stream and started again must leave
// every event with at least one verdict: at-least-once, nothing missing.
func TestService_SIGKILLMidStreamLosesNothing(t *testing.T) {
	d := newDeployment(t)
	const badIP = "198.51.100.23"
	d.publish(t, ioc.IPv4, badIP)
	out := kafkatest.Collect(d.addr, d.verdicts, partitions)
	defer out.Close()

	a := d.start(t)
	var want []string
	var wantMu sync.Mutex
	producing := make(chan struct{})
	go func() {
		defer close(producing)
		for i := range 20 {
			ids := d.produce(t, i*1000, 1000, badIP)
			wantMu.Lock()
			want = append(want, ids...)
			wantMu.Unlock()
			time.Sleep(100 * time.Millisecond)
		}
	}()
	if !out.WaitFor(60*time.Second, func(m []kafkago.Message) bool { return len(m) >= 5000 }) {
		t.Fatal("fewer than 5000 verdicts within 60s")
	}
	a.kill(t)
	killedAt := len(out.Messages())
	<-producing

	b := d.start(t)
	ok := out.WaitFor(90*time.Second, func(m []kafkago.Message) bool {
		return missing(verdictIDs(m), want) == 0
	})
	ids := verdictIDs(out.Messages())
	if !ok {
		t.Fatalf("%d of %d events have no verdict 90s after the restart",
			missing(ids, want), len(want))
	}
	repeats := len(out.Messages()) - len(ids)
	t.Logf("%d events, killed after %d verdicts, %d verdicts repeated after the restart",
		len(want), killedAt, repeats)
	if took := b.stop(t); took > 15*time.Second {
		t.Errorf("SIGTERM took %v, want within shutdown_timeout + 5s", took)
	}
}

// A second worker joining the group takes over partitions without loss,
// and an indicator uploaded while both run starts matching on both.
func TestService_SecondWorkerAndLiveIndicator(t *testing.T) {
	d := newDeployment(t)
	const firstIP, laterIP = "198.51.100.23", "203.0.113.99"
	d.publish(t, ioc.IPv4, firstIP)
	out := kafkatest.Collect(d.addr, d.verdicts, partitions)
	defer out.Close()

	a := d.start(t)
	want := d.produce(t, 0, 2000, firstIP)
	b := d.start(t)
	want = append(want, d.produce(t, 2000, 2000, firstIP)...)
	if !out.WaitFor(60*time.Second, func(m []kafkago.Message) bool {
		return missing(verdictIDs(m), want) == 0
	}) {
		t.Fatalf("%d of %d events have no verdict after the second worker joined",
			missing(verdictIDs(out.Messages()), want), len(want))
	}
	// Wait until the group has settled with partitions on both workers; a
	// few records on every partition make each reader report its lag.
	deadline := time.Now().Add(30 * time.Second)
	for a.partitions(t)+b.partitions(t) < partitions || a.partitions(t) == 0 ||
		b.partitions(t) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("partitions not spread over both workers within 30s: %d and %d",
				a.partitions(t), b.partitions(t))
		}
		d.produce(t, 900000, 8, firstIP)
		time.Sleep(100 * time.Millisecond)
	}

	beforeA := a.metric(t, "ioc_pipeline_verdicts_total", `stage="written"`)
	beforeB := b.metric(t, "ioc_pipeline_verdicts_total", `stage="written"`)
	start := time.Now()
	d.publish(t, ioc.IPv4, laterIP)
	for _, w := range []*worker{a, b} {
		deadline := time.Now().Add(5 * time.Second)
		for w.metric(t, "ioc_matcher_indicators") < 2 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
	}
	reached := time.Since(start)
	later := d.produce(t, 100000, 400, laterIP)
	if !out.WaitFor(30*time.Second, func(m []kafkago.Message) bool {
		return missing(verdictIDs(m), later) == 0
	}) {
		t.Fatalf("%d of 400 events on the new indicator have no verdict",
			missing(verdictIDs(out.Messages()), later))
	}
	for name, w := range map[string]*worker{"first": a, "second": b} {
		if n := w.metric(t, "ioc_matcher_indicators"); n != 2 {
			t.Errorf("%s worker's matcher holds %v indicators, want 2", name, n)
		}
	}
	gainA := a.metric(t, "ioc_pipeline_verdicts_total", `stage="written"`) - beforeA
	gainB := b.metric(t, "ioc_pipeline_verdicts_total", `stage="written"`) - beforeB
	if gainA == 0 || gainB == 0 {
		t.Errorf("verdicts on the new indicator: first worker %v, second %v; want both > 0",
			gainA, gainB)
	}
	t.Logf("new indicator in both matchers %v after publishing; verdicts %v + %v",
		reached, gainA, gainB)
	if reached > time.Second {
		t.Errorf("new indicator reached both matchers in %v, want within 1s", reached)
	}
	a.stop(t)
	b.stop(t)
}
