package stix

import (
	"slices"
	"time"

	"github.com/iocflow/iocflow/internal/clip"
)

// context is what relationships say about one indicator.
type context struct {
	malware, campaigns, actors, attacks []string
	// firstSeen is the earliest first_observed of the observed-data the
	// indicator is based on; zero when there is none.
	firstSeen time.Time
}

// relatedContext follows relationships from indicators (STIX 2.1 section
// 4.7.1 "indicates", 5.2 "based-on") and one step further from campaigns
// and intrusion sets to the actors they are attributed to. Revoked
// relationships and revoked targets say nothing.
func relatedContext(objs []*object) map[string]*context {
	named := map[string]*object{}
	observed := map[string]time.Time{}
	for _, o := range objs {
		switch {
		case o.Revoked:
		case o.Type == "observed-data":
			if t, err := parseTimestamp(o.FirstObserved); err == nil {
				observed[o.ID] = t
			}
		case o.Name != "" && o.Type != "indicator" && o.Type != "relationship":
			named[o.ID] = o
		}
	}
	attributed := attributions(objs, named)
	out := map[string]*context{}
	get := func(id string) *context {
		c := out[id]
		if c == nil {
			c = &context{}
			out[id] = c
		}
		return c
	}
	for _, o := range objs {
		if o.Type != "relationship" || o.Revoked {
			continue
		}
		switch o.RelationshipType {
		case "indicates":
			if t, ok := named[o.TargetRef]; ok {
				get(o.SourceRef).add(t, attributed[t.ID])
			}
		case "based-on":
			if t, ok := observed[o.TargetRef]; ok {
				c := get(o.SourceRef)
				if c.firstSeen.IsZero() || t.Before(c.firstSeen) {
					c.firstSeen = t
				}
			}
		}
	}
	return out
}

// attributions maps campaigns and intrusion sets to the names of the
// threat actors and intrusion sets they are attributed to.
func attributions(objs []*object, named map[string]*object) map[string][]string {
	out := map[string][]string{}
	for _, o := range objs {
		if o.Type != "relationship" || o.Revoked || o.RelationshipType != "attributed-to" {
			continue
		}
		src, ok1 := named[o.SourceRef]
		dst, ok2 := named[o.TargetRef]
		if !ok1 || !ok2 || (src.Type != "campaign" && src.Type != "intrusion-set") {
			continue
		}
		if dst.Type == "threat-actor" || dst.Type == "intrusion-set" {
			out[src.ID] = appendNew(out[src.ID], dst.Name)
		}
	}
	return out
}

func (c *context) add(target *object, actors []string) {
	switch target.Type {
	case "malware", "tool":
		c.malware = appendNew(c.malware, target.Name)
	case "campaign":
		c.campaigns = appendNew(c.campaigns, target.Name)
	case "threat-actor", "intrusion-set":
		c.actors = appendNew(c.actors, target.Name)
	case "attack-pattern":
		c.attacks = appendNew(c.attacks, target.Name)
	}
	for _, a := range actors {
		c.actors = appendNew(c.actors, a)
	}
}

func appendNew(dst []string, s string) []string {
	if slices.Contains(dst, s) {
		return dst
	}
	return append(dst, s)
}

func quote(s string) string { return clip.Quote(s) }
