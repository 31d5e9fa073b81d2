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

// context is what relationships say about an indicator.
type context struct {
	malware, campaigns, actors, attacks []string
}

// relatedNames follows "indicates" relationships from indicators to named
// objects.
func relatedNames(objs []*object) map[string]*context {
	names := map[string]*object{}
	for _, o := range objs {
		if o.Name != "" && o.Type != "indicator" {
			names[o.ID] = o
		}
	}
	out := map[string]*context{}
	for _, o := range objs {
		if o.Type != "relationship" || o.RelationshipType != "indicates" || o.Revoked {
			continue
		}
		target, ok := names[o.TargetRef]
		if !ok {
			continue
		}
		c := out[o.SourceRef]
		if c == nil {
			c = &context{}
			out[o.SourceRef] = c
		}
		switch target.Type {
		case "malware", "tool":
			c.malware = append(c.malware, target.Name)
		case "campaign":
			c.campaigns = append(c.campaigns, target.Name)
		case "threat-actor", "intrusion-set":
			c.actors = append(c.actors, target.Name)
		case "attack-pattern":
			c.attacks = append(c.attacks, target.Name)
		}
	}
	return out
}

func addIndicator(o *object, ctx *context, b *feeds.Builder) {
	if o.PatternType != "" && o.PatternType != "stix" {
		b.NotEnforced(o.pos, o.Pattern, "pattern_type "+o.PatternType+" is not STIX patterning")
		return
	}
	src, err := source(o, ctx)
	if err != nil {
		b.Reject(o.pos, o.Pattern, err.Error())
		return
	}
	p, err := pattern.Parse(o.Pattern)
	if err != nil {
		b.Reject(o.pos, o.Pattern, err.Error())
		return
	}
	shape := p.Classify()
	if shape.Kind != pattern.Atomic {
		b.NotEnforced(o.pos, o.Pattern, shape.Reason)
		return
	}
	added := 0
	for _, c := range shape.Comparisons {
		t, ok := propertyType(c.Path)
		if !ok {
			continue
		}
		for _, v := range values(c) {
			if b.Add(o.pos, t, v, src) == nil {
				added++
			}
		}
	}
	if added == 0 && !hasMatchable(shape.Comparisons) {
		b.NotEnforced(o.pos, o.Pattern, "no property the matcher indexes")
	}
}

func hasMatchable(cs []*pattern.Comparison) bool {
	for _, c := range cs {
		if _, ok := propertyType(c.Path); ok {
			return true
		}
	}
	return false
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
	if len(types) == 0 { // STIX 2.0 keeps the indicator vocabulary in labels
		types = o.Labels
	}
	s.ThreatTypes = types
	s.Severity = severity(types)
	for _, k := range o.KillChainPhases {
		s.KillChain = append(s.KillChain, k.KillChainName+":"+k.PhaseName)
	}
	if ctx != nil {
		s.Malware, s.Campaigns, s.Actors = ctx.malware, ctx.campaigns, ctx.actors
		s.ThreatTypes = append(s.ThreatTypes, ctx.attacks...)
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

// severity ranks the STIX indicator-type vocabulary (STIX 2.1 section
// 10.11); STIX itself has no severity.
func severity(types []string) ioc.Severity {
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
// indexes it under.
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
	case "network-traffic:dst_ref.value", "network-traffic:src_ref.value":
		return ioc.TypeInvalid, true // an address or a name: typed by the value
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
