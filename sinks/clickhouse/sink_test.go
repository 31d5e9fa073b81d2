//go:build integration

package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/sinks/verdict"
)

// testVerdicts returns n verdicts of distinct events, each on one of three
// indicators, with a severity by index, made delay after their event.
func testVerdicts(first, n int, at time.Time, delay time.Duration) []verdict.Verdict {
	sevs := []ioc.Severity{ioc.SeverityCritical, ioc.SeverityHigh, ioc.SeverityLow}
	vs := make([]verdict.Verdict, n)
	for i := range vs {
		k := first + i
		ind := fmt.Sprintf("domain:evil%d.example", k%3)
		vs[i] = verdict.Verdict{
			EventID: fmt.Sprintf("ev-%06d", k), EventTime: at, Time: at.Add(delay),
			Format: "suricata", Kind: "dns",
			Observable: ioc.Observable{Type: ioc.Domain, Value: "a.evil.example",
				Field: "dns.rrname"},
			Indicator: verdict.Indicator{ID: ind, Type: ioc.Domain, Value: "evil.example",
				Feeds: []verdict.Feed{{Name: "et-open", ID: "line 1"},
					{Name: "analyst", ID: "c-1"}}},
			Confidence: 80, Severity: sevs[k%3], MatcherVersion: 7,
			Department: "finance", Host: fmt.Sprintf("ws-%d", k%7), User: fmt.Sprintf("u%d", k%5),
		}
	}
	return vs
}

func TestMigrate_IsIdempotent(t *testing.T) {
	s := openStore(t, testConfig(t, sharedServer(t)))
	applied, err := s.Migrate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 0 {
		t.Errorf("second Migrate applied %v, want nothing", applied)
	}
	// A migration cut short is run again from its start: every statement
	// must take a second run.
	ms, err := Migrations(s.cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if err := s.apply(context.Background(), m); err != nil {
			t.Errorf("re-apply %s: %v", m.Name, err)
		}
	}
	n := queryUint(t, s, "SELECT count() FROM system.tables WHERE database = '"+s.cfg.Database+"'")
	if n != 10 {
		t.Errorf("tables in database: got %d, want 10", n)
	}
}

