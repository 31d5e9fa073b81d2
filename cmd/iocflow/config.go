package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/iocflow/iocflow/feeds/allowlist"
	"github.com/iocflow/iocflow/feeds/schedule"
	"github.com/iocflow/iocflow/feeds/upload"
	"github.com/iocflow/iocflow/internal/config"
	"github.com/iocflow/iocflow/internal/metrics"
	"github.com/iocflow/iocflow/pipeline"
	"github.com/iocflow/iocflow/pipeline/decode"
	"github.com/iocflow/iocflow/pipeline/decode/cef"
	"github.com/iocflow/iocflow/pipeline/decode/fireeye"
	"github.com/iocflow/iocflow/pipeline/decode/hec"
	"github.com/iocflow/iocflow/pipeline/decode/jsonmap"
	"github.com/iocflow/iocflow/pipeline/decode/leef"
	"github.com/iocflow/iocflow/pipeline/decode/osquery"
	"github.com/iocflow/iocflow/pipeline/decode/proofpoint"
	"github.com/iocflow/iocflow/pipeline/decode/suricata"
	"github.com/iocflow/iocflow/pipeline/decode/sysmon"
	"github.com/iocflow/iocflow/pipeline/decode/wildfire"
	"github.com/iocflow/iocflow/pipeline/enrich"
	"github.com/iocflow/iocflow/pipeline/kafka"
	"github.com/iocflow/iocflow/sinks/clickhouse"
	"github.com/iocflow/iocflow/sinks/kafkatopic"
)

// fileConfig is the layout of the file given to `iocflow run --config`.
// Each section is owned by the package that uses it, through its Config
// type with Defaults and Validate; sections that turn a part on (the
// ClickHouse sink, enforcement, the upload API) are pointers, nil when the
// file leaves them out. examples/iocflow.yaml shows every key.
type fileConfig struct {
	Log       logConfig               `yaml:"log"`
	Kafka     kafka.Config            `yaml:"kafka"`
	Topics    topicsConfig            `yaml:"topics"`
	Pipeline  pipeline.Config         `yaml:"pipeline"`
	Enrich    enrichConfig            `yaml:"enrich"`
	Sinks     sinksConfig             `yaml:"sinks"`
	Metrics   metrics.Config          `yaml:"metrics"`
	Profiling metrics.ProfilingConfig `yaml:"profiling"`
	// Feeds lists the scheduled feeds (the top-level "feeds" key).
	Feeds       schedule.Config    `yaml:",inline"`
	Allowlist   allowlistConfig    `yaml:"allowlist"`
	API         *apiConfig         `yaml:"api"`
	Enforcement *enforcementConfig `yaml:"enforcement"`
}

// sinksConfig lists the verdict destinations of the service.
type sinksConfig struct {
	// VerdictTopic is the Kafka topic that receives every verdict.
	VerdictTopic kafkatopic.Config `yaml:"verdict_topic"`
	// ClickHouse, when present, stores verdicts and sightings.
	ClickHouse *clickhouseConfig `yaml:"clickhouse"`
}

// clickhouseConfig is the "sinks.clickhouse" section: the store's own keys
// and retro-hunting on arrival.
type clickhouseConfig struct {
	clickhouse.Config `yaml:",inline"`
	// HuntOnArrival looks every indicator the feeds side of this service
	// publishes (scheduled refreshes and uploads) up in the stored
	// sightings, and records retrospective verdicts. Default false.
	HuntOnArrival bool `yaml:"hunt_on_arrival"`
	// HuntWindow is how far back such a hunt looks ("30d", "12h").
	// Default: observable_retention.
	HuntWindow lookBack `yaml:"hunt_window"`
}

// lookBack is a duration that may also be written in days ("30d").
type lookBack time.Duration

// UnmarshalText implements encoding.TextUnmarshaler.
func (l *lookBack) UnmarshalText(b []byte) error {
	d, err := parseSince(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("want a duration such as 30d or 12h, got %q", b)
	}
	*l = lookBack(d)
	return nil
}

