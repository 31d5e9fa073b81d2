package main

import (
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/iocflow/iocflow/internal/config"
	"github.com/iocflow/iocflow/internal/metrics"
	"github.com/iocflow/iocflow/pipeline"
	"github.com/iocflow/iocflow/pipeline/decode"
	"github.com/iocflow/iocflow/pipeline/decode/jsonmap"
	"github.com/iocflow/iocflow/pipeline/decode/suricata"
	"github.com/iocflow/iocflow/pipeline/kafka"
	"github.com/iocflow/iocflow/sinks/kafkatopic"
)

// fileConfig is the layout of the file given to `iocflow run --config`.
// Each section is owned by the package that uses it, through its Config
// type with Defaults and Validate; a new part of the service adds its
// section here (enrichment, enforcement, a ClickHouse sink under sinks).
// examples/iocflow.yaml shows every key.
type fileConfig struct {
	Log       logConfig               `yaml:"log"`
	Kafka     kafka.Config            `yaml:"kafka"`
	Pipeline  pipeline.Config         `yaml:"pipeline"`
	Sinks     sinksConfig             `yaml:"sinks"`
	Metrics   metrics.Config          `yaml:"metrics"`
	Profiling metrics.ProfilingConfig `yaml:"profiling"`
}

// sinksConfig lists the verdict destinations of the service.
type sinksConfig struct {
	// VerdictTopic is the Kafka topic that receives every verdict.
	VerdictTopic kafkatopic.Config `yaml:"verdict_topic"`
}

// logConfig is the "log" section.
type logConfig struct {
	// Level is debug, info, warn or error. Default info; the --log-level
	// flag overrides it.
	Level string `yaml:"level"`
}

func (c *fileConfig) defaults() {
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	c.Kafka.Defaults()
	c.Pipeline.Defaults()
	c.Sinks.VerdictTopic.Defaults(c.Kafka.Brokers)
	c.Metrics.Defaults()
	c.Profiling.Defaults()
}

// validate returns every problem of the file, each with its key path.
func (c *fileConfig) validate() error {
	var p config.Problems
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.Log.Level)); err != nil {
		p.Add("log.level", "want debug, info, warn or error, got %q", c.Log.Level)
	}
	p.Nest("kafka", c.Kafka.Validate())
	for i, in := range c.Kafka.Inputs {
		if _, ok := inputFormats[in.Format]; in.Format != "" && !ok {
			p.Add(fmt.Sprintf("kafka.inputs[%d].format", i), "unknown format %q: want %s",
				in.Format, strings.Join(formatNames(), ", "))
		}
	}
	p.Nest("pipeline", c.Pipeline.Validate())
	p.Nest("sinks.verdict_topic", c.Sinks.VerdictTopic.Validate())
	p.Nest("metrics", c.Metrics.Validate())
	p.Nest("profiling", c.Profiling.Validate())
	return p.Err()
}

// loadConfig reads, completes and checks the config file. The error lists
// every problem found, those of decoding (unknown keys, wrong types) and
// those of validation together.
func loadConfig(path string) (*fileConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	var c fileConfig
	var p config.Problems
	p.Nest("", config.Decode(data, &c))
	c.defaults()
	p.Nest("", c.validate())
	if err := p.Err(); err != nil {
		return nil, fmt.Errorf("config %s: %d problems:\n%w", path, p.Len(), err)
	}
	return &c, nil
}

// inputFormats is the one list of the formats an input topic may declare,
// with the decoder each gets. Decoders are safe for concurrent use, so one
// serves every lane.
var inputFormats = map[string]func() decode.Decoder{
	suricata.FormatName: func() decode.Decoder { return suricata.Decoder{} },
	jsonmap.FormatName:  func() decode.Decoder { return jsonmap.New(jsonmap.DefaultMapping()) },
	"auto": func() decode.Decoder {
		return pipeline.AutoDecoder{EVE: suricata.Decoder{},
			Generic: jsonmap.New(jsonmap.DefaultMapping())}
	},
}

func formatNames() []string {
	var names []string
	for n := range inputFormats {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// decoders returns the decoder of each input topic.
func (c *fileConfig) decoders() map[string]decode.Decoder {
	out := map[string]decode.Decoder{}
	for _, in := range c.Kafka.Inputs {
		out[in.Topic] = inputFormats[in.Format]()
	}
	return out
}
