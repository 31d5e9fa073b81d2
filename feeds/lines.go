package feeds

import (
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/iocflow/iocflow/internal/lines"
)

// EachLine reads a text feed line by line and calls fn with each line's
// position ("line 12") and its text, trimmed of surrounding space and of a
// leading byte-order mark; blank lines are skipped. A line longer than
// maxLine bytes is rejected through b with its position and skipped, so one
// hostile line costs only itself. An error from fn stops reading and is
// returned, as is an error reading r.
func EachLine(r io.Reader, b *Builder, maxLine int, fn func(pos, text string) error) error {
	lr := lines.NewReader(r, maxLine)
	for {
		line, err := lr.Next()
		pos := "line " + strconv.Itoa(lr.Line())
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case errors.Is(err, lines.ErrTooLong):
			b.Reject(pos, "", "line longer than "+strconv.Itoa(maxLine)+" bytes")
			continue
		case err != nil:
			return err
		}
		text := strings.TrimSpace(strings.TrimPrefix(string(line), "\uFEFF"))
		if text == "" {
			continue
		}
		if err := fn(pos, text); err != nil {
			return err
		}
	}
}
