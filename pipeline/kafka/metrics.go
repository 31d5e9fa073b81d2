package kafka

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the Kafka transport's Prometheus metrics. A nil *Metrics
// counts nothing.
type Metrics struct {
	consumerLag    *prometheus.GaugeVec
	commits        prometheus.Counter
	commitFailures prometheus.Counter
	snapshot       prometheus.Gauge
	indicators     prometheus.Gauge
	changes        *prometheus.CounterVec
	rejected       prometheus.Counter
}

// NewMetrics creates the metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		consumerLag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ioc_kafka_consumer_lag_messages",
			Help: "Records of an assigned input partition not yet read, as of the last batch.",
		}, []string{"topic", "partition"}),
		commits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ioc_kafka_offset_commits_total",
			Help: "Offset commits that succeeded.",
		}),
		commitFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ioc_kafka_offset_commit_failures_total",
			Help: "Offset commits that failed (retried at the next interval).",
		}),
		snapshot: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ioc_matcher_snapshot_version",
			Help: "Version of the matcher snapshot in force; 0 until indicators are loaded.",
		}),
		indicators: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ioc_matcher_indicators",
			Help: "Indicators in the matcher snapshot in force.",
		}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ioc_kafka_indicator_changes_total",
			Help: "Indicator records read from the indicator topic, by op (upsert, remove).",
		}, []string{"op"}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ioc_kafka_indicator_rejects_total",
			Help: "Indicator records ignored because their key or value was not valid.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.consumerLag, m.commits, m.commitFailures, m.snapshot,
			m.indicators, m.changes, m.rejected)
	}
	return m
}

var (
	discardGauge   = prometheus.NewGauge(prometheus.GaugeOpts{Name: "discard"})
	discardCounter = prometheus.NewCounter(prometheus.CounterOpts{Name: "discard"})
)

func (m *Metrics) lag(topic string, partition int) prometheus.Gauge {
	if m.consumerLag == nil {
		return discardGauge
	}
	return m.consumerLag.WithLabelValues(topic, strconv.Itoa(partition))
}

// forget drops the lag of a partition that is no longer assigned.
func (m *Metrics) forget(topic string, partition int) {
	if m.consumerLag != nil {
		m.consumerLag.DeleteLabelValues(topic, strconv.Itoa(partition))
	}
}

func (m *Metrics) orDiscard() *Metrics {
	if m != nil {
		return m
	}
	return &Metrics{
		commits: discardCounter, commitFailures: discardCounter, snapshot: discardGauge,
		indicators: discardGauge, rejected: discardCounter,
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "discard"},
			[]string{"op"}),
	}
}
