package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/publish"
	"github.com/iocflow/iocflow/internal/logkey"
	"github.com/iocflow/iocflow/internal/metrics"
	"github.com/iocflow/iocflow/matcher"
	"github.com/iocflow/iocflow/pipeline"
	"github.com/iocflow/iocflow/pipeline/kafka"
	"github.com/iocflow/iocflow/sinks/kafkatopic"
)

// configArg returns the value of a --config flag in args, if any, so that
// `iocflow run --config FILE` runs the service instead of embedded mode.
func configArg(args []string) (string, bool) {
	for i, a := range args {
		for _, name := range []string{"-config", "--config"} {
			if a == name && i+1 < len(args) {
				return args[i+1], true
			}
			if v, ok := cutPrefix(a, name+"="); ok {
				return v, true
			}
		}
	}
	return "", false
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return "", false
}

// parseServeFlags reads the flags of `iocflow run --config FILE`.
func parseServeFlags(name string, args []string, stderr io.Writer) (string, *levelFlag, error) {
	var path string
	var level levelFlag
	set := false
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&path, "config", "", "YAML config `file` (see examples/iocflow.yaml)")
	fs.Func("log-level", "log `level`, overriding the config: debug, info, warn or error",
		func(s string) error { set = true; return level.Set(s) })
	if err := fs.Parse(args); err != nil {
		return "", nil, err
	}
	if fs.NArg() > 0 {
		return "", nil, &usageError{msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if path == "" {
		return "", nil, &usageError{msg: "no --config file"}
	}
	if !set {
		return path, nil, nil
	}
	return path, &level, nil
}

// serviceLogger builds the process logger from the config and the flag.
func serviceLogger(stderr io.Writer, cfg *fileConfig, flagLevel *levelFlag) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.Log.Level)) // validated
	if flagLevel != nil {
		lvl = flagLevel.Level
	}
	return newLogger(stderr, lvl)
}

// cmdServe runs the Kafka service until ctx ends (SIGTERM, SIGINT), then
// drains, commits and exits.
func cmdServe(ctx context.Context, args []string, stderr io.Writer) (int, error) {
	path, flagLevel, err := parseServeFlags("iocflow run", args, stderr)
	if err != nil {
		return exitUsage, err
	}
	cfg, err := loadConfig(path)
	if err != nil {
		return exitUsage, err
	}
	logger := serviceLogger(stderr, cfg, flagLevel)
	if err := serve(ctx, cfg, logger); err != nil {
		logger.Error("service stopped", logkey.Err, err)
		return exitUsage, err
	}
	return exitOK, nil
}

// serve wires the service: the optional parts first (sinks, enrichment,
// enforcement, the feeds side), then the indicators, and the consumer
// once they are loaded; the operational endpoints throughout. On stop the
// consumer drains into the parts, which then stop in reverse order.
func serve(ctx context.Context, cfg *fileConfig, logger *slog.Logger) error {
	reg := metrics.NewRegistry()
	stageMetrics := pipeline.NewMetrics(reg)
	kafkaMetrics := kafka.NewMetrics(reg)
	prof, err := metrics.StartProfiling(cfg.Profiling, logger.With(logkey.Component, "profiling"))
	if err != nil {
		return err
	}
	defer prof.Stop()
	if cfg.Topics.Create {
		if err := createTopics(ctx, cfg, logger.With(logkey.Component, "pipeline/kafka")); err != nil {
			return err
		}
	}
	s := &service{cfg: cfg, logger: logger, pipe: cfg.Pipeline, reg: reg}
	defer s.stop()
	if err := s.start(ctx); err != nil {
		return err
	}

	var engine matcher.Engine
	inds := kafka.NewIndicators(cfg.Kafka, &engine, kafkaMetrics,
		logger.With(logkey.Component, "pipeline/kafka/indicators"))
	dead := kafka.NewDeadLetters(cfg.Kafka)
	defer dead.Close()
	consumer := kafka.NewConsumer(kafka.ConsumerConfig{
		Kafka: cfg.Kafka, Pipeline: s.pipe, Decoders: cfg.decoders(), Engine: &engine,
		Outputs: s.outputs, DeadLetters: dead, StageMetrics: stageMetrics, Metrics: kafkaMetrics,
		Logger: logger.With(logkey.Component, "pipeline/kafka"),
	})

	// Indicators outlive the consumer, so that the drain on stop still
	// matches against them.
	indCtx, stopIndicators := context.WithCancel(context.Background())
	defer stopIndicators()
	indDone := make(chan error, 1)
	go func() { indDone <- inds.Run(indCtx) }()

	srv, err := metrics.Serve(cfg.Metrics, reg, func() error { return nil },
		readiness(inds, consumer), logger.With(logkey.Component, "metrics"))
	if err != nil {
		return err
	}
	defer shutdown(srv)

	select {
	case <-inds.Ready():
	case err := <-indDone:
		return fmt.Errorf("load indicators: %w", err)
	case <-ctx.Done():
		return nil
	}
	if err := consumer.Run(ctx); err != nil {
		return err
	}
	stopIndicators()
	<-indDone
	s.stop()
	logger.Info("service stopped")
	return nil
}

