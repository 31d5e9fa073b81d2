// Command kafka benchmarks the Kafka pipeline against the broker that
// deploy/kafka.sh started. In one run it
//
//  1. publishes a set of indicators and fills two input topics with a mix
//     of Suricata EVE records (alert, dns, http, tls, fileinfo, flow) and
//     ECS JSON telemetry, shaped after the real samples in examples/;
//  2. drains both topics with bare kafka-go readers (one per partition,
//     counting records) and times it;
//  3. runs the full pipeline in this process (indicators, consumer group,
//     decode, match, verdict topic, dead-letter topic, commits) over the
//     same records and times it until every record is read and every
//     verdict written;
//  4. produces records at a fixed rate while the pipeline runs and
//     measures event-to-verdict latency: from the event's timestamp (set
//     when produced) to the verdict record's timestamp (set when the sink
//     wrote it).
//
// It prints a Markdown report for bench/RESULTS.md.
//
//	deploy/kafka.sh start && go run ./bench/kafka -events 300000
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/iocflow/iocflow/internal/config"
	internalmetrics "github.com/iocflow/iocflow/internal/metrics"
	"github.com/iocflow/iocflow/matcher"
	"github.com/iocflow/iocflow/pipeline"
	"github.com/iocflow/iocflow/pipeline/decode"
	"github.com/iocflow/iocflow/pipeline/decode/jsonmap"
	"github.com/iocflow/iocflow/pipeline/decode/suricata"
	"github.com/iocflow/iocflow/pipeline/kafka"
	"github.com/iocflow/iocflow/pipeline/kafka/kafkatest"
	"github.com/iocflow/iocflow/sinks/kafkatopic"
)

type options struct {
	events, partitions, indicators, rate int
	queueBatches                         int
	live                                 time.Duration
	hitPercent                           float64
	cpuProfile                           string
}

func main() {
	var o options
	flag.IntVar(&o.events, "events", 300000, "records to fill the input topics with")
	flag.IntVar(&o.partitions, "partitions", 8, "partitions of each input topic")
	flag.IntVar(&o.indicators, "indicators", 100000, "indicators to publish")
	flag.Float64Var(&o.hitPercent, "hits", 2, "percent of records that touch an indicator")
	flag.IntVar(&o.rate, "rate", 5000, "records per second in the latency phase")
	flag.DurationVar(&o.live, "live", 10*time.Second, "length of the latency phase")
	flag.IntVar(&o.queueBatches, "queue-batches", 0,
		"pipeline.queue_batches (0: the default), to measure the emitter's share")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "",
		"write a CPU profile of the pipeline phase to `file`")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench/kafka:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	addr, err := kafkatest.Address()
	if err != nil {
		return err
	}
	cfg := kafka.Config{Brokers: []string{addr}, Group: kafkatest.Name("bench"),
		Inputs: []kafka.Input{
			{Topic: kafkatest.Name("bench-eve"), Format: suricata.FormatName},
			{Topic: kafkatest.Name("bench-ecs"), Format: jsonmap.FormatName},
		},
		DeadLetterTopic: kafkatest.Name("bench-dead"),
		IndicatorTopic:  kafkatest.Name("bench-indicators"),
		SessionTimeout:  config.Duration(6 * time.Second)}
	cfg.Defaults()
	verdictTopic := kafkatest.Name("bench-verdicts")
	ctx := context.Background()
	err = kafkatest.CreateTopics(ctx, addr,
		kafkatest.Topic{Name: cfg.Inputs[0].Topic, Partitions: o.partitions},
		kafkatest.Topic{Name: cfg.Inputs[1].Topic, Partitions: o.partitions},
		kafkatest.Topic{Name: cfg.DeadLetterTopic, Partitions: 1},
		kafkatest.Topic{Name: cfg.IndicatorTopic, Partitions: 4, Compacted: true},
		kafkatest.Topic{Name: verdictTopic, Partitions: o.partitions})
	if err != nil {
		return err
	}
	gen := newGenerator(o.indicators)
	start := time.Now()
	if err := kafka.NewPublisher(cfg).Publish(ctx, gen.changes()); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "published %d indicators in %v\n", o.indicators, time.Since(start))
	fill, bytes, err := fillTopics(ctx, addr, cfg, gen, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "filled %d records (%d MB) in %v\n", o.events, bytes>>20, fill)

	r := report{o: o, bytes: bytes}
	r.drain, r.drainMem, r.drainCPU = measure(func() error { return drain(ctx, addr, cfg, o) })
	fmt.Fprintf(os.Stderr, "bare drain: %v\n", r.drain)
	if err := r.runPipeline(ctx, cfg, verdictTopic, gen); err != nil {
		return err
	}
	r.print()
	return nil
}

