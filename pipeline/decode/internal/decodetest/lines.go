package decodetest

import (
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/iocflow/iocflow/pipeline/decode"
	"github.com/iocflow/iocflow/pipeline/event"
)

// LineCorpus decodes every line of the testdata files with dec, checks the
// invariants and compares the transcript with the golden file.
func LineCorpus(t *testing.T, dec decode.Decoder, golden string, files ...string) {
	t.Helper()
	var b strings.Builder
	for _, f := range files {
		for i, l := range Lines(t, f) {
			var ev event.Event
			err := dec.Decode(l, &ev)
			Transcript(&b, filepath.Base(f)+":"+strconv.Itoa(i+1), &ev, err)
			if err == nil {
				Invariants(t, &ev)
			} else {
				CheckError(t, dec.Format(), l, err)
			}
		}
	}
	Golden(t, golden, b.String())
}

// CheckError fails unless err is a *decode.Error of format whose offset
// lies inside the record.
func CheckError(t *testing.T, format string, data []byte, err error) {
	t.Helper()
	var de *decode.Error
	if !errors.As(err, &de) || de.Format != format || de.Offset > len(data) ||
		de.Offset < decode.NoOffset || de.Reason == "" {
		t.Fatalf("error %v (%T) is not a *decode.Error of %s with an offset in the record",
			err, err, format)
	}
}

// FuzzDecoder is the fuzz body shared by the decoders: any input either
// decodes to an event that keeps the invariants or is a *decode.Error.
func FuzzDecoder(f *testing.F, dec decode.Decoder, files ...string) {
	Seed(f, files...)
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev event.Event
		if err := dec.Decode(data, &ev); err != nil {
			CheckError(t, dec.Format(), data, err)
			return
		}
		if ev.Format == "" {
			t.Fatalf("decoded without a format")
		}
		Invariants(t, &ev)
	})
}

// BenchLines benchmarks dec on the lines of files; one op is all of them.
func BenchLines(b *testing.B, dec decode.Decoder, files ...string) {
	var recs [][]byte
	size := 0
	for _, f := range files {
		for _, l := range Lines(b, f) {
			recs = append(recs, l)
			size += len(l) + 1
		}
	}
	b.ReportAllocs()
	b.SetBytes(int64(size))
	var ev event.Event
	for b.Loop() {
		for _, r := range recs {
			ev.Reset()
			_ = dec.Decode(r, &ev)
		}
	}
}
