package hec

import (
	"strconv"
	"strings"
	"testing"

	dt "github.com/iocflow/iocflow/pipeline/decode/internal/decodetest"
	"github.com/iocflow/iocflow/pipeline/decode/jsonmap"
	"github.com/iocflow/iocflow/pipeline/event"
)

func newDecoder() *Decoder { return &Decoder{Generic: jsonmap.New(jsonmap.DefaultMapping())} }

// TestDecoder_Corpus splits each line of the sample (the first holds four
// concatenated envelopes) and decodes every envelope.
func TestDecoder_Corpus(t *testing.T) {
	var b strings.Builder
	d := newDecoder()
	for i, l := range dt.Lines(t, "testdata/hec-event-batch.json") {
		n := 0
		err := Split(l, func(rec []byte) error {
			n++
			var ev event.Event
			err := d.Decode(rec, &ev)
			dt.Transcript(&b, "line "+strconv.Itoa(i+1)+" #"+strconv.Itoa(n), &ev, err)
			dt.Invariants(t, &ev)
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	}
	dt.Golden(t, "testdata/corpus.golden", b.String())
}

func TestDecoder_Rejects(t *testing.T) {
	d := newDecoder()
	for _, rec := range []string{`{"event":""}`, `{"host":"x"}`, `{"event":1}`, `{"event":"x"} {}`,
		`{"event":"x","time":"noon"}`, `{"event":{"event_type":"alert","timestamp":"bad"}}`} {
		var ev event.Event
		dt.CheckError(t, FormatName, []byte(rec), d.Decode([]byte(rec), &ev))
	}
}

func FuzzDecoder(f *testing.F) { dt.FuzzDecoder(f, newDecoder(), "testdata/hec-event-batch.json") }

func BenchmarkDecoder(b *testing.B) {
	dt.BenchLines(b, newDecoder(), "testdata/hec-event-batch.json")
}
