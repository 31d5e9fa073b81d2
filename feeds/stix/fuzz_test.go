package stix

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
)

// FuzzFormatParse feeds bundles to Parse: no input may panic, and what comes
// out must be well formed.
func FuzzFormatParse(f *testing.F) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(versionsBundle))
	f.Fuzz(func(t *testing.T, data []byte) {
		b := feeds.NewBuilder("fuzz", "stix")
		if err := (Format{}).Parse(bytes.NewReader(data), b); err != nil {
			return
		}
		for _, in := range b.Result().Indicators {
			if !in.Type.IsValid() || in.Value == "" || len(in.Sources) == 0 {
				t.Fatalf("malformed indicator %+v", in)
			}
			if in.ID != ioc.MakeID(in.Type, in.Value) {
				t.Fatalf("indicator id %q does not match %v %q", in.ID, in.Type, in.Value)
			}
		}
	})
}
