package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

type testInput struct {
	Topic  string `yaml:"topic"`
	Format string `yaml:"format"`
}

type testSection struct {
	Brokers []string       `yaml:"brokers"`
	Inputs  []testInput    `yaml:"inputs"`
	Wait    Duration       `yaml:"wait"`
	Max     Size           `yaml:"max"`
	Labels  map[string]int `yaml:"labels"`
}

type testFile struct {
	Name    string      `yaml:"name"`
	Section testSection `yaml:"section"`
	Ptr     *testInput  `yaml:"ptr"`
}

func TestDecode_ReadsEveryShape(t *testing.T) {
	t.Parallel()
	in := `
name: w1
section:
  brokers: [127.0.0.1:9092, 127.0.0.1:9093]
  inputs:
    - {topic: alerts, format: suricata}
  wait: 250ms
  max: 16MiB
  labels: {a: 1}
ptr: {topic: x}
`
	var got testFile
	got.Section.Wait = Duration(time.Second) // a default the file overrides
	if err := Decode([]byte(in), &got); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if got.Name != "w1" || len(got.Section.Brokers) != 2 ||
		got.Section.Inputs[0].Format != "suricata" {
		t.Errorf("got %+v", got)
	}
	if got.Section.Wait.D() != 250*time.Millisecond || got.Section.Max != 16<<20 {
		t.Errorf("wait %v max %d, want 250ms and 16MiB", got.Section.Wait.D(), got.Section.Max)
	}
	if got.Section.Labels["a"] != 1 || got.Ptr == nil || got.Ptr.Topic != "x" {
		t.Errorf("labels %v ptr %+v", got.Section.Labels, got.Ptr)
	}
}

func TestDecode_KeepsDefaultsForMissingKeys(t *testing.T) {
	t.Parallel()
	got := testFile{Name: "default"}
	if err := Decode([]byte("section: {max: 1KiB}\n"), &got); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if got.Name != "default" || got.Section.Max != 1024 {
		t.Errorf("got %+v, want name default and max 1024", got)
	}
	if err := Decode(nil, &got); err != nil {
		t.Errorf("empty file: %v", err)
	}
}

func TestDecode_ReportsEveryProblemWithItsPath(t *testing.T) {
	t.Parallel()
	in := `
name: [not, a, string]
sektion: {}
section:
  brokerz: []
  inputs:
    - {topic: a, formt: json}
    - {topic: b}
  wait: soon
  max: 12 parsecs
ptr: 3
`
	var got testFile
	err := Decode([]byte(in), &got)
	if err == nil {
		t.Fatal("Decode: no error")
	}
	want := []string{
		"name (line 2): ",
		"sektion (line 3): unknown key",
		"section.brokerz (line 5): unknown key",
		"section.inputs[0].formt (line 7): unknown key",
		"section.wait (line 9): want a duration",
		"section.max (line 10): want a size",
		"ptr (line 11): want a mapping of keys",
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(lines), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("problem %d = %q, want prefix %q", i, lines[i], w)
		}
	}
	var p *Problem
	if !errors.As(err, &p) {
		t.Errorf("error %T holds no *Problem", err)
	}
}

func TestDecode_SyntaxError(t *testing.T) {
	t.Parallel()
	var got testFile
	err := Decode([]byte("name: [unclosed\n"), &got)
	if err == nil || !strings.Contains(err.Error(), "(file)") {
		t.Errorf("got %v, want a (file) problem", err)
	}
}

func TestProblems_NestPrefixesPaths(t *testing.T) {
	t.Parallel()
	var inner Problems
	inner.Add("topic", "must be set")
	inner.Add("[2].format", "unknown")
	var outer Problems
	outer.Nest("sinks.verdict_topic", inner.Err())
	outer.Nest("kafka", errors.New("plain"))
	outer.Nest("x", nil)
	want := "sinks.verdict_topic.topic: must be set\n" +
		"sinks.verdict_topic[2].format: unknown\nkafka: plain"
	if got := outer.Err().Error(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSize_Units(t *testing.T) {
	t.Parallel()
	cases := map[string]int64{"512": 512, "64KiB": 64 << 10, "10MB": 10e6, "1GiB": 1 << 30}
	for in, want := range cases {
		var s Size
		if err := s.UnmarshalText([]byte(in)); err != nil || int64(s) != want {
			t.Errorf("Size(%q) = %d, %v; want %d", in, s, err, want)
		}
	}
	for _, bad := range []string{"", "MiB", "-1", "1TB", "99999999999999999999"} {
		var s Size
		if err := s.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("Size(%q) = %d, want an error", bad, s)
		}
	}
}