// fillTopics writes o.events records, 85% EVE and 15% ECS.
func fillTopics(ctx context.Context, addr string, cfg kafka.Config, g *generator,
	o options) (time.Duration, int64, error) {
	start := time.Now()
	eve := kafkatest.Writer(addr, cfg.Inputs[0].Topic)
	ecs := kafkatest.Writer(addr, cfg.Inputs[1].Topic)
	eve.Balancer, ecs.Balancer = &kafkago.RoundRobin{}, &kafkago.RoundRobin{}
	defer eve.Close()
	defer ecs.Close()
	var total int64
	const chunk = 5000
	for done := 0; done < o.events; done += chunk {
		var eveMsgs, ecsMsgs []kafkago.Message
		for i := done; i < min(done+chunk, o.events); i++ {
			rec, isECS := g.record(i, o.hitPercent, time.Time{})
			total += int64(len(rec))
			if isECS {
				ecsMsgs = append(ecsMsgs, kafkago.Message{Value: rec})
			} else {
				eveMsgs = append(eveMsgs, kafkago.Message{Value: rec})
			}
		}
		if err := eve.WriteMessages(ctx, eveMsgs...); err != nil {
			return 0, 0, err
		}
		if err := ecs.WriteMessages(ctx, ecsMsgs...); err != nil {
			return 0, 0, err
		}
	}
	return time.Since(start), total, nil
}

