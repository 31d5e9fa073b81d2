package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/iocflow/iocflow/internal/logkey"
	"github.com/iocflow/iocflow/pipeline/hunt"
	"github.com/iocflow/iocflow/sinks/clickhouse"
)

func cmdHunt(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	var ch chFlags
	var feedPaths listFlag
	var since string
	fs := flag.NewFlagSet("iocflow hunt", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ch.register(fs)
	fs.Var(&feedPaths, "feeds", "feed `file or folder` whose indicators to hunt; repeatable")
	fs.StringVar(&since, "since", "30d",
		"look back this `long` (30d, 12h) in the stored observables")
	var allow allowOptions
	allow.register(fs)
	if err := fs.Parse(args); err != nil {
		return exitUsage, err
	}
	if fs.NArg() > 0 {
		return exitUsage, &usageError{msg: fmt.Sprintf("hunt: unexpected argument %q", fs.Arg(0))}
	}
	if len(feedPaths) == 0 {
		return exitUsage, &usageError{
			msg: "hunt: no feeds: give at least one --feeds file or folder"}
	}
	d, err := parseSince(since)
	if err != nil {
		return exitUsage, err
	}
	logger := newLogger(stderr, ch.level.Level)
	feedSet, err := loadFeedsAllowing(feedPaths, allow)
	if err != nil {
		return exitUsage, err
	}
	feedSet.noteSuppressed(stderr)
	store, err := ch.open(ctx, logger)
	if err != nil {
		return exitUsage, err
	}
	defer store.Close()
	sink := clickhouse.NewSink(store, logger.With(logkey.Component, "sinks/clickhouse"))
	h := &hunt.Hunter{Store: store, Sink: sink.Retrospective(),
		Logger: logger.With(logkey.Component, "pipeline/hunt")}
	to := time.Now()
	st, huntErr := h.Hunt(ctx, feedSet.indicators, to.Add(-d), to)
	if err := sink.Close(); err != nil && huntErr == nil {
		huntErr = err
	}
	fmt.Fprintf(stdout, "iocflow: hunted %d indicators over %s: %d sightings, %d confirmed; "+
		"%d retrospective verdicts written, %d already known\n",
		st.Indicators, since, st.Sightings, st.Confirmed, st.Verdicts, st.Known)
	if huntErr != nil {
		return exitUsage, huntErr
	}
	return exitOK, nil
}
