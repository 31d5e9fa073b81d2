package misp

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/internal/clip"
)

// DefaultConfidence is the confidence of a to_ids attribute that carries no
// osint:certainty tag. MISP has no confidence of its own; to_ids is the
// producer saying "fit for detection".
const DefaultConfidence = 70

// eventContext is what an event lends its attributes.
type eventContext struct {
	pos        string
	severity   ioc.Severity
	confidence int
	malware    []string
	actors     []string
}

// threatLevels maps threat_level_id to a severity: 1 high, 2 medium,
// 3 low, 4 undefined.
var threatLevels = map[string]ioc.Severity{
	"1": ioc.SeverityHigh, "2": ioc.SeverityMedium, "3": ioc.SeverityLow,
	"4": ioc.SeverityUnknown,
}

func readEvent(pos string, raw json.RawMessage, b *feeds.Builder) Stats {
	var ev event
	if err := json.Unmarshal(raw, &ev); err != nil {
		b.Reject(pos, "", decodeReason(err))
		return Stats{}
	}
	if ev.UUID != "" {
		pos = "event " + clipID(ev.UUID)
	}
	ctx := eventContext{pos: pos, severity: threatLevels[string(ev.ThreatLevelID)],
		confidence: DefaultConfidence}
	ctx.malware, ctx.actors = names(nil, nil, ev.Tag, ev.Galaxy)
	if c, ok := certainty(ev.Tag); ok {
		ctx.confidence = c
	}
	st := Stats{Events: 1}
	for i, a := range ev.Attribute {
		st.add(ctx.attribute(pos+" attribute "+itoa(i+1), a, b))
	}
	for i, o := range ev.Object {
		st.add(ctx.object(pos+" object "+itoa(i+1), o, b))
	}
	return st
}

func (ctx eventContext) object(pos string, raw json.RawMessage, b *feeds.Builder) Stats {
	var o object
	if err := json.Unmarshal(raw, &o); err != nil {
		b.Reject(pos, "", decodeReason(err))
		return Stats{}
	}
	if o.UUID != "" {
		pos = ctx.pos + " object " + clipID(o.UUID)
	}
	if o.Deleted {
		return Stats{Attributes: len(o.Attribute), Deleted: len(o.Attribute)}
	}
	var st Stats
	inner := ctx
	inner.pos = pos
	for i, a := range o.Attribute {
		st.add(inner.attribute(pos+" attribute "+itoa(i+1), a, b))
	}
	return st
}

func (ctx eventContext) attribute(pos string, raw json.RawMessage, b *feeds.Builder) Stats {
	st := Stats{Attributes: 1}
	var a attribute
	if err := json.Unmarshal(raw, &a); err != nil {
		b.Reject(pos, "", decodeReason(err))
		return st
	}
	if ctx.pos == "" && a.Event != nil && a.Event.UUID != "" {
		ctx.pos = "event " + clipID(a.Event.UUID)
	}
	if a.UUID != "" {
		pos = strings.TrimPrefix(ctx.pos+" attribute "+clipID(a.UUID), " ")
	}
	switch {
	case bool(a.Deleted):
		st.Deleted++
		return st
	case !bool(a.ToIDs):
		st.Informational++
		return st
	}
	src, reason := ctx.source(pos, &a)
	if reason != "" {
		b.Reject(pos, a.Value, reason)
		return st
	}
	addAttribute(pos, &a, src, b)
	return st
}

func (ctx eventContext) source(pos string, a *attribute) (ioc.Source, string) {
	src := ioc.Source{ID: a.UUID, Confidence: ctx.confidence, Severity: ctx.severity}
	if src.ID == "" {
		src.ID = pos
	}
	if c, ok := certainty(a.Tag); ok {
		src.Confidence = c
	}
	if a.Category != "" {
		src.ThreatTypes = []string{a.Category}
	}
	src.Malware, src.Actors = names(ctx.malware, ctx.actors, a.Tag, a.Galaxy)
	if ts := string(a.Timestamp); ts != "" {
		n, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || n < 0 {
			return src, "timestamp " + clip.Quote(ts) + " is not Unix seconds"
		}
		src.Modified = time.Unix(n, 0).UTC()
	}
	if fs := strings.TrimSpace(a.FirstSeen); fs != "" {
		t, err := time.Parse(time.RFC3339Nano, fs)
		if err != nil {
			return src, "first_seen " + clip.Quote(fs) + " is not RFC 3339"
		}
		src.FirstSeen = t.UTC()
	}
	return src, ""
}

// certainty reads an osint:certainty="NN" tag as a 0-100 confidence.
func certainty(tags []tag) (int, bool) {
	for _, t := range tags {
		v, ok := strings.CutPrefix(t.Name, "osint:certainty=")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(strings.Trim(v, `"`))
		if err == nil && n >= 0 && n <= 100 {
			return n, true
		}
	}
	return 0, false
}

// names adds to malware and actors the names of the galaxy clusters and of
// the misp-galaxy tags, sorted by the galaxy's type. The given slices are
// not modified.
func names(malware, actors []string, tags []tag, galaxies []galaxy) ([]string, []string) {
	malware, actors = slices.Clip(malware), slices.Clip(actors)
	add := func(kind, value string) {
		value = strings.TrimSpace(value)
		if value == "" {
			return
		}
		switch galaxyKind(kind) {
		case kindMalware:
			if !slices.Contains(malware, value) {
				malware = append(malware, value)
			}
		case kindActor:
			if !slices.Contains(actors, value) {
				actors = append(actors, value)
			}
		}
	}
	for _, g := range galaxies {
		for _, c := range g.Cluster {
			add(g.Type, c.Value)
		}
	}
	for _, t := range tags {
		rest, ok := strings.CutPrefix(t.Name, "misp-galaxy:")
		if !ok {
			continue
		}
		kind, value, ok := strings.Cut(rest, "=")
		if ok {
			add(kind, strings.Trim(value, `"`))
		}
	}
	return malware, actors
}

const (
	kindOther = iota
	kindMalware
	kindActor
)

// galaxyKind sorts MISP galaxy types ("threat-actor", "mitre-malware",
// "ransomware", "tool", …) into malware, actor or neither (attack
// patterns, sectors, countries).
func galaxyKind(t string) int {
	t = strings.ToLower(t)
	for _, s := range []string{"threat-actor", "intrusion-set", "activity-group"} {
		if strings.Contains(t, s) {
			return kindActor
		}
	}
	if strings.Contains(t, "exploit-kit") {
		return kindMalware
	}
	for _, word := range strings.Split(t, "-") {
		switch word {
		case "malware", "tool", "rat", "ransomware", "botnet", "backdoor", "banker",
			"stealer", "malpedia", "android":
			return kindMalware
		}
	}
	return kindOther
}

func itoa(n int) string { return strconv.Itoa(n) }

// clipID keeps an id from the input short enough for a position.
func clipID(s string) string {
	if len(s) <= 64 {
		return s
	}
	return clip.Quote(s[:64])
}