// topicsConfig is the "topics" section: whether the service creates the
// topics it uses when they are missing.
type topicsConfig struct {
	// Create makes the service create every missing topic at start: the
	// inputs, the dead-letter and verdict topics, and the indicator topic
	// (compacted). Existing topics are left as they are. Default false:
	// topics are the operator's, and a missing one stops the start.
	Create bool `yaml:"create"`
	// Partitions of each created topic. Default 4.
	Partitions int `yaml:"partitions"`
	// ReplicationFactor of each created topic. Default 1.
	ReplicationFactor int `yaml:"replication_factor"`
}

// enrichConfig is the "enrich" section: where who and where an event is
// about come from. With none of directory, geoip_country and geoip_asn
// set, there is no enrichment.
type enrichConfig struct {
	// Directory is a CSV or JSON file mapping users, hosts and addresses
	// to department, groups and VIP; reloaded when it changes.
	Directory string `yaml:"directory"`
	// GeoIPCountry and GeoIPASN are MaxMind databases for the country and
	// AS of matched addresses.
	GeoIPCountry string `yaml:"geoip_country"`
	GeoIPASN     string `yaml:"geoip_asn"`
	// CriticalGroups are directory groups whose members' verdicts get a
	// higher priority.
	CriticalGroups []string `yaml:"critical_groups"`
	// Internal lists the organisation's address blocks. Default RFC 1918,
	// RFC 4193 and loopback.
	Internal []string `yaml:"internal"`
	// Reload is how often the directory file is checked for a change.
	// Default 30s.
	Reload config.Duration `yaml:"reload"`
	// LDAP reads the directory from an LDAP or Active Directory server
	// instead of a file; see pipeline/enrich's README for its keys.
	LDAP *enrich.LDAPConfig `yaml:"ldap"`
	// BindingTTL is how long an address stays bound to the user and host
	// that DHCP, logon and session telemetry named. Default 8h; 0s turns
	// learning off.
	BindingTTL *config.Duration `yaml:"binding_ttl"`
}

// apiConfig is the "api" section: the indicator upload API and where the
// feeds side keeps its state.
type apiConfig struct {
	upload.Config `yaml:",inline"`
	// Listen is the address of the upload API; port 0 picks one (logged).
	// Default 127.0.0.1:9782.
	Listen string `yaml:"listen"`
	// StateDir holds the uploaded indicators (uploads.json). Default
	// "iocflow-state".
	StateDir string `yaml:"state_dir"`
}

// allowlistConfig is the "allowlist" section: values the feeds side never
// puts in force as indicators, whether a scheduled feed or an upload lists
// them (the service's counterpart of `run --allowlist`).
type allowlistConfig struct {
	// Files are allowlist files, one entry per line (format in
	// feeds/allowlist/README.md), read at start. Default none.
	Files []string `yaml:"files"`
	// Defaults keeps the shipped reserved, private and documentation
	// address ranges and names in the list. Default true.
	Defaults *bool `yaml:"defaults"`
}

// list builds the allowlist of the section.
func (a *allowlistConfig) list() (*allowlist.List, error) {
	o := allowOptions{files: a.Files, defaults: a.Defaults == nil || *a.Defaults}
	return o.list()
}

// logConfig is the "log" section.
type logConfig struct {
	// Level is debug, info, warn or error. Default info; the --log-level
	// flag overrides it.
	Level string `yaml:"level"`
}

func (c *fileConfig) defaults() {
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	c.Kafka.Defaults()
	c.Topics.defaults()
	c.Pipeline.Defaults()
	c.Enrich.defaults()
	c.Sinks.VerdictTopic.Defaults(c.Kafka.Brokers)
	if ch := c.Sinks.ClickHouse; ch != nil {
		ch.Config.Defaults()
		if ch.HuntWindow == 0 {
			ch.HuntWindow = lookBack(ch.ObservableRetention)
		}
	}
	c.Metrics.Defaults()
	c.Profiling.Defaults()
	c.Feeds.Defaults()
	if c.API != nil {
		c.API.Config.Defaults()
		if c.API.Listen == "" {
			c.API.Listen = "127.0.0.1:9782"
		}
		if c.API.StateDir == "" {
			c.API.StateDir = "iocflow-state"
		}
	}
	if c.Enforcement != nil {
		c.Enforcement.defaults(c.Kafka.Group)
	}
}

func (t *topicsConfig) defaults() {
	if t.Partitions == 0 {
		t.Partitions = 4
	}
	if t.ReplicationFactor == 0 {
		t.ReplicationFactor = 1
	}
}

