package misp

import (
	"strings"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/internal/clip"
)

// part is how one part of a MISP attribute type becomes an indicator: as
// an observable type, dropped (a port), or TypeInvalid for "not
// enforceable".
type part struct {
	typ  ioc.Type
	drop bool
}

var (
	ipPart   = part{typ: ioc.IPv4} // IPv4 here means "an address or block of either family"
	portPart = part{drop: true}
)

// attributeTypes maps the MISP attribute types iocflow can match to their
// parts. Composite types ("domain|ip") list one part per '|'-separated
// value. Ports are dropped: the matcher has no port dimension.
var attributeTypes = map[string][]part{
	"ip-src": {ipPart}, "ip-dst": {ipPart},
	"ip-src|port": {ipPart, portPart}, "ip-dst|port": {ipPart, portPart},
	"domain": {{typ: ioc.Domain}}, "hostname": {{typ: ioc.Domain}},
	"domain|ip": {{typ: ioc.Domain}, ipPart}, "hostname|port": {{typ: ioc.Domain}, portPart},
	"url":   {{typ: ioc.URL}},
	"email": {{typ: ioc.Email}}, "email-src": {{typ: ioc.Email}},
	"email-dst": {{typ: ioc.Email}}, "email-reply-to": {{typ: ioc.Email}},
	"md5": {{typ: ioc.MD5}}, "sha1": {{typ: ioc.SHA1}}, "sha256": {{typ: ioc.SHA256}},
	"sha512":          {{typ: ioc.SHA512}},
	"filename":        {{typ: ioc.FileName}},
	"filename|md5":    {{typ: ioc.FileName}, {typ: ioc.MD5}},
	"filename|sha1":   {{typ: ioc.FileName}, {typ: ioc.SHA1}},
	"filename|sha256": {{typ: ioc.FileName}, {typ: ioc.SHA256}},
	"filename|sha512": {{typ: ioc.FileName}, {typ: ioc.SHA512}},
	"mutex":           {{typ: ioc.Mutex}},
	"regkey":          {{typ: ioc.RegistryKey}},
	"user-agent":      {{typ: ioc.UserAgent}},
}

// notEnforced explains the to_ids types that are read but not matched,
// where the general reason would mislead.
var notEnforced = map[string]string{
	"regkey|value": "a registry key with a value matches only on both; " +
		"the matcher keys on the key alone, which for keys like Run would match every autostart",
	"AS": "autonomous system numbers are not an observable type yet",
}

func addAttribute(pos string, a *attribute, src ioc.Source, b *feeds.Builder) {
	typ := strings.TrimSpace(a.Type)
	parts, ok := attributeTypes[typ]
	if !ok {
		reason, known := notEnforced[typ]
		if !known {
			reason = "MISP attribute type " + clip.Quote(typ) + " has no observable type"
		}
		if typ == "" {
			b.Reject(pos, a.Value, "attribute has no type")
			return
		}
		b.NotEnforced(pos, typ+" "+a.Value, reason)
		return
	}
	values := []string{a.Value}
	if len(parts) > 1 {
		values = strings.Split(a.Value, "|")
	}
	if len(values) != len(parts) {
		b.Reject(pos, a.Value, "composite "+clip.Quote(typ)+" value has "+
			itoa(len(values))+" '|'-separated parts, want "+itoa(len(parts)))
		return
	}
	for i, p := range parts {
		if p.drop {
			continue
		}
		b.Add(pos, p.typ, values[i], src)
	}
}
