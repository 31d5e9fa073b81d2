package enforce

import (
	"errors"
	"fmt"
	"time"

	"github.com/iocflow/iocflow/internal/config"
)

// Duration is the project's configuration duration ("90s", "24h"), the
// same in YAML and JSON.
type Duration = config.Duration

// Config is the enforcement service's configuration (the "enforcement"
// section of the YAML file). Secrets never appear here; adapters read
// theirs from the environment or from files.
type Config struct {
	// DryRun evaluates, guards and audits every action but sends nothing
	// to any device. Default false.
	DryRun bool `yaml:"dry_run" json:"dry_run"`
	// StateFile holds the desired state and pending approvals; it is
	// replaced atomically on every change. Default "iocflow-enforce.json".
	StateFile string `yaml:"state_file" json:"state_file"`
	// AuditFile is the append-only JSON-lines audit trail. Default
	// "iocflow-audit.jsonl".
	AuditFile string `yaml:"audit_file" json:"audit_file"`
	// Allowlist entries are never acted on, whatever the policy says. The
	// syntax is the feed allowlist's (an address or CIDR block, "name" for
	// one domain, ".name" or "*.name" for a domain and everything under it,
	// an exact URL) plus "user NAME", "host NAME" and "mailbox ADDRESS".
	// Default empty.
	Allowlist []string `yaml:"allowlist" json:"allowlist"`
	// AllowlistFile names a file of further entries, one per line, '#'
	// comments. Default none.
	AllowlistFile string `yaml:"allowlist_file" json:"allowlist_file"`
	// SkipDefaultAllowlist turns off the shipped protected ranges and names
	// (loopback, private, link-local, multicast, documentation; localhost,
	// .local, example.com ...). Default false: they are protected.
	SkipDefaultAllowlist bool `yaml:"skip_default_allowlist" json:"skip_default_allowlist"`
	// ApprovalTimeout is how long a pending action (an approval rule's, or
	// one the blast radius held) waits for a decision before it lapses
	// (expired, nothing sent). It is separate from the rules' TTLs, which
	// count from when an action is applied. Default 24h.
	ApprovalTimeout Duration `yaml:"approval_timeout" json:"approval_timeout"`
	// BlastRadius limits automatic actions per adapter and window.
	BlastRadius BlastRadius `yaml:"blast_radius" json:"blast_radius"`
	// Retry says how often and how fast a failed device call is retried.
	Retry Retry `yaml:"retry" json:"retry"`
	// CallTimeout bounds one device call. Default 15s.
	CallTimeout Duration `yaml:"call_timeout" json:"call_timeout"`
	// ReconcileInterval is how often devices that can be read back are
	// compared with the desired state and repaired. Default 5m.
	ReconcileInterval Duration `yaml:"reconcile_interval" json:"reconcile_interval"`
	// Policy is the rule set in force at start, unless an admin has since
	// set one through the API (the stored one then wins; see README).
	Policy Policy `yaml:"policy" json:"policy"`
}

// BlastRadius is the most automatic actions one adapter takes in a sliding
// window; beyond it actions wait for approval and an alert is raised.
type BlastRadius struct {
	// Limit is the number of automatic actions per adapter and window.
	// Default 50.
	Limit int `yaml:"limit" json:"limit"`
	// Window is the sliding window. Default 10m.
	Window Duration `yaml:"window" json:"window"`
}

// Retry is the backoff of failed device calls: Base, doubled per attempt,
// capped at Max, with up to 25% jitter added.
type Retry struct {
	// Attempts is how many times applying is tried before the action is
	// marked failed. Undoing (expiry, release) is never given up; an alert
	// is raised after this many failures. Default 8.
	Attempts int `yaml:"attempts" json:"attempts"`
	// Base is the first delay. Default 2s.
	Base Duration `yaml:"base" json:"base"`
	// Max caps the delay. Default 5m.
	Max Duration `yaml:"max" json:"max"`
}

// Defaults fills in the zero fields with their documented defaults.
func (c *Config) Defaults() {
	if c.StateFile == "" {
		c.StateFile = "iocflow-enforce.json"
	}
	if c.AuditFile == "" {
		c.AuditFile = "iocflow-audit.jsonl"
	}
	if c.ApprovalTimeout == 0 {
		c.ApprovalTimeout = Duration(DefaultApprovalTimeout)
	}
	if c.BlastRadius.Limit == 0 {
		c.BlastRadius.Limit = 50
	}
	if c.BlastRadius.Window == 0 {
		c.BlastRadius.Window = Duration(10 * time.Minute)
	}
	if c.Retry.Attempts == 0 {
		c.Retry.Attempts = 8
	}
	if c.Retry.Base == 0 {
		c.Retry.Base = Duration(2 * time.Second)
	}
	if c.Retry.Max == 0 {
		c.Retry.Max = Duration(5 * time.Minute)
	}
	if c.CallTimeout == 0 {
		c.CallTimeout = Duration(15 * time.Second)
	}
	if c.ReconcileInterval == 0 {
		c.ReconcileInterval = Duration(5 * time.Minute)
	}
	c.Policy.Defaults()
}

// Validate returns every problem of c at once, each with its key path
// under prefix (for example "enforcement").
func (c *Config) Validate(prefix string) error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: "+format, append([]any{prefix, key}, args...)...))
	}
	if c.ApprovalTimeout < Duration(time.Minute) {
		bad("approval_timeout", "must be at least 1m")
	}
	if c.BlastRadius.Limit < 1 {
		bad("blast_radius.limit", "must be at least 1")
	}
	if c.BlastRadius.Window < Duration(time.Second) {
		bad("blast_radius.window", "must be at least 1s")
	}
	if c.Retry.Attempts < 1 {
		bad("retry.attempts", "must be at least 1")
	}
	if c.Retry.Base <= 0 || c.Retry.Max < c.Retry.Base {
		bad("retry", "want 0 < base <= max")
	}
	if c.CallTimeout <= 0 {
		bad("call_timeout", "must be positive")
	}
	if c.ReconcileInterval < Duration(time.Second) {
		bad("reconcile_interval", "must be at least 1s")
	}
	if _, err := NewAllowlist(c.Allowlist, true); err != nil {
		bad("allowlist", "%w", err)
	}
	errs = append(errs, c.Policy.Validate(prefix+".policy"))
	return errors.Join(errs...)
}