func (e *enrichConfig) defaults() {
	if e.Reload == 0 {
		e.Reload = config.Duration(30 * time.Second)
	}
	if e.LDAP != nil {
		e.LDAP.Defaults()
	}
	if e.BindingTTL == nil {
		ttl := config.Duration(8 * time.Hour)
		e.BindingTTL = &ttl
	}
}

// enabled reports whether the section asks for enrichment.
func (e *enrichConfig) enabled() bool {
	return e.Directory != "" || e.GeoIPCountry != "" || e.GeoIPASN != "" || e.LDAP != nil
}

// validate returns every problem of the file, each with its key path.
func (c *fileConfig) validate() error {
	var p config.Problems
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.Log.Level)); err != nil {
		p.Add("log.level", "want debug, info, warn or error, got %q", c.Log.Level)
	}
	p.Nest("kafka", c.Kafka.Validate())
	for i, in := range c.Kafka.Inputs {
		if !isInputFormat(in.Format) && in.Format != "" {
			p.Add(fmt.Sprintf("kafka.inputs[%d].format", i), "unknown format %q: want one of %s",
				in.Format, strings.Join(inputFormatNames, ", "))
		}
	}
	p.Nest("topics", c.Topics.validate())
	p.Nest("pipeline", c.Pipeline.Validate())
	p.Nest("enrich", c.Enrich.validate())
	p.Nest("sinks.verdict_topic", c.Sinks.VerdictTopic.Validate())
	if ch := c.Sinks.ClickHouse; ch != nil {
		p.Nest("sinks", keyed(ch.Config.Validate()))
		if ch.HuntWindow <= 0 {
			p.Add("sinks.clickhouse.hunt_window", "must be positive")
		}
	}
	p.Nest("metrics", c.Metrics.Validate())
	p.Nest("profiling", c.Profiling.Validate())
	p.Nest("", c.Feeds.Validate(feedFormatNames()))
	for i, path := range c.Allowlist.Files {
		if _, err := allowlist.Load(path); err != nil {
			p.Add(fmt.Sprintf("allowlist.files[%d]", i), "%v", err)
		}
	}
	if c.API != nil {
		p.Nest("api", c.API.Config.Validate())
		if _, _, err := net.SplitHostPort(c.API.Listen); err != nil {
			p.Add("api.listen", "want host:port, got %q", c.API.Listen)
		}
	}
	if c.Enforcement != nil {
		p.Nest("", keyed(c.Enforcement.validate("enforcement")))
		if c.Enforcement.Group == c.Kafka.Group {
			p.Add("enforcement.group", "must differ from kafka.group %q", c.Kafka.Group)
		}
	}
	return p.Err()
}

func (t *topicsConfig) validate() error {
	var p config.Problems
	if t.Partitions < 1 {
		p.Add("partitions", "must be at least 1, got %d", t.Partitions)
	}
	if t.ReplicationFactor < 1 {
		p.Add("replication_factor", "must be at least 1, got %d", t.ReplicationFactor)
	}
	return p.Err()
}

func (e *enrichConfig) validate() error {
	var p config.Problems
	if _, err := e.internal(); err != nil {
		p.Add("internal", "%v", err)
	}
	if e.Reload.D() < time.Second {
		p.Add("reload", "must be at least 1s, got %v", e.Reload.D())
	}
	if e.LDAP != nil {
		if e.Directory != "" {
			p.Add("ldap", "give a directory file or an LDAP server, not both")
		}
		p.Nest("", keyed(e.LDAP.Validate("ldap")))
	}
	return p.Err()
}

// internal returns the configured internal blocks.
func (e *enrichConfig) internal() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range e.Internal {
		pfx, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("want address blocks such as 10.0.0.0/8, got %q", s)
		}
		out = append(out, pfx.Masked())
	}
	return out, nil
}

// keyed turns the errors of a Validate that writes its own key paths
// ("clickhouse.batch_rows: must be ≥ 1") into config problems at those
// paths, so that they nest like the others.
func keyed(err error) error {
	var out []error
	for _, e := range flattenErrors(err) {
		var pr *config.Problem
		if errors.As(e, &pr) {
			out = append(out, e)
			continue
		}
		path, msg, ok := strings.Cut(e.Error(), ": ")
		if !ok || strings.ContainsAny(path, " \t") {
			path, msg = "", e.Error()
		}
		out = append(out, &config.Problem{Path: path, Msg: msg})
	}
	return errors.Join(out...)
}

