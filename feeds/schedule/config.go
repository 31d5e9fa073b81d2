package schedule

import (
	"fmt"
	"net/url"
	"time"

	"github.com/iocflow/iocflow/internal/config"
)

// Defaults of a feed's schedule.
const (
	DefaultInterval = time.Hour
	DefaultMinKeep  = 0.5
	DefaultMaxBytes = 1 << 30
	// minInterval keeps a misconfigured feed from hammering its server.
	minInterval = time.Minute
)

// Config is the feeds section of the configuration file: the feeds that
// are fetched on a schedule.
type Config struct {
	// Feeds lists the scheduled feeds.
	Feeds []FeedConfig `yaml:"feeds"`
}

// FeedConfig is one scheduled feed.
type FeedConfig struct {
	// Name names the feed in indicator sources, logs and the store; it must
	// be unique. Required.
	Name string `yaml:"name"`
	// URL is where the feed is fetched from, http or https, with
	// conditional requests. Exactly one of URL and Path is set.
	URL string `yaml:"url"`
	// Path is a local file read again when its size or modification time
	// changes.
	Path string `yaml:"path"`
	// Format is the name of the feed's format ("stix", "et", "csv",
	// "list"). Empty: detected on the first good load and expected ever
	// after. A refresh in another format is refused.
	Format string `yaml:"format"`
	// Interval is the time between refreshes. Default 1h, at least 1m.
	Interval config.Duration `yaml:"interval"`
	// MinKeep refuses a refresh that keeps fewer than this fraction of the
	// indicators in force (a sudden collapse); the same collapsed content
	// seen on three refreshes in a row is accepted as a real shrink.
	// Default 0.5; 1 refuses any shrink until confirmed.
	MinKeep float64 `yaml:"min_keep"`
	// MaxBytes bounds the size of one fetch; a larger feed fails to
	// refresh. Default 1GiB.
	MaxBytes config.Size `yaml:"max_bytes"`
}

// Defaults fills in every unset field.
func (c *Config) Defaults() {
	for i := range c.Feeds {
		f := &c.Feeds[i]
		if f.Interval == 0 {
			f.Interval = config.Duration(DefaultInterval)
		}
		if f.MinKeep == 0 {
			f.MinKeep = DefaultMinKeep
		}
		if f.MaxBytes == 0 {
			f.MaxBytes = DefaultMaxBytes
		}
	}
}

// Validate returns every problem of c at once, each with its key path,
// given the names of the formats the binary knows. Call it after Defaults.
func (c *Config) Validate(formats []string) error {
	var p config.Problems
	seen := map[string]bool{}
	for i, f := range c.Feeds {
		at := fmt.Sprintf("feeds[%d]", i)
		switch {
		case f.Name == "":
			p.Add(at+".name", "required")
		case seen[f.Name]:
			p.Add(at+".name", "feed %q is named twice", f.Name)
		}
		seen[f.Name] = true
		validateSource(&p, at, f)
		if f.Format != "" && !contains(formats, f.Format) {
			p.Add(at+".format", "unknown format %q; known: %v", f.Format, formats)
		}
		if f.Interval.D() < minInterval {
			p.Add(at+".interval", "must be at least %s", minInterval)
		}
		if f.MinKeep <= 0 || f.MinKeep > 1 {
			p.Add(at+".min_keep", "must be more than 0 and at most 1")
		}
		if f.MaxBytes <= 0 {
			p.Add(at+".max_bytes", "must be positive")
		}
	}
	return p.Err()
}

func validateSource(p *config.Problems, at string, f FeedConfig) {
	switch {
	case f.URL == "" && f.Path == "":
		p.Add(at, "one of url and path is required")
		return
	case f.URL != "" && f.Path != "":
		p.Add(at, "url and path are both set; keep one")
		return
	case f.Path != "":
		return
	}
	u, err := url.Parse(f.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The URL is not quoted back: its query may hold an API key.
		p.Add(at+".url", "want an absolute http or https URL")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
