// Package metrics serves iocflow's operational endpoints: Prometheus
// metrics, liveness and readiness, and starts optional continuous
// profiling. Each package defines and registers its own metrics on the
// registry it is given; this package only exposes them.
//
// A Server is started once and is safe for concurrent use.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/iocflow/iocflow/internal/config"
	"github.com/iocflow/iocflow/internal/logkey"
)

// Config is the "metrics" section of the config file.
type Config struct {
	// Listen is the host:port of the HTTP server for /metrics, /healthz and
	// /readyz; port 0 picks a free one (logged at start). Default
	// 127.0.0.1:9464.
	Listen string `yaml:"listen"`
}

// Defaults fills in the zero fields.
func (c *Config) Defaults() {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:9464"
	}
}

// Validate returns every problem of c, after Defaults.
func (c *Config) Validate() error {
	var p config.Problems
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		p.Add("listen", "want host:port, got %q", c.Listen)
	}
	return p.Err()
}

// NewRegistry returns a registry with the Go runtime and process
// collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(
		collectors.ProcessCollectorOpts{}))
	return reg
}

// Check reports whether a part is healthy or ready; nil means yes, an
// error says why not.
type Check func() error

// Server is the HTTP server of the operational endpoints.
type Server struct {
	srv  *http.Server
	ln   net.Listener
	done chan error
}

// Serve starts the server on cfg.Listen. /healthz answers 200 while live
// returns nil, /readyz while ready returns nil (503 with the reason
// otherwise), /metrics serves reg.
func Serve(cfg Config, reg *prometheus.Registry, live, ready Check,
	logger *slog.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen for metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", checkHandler(live))
	mux.HandleFunc("GET /readyz", checkHandler(ready))
	s := &Server{
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second,
			ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)},
		ln:   ln,
		done: make(chan error, 1),
	}
	go func() { s.done <- s.srv.Serve(ln) }()
	logger.Info("metrics server listening", logkey.Address, ln.Addr().String())
	return s, nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Shutdown stops the server, waiting for requests in flight until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if serveErr := <-s.done; !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
		err = serveErr
	}
	return err
}

func checkHandler(check Check) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := check(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, err)
			return
		}
		fmt.Fprintln(w, "ok")
	}
}