func TestSink_RepeatsDoNotInflateKPIs(t *testing.T) {
	s := openStore(t, testConfig(t, sharedServer(t)))
	sink := NewSink(s, nil)
	defer sink.Close()
	ctx := context.Background()
	at := time.Now().UTC().Truncate(time.Hour).Add(-2 * time.Hour)
	vs := testVerdicts(0, 300, at, 30*time.Second)
	// Every verdict is written twice, as after a retry, and a third time
	// in a batch of its own, as after a crash.
	for range 2 {
		if err := sink.Write(ctx, vs); err != nil {
			t.Fatal(err)
		}
	}
	if err := sink.Write(ctx, vs[:100]); err != nil {
		t.Fatal(err)
	}
	if got := sink.Stats().Verdicts.Rows; got != 700 {
		t.Errorf("rows sent: got %d, want 700", got)
	}
	if got := queryUint(t, s, "SELECT count() FROM "+s.table("verdicts")+" FINAL"); got != 300 {
		t.Errorf("verdicts FINAL: got %d, want 300", got)
	}
	kpis, err := s.KPIs(ctx, at, at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(kpis) != 1 {
		t.Fatalf("KPIs: got %d departments, want 1: %+v", len(kpis), kpis)
	}
	k := kpis[0]
	if k.Department != "finance" || k.Hosts != 7 || k.Users != 5 {
		t.Errorf("KPI subject: got department %q, %d hosts, %d users; want finance, 7, 5",
			k.Department, k.Hosts, k.Users)
	}
	if k.Verdicts != 300 || k.Critical != 100 || k.High != 100 || k.Low != 100 || k.Events != 300 {
		t.Errorf("KPI counts: got %+v, want 300 verdicts, 100 each of critical, high, low", k)
	}
	if k.DetectedIn1m != 1 || k.DetectMax != 30*time.Second {
		t.Errorf("detection: got share %v max %v, want 1 and 30s", k.DetectedIn1m, k.DetectMax)
	}
	feeds := queryUint(t, s, "SELECT uniqMerge(verdicts) FROM "+s.table("kpi_feed_hourly")+
		" WHERE feed = 'analyst'")
	if feeds != 300 {
		t.Errorf("feed KPI verdicts: got %d, want 300", feeds)
	}
}

func TestSink_EnqueueAcksAfterInsert(t *testing.T) {
	cfg := testConfig(t, sharedServer(t))
	cfg.FlushInterval = 200 * time.Millisecond
	s := openStore(t, cfg)
	sink := NewSink(s, nil)
	defer sink.Close()
	at := time.Now().UTC().Add(-time.Hour)
	acked := make(chan error, 10)
	start := time.Now()
	for i := range 10 {
		err := sink.Enqueue(context.Background(), testVerdicts(i*10, 10, at, time.Second),
			func(err error) { acked <- err })
		if err != nil {
			t.Fatal(err)
		}
	}
	for range 10 {
		if err := <-acked; err != nil {
			t.Fatalf("ack: %v", err)
		}
	}
	// The ten small batches wait for the age limit and go in one INSERT.
	if st := sink.Stats().Verdicts; st.Inserts != 1 || st.Rows != 100 {
		t.Errorf("stats: got %+v, want 1 insert of 100 rows", st)
	}
	if el := time.Since(start); el < cfg.FlushInterval {
		t.Errorf("acked after %v, before the flush interval %v", el, cfg.FlushInterval)
	}
	if got := queryUint(t, s, "SELECT count() FROM "+s.table("verdicts")); got != 100 {
		t.Errorf("rows in table when acked: got %d, want 100", got)
	}
}

// TestSink_ServerDownAndUp stops a server of its own while a writer
// streams verdicts, starts it again, and checks that every verdict is
// stored exactly once and that the writer waited meanwhile.
func TestSink_ServerDownAndUp(t *testing.T) {
	srv := privateServer(t)
	cfg := testConfig(t, srv.addr)
	cfg.Timeout = 2 * time.Second
	cfg.RetryMax = 200 * time.Millisecond
	s := openStore(t, cfg)
	sink := NewSink(s, nil)
	defer sink.Close()

	const batches, size = 60, 200
	at := time.Now().UTC().Truncate(time.Hour).Add(-time.Hour)
	var written sync.WaitGroup
	var mu sync.Mutex
	done := 0
	var writeErr error
	written.Add(1)
	go func() {
		defer written.Done()
		for i := range batches {
			vs := testVerdicts(i*size, size, at, time.Second)
			if err := sink.Write(context.Background(), vs); err != nil {
				mu.Lock()
				writeErr = err
				mu.Unlock()
				return
			}
			mu.Lock()
			done++
			mu.Unlock()
		}
	}()
	progress := func() int {
		mu.Lock()
		defer mu.Unlock()
		return done
	}
	poll(t, 30*time.Second, "first batches written", func() bool { return progress() >= 5 })
	srv.run(t, "stop")
	poll(t, 30*time.Second, "sink notices the server is down", func() bool {
		return sink.Stats().Verdicts.Failures > 0
	})
	stalled := progress()
	srv.run(t, "start")
	written.Wait()
	if writeErr != nil {
		t.Fatalf("write: %v", writeErr)
	}
	if stalled >= batches {
		t.Fatalf("writer finished (%d batches) before the server went down", stalled)
	}
	st := sink.Stats().Verdicts
	t.Logf("down at batch %d; %d failed attempts; %d inserts", stalled, st.Failures, st.Inserts)
	want := uint64(batches * size)
	if got := queryUint(t, s, "SELECT count() FROM "+s.table("verdicts")+" FINAL"); got != want {
		t.Errorf("verdicts after down/up: got %d, want %d", got, want)
	}
	kpi := queryUint(t, s, "SELECT uniqMerge(verdicts) FROM "+s.table("kpi_department_hourly"))
	if kpi != want {
		t.Errorf("KPI verdicts after down/up: got %d, want %d", kpi, want)
	}
}

func TestSink_CloseGivesUpOnDownServer(t *testing.T) {
	srv := privateServer(t)
	cfg := testConfig(t, srv.addr)
	cfg.Timeout = time.Second
	s := openStore(t, cfg)
	sink := NewSink(s, nil)
	srv.run(t, "stop")
	acked := make(chan error, 1)
	vs := testVerdicts(0, 10, time.Now(), time.Second)
	if err := sink.Enqueue(context.Background(), vs, func(err error) { acked <- err }); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := sink.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("Close with the server down: got %v, want ErrClosed", err)
	}
	if el := time.Since(start); el > 5*cfg.Timeout {
		t.Errorf("Close took %v with a timeout of %v", el, cfg.Timeout)
	}
	if err := <-acked; !errors.Is(err, ErrClosed) {
		t.Errorf("ack of unsent batch: got %v, want ErrClosed", err)
	}
	srv.run(t, "start")
}

func TestSink_BoundedQueueBlocksWriters(t *testing.T) {
	srv := privateServer(t)
	cfg := testConfig(t, srv.addr)
	cfg.BatchRows, cfg.MaxPendingRows = 10, 30
	s := openStore(t, cfg)
	sink := NewSink(s, nil)
	defer sink.Close()
	srv.run(t, "stop")
	at := time.Now()
	for i := range 3 {
		vs := testVerdicts(i*10, 10, at, 0)
		if err := sink.Enqueue(context.Background(), vs, nil); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := sink.Enqueue(ctx, testVerdicts(30, 10, at, 0), nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("enqueue past the bound: got %v, want to block until the deadline", err)
	}
	if p := sink.Stats().Verdicts.Pending; p != 30 {
		t.Errorf("pending: got %d, want 30", p)
	}
	srv.run(t, "start")
	poll(t, 30*time.Second, "queue drains", func() bool {
		return sink.Stats().Verdicts.Pending == 0
	})
	if got := queryUint(t, s, "SELECT count() FROM "+s.table("verdicts")); got != 30 {
		t.Errorf("rows after drain: got %d, want 30", got)
	}
}
