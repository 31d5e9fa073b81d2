package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadConfig_ExampleIsValid(t *testing.T) {
	t.Parallel()
	cfg, err := loadConfig("../../examples/iocflow.yaml")
	if err != nil {
		t.Fatalf("examples/iocflow.yaml: %v", err)
	}
	if cfg.Pipeline.Lanes < 1 || cfg.Sinks.VerdictTopic.Brokers[0] != cfg.Kafka.Brokers[0] {
		t.Errorf("defaults not applied: lanes %d, verdict brokers %v", cfg.Pipeline.Lanes,
			cfg.Sinks.VerdictTopic.Brokers)
	}
	if got := cfg.decoders()["alerts.suricata"]; got == nil || got.Format() != "suricata" {
		t.Errorf("decoder of alerts.suricata = %v, want suricata", got)
	}
}

func TestLoadConfig_ReportsEveryProblemWithItsKeyPath(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "bad.yaml")
	bad := `
log: {level: loud}
kafka:
  brokers: [nohost]
  grup: x
  inputs: [{topic: a, format: xml}]
pipeline: {lanes: -1, shutdown_timeout: 5 minutes}
sinks: {verdict_topic: {compression: brotli}}
extra: 1
`
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := loadConfig(path)
	if err == nil {
		t.Fatal("loadConfig accepted a bad file")
	}
	for _, want := range []string{
		"kafka.grup (line 5): unknown key",
		"pipeline.shutdown_timeout (line 7): want a duration",
		"extra (line 9): unknown key",
		"log.level: want debug",
		`kafka.brokers[0]: want host:port, got "nohost"`,
		"kafka.group: must be set",
		"kafka.dead_letter_topic: must be set",
		`kafka.inputs[0].format: unknown format "xml"`,
		"pipeline.lanes: must be between 1 and 1024",
		"sinks.verdict_topic.topic: must be set",
		"sinks.verdict_topic.compression: want none",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestConfigArg(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want string
		ok   bool
	}{
		{[]string{"--config", "a.yaml"}, "a.yaml", true},
		{[]string{"-log-level", "debug", "-config=b.yaml"}, "b.yaml", true},
		{[]string{"--feeds", "x", "--input", "-"}, "", false},
	}
	for _, c := range cases {
		got, ok := configArg(c.args)
		if got != c.want || ok != c.ok {
			t.Errorf("configArg(%q) = %q, %v; want %q, %v", c.args, got, ok, c.want, c.ok)
		}
	}
}
