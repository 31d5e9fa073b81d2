package pattern

import (
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that Parse never panics, that errors are *SyntaxError
// values pointing inside the input, and that accepted patterns survive the
// String round trip.
func FuzzParse(f *testing.F) {
	for _, line := range readLines(f, "testdata/spec_examples_v21.txt") {
		f.Add(line)
	}
	for _, c := range errorCases {
		f.Add(c.src)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := Parse(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %v is not a *SyntaxError", src, err)
			}
			if se.Offset < 0 || se.Offset > len(src) ||
				se.Column != utf8.RuneCountInString(src[:se.Offset])+1 {
				t.Fatalf("Parse(%q) error offset %d, column %d are inconsistent",
					src, se.Offset, se.Column)
			}
			return
		}
		checkRoundTrip(t, src, p)
		_ = p.Classify()
	})
}