func readiness(inds *kafka.Indicators, c *kafka.Consumer) metrics.Check {
	return func() error {
		select {
		case <-inds.Ready():
		default:
			return errors.New("indicators not loaded yet")
		}
		if !c.Joined() {
			return errors.New("not a member of the consumer group yet")
		}
		return nil
	}
}

func shutdown(srv *metrics.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}

// cmdFeedsPublish runs `iocflow feeds publish --config FILE --feeds
// PATH...` (args follow "publish"): it loads the feed files, reads the
// indicator topic, and publishes what the loaded feeds change: their new
// content replaces what they said before, and what other feeds (uploads)
// said stays. With sinks.clickhouse.hunt_on_arrival it then hunts what it
// published in the stored sightings.
func cmdFeedsPublish(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	var path string
	var feedPaths listFlag
	fs := flag.NewFlagSet("iocflow feeds publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&path, "config", "", "YAML config `file`: its kafka section is used")
	fs.Var(&feedPaths, "feeds", "feed `file or folder`; repeatable")
	if err := fs.Parse(args); err != nil {
		return exitUsage, err
	}
	if path == "" || len(feedPaths) == 0 {
		return exitUsage, &usageError{msg: "feeds publish: give --config and at least one --feeds"}
	}
	cfg, err := loadConfig(path)
	if err != nil {
		return exitUsage, err
	}
	logger := serviceLogger(stderr, cfg, nil)
	n, err := publishFeeds(ctx, cfg, feedPaths, logger)
	if err != nil {
		return exitUsage, err
	}
	fmt.Fprintf(stdout, "iocflow: published %d indicator changes to %s\n", n,
		cfg.Kafka.IndicatorTopic)
	return exitOK, nil
}

// publishFeeds loads feed files and publishes their diff against the
// indicator topic; it returns the number of changes published.
func publishFeeds(ctx context.Context, cfg *fileConfig, paths []string,
	logger *slog.Logger) (int, error) {
	l, err := loadFeedsAllowing(paths, allowOptions{files: cfg.Allowlist.Files,
		defaults: cfg.Allowlist.Defaults == nil || *cfg.Allowlist.Defaults})
	if err != nil {
		return 0, err
	}
	current, err := kafka.ReadAll(ctx, cfg.Kafka, logger)
	if err != nil {
		return 0, err
	}
	changes := feeds.Diff(current, publish.Replace(current, l.results))
	p := kafka.NewPublisher(cfg.Kafka)
	defer p.Close()
	var pub feeds.Publisher = p
	var hunter *arrivalHunter
	if ch := cfg.Sinks.ClickHouse; ch != nil && ch.HuntOnArrival {
		parts, err := openClickHouse(ctx, ch, logger)
		if err != nil {
			return 0, err
		}
		defer parts.close()
		forward := kafkatopic.New(cfg.Sinks.VerdictTopic, cfg.Kafka.ClientID)
		defer forward.Close()
		hunter = newArrivalHunter(p, parts, forward)
		pub = hunter
	}
	if err := pub.Publish(ctx, changes); err != nil {
		return 0, err
	}
	logger.Info("indicator changes published", logkey.Topic, cfg.Kafka.IndicatorTopic,
		logkey.Count, len(changes))
	if hunter != nil && !hunter.huntNow(ctx) {
		return len(changes), errors.New("retro-hunt of the published indicators failed")
	}
	return len(changes), nil
}
