package ioc

import (
	"slices"
	"strings"
	"time"
)

// Severity ranks how bad a hit on an indicator is. The zero value is
// SeverityUnknown.
type Severity uint8

// Severities from least to most severe.
const (
	SeverityUnknown Severity = iota
	SeverityInfo
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = []string{"unknown", "info", "low", "medium", "high", "critical"}

// String returns the severity's lower-case name.
func (s Severity) String() string {
	if int(s) >= len(severityNames) {
		return "unknown"
	}
	return severityNames[s]
}

// ParseSeverity reads a severity name, case-insensitively.
func ParseSeverity(s string) (Severity, bool) {
	i := slices.Index(severityNames, strings.ToLower(strings.TrimSpace(s)))
	if i < 0 {
		return SeverityUnknown, false
	}
	return Severity(i), true
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Severity) UnmarshalText(b []byte) error {
	v, ok := ParseSeverity(string(b))
	if !ok {
		return &ValueError{Value: string(b), Reason: "unknown severity"}
	}
	*s = v
	return nil
}

// Source is what one feed says about an indicator: its own id for it and its
// own view of confidence, severity, context and validity. Times are UTC; a
// zero ValidFrom means "since ever" and a zero ValidUntil "until revoked".
type Source struct {
	// Feed is the name of the feed as configured ("et-block", "opencti").
	Feed string `json:"feed"`
	// ID is the feed's own id for the record: a STIX id, a list line
	// ("line 42"), a MISP attribute uuid.
	ID string `json:"id"`
	// Original is the value as the feed wrote it, when canonicalisation or
	// refanging changed it.
	Original string `json:"original,omitempty"`
	// Pattern is the STIX pattern text the value came from, if any.
	Pattern string `json:"pattern,omitempty"`
	// Confidence is 0 to 100.
	Confidence  int       `json:"confidence"`
	Severity    Severity  `json:"severity"`
	ThreatTypes []string  `json:"threat_types,omitempty"`
	Malware     []string  `json:"malware,omitempty"`
	Campaigns   []string  `json:"campaigns,omitempty"`
	Actors      []string  `json:"threat_actors,omitempty"`
	KillChain   []string  `json:"kill_chain,omitempty"`
	FirstSeen   time.Time `json:"first_seen,omitzero"`
	Modified    time.Time `json:"modified,omitzero"`
	ValidFrom   time.Time `json:"valid_from,omitzero"`
	ValidUntil  time.Time `json:"valid_until,omitzero"`
	Revoked     bool      `json:"revoked,omitempty"`
}

// IsActive reports whether the source vouches for its indicator at time t:
// not revoked, and t within [ValidFrom, ValidUntil).
func (s *Source) IsActive(t time.Time) bool {
	if s.Revoked {
		return false
	}
	if !s.ValidFrom.IsZero() && t.Before(s.ValidFrom) {
		return false
	}
	return s.ValidUntil.IsZero() || t.Before(s.ValidUntil)
}

// Indicator is one canonical value of one type, with every feed that lists
// it. The same (Type, Value) from several feeds is one Indicator with
// several Sources. An Indicator handed to the matcher is immutable.
type Indicator struct {
	// ID is stable across feeds and restarts: "<type>:<canonical value>".
	// It keys the compacted indicator topic.
	ID    string `json:"id"`
	Type  Type   `json:"type"`
	Value string `json:"value"`
	// Sources has one entry per (feed, feed id), in the order merged.
	Sources []Source `json:"sources"`
}

// NewIndicator returns an indicator with one source. The value must already
// be canonical for its type.
func NewIndicator(t Type, canonical string, src Source) *Indicator {
	return &Indicator{ID: MakeID(t, canonical), Type: t, Value: canonical, Sources: []Source{src}}
}

// MakeID returns the indicator id of a canonical value.
func MakeID(t Type, canonical string) string { return t.String() + ":" + canonical }

// Merge adds the sources of o, which must have the same ID, to in. A source
// with the same (Feed, ID) as one already present replaces it when its
// Modified time is not older: the newest version of a record wins.
func (in *Indicator) Merge(o *Indicator) {
	for _, s := range o.Sources {
		in.AddSource(s)
	}
}

// AddSource adds or replaces one source; see Merge.
func (in *Indicator) AddSource(s Source) {
	for i := range in.Sources {
		old := &in.Sources[i]
		if old.Feed == s.Feed && old.ID == s.ID {
			if !s.Modified.Before(old.Modified) {
				*old = s
			}
			return
		}
	}
	in.Sources = append(in.Sources, s)
}

// IsActive reports whether any source vouches for the indicator at t.
func (in *Indicator) IsActive(t time.Time) bool {
	for i := range in.Sources {
		if in.Sources[i].IsActive(t) {
			return true
		}
	}
	return false
}

// Assessment is the combined view of the sources active at one time.
type Assessment struct {
	// Confidence combines the sources as independent witnesses:
	// 100 * (1 - product of (1 - c/100)). Two feeds at 60 give 84.
	Confidence int
	// Severity is the highest of the active sources.
	Severity    Severity
	ThreatTypes []string
	Malware     []string
	Campaigns   []string
	Actors      []string
}

// Assess combines the sources active at t. It returns false when none is.
func (in *Indicator) Assess(t time.Time) (Assessment, bool) {
	var a Assessment
	miss := 1.0
	n := 0
	for i := range in.Sources {
		s := &in.Sources[i]
		if !s.IsActive(t) {
			continue
		}
		n++
		miss *= 1 - float64(min(max(s.Confidence, 0), 100))/100
		a.Severity = max(a.Severity, s.Severity)
		a.ThreatTypes = appendNew(a.ThreatTypes, s.ThreatTypes)
		a.Malware = appendNew(a.Malware, s.Malware)
		a.Campaigns = appendNew(a.Campaigns, s.Campaigns)
		a.Actors = appendNew(a.Actors, s.Actors)
	}
	a.Confidence = int(100*(1-miss) + 0.5)
	return a, n > 0
}

func appendNew(dst, src []string) []string {
	for _, s := range src {
		if !slices.Contains(dst, s) {
			dst = append(dst, s)
		}
	}
	return dst
}

// Observable is one typed value found in an event. Value is canonical for
// its Type. Field names where it came from, in the source format's own
// dotted path ("dest_ip", "dns.answers.rdata", "tls.sni"), so that a verdict
// can say which field matched.
type Observable struct {
	Type  Type   `json:"type"`
	Value string `json:"value"`
	Field string `json:"field"`
}
