package cef

import (
	"testing"

	"github.com/iocflow/iocflow/feeds/ioc"
	dt "github.com/iocflow/iocflow/pipeline/decode/internal/decodetest"
	"github.com/iocflow/iocflow/pipeline/event"
)

var files = []string{"testdata/samples.log", "testdata/syslog-wrapped.log"}

func TestDecoder_Corpus(t *testing.T) {
	dt.LineCorpus(t, Decoder{}, "testdata/corpus.golden", files...)
}

func TestParse_Escapes(t *testing.T) {
	r, err := Parse([]byte(`<13>Jan 1 00:00:00 h CEF:0|Ven\|dor|Pro\\d|1|sig|Na\|me|5|` +
		`msg=a\=b c\\d\nline2 request=http://x.example/?q\=1 cs1=Z cs1Label=A | B`))
	if err != nil {
		t.Fatal(err)
	}
	if r.Vendor != "Ven|dor" || r.Product != `Pro\d` || r.Name != "Na|me" || r.Severity != "5" {
		t.Errorf("header %+v", r)
	}
	want := []Pair{{"msg", "a=b c\\d\nline2"}, {"request", "http://x.example/?q=1"},
		{"cs1", "Z"}, {"cs1Label", "A | B"}}
	if len(r.Ext) != len(want) {
		t.Fatalf("extension %q, want %q", r.Ext, want)
	}
	for i := range want {
		if r.Ext[i] != want[i] {
			t.Errorf("pair %d: got %q, want %q", i, r.Ext[i], want[i])
		}
	}
}

func TestDecoder_Labels(t *testing.T) {
	rec := `CEF:1|V|P|1|s|n|High|cs2=0CC9713BA896193A527213D9C94892D41797EB7C cs2Label=sha1 ` +
		`cs3=evil.example cs3Label=Domain Name c6a3=2001:db8::1 c6a3Label=Destination IPv6 ` +
		`suser=eve@evil.example duser=CORP\\bob rt=1609852746000`
	var ev event.Event
	if err := (Decoder{}).Decode([]byte(rec), &ev); err != nil {
		t.Fatal(err)
	}
	dt.Check(t, "labels", &ev, []dt.Obs{
		{Field: "cs2:sha1", Type: ioc.SHA1, Value: "0cc9713ba896193a527213d9c94892d41797eb7c"},
		{Field: "cs3:Domain Name", Type: ioc.Domain, Value: "evil.example"},
		{Field: "c6a3:Destination IPv6", Type: ioc.IPv6, Value: "2001:db8::1"},
		{Field: "suser", Type: ioc.Email, Value: "eve@evil.example"},
	})
	if ev.User != `CORP\bob` || ev.Time.UnixMilli() != 1609852746000 {
		t.Errorf("user %q time %v", ev.User, ev.Time)
	}
}

func TestDecoder_Rejects(t *testing.T) {
	for _, rec := range []string{"hello", "CEF:0|a|b|c", "CEF:7|a|b|c|d|e|f|x=y"} {
		var ev event.Event
		dt.CheckError(t, FormatName, []byte(rec), (Decoder{}).Decode([]byte(rec), &ev))
	}
}

func FuzzDecoder(f *testing.F) { dt.FuzzDecoder(f, Decoder{}, files...) }

func BenchmarkDecoder(b *testing.B) { dt.BenchLines(b, Decoder{}, files...) }
