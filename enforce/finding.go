package enforce

import (
	"slices"
	"strings"
	"time"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/sinks/verdict"
)

// Finding is the part of a verdict that the policy reads and the audit
// trail keeps as the reason for an action. It is a plain value.
type Finding struct {
	EventID    string         `json:"event_id"`
	Time       time.Time      `json:"verdict_time"`
	Observable ioc.Observable `json:"observable,omitzero"`
	Indicator  string         `json:"indicator_id"`
	Type       ioc.Type       `json:"indicator_type,omitzero"`
	Value      string         `json:"indicator_value"`
	Feeds      []string       `json:"feeds,omitempty"`
	Confidence int            `json:"confidence"`
	Severity   ioc.Severity   `json:"severity"`
	// Department, User, Host and VIP say who is affected; Mailbox and
	// MessageID name a mail message. Empty when the verdict does not say.
	Department string `json:"department,omitempty"`
	User       string `json:"user,omitempty"`
	Host       string `json:"host,omitempty"`
	VIP        bool   `json:"vip,omitempty"`
	Mailbox    string `json:"mailbox,omitempty"`
	MessageID  string `json:"message_id,omitempty"`
	// Retrospective marks a verdict that retro-hunting made from stored
	// sightings: the traffic happened before the indicator was known.
	Retrospective bool `json:"retrospective,omitempty"`
}

// FromVerdict returns the finding of v. A verdict on a mail message gives
// its message id and its first recipient as the mailbox; AppendFindings
// gives one finding per recipient.
func FromVerdict(v *verdict.Verdict) Finding {
	f := Finding{
		EventID:    v.EventID,
		Time:       v.Time,
		Observable: v.Observable,
		Indicator:  v.Indicator.ID,
		Type:       v.Indicator.Type,
		Value:      v.Indicator.Value,
		Confidence: v.Confidence,
		Severity:   v.Severity,
		Department: v.Department,
		User:       v.User,
		Host:       v.Host,
		VIP:        v.VIP,
		MessageID:  v.MessageID,
	}
	f.Retrospective = v.Retrospective
	if v.MessageID != "" && len(v.Recipients) > 0 {
		f.Mailbox = v.Recipients[0]
	}
	for _, fd := range v.Indicator.Feeds {
		f.Feeds = append(f.Feeds, fd.Name)
	}
	return f
}

// AppendFindings appends the findings of v to dst: one per distinct
// recipient mailbox when v is about a mail message delivered to several
// (a quarantine acts on one mailbox), else the one FromVerdict gives. The
// findings share their Feeds slice.
func AppendFindings(dst []Finding, v *verdict.Verdict) []Finding {
	f := FromVerdict(v)
	dst = append(dst, f)
	if f.MessageID == "" {
		return dst
	}
	for i, r := range v.Recipients[min(1, len(v.Recipients)):] {
		if slices.ContainsFunc(v.Recipients[:i+1], func(s string) bool {
			return strings.EqualFold(s, r)
		}) {
			continue
		}
		f.Mailbox = r
		dst = append(dst, f)
	}
	return dst
}
