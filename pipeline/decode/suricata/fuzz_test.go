package suricata

import (
	"errors"
	"testing"

	"github.com/iocflow/iocflow/pipeline/decode"
	dt "github.com/iocflow/iocflow/pipeline/decode/internal/decodetest"
	"github.com/iocflow/iocflow/pipeline/event"
)

func FuzzDecoder(f *testing.F) {
	dt.Seed(f, "testdata/eve-doc-examples.json", "testdata/eve-doc-fragments-dns-tls.json",
		"testdata/eve-real-excerpt-suricata6.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev event.Event
		err := (Decoder{}).Decode(data, &ev)
		if err != nil {
			var de *decode.Error
			if !errors.As(err, &de) || de.Offset > len(data) {
				t.Fatalf("error %v is not a *decode.Error with an offset in the record", err)
			}
			return
		}
		if ev.Kind == "" || ev.Format != FormatName {
			t.Fatalf("decoded without kind or format: %+v", ev)
		}
		dt.Invariants(t, &ev)
	})
}
