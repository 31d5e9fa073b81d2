package suricata

import (
	"testing"

	dt "github.com/iocflow/iocflow/pipeline/decode/internal/decodetest"
	"github.com/iocflow/iocflow/pipeline/event"
)

func corpusMix(tb testing.TB) ([][]byte, int) {
	var recs [][]byte
	size := 0
	for _, f := range []string{"eve-doc-examples.json", "eve-doc-fragments-dns-tls.json",
		"eve-real-excerpt-suricata6.json"} {
		for _, l := range dt.Lines(tb, "testdata/"+f) {
			recs = append(recs, l)
			size += len(l) + 1
		}
	}
	return recs, size
}

// BenchmarkDecoder decodes the corpus mix; one op is the whole mix.
func BenchmarkDecoder(b *testing.B) {
	recs, size := corpusMix(b)
	b.ReportAllocs()
	b.SetBytes(int64(size))
	var ev event.Event
	for b.Loop() {
		for _, r := range recs {
			ev.Reset()
			_ = (Decoder{}).Decode(r, &ev)
		}
	}
}

func BenchmarkDecoder_Parallel(b *testing.B) {
	recs, size := corpusMix(b)
	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.RunParallel(func(pb *testing.PB) {
		var ev event.Event
		for pb.Next() {
			for _, r := range recs {
				ev.Reset()
				_ = (Decoder{}).Decode(r, &ev)
			}
		}
	})
}
