package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/iocflow/iocflow/internal/logkey"
	"github.com/iocflow/iocflow/matcher"
	"github.com/iocflow/iocflow/pipeline"
	"github.com/iocflow/iocflow/pipeline/decode"
	"github.com/iocflow/iocflow/pipeline/decode/jsonmap"
	"github.com/iocflow/iocflow/sinks/jsonl"
)

type runFlags struct {
	feeds, inputs, maps listFlag
	output, format      string
	strict              bool
	level               levelFlag
	enrich              enrichFlags
	allow               allowOptions
}

func parseRunFlags(args []string, stderr io.Writer) (*runFlags, error) {
	f := &runFlags{level: levelFlag{slog.LevelInfo}}
	fs := flag.NewFlagSet("iocflow run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(&f.feeds, "feeds", "feed `file or folder` (STIX 2.x bundle, ET list, CSV or "+
		"plain list, and the other formats of the README); repeatable")
	fs.Var(&f.inputs, "input", "events, one record a line: a `file`, or - for standard "+
		"input; repeatable (default -)")
	fs.StringVar(&f.output, "output", "",
		"write verdicts to this `file` instead of standard output")
	fs.StringVar(&f.format, "format", "auto",
		"input `format`: "+strings.Join(inputFormatNames, ", "))
	fs.Var(&f.maps, "map", "map a JSON field to an observable type, as `path=type` (ip, hash, auto, "+
		"or a type such as domain, url, sha256); repeatable, adds to the built-in mapping")
	fs.BoolVar(&f.strict, "strict", false,
		"exit with status 1 when any record or indicator was rejected")
	fs.Var(&f.level, "log-level", "log `level`: debug, info, warn or error")
	fs.String("config", "", "run as a Kafka worker with this service config `file` instead "+
		"(README: Service mode); the embedded-mode flags then do not apply")
	f.enrich.register(fs)
	f.allow.register(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, &usageError{msg: fmt.Sprintf("run: unexpected argument %q", fs.Arg(0))}
	}
	if len(f.feeds) == 0 {
		return nil, &usageError{msg: "run: no feeds: give at least one --feeds file or folder"}
	}
	if len(f.inputs) == 0 {
		f.inputs = listFlag{"-"}
	}
	return f, nil
}

func cmdRun(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	if _, ok := configArg(args); ok {
		return cmdServe(ctx, args, stderr) // the Kafka service: serve.go
	}
	f, err := parseRunFlags(args, stderr)
	if err != nil {
		return exitUsage, err
	}
	dec, err := newDecoder(f.format, f.maps)
	if err != nil {
		return exitUsage, err
	}
	logger := newLogger(stderr, f.level.Level)
	feedSet, err := loadFeedsAllowing(f.feeds, f.allow)
	if err != nil {
		return exitUsage, err
	}
	inputs, closeInputs, err := openInputs(f.inputs, stdin)
	if err != nil {
		return exitUsage, err
	}
	defer closeInputs()
	out, outName, err := openOutput(f.output, stdout)
	if err != nil {
		return exitUsage, err
	}
	enricher, err := f.enrich.build(logger.With(logkey.Component, "pipeline/enrich"))
	if err != nil {
		return exitUsage, err
	}
	var engine matcher.Engine
	engine.Store(feedSet.snapshot(1))
	logger.Debug("feeds loaded", logkey.Count, len(feedSet.indicators))
	sink := jsonl.New(out)
	emb := &pipeline.Embedded{Decoder: dec, Engine: &engine, Sink: sink, Enrich: enricher,
		Logger: logger.With(logkey.Component, "pipeline")}
	stats, runErr := emb.Run(ctx, inputs)
	if err := sink.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("write %s: %w", outName, err)
	}
	printSummary(stderr, stats, feedSet, outName)
	if runErr != nil {
		return exitUsage, runErr
	}
	if f.strict && (stats.Malformed > 0 || feedSet.rejected() > 0) {
		return exitRejected, nil
	}
	return exitOK, nil
}

func newDecoder(format string, fieldMaps []string) (decode.Decoder, error) {
	m := jsonmap.DefaultMapping()
	for _, fm := range fieldMaps {
		path, typ, ok := strings.Cut(fm, "=")
		if !ok || path == "" {
			return nil, &usageError{msg: fmt.Sprintf("run: --map %q: want path=type", fm)}
		}
		k, err := jsonmap.ParseKind(typ)
		if err != nil {
			return nil, &usageError{msg: fmt.Sprintf("run: --map %q: %v", fm, err)}
		}
		m.Fields[path] = k
	}
	if d, ok := formatDecoder(format, m); ok {
		return d, nil
	}
	return nil, &usageError{msg: fmt.Sprintf("run: unknown --format %q: want one of %s",
		format, strings.Join(inputFormatNames, ", "))}
}

func openInputs(names []string, stdin io.Reader) ([]pipeline.Input, func(), error) {
	var inputs []pipeline.Input
	var files []*os.File
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	for _, n := range names {
		if n == "-" {
			inputs = append(inputs, pipeline.Input{Name: "stdin", R: stdin})
			continue
		}
		f, err := os.Open(n)
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("read input: %w", err)
		}
		if fi, err := f.Stat(); err == nil && fi.IsDir() {
			f.Close()
			closeAll()
			return nil, nil, fmt.Errorf("read input %s: is a folder; name the files", n)
		}
		files = append(files, f)
		inputs = append(inputs, pipeline.Input{Name: n, R: f})
	}
	return inputs, closeAll, nil
}

func openOutput(name string, stdout io.Writer) (io.Writer, string, error) {
	if name == "" || name == "-" {
		return stdout, "standard output", nil
	}
	f, err := os.Create(name)
	if err != nil {
		return nil, "", fmt.Errorf("write output: %w", err)
	}
	return f, name, nil
}

func printSummary(w io.Writer, s pipeline.Stats, l *loaded, outName string) {
	var formats []string
	for _, name := range slices.Sorted(maps.Keys(s.ByFormat)) {
		formats = append(formats, fmt.Sprintf("%s %d", name, s.ByFormat[name]))
	}
	byFormat := ""
	if len(formats) > 0 {
		byFormat = " (" + strings.Join(formats, ", ") + ")"
	}
	fmt.Fprintf(w, "iocflow: events: %d read, %d decoded%s, %d malformed; %d field values skipped\n",
		s.Read, s.Decoded, byFormat, s.Malformed, s.SkippedValues)
	l.report(w)
	fmt.Fprintf(w, "iocflow: verdicts: %d written to %s\n", s.Verdicts, outName)
}
