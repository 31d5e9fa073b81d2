package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/iocflow/iocflow/internal/logkey"
	"github.com/iocflow/iocflow/pipeline"
	"github.com/iocflow/iocflow/sinks/kafkatopic"
)

// service holds the parts of `iocflow run --config` that the consumer
// writes into or that run beside it: the verdict outputs, the stream's
// enrichment and sighting sink, enforcement and the feeds side. They stop
// in the reverse order of their start, after the consumer has drained.
type service struct {
	cfg    *fileConfig
	logger *slog.Logger
	pipe   pipeline.Config // cfg.Pipeline with Enrich and Sightings set
	// reg receives the metrics of parts that have their own (the verdict
	// consumer of enforcement).
	reg     prometheus.Registerer
	outputs []pipeline.Output
	stops   []func() error
}

// onStop registers f to run at stop.
func (s *service) onStop(f func() error) { s.stops = append(s.stops, f) }

// stop stops every part started, the last first; it may be called again.
// Errors are logged: the work they concern was either acknowledged
// already or will be read again.
func (s *service) stop() {
	for i := len(s.stops) - 1; i >= 0; i-- {
		if err := s.stops[i](); err != nil && !errors.Is(err, context.Canceled) {
			s.logger.Warn("part stopped with an error", logkey.Err, err)
		}
	}
	s.stops = nil
}

// start starts the parts the config asks for. On error, what was started
// is stopped by stop.
func (s *service) start(ctx context.Context) error {
	cfg := s.cfg
	verdicts := kafkatopic.New(cfg.Sinks.VerdictTopic, cfg.Kafka.ClientID)
	s.onStop(verdicts.Close)
	s.outputs = append(s.outputs, pipeline.Output{Name: "verdict_topic", Sink: verdicts})

	ch, err := openClickHouse(ctx, cfg.Sinks.ClickHouse, s.logger)
	if err != nil {
		return err
	}
	if ch != nil {
		s.onStop(ch.close)
		s.outputs = append(s.outputs, pipeline.Output{Name: "clickhouse", Sink: ch.sink})
		s.pipe.Sightings = ch.sightings()
	}
	if err := s.startEnrich(); err != nil {
		return err
	}
	if err := s.startEnforcement(ch); err != nil {
		return err
	}
	fs, err := startFeeds(ctx, cfg, ch, s.logger)
	if err != nil {
		return err
	}
	if fs != nil {
		s.onStop(fs.close)
	}
	return nil
}

// startEnrich builds the enricher of every lane and runs its reloads.
func (s *service) startEnrich() error {
	en, err := s.cfg.Enrich.newEnricher(s.logger)
	if err != nil || en == nil {
		return err
	}
	s.pipe.Enrich = en
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- en.Run(ctx) }()
	s.onStop(func() error {
		cancel()
		<-done
		if en.Geo != nil {
			en.Geo.Close()
		}
		return nil
	})
	return nil
}

// startEnforcement starts the enforcement service when the section has
// rules, with ClickHouse's audit copy when configured. With source
// "in_process" the service is a verdict output and sees this worker's
// verdicts; with "topic" (the default) it reads the verdict topic in its
// own consumer group, and so sees every worker's.
func (s *service) startEnforcement(ch *chParts) error {
	c := s.cfg.Enforcement
	if c == nil || len(c.Policy.Rules) == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	svc, wait, err := startEnforcement(ctx, c, s.logger, ch.auditCopies()...)
	if err != nil {
		cancel()
		return err
	}
	if c.Source == sourceInProcess {
		s.outputs = append(s.outputs, pipeline.Output{Name: "enforcement", Sink: svc})
		s.onStop(func() error {
			cancel()
			return wait()
		})
		return nil
	}
	stopVerdicts := runVerdicts(newVerdicts(s.cfg, svc, s.reg, s.logger))
	s.onStop(func() error {
		err := stopVerdicts()
		cancel()
		return errors.Join(err, wait())
	})
	return nil
}
