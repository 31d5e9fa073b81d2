package sysmon

import (
	"testing"

	"github.com/iocflow/iocflow/feeds/ioc"
	dt "github.com/iocflow/iocflow/pipeline/decode/internal/decodetest"
	"github.com/iocflow/iocflow/pipeline/event"
)

var files = []string{"testdata/winlogbeat-sysmon-ecs.ndjson",
	"testdata/winlogbeat-sysmon-raw-winlog.ndjson"}

func TestDecoder_Corpus(t *testing.T) {
	dt.LineCorpus(t, Decoder{}, "testdata/corpus.golden", files...)
}

func TestDecoder_RawEvents(t *testing.T) {
	rec := `{"winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","event_id":1,` +
		`"event_data":{"Image":"C:\\Temp\\Evil.exe",` +
		`"CommandLine":"evil.exe -u http://c2.example.com/p",` +
		`"Hashes":"SHA1=3395856CE81F2B7382DEE72602F798B642F14140,` +
		`IMPHASH=D90D8C7812AEC8DA0FA173AFA1293AB2",` +
		`"User":"CORP\\bob","UtcTime":"2024-01-02 03:04:05.678"}}}`
	var ev event.Event
	if err := (Decoder{}).Decode([]byte(rec), &ev); err != nil {
		t.Fatal(err)
	}
	const f = "winlog.event_data."
	dt.Check(t, "process create", &ev, []dt.Obs{
		{Field: f + "Image", Type: ioc.FilePath, Value: `c:\temp\evil.exe`},
		{Field: f + "Image", Type: ioc.ProcessName, Value: "evil.exe"},
		{Field: f + "Hashes", Type: ioc.SHA1, Value: "3395856ce81f2b7382dee72602f798b642f14140"},
		{Field: f + "CommandLine", Type: ioc.Text, Value: "evil.exe -u http://c2.example.com/p"},
		{Field: f + "CommandLine", Type: ioc.URL, Value: "http://c2.example.com/p"},
	})
	if ev.User != `CORP\bob` || ev.Kind != "process_create" || ev.Time.Second() != 5 {
		t.Errorf("user %q kind %q time %v", ev.User, ev.Kind, ev.Time)
	}
}

func TestDecoder_Rejects(t *testing.T) {
	for _, rec := range []string{`{"winlog":{"channel":"Security","event_id":"4624"}}`,
		`{"event":{"module":"sysmon"}}`, `{"event":{"module":"sysmon","code":"1"},"@timestamp":"x"}`,
		`not json`} {
		var ev event.Event
		dt.CheckError(t, FormatName, []byte(rec), (Decoder{}).Decode([]byte(rec), &ev))
	}
}

func FuzzDecoder(f *testing.F) { dt.FuzzDecoder(f, Decoder{}, files...) }

func BenchmarkDecoder(b *testing.B) { dt.BenchLines(b, Decoder{}, files...) }
