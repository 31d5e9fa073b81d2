package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/allowlist"
	"github.com/iocflow/iocflow/feeds/schedule"
	"github.com/iocflow/iocflow/feeds/store"
	"github.com/iocflow/iocflow/feeds/upload"
	"github.com/iocflow/iocflow/internal/logkey"
	"github.com/iocflow/iocflow/pipeline/kafka"
	"github.com/iocflow/iocflow/sinks/kafkatopic"
)

// feedsSide is the part of the service where indicators arrive: the feed
// scheduler and the upload API, both writing through one feeds/store that
// publishes changes to the indicator topic (and, with hunting on arrival,
// hunts them). It runs on the instance whose config has a "feeds" list or
// an "api" section; see README "Service mode" for why only one should.
type feedsSide struct {
	stop func()
	wait sync.WaitGroup
	errs chan error
	pub  *kafka.Publisher
	srv  *http.Server
	// forward is the arrival hunter's writer to the verdict topic; nil
	// without hunting on arrival.
	forward *kafkatopic.Sink
}

// wantsFeeds reports whether the config asks for the feeds side.
func (c *fileConfig) wantsFeeds() bool {
	return c.API != nil || len(c.Feeds.Feeds) > 0
}

// startFeeds restores the store from the indicator topic and starts the
// scheduler, the upload API and the arrival hunter; nil when the config
// asks for none of them.
func startFeeds(ctx context.Context, cfg *fileConfig, ch *chParts,
	logger *slog.Logger) (*feedsSide, error) {
	if !cfg.wantsFeeds() {
		return nil, nil
	}
	log := logger.With(logkey.Component, "feeds")
	current, err := kafka.ReadAll(ctx, cfg.Kafka, log)
	if err != nil {
		return nil, fmt.Errorf("restore feeds: %w", err)
	}
	f := &feedsSide{pub: kafka.NewPublisher(cfg.Kafka), errs: make(chan error, 3)}
	var pub feeds.Publisher = f.pub
	var hunter *arrivalHunter
	if ch != nil && ch.cfg.HuntOnArrival {
		// Retrospective verdicts go to the verdict topic too, so that the
		// enforcer can act on them (policy key match.retrospective).
		f.forward = kafkatopic.New(cfg.Sinks.VerdictTopic, cfg.Kafka.ClientID)
		hunter = newArrivalHunter(f.pub, ch, f.forward)
		pub = hunter
	}
	allow, err := cfg.Allowlist.list()
	if err != nil {
		f.pub.Close()
		return nil, fmt.Errorf("allowlist: %w", err)
	}
	st, err := newFeedStore(cfg, pub)
	if err != nil {
		f.pub.Close()
		return nil, err
	}
	st.Restore(current.Indicators())
	log.Info("feeds restored from the indicator topic", logkey.Topic, cfg.Kafka.IndicatorTopic,
		logkey.Count, current.Len())
	if cfg.API != nil {
		if err := f.listen(cfg.API, st, allow, logger); err != nil {
			f.pub.Close()
			return nil, err
		}
	}
	runCtx, cancel := context.WithCancel(context.Background())
	f.stop = cancel
	sched := schedule.New(cfg.Feeds, feedFormats, st, nil,
		logger.With(logkey.Component, "feeds/schedule"))
	sched.SetAllowlist(allow)
	f.wait.Go(func() { _ = sched.Run(runCtx) })
	if hunter != nil {
		f.wait.Go(func() { _ = hunter.Run(runCtx) })
	}
	return f, nil
}

// newFeedStore returns the store, with the durable uploads read back from
// the state folder when the upload API is on.
func newFeedStore(cfg *fileConfig, pub feeds.Publisher) (*store.Store, error) {
	o := store.Options{Publisher: pub}
	if cfg.API != nil {
		o.Dir, o.Durable = cfg.API.StateDir, []string{upload.FeedName}
	}
	return store.New(o)
}

// listen starts the upload API on its own listener.
func (f *feedsSide) listen(c *apiConfig, st *store.Store, allow *allowlist.List,
	logger *slog.Logger) error {
	tokens, err := upload.LoadTokens(c.TokensFile, os.Getenv(upload.TokensEnv))
	if err != nil {
		return fmt.Errorf("api: %w", err)
	}
	log := logger.With(logkey.Component, "feeds/upload")
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("api: listen: %w", err)
	}
	h := upload.New(c.Config, tokens, st, log)
	h.SetAllowlist(allow)
	// An upload may be tens of megabytes over a slow link, hence a generous
	// read timeout; it still ends a client that trickles a body to hold a
	// connection open.
	f.srv = &http.Server{Handler: h,
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		if err := f.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			f.errs <- err
		}
	}()
	log.Info("api server listening", logkey.Address, ln.Addr().String())
	return nil
}

// close stops the API (finishing requests under way for a few seconds),
// the scheduler and the hunter, then the publisher.
func (f *feedsSide) close() error {
	if f == nil {
		return nil
	}
	var errs []error
	if f.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, f.srv.Shutdown(ctx))
		cancel()
	}
	f.stop()
	f.wait.Wait()
	if f.forward != nil {
		errs = append(errs, f.forward.Close())
	}
	select {
	case err := <-f.errs:
		errs = append(errs, fmt.Errorf("api: %w", err))
	default:
	}
	return errors.Join(append(errs, f.pub.Close())...)
}
