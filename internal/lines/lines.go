// Package lines reads a stream line by line with line numbers, without
// letting one over-long line stop the stream: such a line is reported with
// its number and skipped, and reading goes on with the next one.
//
// A Reader is used by one goroutine.
package lines

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// ErrTooLong is returned by Next for a line longer than the reader's limit.
// The line is skipped; Next may be called again.
var ErrTooLong = errors.New("line too long")

// Reader yields the lines of a stream.
type Reader struct {
	br   *bufio.Reader
	max  int
	num  int
	long []byte
}

// NewReader returns a reader that accepts lines of up to limit bytes.
func NewReader(r io.Reader, limit int) *Reader {
	size := max(min(limit, 1<<20), 4096)
	return &Reader{br: bufio.NewReaderSize(r, size), max: limit}
}

// Line returns the number of the line Next last returned, from 1.
func (r *Reader) Line() int { return r.num }

// Next returns the next line without its line ending ("\n" or "\r\n"). The
// slice is valid until the next call. At the end of the stream it returns
// io.EOF; a last line without a line ending is returned first. A line longer
// than the limit returns ErrTooLong, and reading may go on.
func (r *Reader) Next() ([]byte, error) {
	r.num++
	r.long = r.long[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		switch {
		case err == nil || (errors.Is(err, io.EOF) && len(chunk)+len(r.long) > 0):
			return r.finish(chunk)
		case errors.Is(err, bufio.ErrBufferFull):
			if len(r.long) <= r.max {
				r.long = append(r.long, chunk...)
			}
			continue
		default:
			return nil, err
		}
	}
}

func (r *Reader) finish(chunk []byte) ([]byte, error) {
	line := chunk
	if len(r.long) > 0 {
		r.long = append(r.long, chunk...)
		line = r.long
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) > r.max {
		return nil, ErrTooLong
	}
	return line, nil
}
