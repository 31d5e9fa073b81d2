package enforce

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/iocflow/iocflow/feeds/ioc"
)

// DefaultTTL is the time to live of a rule that does not set one.
const DefaultTTL = 24 * time.Hour

// DefaultApprovalTimeout is how long a pending action waits for approval
// when enforcement.approval_timeout is not set.
const DefaultApprovalTimeout = 24 * time.Hour

// Policy is the ordered rule set that maps findings to actions. A finding
// may match several rules; the first rule that yields an action for a
// given (target, adapter) wins. A Policy is a plain value; the Service
// copies it when it is set.
type Policy struct {
	Rules []Rule `yaml:"rules" json:"rules"`
}

// Rule maps findings that match to one kind of action on some adapters.
type Rule struct {
	// Name identifies the rule in audit records; unique, required.
	Name string `yaml:"name" json:"name"`
	// Match selects the findings the rule acts on.
	Match Match `yaml:"match" json:"match"`
	// Action is the kind of action: block_ip, block_cidr, block_domain,
	// block_url, quarantine_message, restrict_user or isolate_host.
	Action Kind `yaml:"action" json:"action"`
	// Mode is automatic, or approval (the default): pending until an
	// approver approves.
	Mode Mode `yaml:"mode" json:"mode"`
	// TTL is how long the action stays in force before it is undone,
	// counted from when it is applied (sent to the device), so time spent
	// waiting for approval or retrying does not shorten it. How long an
	// action waits for approval is enforcement.approval_timeout. Default
	// 24h.
	TTL Duration `yaml:"ttl" json:"ttl"`
	// Adapters names the adapters the action goes to; required.
	Adapters []string `yaml:"adapters" json:"adapters"`
}

// Match selects findings. Every field that is set must hold; an empty
// Match matches everything.
type Match struct {
	// Types lists indicator types (ipv4, domain, url, ...); empty is any.
	Types []ioc.Type `yaml:"types" json:"types,omitempty"`
	// MinSeverity is the lowest severity acted on; default unknown (any).
	MinSeverity ioc.Severity `yaml:"min_severity" json:"min_severity,omitzero"`
	// MinConfidence is the lowest confidence, 0 to 100; default 0.
	MinConfidence int `yaml:"min_confidence" json:"min_confidence,omitempty"`
	// Feeds: at least one of the finding's feeds must be listed; empty is
	// any.
	Feeds []string `yaml:"feeds" json:"feeds,omitempty"`
	// Departments: the affected department must be listed; empty is any.
	Departments []string `yaml:"departments" json:"departments,omitempty"`
	// VIP, when set, requires the affected person to be (true) or not to
	// be (false) a VIP; unset is either.
	VIP *bool `yaml:"vip" json:"vip,omitempty"`
	// Retrospective says whether the rule acts on retro-hunting's verdicts:
	// false (the default) on live verdicts only, true on retrospective
	// ones only, any on both. See the paragraph "Retrospective verdicts" in this
	// package's README.
	Retrospective Retro `yaml:"retrospective" json:"retrospective,omitzero"`
}

// Retro is the retrospective key of a Match. The zero value, RetroLive,
// keeps a rule to live verdicts, so that policies written before
// retrospective verdicts reached enforcement do not start acting on them.
type Retro uint8

// The values of Retro.
const (
	// RetroLive ("false") matches live verdicts only.
	RetroLive Retro = iota
	// RetroOnly ("true") matches retrospective verdicts only.
	RetroOnly
	// RetroAny ("any") matches both.
	RetroAny
)

var retroNames = [...]string{RetroLive: "false", RetroOnly: "true", RetroAny: "any"}

// String returns the value as written in configs.
func (r Retro) String() string {
	if int(r) >= len(retroNames) {
		return "invalid"
	}
	return retroNames[r]
}

// Matches reports whether a finding with the given retrospective flag
// passes r.
func (r Retro) Matches(retrospective bool) bool {
	return r == RetroAny || (r == RetroOnly) == retrospective
}

// MarshalText implements encoding.TextMarshaler.
func (r Retro) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler: true, false or any.
func (r *Retro) UnmarshalText(b []byte) error {
	for i, n := range retroNames {
		if string(b) == n {
			*r = Retro(i)
			return nil
		}
	}
	return &ValueError{What: "retrospective", Value: string(b), Reason: "want true, false or any"}
}

// MarshalJSON writes true and false as JSON booleans and any as a string.
func (r Retro) MarshalJSON() ([]byte, error) {
	if r == RetroAny {
		return []byte(`"any"`), nil
	}
	return r.MarshalText()
}

// UnmarshalJSON reads a JSON boolean or one of the strings UnmarshalText
// takes.
func (r *Retro) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	return r.UnmarshalText(bytes.Trim(b, `"`))
}

// Defaults fills in rule TTLs.
func (p *Policy) Defaults() {
	for i := range p.Rules {
		if p.Rules[i].TTL == 0 {
			p.Rules[i].TTL = Duration(DefaultTTL)
		}
	}
}