func flattenErrors(err error) []error {
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, flattenErrors(e)...)
	}
	return out
}

// loadConfig reads, completes and checks the config file. The error lists
// every problem found, those of decoding (unknown keys, wrong types) and
// those of validation together.
func loadConfig(path string) (*fileConfig, error) {
	return loadConfigWith(path, (*fileConfig).validate)
}

// loadConfigWith is loadConfig with the validation a command needs.
func loadConfigWith(path string, validate func(*fileConfig) error) (*fileConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	var c fileConfig
	var p config.Problems
	p.Nest("", config.Decode(data, &c))
	c.defaults()
	p.Nest("", validate(&c))
	if err := p.Err(); err != nil {
		return nil, fmt.Errorf("config %s: %d problems:\n%w", path, p.Len(), err)
	}
	return &c, nil
}

// inputFormatNames is the one list of input formats, for `run --format`
// and for the topics of the service alike: "auto" and one name per
// decoder, in order.
var inputFormatNames = []string{
	"auto", cef.FormatName, fireeye.FormatName, jsonmap.FormatName, leef.FormatName,
	osquery.FormatName, proofpoint.FormatName, hec.FormatName, suricata.FormatName,
	sysmon.FormatName, wildfire.FormatName,
}

func isInputFormat(name string) bool {
	for _, n := range inputFormatNames {
		if n == name {
			return true
		}
	}
	return false
}

// formatDecoder returns the decoder of an input format, reading generic
// JSON (and what HEC wraps) through m; ok is false for an unknown name.
// Decoders are safe for concurrent use, so one serves every lane.
func formatDecoder(format string, m jsonmap.Mapping) (dec decode.Decoder, ok bool) {
	generic := jsonmap.New(m)
	hecDec := &hec.Decoder{Generic: generic}
	switch format {
	case "auto":
		return pipeline.AutoDecoder{Routes: []pipeline.Route{
			{Marker: []byte(`"rawmsg"`), Decoder: fireeye.Decoder{}},
			{Marker: []byte(`"sourcetype"`), Decoder: hecDec},
			{Marker: []byte("CEF:"), Decoder: cef.Decoder{}},
			{Marker: []byte("LEEF:"), Decoder: leef.Decoder{}},
			{Marker: []byte("Microsoft-Windows-Sysmon"), Decoder: sysmon.Decoder{}},
			{Marker: []byte("Microsoft-Windows-Security-Auditing"), Decoder: sysmon.Decoder{}},
			{Marker: []byte(`"calendarTime"`), Decoder: osquery.Decoder{}},
			{Marker: []byte(`"threatsInfoMap"`), Decoder: proofpoint.Decoder{}},
			{Marker: []byte(`"clickTime"`), Decoder: proofpoint.Decoder{}},
		}, EVE: suricata.Decoder{}, Generic: generic}, true
	case suricata.FormatName:
		return suricata.Decoder{}, true
	case jsonmap.FormatName:
		return generic, true
	case cef.FormatName:
		return cef.Decoder{}, true
	case leef.FormatName:
		return leef.Decoder{}, true
	case hec.FormatName:
		return hecDec, true
	case fireeye.FormatName:
		return fireeye.Decoder{}, true
	case proofpoint.FormatName:
		return proofpoint.Decoder{}, true
	case sysmon.FormatName:
		return sysmon.Decoder{}, true
	case osquery.FormatName:
		return osquery.Decoder{}, true
	case wildfire.FormatName:
		return wildfire.Decoder{}, true
	}
	return nil, false
}

// decoders returns the decoder of each input topic.
func (c *fileConfig) decoders() map[string]decode.Decoder {
	out := map[string]decode.Decoder{}
	for _, in := range c.Kafka.Inputs {
		out[in.Topic], _ = formatDecoder(in.Format, jsonmap.DefaultMapping())
	}
	return out
}

// feedFormatNames lists the names of the feed formats a scheduled feed may
// declare.
func feedFormatNames() []string {
	names := make([]string, 0, len(feedFormats))
	for _, f := range feedFormats {
		names = append(names, f.Name())
	}
	return names
}
