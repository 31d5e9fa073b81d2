package pipeline

import (
	"time"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/matcher"
	"github.com/iocflow/iocflow/pipeline/enrich"
	"github.com/iocflow/iocflow/pipeline/event"
	"github.com/iocflow/iocflow/sinks/verdict"
)

// Match is the match stage: it looks up every observable of an event in a
// matcher snapshot and turns the hits into verdicts, one per (event,
// indicator). It keeps scratch space between events and is used by one
// goroutine.
//
// A hit on an indicator that is the anchor of a STIX conjunction counts
// only if the event satisfies the whole pattern; the snapshot carries those
// gates (matcher.Snapshot.Gates), so they change with its indicators.
type Match struct {
	// Enrich, when set, fills the event's user, host, department and
	// groups before its first verdict, and each verdict's priority and geo.
	Enrich *enrich.Enricher
	refs   []matcher.Ref
	gated  ioc.Indicator // scratch for the snapshot's Gates().Filter
}

// Verdicts appends the verdicts of ev to dst. An indicator counts only if
// one of its sources is active when the event happened (when it has no
// time, at now): an event from last year is judged by last year's
// indicators, and revoked ones never match. now also stamps the verdicts.
func (m *Match) Verdicts(snap *matcher.Snapshot, ev *event.Event, now time.Time,
	dst []verdict.Verdict) []verdict.Verdict {
	at := ev.Time
	if at.IsZero() {
		at = now
	}
	gates := snap.Gates()
	first := len(dst)
	enriched := false
	for _, o := range ev.Observables {
		m.refs = snap.Lookup(o.Type, o.Value, m.refs[:0])
		for _, r := range m.refs {
			in := snap.Indicator(r)
			if i := findVerdict(dst[first:], in.ID); i >= 0 {
				v := &dst[first+i]
				v.OtherFields = appendField(v.OtherFields, v.Observable.Field, o.Field)
				continue
			}
			if in = gates.Filter(in, ev.Observables, &m.gated); in == nil {
				continue
			}
			a, ok := in.Assess(at)
			if !ok {
				continue
			}
			if m.Enrich != nil && !enriched {
				m.Enrich.Event(ev, now)
				enriched = true
			}
			dst = append(dst, verdict.Verdict{
				EventID: ev.ID, EventTime: ev.Time, Time: now,
				Format: ev.Format, Kind: ev.Kind, Origin: ev.Origin,
				Observable: o, Indicator: verdict.IndicatorOf(in, at),
				Confidence: a.Confidence, Severity: a.Severity,
				ThreatTypes: a.ThreatTypes, Malware: a.Malware,
				Campaigns: a.Campaigns, Actors: a.Actors,
				MatcherVersion: snap.Version(),
			})
			m.annotate(ev, &dst[len(dst)-1])
		}
	}
	return dst
}

// annotate sets a new verdict's priority, the mail message it concerns
// and, with enrichment, who and where it concerns. Hot path: the message
// fields are copied, not allocated; verdicts of one event share its
// Recipients.
func (m *Match) annotate(ev *event.Event, v *verdict.Verdict) {
	v.Priority = int(v.Severity)
	v.MessageID, v.Recipients = ev.MessageID, ev.Recipients
	if m.Enrich == nil {
		return
	}
	a := m.Enrich.Annotate(ev, v.Observable, v.Priority)
	v.Priority = a.Priority
	v.User, v.Host, v.Department = a.User, a.Host, a.Department
	v.Groups, v.VIP = a.Groups, a.VIP
	v.Country, v.ASN, v.ASOrg = a.Geo.Country, a.Geo.ASN, a.Geo.ASOrg
}

func findVerdict(vs []verdict.Verdict, id string) int {
	for i := range vs {
		if vs[i].Indicator.ID == id {
			return i
		}
	}
	return -1
}

func appendField(fields []string, first, f string) []string {
	if f == first {
		return fields
	}
	for _, have := range fields {
		if have == f {
			return fields
		}
	}
	return append(fields, f)
}
