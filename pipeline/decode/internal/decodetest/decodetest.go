// Package decodetest holds the helpers the decoder tests share: reading
// the records of a testdata file, comparing observables field by field,
// and the invariants every fuzz target checks on a decoded event.
package decodetest

import (
	"bytes"
	"os"
	"testing"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/pipeline/event"
)

// Obs is an expected observable.
type Obs struct {
	Field string
	Type  ioc.Type
	Value string
}

// Lines returns the non-blank lines of a testdata file.
func Lines(tb testing.TB, path string) [][]byte {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("read %s: %v", path, err)
	}
	var out [][]byte
	for _, l := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(l)) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// Check compares the observables of ev with want, in order.
func Check(t *testing.T, name string, ev *event.Event, want []Obs) {
	t.Helper()
	got := make([]Obs, len(ev.Observables))
	for i, o := range ev.Observables {
		got[i] = Obs{o.Field, o.Type, o.Value}
	}
	n := max(len(got), len(want))
	for i := 0; i < n; i++ {
		var g, w Obs
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("%s: observable %d: got %s %s=%q, want %s %s=%q", name, i,
				g.Field, g.Type, g.Value, w.Field, w.Type, w.Value)
		}
	}
}

// Invariants checks what must hold for any decoded event: every
// observable is valid for its type and already canonical, and names its
// field.
func Invariants(t *testing.T, ev *event.Event) {
	t.Helper()
	for _, o := range ev.Observables {
		if o.Field == "" {
			t.Errorf("observable %s %q has no field", o.Type, o.Value)
		}
		c, err := ioc.CanonicalObservable(o.Type, o.Value)
		if err != nil {
			t.Errorf("observable %s %q from %s is not valid: %v", o.Type, o.Value, o.Field, err)
			continue
		}
		if c != o.Value {
			t.Errorf("observable %s %q from %s is not canonical: want %q", o.Type, o.Value,
				o.Field, c)
		}
	}
}

// Seed adds every line of the files to the fuzz corpus of f.
func Seed(f *testing.F, paths ...string) {
	for _, p := range paths {
		for _, l := range Lines(f, p) {
			f.Add(l)
		}
	}
}
