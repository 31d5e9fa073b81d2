package sysmon

import (
	"net/netip"
	"testing"
	"time"

	"github.com/iocflow/iocflow/feeds/ioc"
	dt "github.com/iocflow/iocflow/pipeline/decode/internal/decodetest"
	"github.com/iocflow/iocflow/pipeline/event"
)

var files = []string{"testdata/winlogbeat-sysmon-ecs.ndjson",
	"testdata/winlogbeat-sysmon-raw-winlog.ndjson"}

// fuzzFiles seed the fuzz target with the logon records too.
var fuzzFiles = append(files[:len(files):len(files)], "testdata/winlogbeat-security-4624.ndjson")

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
	for _, rec := range []string{`{"winlog":{"channel":"Security","event_id":"4688"}}`,
		`{"winlog":{"channel":"Security","event_id":"4624"},"@timestamp":"x"}`,
		`{"event":{"module":"sysmon"}}`,
		`{"event":{"module":"sysmon","code":"1"},"@timestamp":"x"}`,
		`not json`} {
		var ev event.Event
		dt.CheckError(t, FormatName, []byte(rec), (Decoder{}).Decode([]byte(rec), &ev))
	}
}

func FuzzDecoder(f *testing.F) { dt.FuzzDecoder(f, Decoder{}, fuzzFiles...) }

func BenchmarkDecoder(b *testing.B) { dt.BenchLines(b, Decoder{}, files...) }

// TestDecoder_Logon reads Security 4624 records: a network logon binds the
// account and its workstation to the client address; a machine account
// and a local logon bind nothing; the ECS shape reads like the raw one.
func TestDecoder_Logon(t *testing.T) {
	want := []struct {
		user, host string
		binding    event.Binding
	}{
		{`CORP\bob`, "FS-01.corp.example", event.Binding{
			IP: netip.MustParseAddr("10.20.30.40"), User: `CORP\bob`, Host: "WS-BOB"}},
		{`CORP\WS-BOB$`, "DC-01.corp.example", event.Binding{}},
		{`CORP\alice`, "ws-alice", event.Binding{
			IP: netip.MustParseAddr("10.20.30.41"), User: `CORP\alice`, Host: "WS-ALICE"}},
		{`CORP\carol`, "WS-CAROL", event.Binding{}},
	}
	recs := dt.Lines(t, "testdata/winlogbeat-security-4624.ndjson")
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d", len(recs), len(want))
	}
	for i, rec := range recs {
		var ev event.Event
		if err := (Decoder{}).Decode(rec, &ev); err != nil {
			t.Fatalf("record %d: %v", i+1, err)
		}
		w := want[i]
		if ev.Format != LogonFormat || ev.Kind != LogonKind || ev.User != w.user ||
			ev.Host != w.host || ev.Binding != w.binding || ev.Time.IsZero() {
			t.Errorf("record %d: format %q kind %q user %q host %q binding %+v time %v; "+
				"want %s %s %q %q %+v", i+1, ev.Format, ev.Kind, ev.User, ev.Host, ev.Binding,
				ev.Time, LogonFormat, LogonKind, w.user, w.host, w.binding)
		}
	}
	var ev event.Event
	_ = (Decoder{}).Decode(recs[0], &ev)
	dt.Check(t, "logon observables", &ev, []dt.Obs{
		{Field: "winlog.event_data.IpAddress", Type: ioc.IPv4, Value: "10.20.30.40"}})
	if !ev.Time.Equal(time.Date(2026, 3, 2, 8, 15, 29, 875e6, time.UTC)) {
		t.Errorf("time %v, want time_created 2026-03-02T08:15:29.875Z", ev.Time)
	}
}
