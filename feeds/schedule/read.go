package schedule

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/iocflow/iocflow/feeds"
)

// sniffBytes is how much of a feed the formats' Sniff sees, as in
// feeds.LoadFile.
const sniffBytes = 4096

// FormatError says that a feed is not in the format expected of it.
type FormatError struct {
	Want string
	// Got is the format that recognises the feed, or "" for none.
	Got string
}

func (e *FormatError) Error() string {
	if e.Got == "" {
		return "not in the expected format " + e.Want
	}
	return "in format " + e.Got + ", not the expected " + e.Want
}

// Read parses the feed named feed from r; name is the file name (or the
// last element of the URL path) that the formats may sniff by. With want
// empty, the first of formats that recognises the feed reads it, and a feed
// none recognises returns feeds.ErrUnknownFormat. Otherwise the format
// named want must recognise it, else the error is a *FormatError. As with
// feeds.Format.Parse, an error means the result must not replace a set in
// force; rejected records are in the result.
func Read(feed, name string, r io.Reader, formats []feeds.Format, want string,
) (*feeds.Result, error) {
	head := make([]byte, sniffBytes)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read feed: %w", err)
	}
	head = head[:n]
	fm := pick(name, head, formats, want)
	if fm == nil {
		if want == "" {
			return nil, feeds.ErrUnknownFormat
		}
		fe := &FormatError{Want: want}
		if got := pick(name, head, formats, ""); got != nil {
			fe.Got = got.Name()
		}
		return nil, fe
	}
	b := feeds.NewBuilder(feed, fm.Name())
	if err := fm.Parse(io.MultiReader(bytes.NewReader(head), r), b); err != nil {
		return nil, fmt.Errorf("read feed as %s: %w", fm.Name(), err)
	}
	return b.Result(), nil
}

// pick returns the format that reads the feed: the first that recognises
// it, or with want set the format of that name if it recognises it.
func pick(name string, head []byte, formats []feeds.Format, want string) feeds.Format {
	for _, fm := range formats {
		if want != "" && fm.Name() != want {
			continue
		}
		if fm.Sniff(name, head) {
			return fm
		}
	}
	return nil
}
