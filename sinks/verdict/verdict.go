// Package verdict holds the verdict model: one record per (event, indicator)
// that says what matched, where, how bad it is and on whose word. It is a
// shared model: the pipeline produces verdicts, sinks store them and enforce
// acts on them, so it imports nothing of the project but feeds/ioc.
//
// A Verdict is a plain value; it is safe to copy and to read from several
// goroutines once built.
package verdict

import (
	"time"

	"github.com/iocflow/iocflow/feeds/ioc"
)

// Verdict is one indicator hit in one event.
type Verdict struct {
	EventID   string    `json:"event_id"`
	EventTime time.Time `json:"event_time,omitzero"`
	// Time is when the verdict was made (stamped once per batch).
	Time   time.Time `json:"verdict_time"`
	Format string    `json:"format"`
	Kind   string    `json:"kind,omitempty"`
	Origin string    `json:"origin,omitempty"`
	// Observable is the first observable of the event that matched the
	// indicator; OtherFields lists the further fields that matched it too.
	Observable  ioc.Observable `json:"observable"`
	OtherFields []string       `json:"other_fields,omitempty"`
	Indicator   Indicator      `json:"indicator"`
	Confidence  int            `json:"confidence"`
	Severity    ioc.Severity   `json:"severity"`
	ThreatTypes []string       `json:"threat_types,omitempty"`
	Malware     []string       `json:"malware,omitempty"`
	Campaigns   []string       `json:"campaigns,omitempty"`
	Actors      []string       `json:"threat_actors,omitempty"`
	// Retrospective is set on verdicts that retro-hunting found in stored
	// observables, after the event had passed the live matcher.
	Retrospective bool `json:"retrospective,omitempty"`
	// MatcherVersion is the version of the matcher snapshot that matched.
	MatcherVersion uint64 `json:"matcher_version"`
	// Priority ranks verdicts for a person's attention: the severity's rank
	// (info 1 to critical 5), raised by one for a VIP and by one for a
	// member of a critical group.
	Priority int `json:"priority"`
	// Who and where, when enrichment knows: the affected user, host and
	// department, and the country and autonomous system of the matched
	// address.
	User       string   `json:"user,omitempty"`
	Host       string   `json:"host,omitempty"`
	Department string   `json:"department,omitempty"`
	Groups     []string `json:"groups,omitempty"`
	VIP        bool     `json:"vip,omitempty"`
	Country    string   `json:"country,omitempty"`
	ASN        uint32   `json:"asn,omitempty"`
	ASOrg      string   `json:"as_org,omitempty"`
	// MessageID and Recipients name the mail message the event was about
	// and the mailboxes it was delivered to, so that it can be quarantined;
	// empty for events that are not about a message. Recipients may be
	// shared with other verdicts of the same event and must not be
	// modified.
	MessageID  string   `json:"message_id,omitempty"`
	Recipients []string `json:"recipients,omitempty"`
}

// Indicator is the part of an indicator a verdict carries: its identity and
// every feed that listed it as active when the event happened.
type Indicator struct {
	ID    string   `json:"id"`
	Type  ioc.Type `json:"type"`
	Value string   `json:"value"`
	Feeds []Feed   `json:"feeds"`
}

// Feed is one feed's entry for the indicator, with the feed's own id.
type Feed struct {
	Name       string    `json:"feed"`
	ID         string    `json:"id"`
	Pattern    string    `json:"pattern,omitempty"`
	Original   string    `json:"original,omitempty"`
	ValidUntil time.Time `json:"valid_until,omitzero"`
}

// IndicatorOf returns a verdict's view of in at time t: its identity and
// every source active then.
func IndicatorOf(in *ioc.Indicator, t time.Time) Indicator {
	vi := Indicator{ID: in.ID, Type: in.Type, Value: in.Value}
	for i := range in.Sources {
		s := &in.Sources[i]
		if !s.IsActive(t) {
			continue
		}
		vi.Feeds = append(vi.Feeds, Feed{
			Name: s.Feed, ID: s.ID, Pattern: s.Pattern,
			Original: s.Original, ValidUntil: s.ValidUntil,
		})
	}
	return vi
}
