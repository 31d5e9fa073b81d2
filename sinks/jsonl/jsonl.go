// Package jsonl writes verdicts as JSON lines, one object per line, to a
// file or to standard output: the sink of the embedded mode.
//
// A Sink is used by one goroutine at a time.
package jsonl

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/iocflow/iocflow/sinks/verdict"
)

// Sink writes JSON lines to an io.Writer.
type Sink struct {
	w      *bufio.Writer
	closer io.Closer
	enc    *json.Encoder
}

// New returns a sink writing to w. If w is also an io.Closer, Close closes
// it.
func New(w io.Writer) *Sink {
	bw := bufio.NewWriterSize(w, 64<<10)
	s := &Sink{w: bw, enc: json.NewEncoder(bw)}
	s.enc.SetEscapeHTML(false)
	if c, ok := w.(io.Closer); ok {
		s.closer = c
	}
	return s
}

// Write implements sinks.Sink: the batch is encoded and flushed to the
// writer before Write returns.
func (s *Sink) Write(_ context.Context, batch []verdict.Verdict) error {
	for i := range batch {
		if err := s.enc.Encode(&batch[i]); err != nil {
			return fmt.Errorf("encode verdict: %w", err)
		}
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("write verdicts: %w", err)
	}
	return nil
}

// Close implements sinks.Sink.
func (s *Sink) Close() error {
	err := s.w.Flush()
	if s.closer != nil {
		if cerr := s.closer.Close(); err == nil {
			err = cerr
		}
	}
	return err
}
