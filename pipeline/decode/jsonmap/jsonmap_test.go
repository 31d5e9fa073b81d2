package jsonmap

import (
	"slices"
	"strings"
	"testing"

	"github.com/iocflow/iocflow/feeds/ioc"
	dt "github.com/iocflow/iocflow/pipeline/decode/internal/decodetest"
	"github.com/iocflow/iocflow/pipeline/event"
)

var files = []string{"testdata/winlogbeat-sysmon-ecs.ndjson"}

// TestDecoder_Corpus runs the default mapping over ECS records.
func TestDecoder_Corpus(t *testing.T) {
	dt.LineCorpus(t, New(DefaultMapping()), "testdata/corpus.golden", files...)
}

func TestDecoder_Mapping(t *testing.T) {
	m := DefaultMapping()
	k, err := ParseKind("domain")
	if err != nil {
		t.Fatal(err)
	}
	m.Fields["alert.host"] = k
	rec := `{"alert":{"host":"EVIL.example"},"command_line":"wget http://x.example/a",` +
		`"hash":"44d88612fea8a8f36de82e1278abb02f","time":1609852746}`
	var ev event.Event
	if err := New(m).Decode([]byte(rec), &ev); err != nil {
		t.Fatal(err)
	}
	dt.Check(t, "mapping", &ev, []dt.Obs{
		{Field: "alert.host", Type: ioc.Domain, Value: "evil.example"},
		{Field: "command_line", Type: ioc.Text, Value: "wget http://x.example/a"},
		{Field: "command_line", Type: ioc.URL, Value: "http://x.example/a"},
		{Field: "hash", Type: ioc.MD5, Value: "44d88612fea8a8f36de82e1278abb02f"},
	})
	if ev.Time.Unix() != 1609852746 {
		t.Errorf("time %v", ev.Time)
	}
}

func TestDecoder_Rejects(t *testing.T) {
	for _, rec := range []string{`[1]`, `{"a":`, `null`, `{"@timestamp":"noon"}`} {
		var ev event.Event
		dt.CheckError(t, FormatName, []byte(rec), New(DefaultMapping()).Decode([]byte(rec), &ev))
	}
}

func FuzzDecoder(f *testing.F) {
	dt.FuzzDecoder(f, New(DefaultMapping()), append(files, "testdata/threatfox-api-iocs.ndjson")...)
}

func BenchmarkDecoder(b *testing.B) { dt.BenchLines(b, New(DefaultMapping()), files...) }

// TestDecode_FlatKeyDoesNotHideNested checks that a record cannot hide a
// nested value behind a flattened key of the same path, or the other way
// round: both are observables.
func TestDecode_FlatKeyDoesNotHideNested(t *testing.T) {
	d := New(DefaultMapping())
	for _, rec := range []string{
		`{"source":{"ip":"198.18.7.23"},"source.ip":"192.0.2.1"}`,
		`{"source.ip":"192.0.2.1","source":{"ip":"198.18.7.23"}}`,
	} {
		var ev event.Event
		if err := d.Decode([]byte(rec), &ev); err != nil {
			t.Fatalf("Decode(%s): %v", rec, err)
		}
		var got []string
		for _, o := range ev.Observables {
			got = append(got, o.Value)
		}
		slices.Sort(got)
		if strings.Join(got, " ") != "192.0.2.1 198.18.7.23" {
			t.Errorf("Decode(%s) observables = %v, want both addresses", rec, got)
		}
	}
}