// drain reads every partition of the input topics to its end with bare
// kafka-go readers, one per partition, as the pipeline reads them.
func drain(ctx context.Context, addr string, cfg kafka.Config, o options) error {
	var read atomic.Int64
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for _, in := range cfg.Inputs {
		for p := range o.partitions {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: []string{addr},
					Topic: in.Topic, Partition: p, MinBytes: 1, MaxBytes: int(cfg.FetchMaxBytes),
					MaxWait: cfg.FetchMaxWait.D(), QueueCapacity: 500})
				defer r.Close()
				for {
					m, err := r.FetchMessage(ctx)
					if err != nil {
						return
					}
					if read.Add(1) == int64(o.events) {
						cancel()
					}
					if m.Offset+1 >= m.HighWaterMark && ctx.Err() != nil {
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	if n := read.Load(); n < int64(o.events) {
		return fmt.Errorf("drain read %d of %d records", n, o.events)
	}
	return nil
}

type report struct {
	o                    options
	bytes                int64
	drain, pipe, load    time.Duration
	join                 time.Duration // from Run to the first batch read
	drainMem, pipeMem    uint64
	drainCPU, pipeCPU    time.Duration // processor time of this process
	verdicts, deadLetter float64
	p50, p99, pMax       time.Duration
	liveEvents, liveHits int
}

// runPipeline runs the service's parts in this process.
func (r *report) runPipeline(ctx context.Context, cfg kafka.Config, verdictTopic string,
	g *generator) error {
	reg := internalmetrics.NewRegistry()
	stage, km := pipeline.NewMetrics(reg), kafka.NewMetrics(reg)
	var engine matcher.Engine
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	inds := kafka.NewIndicators(cfg, &engine, km, logger)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	loadStart := time.Now()
	go inds.Run(runCtx)
	<-inds.Ready()
	r.load = time.Since(loadStart)
	vc := kafkatopic.Config{Topic: verdictTopic}
	vc.Defaults(cfg.Brokers)
	sink := kafkatopic.New(vc, cfg.ClientID)
	dead := kafka.NewDeadLetters(cfg)
	pc := pipeline.Config{QueueBatches: r.o.queueBatches}
	pc.Defaults()
	c := kafka.NewConsumer(kafka.ConsumerConfig{Kafka: cfg, Pipeline: pc,
		Decoders: map[string]decode.Decoder{
			cfg.Inputs[0].Topic: suricata.Decoder{},
			cfg.Inputs[1].Topic: jsonmap.New(jsonmap.DefaultMapping()),
		},
		Engine: &engine, Outputs: []pipeline.Output{{Name: "verdict_topic", Sink: sink}},
		DeadLetters: dead, StageMetrics: stage, Metrics: km, Logger: logger})
	consumerDone := make(chan error, 1)
	go func() { consumerDone <- c.Run(runCtx) }()
	joinStart := time.Now()
	for gauge(reg, "ioc_pipeline_events_total", "read") == 0 {
		time.Sleep(time.Millisecond)
	}
	r.join = time.Since(joinStart)
	r.pipe, r.pipeMem, r.pipeCPU = measure(func() error {
		if r.o.cpuProfile == "" {
			return waitProcessed(reg, float64(r.o.events))
		}
		f, err := os.Create(r.o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
		return waitProcessed(reg, float64(r.o.events))
	})
	r.verdicts = gauge(reg, "ioc_pipeline_verdicts_total", "written")
	r.deadLetter = gauge(reg, "ioc_pipeline_dead_letters_total", "")
	fmt.Fprintf(os.Stderr, "pipeline: %v, %v verdicts\n", r.pipe, r.verdicts)
	if err := r.latency(ctx, cfg, verdictTopic, g); err != nil {
		return err
	}
	stop()
	<-consumerDone
	sink.Close()
	dead.Close()
	return nil
}

// waitProcessed polls the pipeline's counters until n records were read
// and every verdict matched was written.
func waitProcessed(reg prometheus.Gatherer, n float64) error {
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		read := gauge(reg, "ioc_pipeline_events_total", "read")
		matched := gauge(reg, "ioc_pipeline_verdicts_total", "matched")
		written := gauge(reg, "ioc_pipeline_verdicts_total", "written")
		if read >= n && written >= matched {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("pipeline did not process %v records within 10 minutes", n)
}

// gauge sums the samples of a counter family whose stage label is stage
// (any stage when empty).
func gauge(reg prometheus.Gatherer, name, stage string) float64 {
	fams, err := reg.Gather()
	if err != nil {
		return 0
	}
	sum := 0.0
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if stage != "" && !hasLabel(m, "stage", stage) {
				continue
			}
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

func hasLabel(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

// measure runs f and returns how long it took, the peak of the Go
// runtime's memory in use (heap, stacks and runtime structures, less what
// was returned to the OS) while it ran, sampled every 10ms, and the
// processor time (user and system) the process used meanwhile. On a
// machine shared with other work the processor time per record is the
// steadier figure: it does not count the time spent waiting for a core.
func measure(f func() error) (time.Duration, uint64, time.Duration) {
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		samples := []metrics.Sample{{Name: "/memory/classes/total:bytes"},
			{Name: "/memory/classes/heap/released:bytes"}}
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(samples)
			used := samples[0].Value.Uint64() - samples[1].Value.Uint64()
			if used > peak.Load() {
				peak.Store(used)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	start, cpu0 := time.Now(), cpuTime()
	if err := f(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/kafka:", err)
		os.Exit(1)
	}
	took, cpu := time.Since(start), cpuTime()-cpu0
	close(stop)
	<-sampled
	return took, peak.Load(), cpu
}

// cpuTime returns the user and system time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// latency produces records at o.rate for o.live with their timestamps set
// to the time of production, and reads the verdicts they give.
func (r *report) latency(ctx context.Context, cfg kafka.Config, verdictTopic string,
	g *generator) error {
	addr := cfg.Brokers[0]
	phaseStart := time.Now()
	out := kafkatest.Collect(addr, verdictTopic, r.o.partitions)
	defer out.Close()
	w := kafkatest.Writer(addr, cfg.Inputs[0].Topic)
	w.Balancer = &kafkago.RoundRobin{}
	w.BatchTimeout = time.Millisecond
	defer w.Close()
	const tick = 10 * time.Millisecond
	perTick := max(1, r.o.rate*int(tick)/int(time.Second))
	t := time.NewTicker(tick)
	defer t.Stop()
	for i := 0; time.Since(phaseStart) < r.o.live; i++ {
		<-t.C
		msgs := make([]kafkago.Message, 0, perTick)
		for j := range perTick {
			// One record in ten touches an indicator, so that latency has
			// enough samples.
			rec := g.liveRecord(r.o.events+i*perTick+j, j%10 == 0, time.Now())
			msgs = append(msgs, kafkago.Message{Value: rec})
			if j%10 == 0 {
				r.liveHits++
			}
		}
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			return err
		}
		r.liveEvents += len(msgs)
	}
	var lat []time.Duration
	out.WaitFor(30*time.Second, func(m []kafkago.Message) bool {
		lat = latencies(m, phaseStart)
		return len(lat) >= r.liveHits
	})
	if len(lat) == 0 {
		return fmt.Errorf("no verdict of the latency phase arrived")
	}
	slices.Sort(lat)
	r.p50, r.p99, r.pMax = lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1]
	return nil
}

// latencies returns, for each verdict of an event produced after since,
// the time from the event to the verdict record.
func latencies(msgs []kafkago.Message, since time.Time) []time.Duration {
	var out []time.Duration
	for _, m := range msgs {
		et, ok := eventTime(m.Value)
		if !ok || et.Before(since) {
			continue
		}
		out = append(out, m.Time.Sub(et))
	}
	return out
}

// eventTime reads "event_time" from a verdict without decoding all of it.
func eventTime(v []byte) (time.Time, bool) {
	const key = `"event_time":"`
	s := string(v)
	i := strings.Index(s, key)
	if i < 0 {
		return time.Time{}, false
	}
	s = s[i+len(key):]
	j := strings.IndexByte(s, '"')
	if j < 0 {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s[:j])
	return t, err == nil
}

func (r *report) print() {
	drainRate := float64(r.o.events) / r.drain.Seconds()
	pipeRate := float64(r.o.events) / r.pipe.Seconds()
	fmt.Printf("| measure | value |\n| --- | ---: |\n")
	fmt.Printf("| records (85%% EVE, 15%% ECS JSON), bytes | %d, %.1f MB |\n", r.o.events,
		float64(r.bytes)/1e6)
	fmt.Printf("| indicators; first snapshot loaded from the topic in | %d; %v |\n",
		r.o.indicators, r.load.Round(time.Millisecond))
	fmt.Printf("| bare kafka-go drain | %v, %.0f records/s |\n", r.drain.Round(time.Millisecond),
		drainRate)
	fmt.Printf("| consumer group join, to the first batch | %v |\n", r.join.Round(time.Millisecond))
	fmt.Printf("| full pipeline, first batch to last verdict written | %v, %.0f records/s "+
		"(%.0f%% of drain) |\n", r.pipe.Round(time.Millisecond), pipeRate, 100*pipeRate/drainRate)
	drainUS := r.drainCPU.Seconds() * 1e6 / float64(r.o.events)
	pipeUS := r.pipeCPU.Seconds() * 1e6 / float64(r.o.events)
	fmt.Printf("| process CPU per record: drain; pipeline | %.2f µs; %.2f µs (drain/pipeline "+
		"%.0f%%) |\n", drainUS, pipeUS, 100*drainUS/pipeUS)
	fmt.Printf("| cores used on average: drain; pipeline | %.2f; %.2f |\n",
		r.drainCPU.Seconds()/r.drain.Seconds(), r.pipeCPU.Seconds()/r.pipe.Seconds())
	fmt.Printf("| verdicts written; dead letters | %.0f; %.0f |\n", r.verdicts, r.deadLetter)
	fmt.Printf("| peak Go memory: drain; pipeline | %.0f MB; %.0f MB |\n",
		float64(r.drainMem)/1e6, float64(r.pipeMem)/1e6)
	fmt.Printf("| latency phase | %d records at %d/s, %d verdicts |\n", r.liveEvents, r.o.rate,
		r.liveHits)
	fmt.Printf("| event-to-verdict latency p50; p99; max | %v; %v; %v |\n",
		r.p50.Round(100*time.Microsecond), r.p99.Round(100*time.Microsecond),
		r.pMax.Round(100*time.Microsecond))
}
