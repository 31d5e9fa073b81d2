package leef

import (
	"testing"

	"github.com/iocflow/iocflow/feeds/ioc"
	dt "github.com/iocflow/iocflow/pipeline/decode/internal/decodetest"
	"github.com/iocflow/iocflow/pipeline/event"
)

var files = []string{"testdata/samples.log"}

func TestDecoder_Corpus(t *testing.T) {
	dt.LineCorpus(t, Decoder{}, "testdata/corpus.golden", files...)
}

func TestParse_Delimiters(t *testing.T) {
	cases := []struct {
		rec   string
		delim byte
		n     int
	}{
		{"LEEF:1.0|V|P|1|E|src=1.2.3.4\tdst=5.6.7.8", '\t', 2},
		{"LEEF:1.0|V|P|1|E|src=1.2.3.4|dst=5.6.7.8|usrName=", '|', 3},
		{"LEEF:2.0|V|P|1|E|^|src=1.2.3.4^dst=5.6.7.8", '^', 2},
		{"LEEF:2.0|V|P|1|E|0x7c|src=1.2.3.4|dst=5.6.7.8", '|', 2},
		{"LEEF:2.0|V|P|1|E|x09|src=1.2.3.4\tdst=5.6.7.8", '\t', 2},
		{"LEEF:2.0|V|P|1|E|src=1.2.3.4\tdst=5.6.7.8", '\t', 2},
	}
	for _, c := range cases {
		r, err := Parse([]byte(c.rec))
		if err != nil || r.Delimiter != c.delim || len(r.Attrs) != c.n {
			t.Errorf("%q: got %+v, %v; want delimiter %q and %d attributes", c.rec, r, err,
				c.delim, c.n)
		}
	}
}

func TestDecoder_Values(t *testing.T) {
	rec := "LEEF:2.0|V|P|1|E|^|src=198.51.100.1^url=https://Evil.example/x^" +
		"fileHash=44D88612FEA8A8F36DE82E1278ABB02F^usrName=CORP\\bob^srcPostNAT=0.0.0.157"
	var ev event.Event
	if err := (Decoder{}).Decode([]byte(rec), &ev); err != nil {
		t.Fatal(err)
	}
	dt.Check(t, "values", &ev, []dt.Obs{
		{Field: "src", Type: ioc.IPv4, Value: "198.51.100.1"},
		{Field: "url", Type: ioc.URL, Value: "https://evil.example/x"},
		{Field: "fileHash", Type: ioc.MD5, Value: "44d88612fea8a8f36de82e1278abb02f"},
	})
	if ev.User != `CORP\bob` {
		t.Errorf("user %q", ev.User)
	}
}

func TestDecoder_Rejects(t *testing.T) {
	for _, rec := range []string{"x", "LEEF:1.0|a|b", "LEEF:3.0|a|b|c|d|e=f",
		"LEEF:2.0|a|b|c|d|xZZ|e=f", "LEEF:2.0|a|b|c|d|abc|e=f"} {
		var ev event.Event
		dt.CheckError(t, FormatName, []byte(rec), (Decoder{}).Decode([]byte(rec), &ev))
	}
}

func FuzzDecoder(f *testing.F) { dt.FuzzDecoder(f, Decoder{}, files...) }

func BenchmarkDecoder(b *testing.B) { dt.BenchLines(b, Decoder{}, files...) }
