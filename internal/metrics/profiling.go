package metrics

import (
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/grafana/pyroscope-go"

	"github.com/iocflow/iocflow/internal/config"
	"github.com/iocflow/iocflow/internal/logkey"
)

// ProfilingConfig is the "profiling" section of the config file:
// continuous profiling pushed to a Pyroscope server. Off while
// ServerAddress is empty.
type ProfilingConfig struct {
	// ServerAddress is the Pyroscope server's base URL
	// ("http://pyroscope:4040"). Empty turns profiling off (the default).
	ServerAddress string `yaml:"server_address"`
	// ApplicationName names the profiles. Default "iocflow".
	ApplicationName string `yaml:"application_name"`
	// UploadRate is how often profiles are pushed. Default 15s.
	UploadRate config.Duration `yaml:"upload_rate"`
	// Tags are added to every profile (deployment, worker).
	Tags map[string]string `yaml:"tags"`
}

// Defaults fills in the zero fields.
func (c *ProfilingConfig) Defaults() {
	if c.ApplicationName == "" {
		c.ApplicationName = "iocflow"
	}
	if c.UploadRate == 0 {
		c.UploadRate = config.Duration(15 * time.Second)
	}
}

// Validate returns every problem of c, after Defaults.
func (c *ProfilingConfig) Validate() error {
	var p config.Problems
	if c.ServerAddress != "" {
		u, err := url.Parse(c.ServerAddress)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.Add("server_address", "want an http or https URL, got %q", c.ServerAddress)
		}
	}
	if c.UploadRate.D() < time.Second {
		p.Add("upload_rate", "must be at least 1s, got %v", c.UploadRate.D())
	}
	return p.Err()
}

// Profiler is a running continuous profiler.
type Profiler struct{ p *pyroscope.Profiler }

// StartProfiling starts pushing CPU, allocation and goroutine profiles, or
// returns nil when cfg has no server address. The address is logged
// without its user information.
func StartProfiling(cfg ProfilingConfig, logger *slog.Logger) (*Profiler, error) {
	if cfg.ServerAddress == "" {
		return nil, nil
	}
	p, err := pyroscope.Start(pyroscope.Config{
		ApplicationName: cfg.ApplicationName,
		ServerAddress:   cfg.ServerAddress,
		UploadRate:      cfg.UploadRate.D(),
		Tags:            cfg.Tags,
		ProfileTypes: []pyroscope.ProfileType{
			pyroscope.ProfileCPU, pyroscope.ProfileAllocObjects, pyroscope.ProfileAllocSpace,
			pyroscope.ProfileInuseObjects, pyroscope.ProfileInuseSpace,
			pyroscope.ProfileGoroutines,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("start profiling: %w", err)
	}
	u, _ := url.Parse(cfg.ServerAddress)
	u.User = nil
	logger.Info("continuous profiling started", logkey.Address, u.String())
	return &Profiler{p: p}, nil
}

// Stop flushes the last profiles and stops. A nil Profiler does nothing.
func (p *Profiler) Stop() error {
	if p == nil {
		return nil
	}
	return p.p.Stop()
}
