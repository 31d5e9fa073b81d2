package decodetest

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/iocflow/iocflow/pipeline/event"
)

var update = flag.Bool("update", false, "rewrite the decoders' golden files")

// Transcript writes what a decoder made of one record, one observable a
// line, for a golden file: the record's name, its kind, time, id, host and
// user, then each observable as field, type and value, each skipped value
// with its reason, or the error.
func Transcript(b *strings.Builder, name string, ev *event.Event, err error) {
	fmt.Fprintf(b, "== %s\n", name)
	if err != nil {
		fmt.Fprintf(b, "error: %v\n", err)
		return
	}
	tm := ""
	if !ev.Time.IsZero() {
		tm = ev.Time.Format(time.RFC3339Nano)
	}
	fmt.Fprintf(b, "format=%s kind=%s time=%s id=%s host=%s user=%s\n", ev.Format, ev.Kind,
		tm, ev.ID, ev.Host, ev.User)
	for _, o := range ev.Observables {
		fmt.Fprintf(b, "  %s %s %s\n", o.Field, o.Type, o.Value)
	}
	for _, s := range ev.Skipped {
		fmt.Fprintf(b, "  skipped %s: %s\n", s.Field, s.Reason)
	}
}

// Golden compares got with the golden file at path, or rewrites the file
// when the test runs with -update.
func Golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if got == string(want) {
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Errorf("%s line %d:\n got  %q\n want %q", path, i+1, g, w)
			return
		}
	}
}