// Validate returns every problem of p, each with its key path under
// prefix. Adapter names are checked against the adapters in use by New
// and SetPolicy, not here.
func (p *Policy) Validate(prefix string) error {
	var errs []error
	seen := map[string]bool{}
	for i, r := range p.Rules {
		key := fmt.Sprintf("%s.rules[%d]", prefix, i)
		bad := func(field, msg string) {
			errs = append(errs, fmt.Errorf("%s.%s: %s", key, field, msg))
		}
		switch {
		case r.Name == "":
			bad("name", "required")
		case seen[r.Name]:
			bad("name", fmt.Sprintf("%q used by an earlier rule", r.Name))
		}
		seen[r.Name] = true
		if !r.Action.IsValid() {
			bad("action", "required")
		}
		if r.TTL <= 0 {
			bad("ttl", "must be positive")
		}
		if len(r.Adapters) == 0 {
			bad("adapters", "name at least one adapter")
		}
		if r.Match.MinConfidence < 0 || r.Match.MinConfidence > 100 {
			bad("match.min_confidence", "must be 0 to 100")
		}
	}
	return errors.Join(errs...)
}

// Matches reports whether f satisfies m.
func (m *Match) Matches(f *Finding) bool {
	if len(m.Types) > 0 && !slices.Contains(m.Types, f.Type) {
		return false
	}
	if f.Severity < m.MinSeverity || f.Confidence < m.MinConfidence {
		return false
	}
	if len(m.Feeds) > 0 && !slices.ContainsFunc(f.Feeds, func(s string) bool {
		return slices.Contains(m.Feeds, s)
	}) {
		return false
	}
	if len(m.Departments) > 0 && !slices.Contains(m.Departments, f.Department) {
		return false
	}
	if !m.Retrospective.Matches(f.Retrospective) {
		return false
	}
	return m.VIP == nil || *m.VIP == f.VIP
}

// Proposal is one action a rule asks for, before the guards.
type Proposal struct {
	Rule    *Rule
	Target  Target
	Adapter string
}

// Evaluate returns the proposals of every rule that matches f, in rule
// order, one per (target, adapter). A rule whose kind has no target in f
// (block_ip on a domain hit, restrict_user without a user) yields nothing.
func (p *Policy) Evaluate(f *Finding, dst []Proposal) []Proposal {
	for i := range p.Rules {
		r := &p.Rules[i]
		if !r.Match.Matches(f) {
			continue
		}
		t, ok := TargetOf(r.Action, f)
		if !ok {
			continue
		}
		for _, a := range r.Adapters {
			if !slices.ContainsFunc(dst, func(q Proposal) bool {
				return q.Adapter == a && q.Target.Key() == t.Key()
			}) {
				dst = append(dst, Proposal{Rule: r, Target: t, Adapter: a})
			}
		}
	}
	return dst
}

// TargetOf returns what an action of kind k acts on for finding f:
//
//   - block_ip: the address observable that matched, else the indicator
//     when it is a single address;
//   - block_cidr: the indicator's address or block;
//   - block_domain: the indicator's domain, or the host of a URL indicator;
//   - block_url: the indicator's URL;
//   - quarantine_message: the message (mailbox and message id);
//   - restrict_user, isolate_host: the affected user or host.
func TargetOf(k Kind, f *Finding) (Target, bool) {
	t := Target{Kind: k}
	switch k {
	case BlockIP:
		if p, ok := ioc.IPKey(f.Observable.Type, f.Observable.Value); ok && p.IsSingleIP() {
			t.Value = ioc.FormatPrefix(p)
		} else if p, ok := ioc.IPKey(f.Type, f.Value); ok && p.IsSingleIP() {
			t.Value = ioc.FormatPrefix(p)
		}
	case BlockCIDR:
		if p, ok := ioc.IPKey(f.Type, f.Value); ok {
			t.Value = ioc.FormatPrefix(p)
		}
	case BlockDomain:
		t.Value = domainOf(f)
	case BlockURL:
		// A verdict's value is canonical when iocflow wrote it, but one
		// read from a topic may not be: canonicalise, so that the
		// allowlist and the deduplication see what the device will.
		if f.Type == ioc.URL {
			t.Value, _ = ioc.CanonicalURL(f.Value)
		}
	case QuarantineMessage:
		if f.Mailbox != "" && f.MessageID != "" {
			t.Value, t.Mailbox = f.MessageID, strings.ToLower(f.Mailbox)
		}
	case RestrictUser:
		t.Value = f.User
	case IsolateHost:
		t.Value = strings.ToLower(f.Host)
	}
	return t, t.Value != ""
}

func domainOf(f *Finding) string {
	switch f.Type {
	case ioc.Domain:
		d, _ := ioc.CanonicalDomain(f.Value)
		return d
	case ioc.URL:
		u, err := ioc.CanonicalURL(f.Value)
		if err != nil {
			return ""
		}
		h := ioc.URLHost(u)
		if d, err := ioc.CanonicalDomain(h); err == nil && !strings.HasPrefix(h, "[") {
			if _, err := ioc.ParseAddr(h); err != nil {
				return d
			}
		}
	}
	return ""
}
