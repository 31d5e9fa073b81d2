package kafka

import (
	"strconv"
	"strings"
	"time"

	"github.com/iocflow/iocflow/internal/config"
)

// Config says how workers reach Kafka and which topics they use: the
// "kafka" section of the config file. The zero value is not usable:
// Brokers, Group, Inputs, DeadLetterTopic and IndicatorTopic must be set.
type Config struct {
	// Brokers are the bootstrap addresses, host:port.
	Brokers []string `yaml:"brokers"`
	// ClientID names this process to the brokers. Default "iocflow".
	ClientID string `yaml:"client_id"`
	// Group is the consumer group that the workers of one deployment share.
	Group string `yaml:"group"`
	// Inputs are the event topics, each with the format of its records.
	Inputs []Input `yaml:"inputs"`
	// DeadLetterTopic receives records that cannot be decoded, unchanged,
	// with the reason and their origin in headers.
	DeadLetterTopic string `yaml:"dead_letter_topic"`
	// IndicatorTopic is the compacted topic of indicators, keyed by
	// indicator id, whose value is the indicator as JSON; an empty value
	// (tombstone) removes the indicator.
	IndicatorTopic string `yaml:"indicator_topic"`
	// SessionTimeout is how long the group waits for a silent worker
	// before it hands the worker's partitions to others. Default 10s.
	SessionTimeout config.Duration `yaml:"session_timeout"`
	// CommitInterval is how often written offsets are committed. Default 1s.
	CommitInterval config.Duration `yaml:"commit_interval"`
	// FetchMaxWait bounds how long the broker holds a fetch that has no
	// data yet; it bounds the delay of an idle partition's first record.
	// Default 100ms.
	FetchMaxWait config.Duration `yaml:"fetch_max_wait"`
	// FetchMaxBytes bounds one fetch from one partition. Default 4MiB.
	FetchMaxBytes config.Size `yaml:"fetch_max_bytes"`
}

// Input is one event topic and the format its records are in.
type Input struct {
	Topic string `yaml:"topic"`
	// Format names the decoder: "suricata", "json", ... as the binary's
	// decoder list has them.
	Format string `yaml:"format"`
}

// Defaults fills in the zero fields.
func (c *Config) Defaults() {
	if c.ClientID == "" {
		c.ClientID = "iocflow"
	}
	if c.SessionTimeout == 0 {
		c.SessionTimeout = config.Duration(10 * time.Second)
	}
	if c.CommitInterval == 0 {
		c.CommitInterval = config.Duration(time.Second)
	}
	if c.FetchMaxWait == 0 {
		c.FetchMaxWait = config.Duration(100 * time.Millisecond)
	}
	if c.FetchMaxBytes == 0 {
		c.FetchMaxBytes = 4 << 20
	}
}

// Validate returns every problem of c, after Defaults. Whether a format
// exists is for the caller, which owns the decoder list, to check.
func (c *Config) Validate() error {
	var p config.Problems
	if len(c.Brokers) == 0 {
		p.Add("brokers", "must list at least one host:port")
	}
	for i, b := range c.Brokers {
		if host, port, ok := strings.Cut(b, ":"); !ok || host == "" || port == "" {
			p.Add(index("brokers", i), "want host:port, got %q", b)
		}
	}
	if c.Group == "" {
		p.Add("group", "must be set")
	}
	if len(c.Inputs) == 0 {
		p.Add("inputs", "must list at least one topic")
	}
	seen := map[string]bool{}
	for i, in := range c.Inputs {
		switch {
		case in.Topic == "":
			p.Add(index("inputs", i)+".topic", "must be set")
		case seen[in.Topic]:
			p.Add(index("inputs", i)+".topic", "topic %q is listed twice", in.Topic)
		}
		seen[in.Topic] = true
		if in.Format == "" {
			p.Add(index("inputs", i)+".format", "must be set")
		}
	}
	if c.DeadLetterTopic == "" {
		p.Add("dead_letter_topic", "must be set")
	}
	if c.IndicatorTopic == "" {
		p.Add("indicator_topic", "must be set")
	}
	for _, t := range []struct {
		key, topic string
	}{{"dead_letter_topic", c.DeadLetterTopic}, {"indicator_topic", c.IndicatorTopic}} {
		if t.topic != "" && seen[t.topic] {
			p.Add(t.key, "topic %q is also an input", t.topic)
		}
	}
	if c.SessionTimeout.D() < time.Second {
		p.Add("session_timeout", "must be at least 1s, got %v", c.SessionTimeout.D())
	}
	if c.CommitInterval.D() < 10*time.Millisecond {
		p.Add("commit_interval", "must be at least 10ms, got %v", c.CommitInterval.D())
	}
	if c.FetchMaxBytes < 1<<10 {
		p.Add("fetch_max_bytes", "must be at least 1KiB, got %d", c.FetchMaxBytes)
	}
	return p.Err()
}

func index(key string, i int) string {
	return key + "[" + strconv.Itoa(i) + "]"
}
