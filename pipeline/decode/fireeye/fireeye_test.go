package fireeye

import (
	"os"
	"strconv"
	"strings"
	"testing"

	dt "github.com/iocflow/iocflow/pipeline/decode/internal/decodetest"
	"github.com/iocflow/iocflow/pipeline/event"
)

func TestDecoder_Corpus(t *testing.T) {
	var b strings.Builder
	for i, l := range dt.Lines(t, "testdata/nx-network-security.ndjson") {
		var ev event.Event
		err := (Decoder{}).Decode(l, &ev)
		dt.Transcript(&b, "nx:"+strconv.Itoa(i+1), &ev, err)
		dt.Invariants(t, &ev)
	}
	resp, err := os.ReadFile("testdata/ex-alerts-api-concise.json")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = Split(resp, func(a []byte) error {
		n++
		var ev event.Event
		err := (Decoder{}).Decode(a, &ev)
		dt.Transcript(&b, "ex#"+strconv.Itoa(n), &ev, err)
		dt.Invariants(t, &ev)
		return nil
	})
	if err != nil || n != 1 {
		t.Errorf("split: %d alerts, %v", n, err)
	}
	dt.Golden(t, "testdata/corpus.golden", b.String())
}

func TestDecoder_Rejects(t *testing.T) {
	for _, rec := range []string{`{"rawmsg":"{not json"}`, `{"x":1}`,
		`{"alert":[],"alertsCount":0}`, `{"occurred":"whenever"}`} {
		var ev event.Event
		dt.CheckError(t, FormatName, []byte(rec), (Decoder{}).Decode([]byte(rec), &ev))
	}
}

func FuzzDecoder(f *testing.F) {
	resp, err := os.ReadFile("testdata/ex-alerts-api-concise.json")
	if err != nil {
		f.Fatal(err)
	}
	_ = Split(resp, func(a []byte) error { f.Add(a); return nil })
	dt.FuzzDecoder(f, Decoder{}, "testdata/nx-network-security.ndjson")
}

func BenchmarkDecoder(b *testing.B) {
	dt.BenchLines(b, Decoder{}, "testdata/nx-network-security.ndjson")
}
