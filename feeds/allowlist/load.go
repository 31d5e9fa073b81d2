package allowlist

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/internal/clip"
	"github.com/iocflow/iocflow/internal/lines"
)

// maxLine is the longest allowlist line read.
const maxLine = 64 << 10

// EntryError says why an allowlist entry is not valid.
type EntryError struct {
	Entry  string
	Reason string
}

func (e *EntryError) Error() string { return clip.Quote(e.Entry) + ": " + e.Reason }

// LineError is an invalid entry in an allowlist file, with where it is.
type LineError struct {
	Name string
	Line int
	Err  error
}

func (e *LineError) Error() string {
	return e.Name + ":" + strconv.Itoa(e.Line) + ": " + e.Err.Error()
}

func (e *LineError) Unwrap() error { return e.Err }

// Load reads an allowlist file; see Parse.
func Load(path string) (*List, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read allowlist: %w", err)
	}
	defer f.Close()
	l, err := Parse(path, f)
	if err != nil {
		return nil, fmt.Errorf("read allowlist: %w", err)
	}
	return l, nil
}

// Parse reads allowlist entries, one per line, in the forms that Add
// accepts. Blank lines and lines starting with '#' are skipped, as is
// anything after " #". Every invalid line is reported, each as a
// *LineError, joined; a list with any invalid line is not returned, so that
// a typo cannot quietly widen or narrow what is suppressed. Each entry's
// reason is "allowlist <name> line <n>".
func Parse(name string, r io.Reader) (*List, error) {
	l := New()
	var errs []error
	lr := lines.NewReader(r, maxLine)
	for {
		line, err := lr.Next()
		switch {
		case errors.Is(err, io.EOF):
			if len(errs) > 0 {
				return nil, errors.Join(errs...)
			}
			return l, nil
		case errors.Is(err, lines.ErrTooLong):
			errs = append(errs, &LineError{Name: name, Line: lr.Line(),
				Err: errors.New("line longer than 64 KiB")})
			continue
		case err != nil:
			return nil, err
		}
		entry := stripComment(string(line))
		if entry == "" {
			continue
		}
		reason := "allowlist " + name + " line " + strconv.Itoa(lr.Line())
		if err := l.Add(entry, reason); err != nil {
			errs = append(errs, &LineError{Name: name, Line: lr.Line(), Err: err})
		}
	}
}

func stripComment(s string) string {
	s = strings.TrimPrefix(s, "\uFEFF")
	if i := strings.Index(s, " #"); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, "\t#"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "#") {
		return ""
	}
	return s
}

func valueReason(err error) string {
	var ve *ioc.ValueError
	if errors.As(err, &ve) {
		return ve.Reason
	}
	return err.Error()
}

func clipQuote(s string) string { return clip.Quote(s) }
