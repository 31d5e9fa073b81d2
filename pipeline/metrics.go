package pipeline

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the pipeline's Prometheus metrics. Label values are resolved
// once per Source, so that counting on the hot path is an atomic add per
// batch. A nil *Metrics counts nothing.
type Metrics struct {
	events      *prometheus.CounterVec
	verdicts    *prometheus.CounterVec
	deadLetters *prometheus.CounterVec
	queueDepth  *prometheus.GaugeVec
	latency     prometheus.Histogram
	sinkRetries *prometheus.CounterVec
}

// NewMetrics creates the pipeline's metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ioc_pipeline_events_total",
			Help: "Input records by stage (read, decoded, matched: gave a verdict) " +
				"and declared input format.",
		}, []string{"stage", "format"}),
		verdicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ioc_pipeline_verdicts_total",
			Help: "Verdicts by stage (matched, written: taken by every sink) and input format.",
		}, []string{"stage", "format"}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ioc_pipeline_dead_letters_total",
			Help: "Records sent to the dead-letter destination, by source topic.",
		}, []string{"topic"}),
		queueDepth: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ioc_pipeline_queue_depth_batches",
			Help: "Batches waiting in a stage's input queue (lane: decode and match; " +
				"emit: sink writes), sampled as batches pass.",
		}, []string{"queue"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ioc_pipeline_batch_latency_seconds",
			Help: "Time from reading a batch's first record to every sink having " +
				"taken its verdicts.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}),
		sinkRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ioc_pipeline_sink_retries_total",
			Help: "Failed writes to a sink or to the dead-letter destination, each retried.",
		}, []string{"sink"}),
	}
	if reg != nil {
		reg.MustRegister(m.events, m.verdicts, m.deadLetters, m.queueDepth, m.latency,
			m.sinkRetries)
	}
	return m
}

// sourceMetrics are the handles of one source's label values.
type sourceMetrics struct {
	read, decoded, matched       prometheus.Counter
	verdictsMatched, verdictsOut prometheus.Counter
	dead                         prometheus.Counter
}

var discard = prometheus.NewCounter(prometheus.CounterOpts{Name: "discard"})

func (m *Metrics) source(topic, format string) sourceMetrics {
	if m == nil {
		return sourceMetrics{read: discard, decoded: discard, matched: discard,
			verdictsMatched: discard, verdictsOut: discard, dead: discard}
	}
	return sourceMetrics{
		read:            m.events.WithLabelValues("read", format),
		decoded:         m.events.WithLabelValues("decoded", format),
		matched:         m.events.WithLabelValues("matched", format),
		verdictsMatched: m.verdicts.WithLabelValues("matched", format),
		verdictsOut:     m.verdicts.WithLabelValues("written", format),
		dead:            m.deadLetters.WithLabelValues(topic),
	}
}

func (m *Metrics) depth(queue string) prometheus.Gauge {
	if m == nil {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: "discard"})
	}
	return m.queueDepth.WithLabelValues(queue)
}

func (m *Metrics) retries(sink string) prometheus.Counter {
	if m == nil {
		return discard
	}
	return m.sinkRetries.WithLabelValues(sink)
}

func (m *Metrics) observeLatency(seconds float64) {
	if m != nil {
		m.latency.Observe(seconds)
	}
}
