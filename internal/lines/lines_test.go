package lines

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReader_LinesAndNumbers(t *testing.T) {
	in := "a\r\nbb\n\n" + strings.Repeat("x", 50) + "\nlast"
	r := NewReader(strings.NewReader(in), 10)
	type step struct {
		line string
		num  int
		err  error
	}
	want := []step{{"a", 1, nil}, {"bb", 2, nil}, {"", 3, nil}, {"", 4, ErrTooLong},
		{"last", 5, nil}, {"", 6, io.EOF}}
	for _, w := range want {
		got, err := r.Next()
		if string(got) != w.line || r.Line() != w.num || !errors.Is(err, w.err) {
			t.Fatalf("Next() = %q, line %d, %v; want %q, line %d, %v",
				got, r.Line(), err, w.line, w.num, w.err)
		}
	}
}
