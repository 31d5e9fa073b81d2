package kafkatopic

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/sinks/verdict"
)

// oracle encodes v the way the JSON-lines sink does.
func oracle(t *testing.T, v *verdict.Verdict) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func sampleVerdicts() []verdict.Verdict {
	at := time.Date(2026, 11, 20, 8, 14, 2, 118233000, time.UTC)
	full := verdict.Verdict{
		EventID: "edr-7731", EventTime: at, Time: at.Add(time.Second), Format: "suricata",
		Kind: "alert", Origin: "alerts/3@1234",
		Observable:  ioc.Observable{Type: ioc.IPv4, Value: "198.51.100.23", Field: "dest_ip"},
		OtherFields: []string{"http.hostname", "dns.answers.rdata"},
		Indicator: verdict.Indicator{ID: "ipv4:198.51.100.23", Type: ioc.IPv4,
			Value: "198.51.100.23", Feeds: []verdict.Feed{
				{Name: "et-block", ID: "line 4"},
				{Name: "opencti", ID: "indicator--1",
					Pattern:  "[ipv4-addr:value = '198.51.100.23']",
					Original: "198[.]51.100.23", ValidUntil: at.Add(48 * time.Hour)},
			}},
		Confidence: 84, Severity: ioc.SeverityHigh, ThreatTypes: []string{"c2"},
		Malware: []string{"LeftHook"}, Campaigns: []string{"Q4"}, Actors: []string{"TA-1"},
		MatcherVersion: 42, Priority: 5, User: "a.example", Host: "ws-fin-031",
		Department: "finance", Groups: []string{"payments", "vip-assistants"}, VIP: true,
		Country: "NL", ASN: 64500, ASOrg: "Example AS",
		MessageID: "<a1b2@mail.evil.zz>", Recipients: []string{"bob@corp.zz", "carol@corp.zz"},
		Retrospective: true,
	}
	odd := verdict.Verdict{
		EventID: "quote\" back\\ nl\n tab\t ctl\x01 html<&> bad\xff ls\u2028 é 😀",
		Format:  "json", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)),
		Observable: ioc.Observable{Type: ioc.Text, Value: "cmd /c \"x\"",
			Field: "process.command_line"},
		Indicator: verdict.Indicator{ID: "text:x", Type: ioc.Text, Value: "x"},
	}
	return []verdict.Verdict{full, odd, {}}
}

// TestSampleVerdicts_SetEveryField keeps the oracle test honest: a field
// added to verdict.Verdict but left zero in the full sample would pass it
// even if AppendVerdict never wrote it.
func TestSampleVerdicts_SetEveryField(t *testing.T) {
	full := reflect.ValueOf(sampleVerdicts()[0])
	for i := 0; i < full.NumField(); i++ {
		if full.Field(i).IsZero() {
			t.Errorf("the full sample verdict leaves %s zero; set it so that the "+
				"encoder is checked for it", full.Type().Field(i).Name)
		}
	}
}

func TestAppendVerdict_MatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for i, v := range sampleVerdicts() {
		got := AppendVerdict(nil, &v)
		want := oracle(t, &v)
		if !bytes.Equal(got, want) {
			t.Errorf("verdict %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "\x00\x1f\"\\", "\xff\xfe", "\u2028\u2029", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendString(nil, s)
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if want := bytes.TrimSuffix(b.Bytes(), []byte("\n")); !bytes.Equal(got, want) {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
	})
}

func TestAppendVerdict_AllocatesNothingWithRoom(t *testing.T) {
	vs := sampleVerdicts()
	buf := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendVerdict(buf[:0], &vs[0])
	})
	if allocs != 0 {
		t.Errorf("AppendVerdict allocates %.1f times, want 0", allocs)
	}
}

func BenchmarkAppendVerdict(b *testing.B) {
	vs := sampleVerdicts()
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	b.SetBytes(int64(len(AppendVerdict(nil, &vs[0]))))
	for b.Loop() {
		buf = AppendVerdict(buf[:0], &vs[0])
	}
}

func BenchmarkEncodingJSONVerdict(b *testing.B) {
	vs := sampleVerdicts()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = json.Marshal(&vs[0])
	}
}
