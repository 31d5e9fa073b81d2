package stix

import (
	"errors"
	"strings"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/feeds/stix/pattern"
)

// DefaultConfidence is used for an indicator that states none (STIX 2.0
// has no confidence property; in 2.1 it is optional and absent is not 0).
const DefaultConfidence = 50

func addIndicator(o *object, ctx *context, b *feeds.Builder) {
	if o.PatternType != "" && o.PatternType != "stix" {
		b.NotEnforced(o.pos, o.Pattern, "pattern_type "+quote(o.PatternType)+
			" is not STIX patterning")
		return
	}
	if strings.TrimSpace(o.Pattern) == "" {
		b.Reject(o.pos, "", "indicator without pattern")
		return
	}
	src, err := source(o, ctx)
	if err != nil {
		b.Reject(o.pos, o.Pattern, err.Error())
		return
	}
	AddPattern(b, o.pos, o.Pattern, src)
}

// AddPattern adds the indicators of one STIX pattern with src as their
// source (src.Pattern is set to text). An atomic pattern adds every
// compared value; a conjunction adds the anchor values of its terms (see
// CompileConjunction), to be checked per event by matcher/conjunction. A
// pattern that cannot be read is rejected at pos; one the streaming matcher
// cannot honour is recorded as not enforced, with the reason. AddPattern
// is how other STIX-shaped formats (STIX 1.x) share this logic.
func AddPattern(b *feeds.Builder, pos, text string, src ioc.Source) {
	src.Pattern = text
	p, err := pattern.Parse(text)
	if err != nil {
		b.Reject(pos, text, "pattern: "+err.Error())
		return
	}
	shape := p.Classify()
	switch shape.Kind {
	case pattern.Atomic:
		addAtomic(b, pos, text, shape, src)
	case pattern.Conjunction:
		addConjunction(b, pos, text, p, src)
	default:
		b.NotEnforced(pos, text, shape.Reason)
	}
}

func addAtomic(b *feeds.Builder, pos, text string, shape pattern.Shape, src ioc.Source) {
	var unindexed []string
	for _, c := range shape.Comparisons {
		t, ok := propertyType(c.Path)
		if !ok {
			unindexed = appendNew(unindexed, c.Path.String())
			continue
		}
		for _, v := range values(c) {
			b.Add(pos, t, v, src) // a bad value is rejected by b
		}
	}
	switch {
	case len(unindexed) == len(shape.Comparisons):
		b.NotEnforced(pos, text, "no property the matcher indexes")
	case len(unindexed) > 0:
		// An OR: the indexed comparisons still match; the rest never do.
		b.NotEnforced(pos, text, "partly enforced: "+strings.Join(unindexed, ", ")+
			" not indexed")
	}
}

func addConjunction(b *feeds.Builder, pos, text string, p *pattern.Pattern, src ioc.Source) {
	c, err := CompileConjunction(p)
	var ce *CompileError
	switch {
	case errors.As(err, &ce) && ce.Invalid:
		b.Reject(pos, text, ce.Reason)
		return
	case err != nil:
		b.NotEnforced(pos, text, err.Error())
		return
	}
	for _, term := range c.Terms {
		for _, a := range term.Tests[term.Anchor].Alts {
			b.Add(pos, a.Type, a.Value, src)
		}
	}
}

// values returns the string literals a comparison lists: one for = and
// ISSUBSET, the members for IN.
func values(c *pattern.Comparison) []string {
	lits := c.Set
	if c.Op != pattern.In {
		lits = []pattern.Literal{c.Value}
	}
	var out []string
	for _, l := range lits {
		if l.Kind == pattern.String {
			out = append(out, l.Str)
		}
	}
	return out
}

func source(o *object, ctx *context) (ioc.Source, error) {
	s := ioc.Source{
		ID:         o.ID,
		Pattern:    o.Pattern,
		Confidence: DefaultConfidence,
		Revoked:    o.Revoked,
		Modified:   o.modified,
	}
	if o.Confidence != nil {
		if *o.Confidence < 0 || *o.Confidence > 100 {
			return s, errors.New("confidence outside 0-100")
		}
		s.Confidence = *o.Confidence
	}
	types := o.IndicatorTypes
	if len(types) == 0 && o.version == "2.0" {
		// STIX 2.0 keeps the indicator vocabulary in labels; in 2.1 labels
		// are free text (MISP writes misp:type="domain" there).
		types = o.Labels
	}
	s.ThreatTypes = types
	s.Severity = Severity(types)
	for _, k := range o.KillChainPhases {
		s.KillChain = append(s.KillChain, k.KillChainName+":"+k.PhaseName)
	}
	if ctx != nil {
		s.Malware, s.Campaigns, s.Actors = ctx.malware, ctx.campaigns, ctx.actors
		s.ThreatTypes = append(s.ThreatTypes[:len(s.ThreatTypes):len(s.ThreatTypes)],
			ctx.attacks...)
		s.FirstSeen = ctx.firstSeen
	}
	return s, validity(o, &s)
}

