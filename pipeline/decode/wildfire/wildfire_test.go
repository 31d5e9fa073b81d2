package wildfire

import (
	"os"
	"strings"
	"testing"

	dt "github.com/iocflow/iocflow/pipeline/decode/internal/decodetest"
	"github.com/iocflow/iocflow/pipeline/event"
)

func TestDecoder_Corpus(t *testing.T) {
	var b strings.Builder
	for _, f := range []string{"get-verdict-response.xml", "report-response.xml"} {
		data, err := os.ReadFile("testdata/" + f)
		if err != nil {
			t.Fatal(err)
		}
		var ev event.Event
		err = (Decoder{}).Decode(data, &ev)
		dt.Transcript(&b, f, &ev, err)
		dt.Invariants(t, &ev)
	}
	// One response per line.
	dt.LineCorpus(t, Decoder{}, "testdata/pending.golden",
		"testdata/get-verdict-pending-and-unknown.xml")
	dt.Golden(t, "testdata/corpus.golden", b.String())
}

func TestSplit_Batch(t *testing.T) {
	batch := `<wildfire><get-verdict-info><sha256>` + strings.Repeat("a", 64) +
		`</sha256><verdict>0</verdict></get-verdict-info><get-verdict-info><md5>` +
		strings.Repeat("B", 32) + `</md5><verdict>2</verdict></get-verdict-info></wildfire>`
	var kinds []string
	err := Split([]byte(batch), func(rec []byte) error {
		var ev event.Event
		if err := (Decoder{}).Decode(rec, &ev); err != nil {
			return err
		}
		kinds = append(kinds, ev.Kind+" "+ev.Observables[0].Value)
		return nil
	})
	want := "verdict/benign " + strings.Repeat("a", 64) + ",verdict/grayware " +
		strings.Repeat("b", 32)
	if err != nil || strings.Join(kinds, ",") != want {
		t.Errorf("got %v, %v; want %s", kinds, err, want)
	}
	var ev event.Event
	dt.CheckError(t, FormatName, []byte(batch), (Decoder{}).Decode([]byte(batch), &ev))
}

func TestDecoder_Rejects(t *testing.T) {
	for _, rec := range []string{`<error><error-message>Invalid API key</error-message></error>`,
		`<wildfire><get-verdict-info><verdict>7</verdict></get-verdict-info></wildfire>`,
		`<wildfire/>`, `<wildfire>`, `{}`} {
		var ev event.Event
		dt.CheckError(t, FormatName, []byte(rec), (Decoder{}).Decode([]byte(rec), &ev))
	}
}

func FuzzDecoder(f *testing.F) {
	for _, p := range []string{"testdata/get-verdict-response.xml", "testdata/report-response.xml"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	dt.FuzzDecoder(f, Decoder{}, "testdata/get-verdict-pending-and-unknown.xml")
}

func BenchmarkDecoder(b *testing.B) {
	dt.BenchLines(b, Decoder{}, "testdata/get-verdict-pending-and-unknown.xml")
}
