package clickhouse

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"time"
)

// Config is the clickhouse section of the iocflow configuration. A zero
// field means its documented default; Defaults fills them in.
type Config struct {
	// Addr lists the servers' native-protocol endpoints as host:port; the
	// client fails over between them. Default ["127.0.0.1:9000"].
	Addr []string `yaml:"addr"`
	// Database holds iocflow's tables; it is created when missing. Default
	// "iocflow".
	Database string `yaml:"database"`
	// Username for the server; default "default".
	Username string `yaml:"username"`
	// PasswordFile names a file whose first line is the password. When it
	// is empty the environment variable IOCFLOW_CLICKHOUSE_PASSWORD is used,
	// and when that is unset too, no password.
	PasswordFile string `yaml:"password_file"`
	// BatchRows is the most rows sent in one INSERT. Default 20000.
	BatchRows int `yaml:"batch_rows"`
	// FlushInterval is how long a queued row waits at most before its batch
	// is sent even if it is not full. Default 1s.
	FlushInterval time.Duration `yaml:"flush_interval"`
	// MaxPendingRows bounds the rows held in memory per table, queued and
	// in flight; writers block while it is reached, which is how a slow or
	// down server slows the pipeline. Default 200000.
	MaxPendingRows int `yaml:"max_pending_rows"`
	// RetryMax is the longest pause between two tries of a failed INSERT;
	// pauses start at 100ms and double up to it. Default 10s.
	RetryMax time.Duration `yaml:"retry_max"`
	// Timeout bounds dialling and each query or INSERT. Default 30s.
	Timeout time.Duration `yaml:"timeout"`
	// ObservableRetention is how long the observables of every event are
	// kept for retro-hunting; older days are dropped whole. Default 720h
	// (30 days).
	ObservableRetention time.Duration `yaml:"observable_retention"`
}

// Defaults fills the zero fields with their defaults.
func (c *Config) Defaults() {
	if len(c.Addr) == 0 {
		c.Addr = []string{"127.0.0.1:9000"}
	}
	if c.Database == "" {
		c.Database = "iocflow"
	}
	if c.Username == "" {
		c.Username = "default"
	}
	if c.BatchRows == 0 {
		c.BatchRows = 20000
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = time.Second
	}
	if c.MaxPendingRows == 0 {
		c.MaxPendingRows = 200000
	}
	if c.RetryMax == 0 {
		c.RetryMax = 10 * time.Second
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Second
	}
	if c.ObservableRetention == 0 {
		c.ObservableRetention = 30 * 24 * time.Hour
	}
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate returns every problem of a config that Defaults has filled, each
// with its key, joined; nil when there is none.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("clickhouse.%s: "+format, append([]any{key}, args...)...))
	}
	if len(c.Addr) == 0 {
		bad("addr", "must list at least one host:port")
	}
	for i, a := range c.Addr {
		if _, port, err := net.SplitHostPort(a); err != nil || port == "" {
			bad(fmt.Sprintf("addr[%d]", i), "%q is not host:port", a)
		}
	}
	if !identRE.MatchString(c.Database) {
		bad("database", "%q must be letters, digits and underscores", c.Database)
	}
	if c.BatchRows < 1 {
		bad("batch_rows", "must be ≥ 1")
	}
	if c.MaxPendingRows < c.BatchRows {
		bad("max_pending_rows", "must be ≥ batch_rows (%d)", c.BatchRows)
	}
	if c.FlushInterval < 10*time.Millisecond {
		bad("flush_interval", "must be ≥ 10ms")
	}
	if c.RetryMax < 100*time.Millisecond {
		bad("retry_max", "must be ≥ 100ms")
	}
	if c.Timeout < time.Second {
		bad("timeout", "must be ≥ 1s")
	}
	if c.ObservableRetention < 24*time.Hour {
		bad("observable_retention", "must be ≥ 24h")
	}
	return errors.Join(errs...)
}