func validity(o *object, s *ioc.Source) error {
	var err error
	if o.ValidFrom != "" {
		if s.ValidFrom, err = parseTimestamp(o.ValidFrom); err != nil {
			return errors.New("valid_from: " + err.Error())
		}
	}
	if o.ValidUntil != "" {
		if s.ValidUntil, err = parseTimestamp(o.ValidUntil); err != nil {
			return errors.New("valid_until: " + err.Error())
		}
		if !s.ValidUntil.After(s.ValidFrom) {
			return errors.New("valid_until is not after valid_from")
		}
	}
	return nil
}

// Severity ranks the STIX indicator-type vocabulary (STIX 2.1 section
// 10.11); STIX itself has no severity. Types outside the vocabulary, and
// none at all, count as medium.
func Severity(types []string) ioc.Severity {
	best := ioc.SeverityUnknown
	for _, t := range types {
		var s ioc.Severity
		switch t {
		case "malicious-activity", "attribution":
			s = ioc.SeverityHigh
		case "compromised":
			s = ioc.SeverityMedium
		case "anomalous-activity", "anonymization", "unknown":
			s = ioc.SeverityLow
		case "benign":
			s = ioc.SeverityInfo
		default:
			s = ioc.SeverityMedium
		}
		best = max(best, s)
	}
	if best == ioc.SeverityUnknown {
		return ioc.SeverityMedium
	}
	return best
}

// propertyType maps an object path to the observable type the matcher
// indexes it under. TypeInvalid with true means "typed by the value": an
// address or a name.
func propertyType(p pattern.Path) (ioc.Type, bool) {
	key := pathKey(p)
	switch p.ObjectType + ":" + key {
	case "ipv4-addr:value":
		return ioc.IPv4, true
	case "ipv6-addr:value":
		return ioc.IPv6, true
	case "domain-name:value":
		return ioc.Domain, true
	case "url:value":
		return ioc.URL, true
	case "email-addr:value", "email-message:from_ref.value", "email-message:sender_ref.value":
		return ioc.Email, true
	case "file:name":
		return ioc.FileName, true
	case "directory:path":
		return ioc.FilePath, true
	case "windows-registry-key:key", "win-registry-key:key":
		return ioc.RegistryKey, true
	case "mutex:name":
		return ioc.Mutex, true
	case "process:name":
		return ioc.ProcessName, true
	case "network-traffic:dst_ref.value", "network-traffic:src_ref.value",
		"domain-name:resolves_to_refs.value":
		return ioc.TypeInvalid, true
	case "network-traffic:extensions.http-request-ext.request_header.user-agent":
		return ioc.UserAgent, true
	}
	if rest, ok := strings.CutPrefix(key, "hashes."); ok {
		switch p.ObjectType {
		case "file", "artifact", "x509-certificate":
			return hashType(rest)
		}
	}
	return ioc.TypeInvalid, false
}

// pathKey renders the property part of a path with keys lower-cased, list
// steps dropped and hash names as written.
func pathKey(p pattern.Path) string {
	var sb strings.Builder
	for i, s := range p.Steps {
		if s.Kind != pattern.KeyStep {
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('.')
		}
		if i > 0 && p.Steps[i-1].Key == "hashes" {
			sb.WriteString(s.Key)
			continue
		}
		sb.WriteString(strings.ToLower(s.Key))
	}
	return sb.String()
}

func hashType(name string) (ioc.Type, bool) {
	switch strings.ToUpper(strings.ReplaceAll(name, "-", "")) {
	case "MD5":
		return ioc.MD5, true
	case "SHA1":
		return ioc.SHA1, true
	case "SHA256":
		return ioc.SHA256, true
	case "SHA512":
		return ioc.SHA512, true
	}
	return ioc.TypeInvalid, false
}
