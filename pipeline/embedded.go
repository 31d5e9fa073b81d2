package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/iocflow/iocflow/internal/lines"
	"github.com/iocflow/iocflow/internal/logkey"
	"github.com/iocflow/iocflow/matcher"
	"github.com/iocflow/iocflow/pipeline/decode"
	"github.com/iocflow/iocflow/pipeline/enrich"
	"github.com/iocflow/iocflow/pipeline/event"
	"github.com/iocflow/iocflow/sinks"
	"github.com/iocflow/iocflow/sinks/verdict"
)

// Input is one stream of JSON lines with the name its records' origins
// carry ("events.json", "-" for standard input).
type Input struct {
	Name string
	R    io.Reader
}

// Stats counts what a run did.
type Stats struct {
	Read      int // records (non-blank lines) read
	Decoded   int
	Malformed int
	// SkippedValues counts field values left out of decoded events because
	// they were not valid for their type.
	SkippedValues int
	Verdicts      int
	// ByFormat counts decoded events per input format.
	ByFormat map[string]int
}

// Embedded runs the stages in one process: it reads JSON lines, decodes
// each with Decoder, matches it against Engine's snapshot in force and
// writes verdicts to Sink in batches. A record that cannot be decoded is
// counted, reported (the first MaxReports individually) and skipped; the
// run goes on.
type Embedded struct {
	Decoder decode.Decoder
	Engine  *matcher.Engine
	Sink    sinks.Sink
	// Enrich, when set, adds who and where to events and verdicts.
	Enrich *enrich.Enricher
	// Logger receives malformed-record reports; nil discards them.
	Logger *slog.Logger
	// MaxLine bounds a record's size in bytes; default 16 MiB.
	MaxLine int
	// BatchSize is the number of verdicts handed to the sink at once;
	// default 512.
	BatchSize int
	// MaxReports is how many malformed records are logged one by one before
	// the rest are only counted; default 10.
	MaxReports int
	// Now stamps verdicts; default time.Now. It is read once per batch.
	Now func() time.Time
}

func (e *Embedded) defaults() {
	if e.MaxLine == 0 {
		e.MaxLine = 16 << 20
	}
	if e.BatchSize == 0 {
		e.BatchSize = 512
	}
	if e.MaxReports == 0 {
		e.MaxReports = 10
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	if e.Logger == nil {
		e.Logger = slog.New(slog.DiscardHandler)
	}
}

// run is the state of one Run.
type run struct {
	*Embedded
	stats Stats
	ev    event.Event
	match Match
	batch []verdict.Verdict
	now   time.Time
}

// Run reads every input to its end. It returns the counts and an error only
// for what stops the run: an input that cannot be read, a sink that fails,
// or ctx ending.
func (e *Embedded) Run(ctx context.Context, inputs []Input) (Stats, error) {
	e.defaults()
	r := &run{Embedded: e, stats: Stats{ByFormat: map[string]int{}}, now: e.Now()}
	r.match.Enrich = e.Enrich
	for _, in := range inputs {
		if err := r.input(ctx, in); err != nil {
			return r.stats, err
		}
	}
	if err := r.flush(ctx); err != nil {
		return r.stats, err
	}
	if n := r.stats.Malformed - e.MaxReports; n > 0 {
		e.Logger.Warn("malformed records not shown", logkey.Count, n)
	}
	return r.stats, nil
}

func (r *run) input(ctx context.Context, in Input) error {
	lr := lines.NewReader(ctxReader{ctx: ctx, r: in.R}, r.MaxLine)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, err := lr.Next()
		origin := in.Name + ":" + strconv.Itoa(lr.Line())
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case errors.Is(err, lines.ErrTooLong):
			r.stats.Read++
			r.malformed(origin, fmt.Sprintf("record longer than %d bytes", r.MaxLine))
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			return fmt.Errorf("read %s: %w", in.Name, err)
		}
		if lr.Line() == 1 {
			// Editors on Windows start a UTF-8 file with a byte order mark,
			// which no JSON decoder takes (RFC 8259 section 8.1).
			line = bytes.TrimPrefix(line, utf8BOM)
		}
		if isBlank(line) {
			continue
		}
		r.stats.Read++
		if err := r.record(ctx, origin, line); err != nil {
			return err
		}
	}
}

func (r *run) record(ctx context.Context, origin string, line []byte) error {
	r.ev.Reset()
	if err := r.Decoder.Decode(line, &r.ev); err != nil {
		r.malformed(origin, err.Error())
		return nil
	}
	r.ev.Origin = origin
	r.stats.Decoded++
	r.stats.ByFormat[r.ev.Format]++
	r.stats.SkippedValues += len(r.ev.Skipped)
	if r.Enrich != nil {
		// Every event, not only matching ones: a DHCP lease or a logon
		// teaches who holds an address for the events after it.
		r.Enrich.Learn(&r.ev, r.now)
	}
	r.batch = r.match.Verdicts(r.Engine.Load(), &r.ev, r.now, r.batch)
	if len(r.batch) >= r.BatchSize {
		return r.flush(ctx)
	}
	return nil
}

func (r *run) flush(ctx context.Context) error {
	if len(r.batch) == 0 {
		return nil
	}
	if err := r.Sink.Write(ctx, r.batch); err != nil {
		return fmt.Errorf("write verdicts: %w", err)
	}
	r.stats.Verdicts += len(r.batch)
	clear(r.batch)
	r.batch = r.batch[:0]
	r.now = r.Now()
	return nil
}

func (r *run) malformed(origin, reason string) {
	r.stats.Malformed++
	if r.stats.Malformed <= r.MaxReports {
		r.Logger.Warn("malformed record", logkey.Origin, origin, logkey.Reason, reason)
	}
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// ctxReader stops reading when ctx ends, so that a signal stops a run
// even inside a record that never ends (an input like /dev/zero, which
// the line reader skips through without a newline to stop at).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}
