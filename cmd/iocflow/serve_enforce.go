package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/iocflow/iocflow/enforce"
	"github.com/iocflow/iocflow/internal/config"
	"github.com/iocflow/iocflow/internal/logkey"
	"github.com/iocflow/iocflow/internal/metrics"
	"github.com/iocflow/iocflow/pipeline/kafka"
)

// newVerdicts returns the consumer that feeds svc from the verdict topic,
// in the enforcement section's own group.
func newVerdicts(cfg *fileConfig, svc *enforce.Service, reg prometheus.Registerer,
	logger *slog.Logger) *kafka.Verdicts {
	k := cfg.Kafka
	k.Brokers = cfg.Sinks.VerdictTopic.Brokers
	return kafka.NewVerdicts(kafka.VerdictsConfig{Kafka: k,
		Topic: cfg.Sinks.VerdictTopic.Topic, Group: cfg.Enforcement.Group, Writer: svc,
		Registerer: reg, Logger: logger.With(logkey.Component, "pipeline/kafka/verdicts")})
}

// runVerdicts runs v until the returned stop is called; stop returns once
// v has finished the batch under way and committed it.
func runVerdicts(v *kafka.Verdicts) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- v.Run(ctx) }()
	return func() error {
		cancel()
		return <-done
	}
}

// cmdEnforce runs `iocflow enforce --config FILE`: the enforcement service
// alone, fed from the verdict topic, with its API, its EDL lists and the
// operational endpoints, until ctx ends. A deployment runs its matching
// workers without an enforcement section and one enforcer with it.
func cmdEnforce(ctx context.Context, args []string, stderr io.Writer) (int, error) {
	path, flagLevel, err := parseServeFlags("iocflow enforce", args, stderr)
	if err != nil {
		return exitUsage, err
	}
	cfg, err := loadEnforcerConfig(path)
	if err != nil {
		return exitUsage, err
	}
	logger := serviceLogger(stderr, cfg, flagLevel)
	if err := enforceAlone(ctx, cfg, logger); err != nil {
		logger.Error("enforcer stopped", logkey.Err, err)
		return exitUsage, err
	}
	return exitOK, nil
}

// enforceAlone wires the enforcer: ClickHouse's audit copy when
// configured, the service with its listeners, the verdict consumer and
// the operational endpoints (ready once the consumer is in its group).
func enforceAlone(ctx context.Context, cfg *fileConfig, logger *slog.Logger) error {
	reg := metrics.NewRegistry()
	ch, err := openClickHouse(ctx, cfg.Sinks.ClickHouse, logger)
	if err != nil {
		return err
	}
	defer ch.close()
	enfCtx, stopEnforcement := context.WithCancel(context.Background())
	defer stopEnforcement()
	svc, wait, err := startEnforcement(enfCtx, cfg.Enforcement, logger, ch.auditCopies()...)
	if err != nil {
		return err
	}
	v := newVerdicts(cfg, svc, reg, logger)
	srv, err := metrics.Serve(cfg.Metrics, reg, func() error { return nil }, func() error {
		if !v.Joined() {
			return errors.New("not a member of the verdict consumer group yet")
		}
		return nil
	}, logger.With(logkey.Component, "metrics"))
	if err != nil {
		stopEnforcement()
		return errors.Join(err, wait())
	}
	defer shutdown(srv)
	err = v.Run(ctx)
	stopEnforcement()
	err = errors.Join(err, wait())
	logger.Info("enforcer stopped")
	return err
}

// loadEnforcerConfig reads the config file of `iocflow enforce`. It is
// the service's file, decoded as strictly, but only the sections the
// enforcer uses must be valid: log, the kafka brokers and client
// settings, sinks.verdict_topic, sinks.clickhouse (the audit copy),
// metrics, profiling and enforcement, which is required. Other sections
// are ignored.
func loadEnforcerConfig(path string) (*fileConfig, error) {
	return loadConfigWith(path, (*fileConfig).validateEnforcer)
}

// validateEnforcer returns the problems of the sections `iocflow enforce`
// uses.
func (c *fileConfig) validateEnforcer() error {
	var p config.Problems
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.Log.Level)); err != nil {
		p.Add("log.level", "want debug, info, warn or error, got %q", c.Log.Level)
	}
	p.Nest("kafka", onlyKeys(c.Kafka.Validate(), "brokers", "session_timeout",
		"fetch_max_bytes"))
	p.Nest("sinks.verdict_topic", c.Sinks.VerdictTopic.Validate())
	if ch := c.Sinks.ClickHouse; ch != nil {
		p.Nest("sinks", keyed(ch.Config.Validate()))
	}
	p.Nest("metrics", c.Metrics.Validate())
	p.Nest("profiling", c.Profiling.Validate())
	e := c.Enforcement
	switch {
	case e == nil:
		p.Add("enforcement", "required: it is what `iocflow enforce` runs")
		return p.Err()
	case len(e.Policy.Rules) == 0:
		p.Add("enforcement.policy.rules", "must hold at least one rule")
	}
	p.Nest("", keyed(e.validate("enforcement")))
	if e.Source == sourceInProcess {
		p.Add("enforcement.source", "iocflow enforce reads the verdict topic; "+
			"in_process is for iocflow run")
	}
	switch e.Group {
	case "":
		p.Add("enforcement.group", "must be set, or kafka.group (it defaults to "+
			"kafka.group followed by -enforce)")
	case c.Kafka.Group:
		p.Add("enforcement.group", "must differ from kafka.group %q", c.Kafka.Group)
	}
	return p.Err()
}

// onlyKeys keeps the problems of err whose key path is one of keys or lies
// under one.
func onlyKeys(err error, keys ...string) error {
	var out []error
	for _, e := range flattenErrors(err) {
		var pr *config.Problem
		if !errors.As(e, &pr) {
			continue
		}
		for _, k := range keys {
			if pr.Path == k || strings.HasPrefix(pr.Path, k+"[") ||
				strings.HasPrefix(pr.Path, k+".") {
				out = append(out, e)
				break
			}
		}
	}
	return errors.Join(out...)
}
