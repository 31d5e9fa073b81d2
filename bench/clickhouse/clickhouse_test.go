//go:build integration

// Package clickhouse benchmarks the ClickHouse sink: the sustained insert
// rate of verdict rows, and the embedded pipeline's rate with the sink on
// against the same run with a sink that discards. It needs a server:
//
//	eval "$(deploy/clickhouse.sh start)"
//	go test -tags integration -run '^$' -bench . -benchtime 5x ./bench/clickhouse
//
// Each benchmark works in a database of its own, dropped at the end.
package clickhouse

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/matcher"
	"github.com/iocflow/iocflow/pipeline"
	"github.com/iocflow/iocflow/pipeline/decode/suricata"
	ch "github.com/iocflow/iocflow/sinks/clickhouse"
	"github.com/iocflow/iocflow/sinks/verdict"
)

func openSink(b *testing.B, batchRows int) (*ch.Store, *ch.Sink) {
	b.Helper()
	addr := os.Getenv("CLICKHOUSE_ADDR")
	if addr == "" {
		b.Skip("CLICKHOUSE_ADDR is not set; start a server with deploy/clickhouse.sh")
	}
	cfg := ch.Config{Addr: []string{addr}, Database: fmt.Sprintf("bench_%d", time.Now().UnixNano()),
		BatchRows: batchRows}
	cfg.Defaults()
	ctx := context.Background()
	store, err := ch.Open(ctx, cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := store.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	sink := ch.NewSink(store, nil)
	b.Cleanup(func() {
		sink.Close()
		store.DropDatabase(context.Background())
		store.Close()
	})
	return store, sink
}

func benchVerdicts(n int, at time.Time) []verdict.Verdict {
	vs := make([]verdict.Verdict, n)
	for i := range vs {
		vs[i] = verdict.Verdict{
			EventID: fmt.Sprintf("%032x", i), EventTime: at, Time: at.Add(time.Second),
			Format: "suricata", Kind: "dns", Origin: "bench:1",
			Observable: ioc.Observable{Type: ioc.Domain,
				Value: fmt.Sprintf("h%d.bad%d.example", i, i%500), Field: "dns.rrname"},
			Indicator: verdict.Indicator{ID: fmt.Sprintf("domain:bad%d.example", i%500),
				Type: ioc.Domain, Value: fmt.Sprintf("bad%d.example", i%500),
				Feeds: []verdict.Feed{{Name: "et-open", ID: "line 7"}}},
			Confidence: 80, Severity: ioc.Severity(1 + i%5), MatcherVersion: 1,
		}
	}
	return vs
}

// BenchmarkSinkWrite measures the sustained insert rate: each op writes
// 20,000 verdicts in batches of batch and waits for ClickHouse to accept
// them.
func BenchmarkSinkWrite(b *testing.B) {
	for _, batch := range []int{1000, 5000, 20000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			_, sink := openSink(b, 20000)
			const perOp = 20000
			vs := benchVerdicts(perOp, time.Now().UTC().Add(-time.Hour))
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				for i := 0; i < perOp; i += batch {
					if err := sink.Write(ctx, vs[i:i+batch]); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N*perOp)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// discard is a sink that drops verdicts: the pipeline's rate without a
// store.
type discard struct{}

func (discard) Write(context.Context, []verdict.Verdict) error { return nil }
func (discard) Close() error                                   { return nil }

// benchInput returns n EVE dns records, one in ten naming a listed domain,
// and the matcher that lists them.
func benchInput(n int) ([]byte, *matcher.Engine) {
	var inds []*ioc.Indicator
	for i := range 1000 {
		inds = append(inds, ioc.NewIndicator(ioc.Domain, fmt.Sprintf("bad%d.example", i),
			ioc.Source{Feed: "bench", ID: fmt.Sprint(i), Confidence: 80,
				Severity: ioc.SeverityHigh}))
	}
	var e matcher.Engine
	e.Store(matcher.Build(1, inds))
	var buf bytes.Buffer
	for i := range n {
		name := fmt.Sprintf("host%d.good.example", i)
		if i%10 == 0 {
			name = fmt.Sprintf("h%d.bad%d.example", i, i%1000)
		}
		fmt.Fprintf(&buf, `{"timestamp":"2026-11-20T09:14:02.%06d+0000","flow_id":%d,`+
			`"event_type":"dns","src_ip":"10.1.%d.%d","dest_ip":"10.0.0.2","proto":"UDP",`+
			`"dns":{"type":"query","id":%d,"rrname":"%s","rrtype":"A"}}`+"\n",
			i%1000000, i, (i/250)%250, i%250, i, name)
	}
	return buf.Bytes(), &e
}

// BenchmarkPipeline runs the embedded pipeline over 200,000 EVE records
// (20,000 verdicts) with the ClickHouse sink and with a discarding one.
func BenchmarkPipeline(b *testing.B) {
	const events = 200000
	input, engine := benchInput(events)
	for _, name := range []string{"discard", "clickhouse"} {
		b.Run("sink="+name, func(b *testing.B) {
			var sink interface {
				Write(context.Context, []verdict.Verdict) error
				Close() error
			} = discard{}
			if name == "clickhouse" {
				_, sink = openSink(b, 20000)
			}
			b.SetBytes(int64(len(input)))
			b.ReportAllocs()
			verdicts := 0
			for b.Loop() {
				emb := &pipeline.Embedded{Decoder: suricata.Decoder{}, Engine: engine, Sink: sink,
					BatchSize: 5000}
				st, err := emb.Run(context.Background(),
					[]pipeline.Input{{Name: "bench", R: bytes.NewReader(input)}})
				if err != nil {
					b.Fatal(err)
				}
				verdicts += st.Verdicts
			}
			b.ReportMetric(float64(b.N*events)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(verdicts)/b.Elapsed().Seconds(), "verdicts/s")
		})
	}
}
