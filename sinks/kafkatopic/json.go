package kafkatopic

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/iocflow/iocflow/sinks/verdict"
)

// AppendVerdict appends v as JSON to dst, byte for byte as encoding/json
// writes a verdict.Verdict without HTML escaping (the test holds it to
// that), and returns the extended slice. Hot path: it allocates only when
// dst must grow.
func AppendVerdict(dst []byte, v *verdict.Verdict) []byte {
	dst = append(dst, `{"event_id":`...)
	dst = appendString(dst, v.EventID)
	if !v.EventTime.IsZero() {
		dst = append(dst, `,"event_time":`...)
		dst = appendTime(dst, v.EventTime)
	}
	dst = append(dst, `,"verdict_time":`...)
	dst = appendTime(dst, v.Time)
	dst = append(dst, `,"format":`...)
	dst = appendString(dst, v.Format)
	if v.Kind != "" {
		dst = append(dst, `,"kind":`...)
		dst = appendString(dst, v.Kind)
	}
	if v.Origin != "" {
		dst = append(dst, `,"origin":`...)
		dst = appendString(dst, v.Origin)
	}
	dst = append(dst, `,"observable":{"type":`...)
	dst = appendString(dst, v.Observable.Type.String())
	dst = append(dst, `,"value":`...)
	dst = appendString(dst, v.Observable.Value)
	dst = append(dst, `,"field":`...)
	dst = appendString(dst, v.Observable.Field)
	dst = append(dst, '}')
	dst = appendList(dst, "other_fields", v.OtherFields)
	dst = appendIndicator(dst, &v.Indicator)
	dst = append(dst, `,"confidence":`...)
	dst = strconv.AppendInt(dst, int64(v.Confidence), 10)
	dst = append(dst, `,"severity":`...)
	dst = appendString(dst, v.Severity.String())
	dst = appendList(dst, "threat_types", v.ThreatTypes)
	dst = appendList(dst, "malware", v.Malware)
	dst = appendList(dst, "campaigns", v.Campaigns)
	dst = appendList(dst, "threat_actors", v.Actors)
	if v.Retrospective {
		dst = append(dst, `,"retrospective":true`...)
	}
	dst = append(dst, `,"matcher_version":`...)
	dst = strconv.AppendUint(dst, v.MatcherVersion, 10)
	dst = append(dst, `,"priority":`...)
	dst = strconv.AppendInt(dst, int64(v.Priority), 10)
	return append(appendContext(dst, v), '}')
}

// appendContext appends what enrichment added, each field only when set.
func appendContext(dst []byte, v *verdict.Verdict) []byte {
	dst = appendOptional(dst, "user", v.User)
	dst = appendOptional(dst, "host", v.Host)
	dst = appendOptional(dst, "department", v.Department)
	dst = appendList(dst, "groups", v.Groups)
	if v.VIP {
		dst = append(dst, `,"vip":true`...)
	}
	dst = appendOptional(dst, "country", v.Country)
	if v.ASN != 0 {
		dst = append(dst, `,"asn":`...)
		dst = strconv.AppendUint(dst, uint64(v.ASN), 10)
	}
	dst = appendOptional(dst, "as_org", v.ASOrg)
	dst = appendOptional(dst, "message_id", v.MessageID)
	return appendList(dst, "recipients", v.Recipients)
}

// appendOptional appends ,"key":"s" unless s is empty (omitempty).
func appendOptional(dst []byte, key, s string) []byte {
	if s == "" {
		return dst
	}
	dst = append(dst, `,"`...)
	dst = append(dst, key...)
	dst = append(dst, `":`...)
	return appendString(dst, s)
}

func appendIndicator(dst []byte, in *verdict.Indicator) []byte {
	dst = append(dst, `,"indicator":{"id":`...)
	dst = appendString(dst, in.ID)
	dst = append(dst, `,"type":`...)
	dst = appendString(dst, in.Type.String())
	dst = append(dst, `,"value":`...)
	dst = appendString(dst, in.Value)
	dst = append(dst, `,"feeds":`...)
	if in.Feeds == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i := range in.Feeds {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendFeed(dst, &in.Feeds[i])
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

func appendFeed(dst []byte, f *verdict.Feed) []byte {
	dst = append(dst, `{"feed":`...)
	dst = appendString(dst, f.Name)
	dst = append(dst, `,"id":`...)
	dst = appendString(dst, f.ID)
	if f.Pattern != "" {
		dst = append(dst, `,"pattern":`...)
		dst = appendString(dst, f.Pattern)
	}
	if f.Original != "" {
		dst = append(dst, `,"original":`...)
		dst = appendString(dst, f.Original)
	}
	if !f.ValidUntil.IsZero() {
		dst = append(dst, `,"valid_until":`...)
		dst = appendTime(dst, f.ValidUntil)
	}
	return append(dst, '}')
}

// appendList appends ,"key":[...] unless list is empty (omitempty).
func appendList(dst []byte, key string, list []string) []byte {
	if len(list) == 0 {
		return dst
	}
	dst = append(dst, `,"`...)
	dst = append(dst, key...)
	dst = append(dst, `":[`...)
	for i, s := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, s)
	}
	return append(dst, ']')
}

func appendTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string the way encoding/json does with
// HTML escaping off: control characters as \u00XX (with the short forms
// \n, \r, \t, \b, \f), invalid UTF-8 as \ufffd, U+2028 and U+2029
// escaped.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = appendEscape(dst, c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\u202`...)
			dst = append(dst, hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func appendEscape(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
}
