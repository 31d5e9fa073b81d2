package ioc

import (
	"net/netip"
	"strings"
)

// Detect guesses the type of a bare value from a list feed or a command
// line: an IP address or CIDR block, a hash by its hex length, a URL by its
// scheme, an e-mail address, or a domain name. It returns the type and the
// canonical value. Values that fit none are an error; Detect never guesses
// file names, registry keys or free text, which need a declared type.
func Detect(raw string) (Type, string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return TypeInvalid, "", invalid(TypeInvalid, raw, "empty value")
	}
	if p, err := ParsePrefix(s); err == nil {
		return AddrType(p.Addr()), FormatPrefix(p), nil
	}
	if strings.ContainsAny(s, "./:") && looksLikeIP(s) {
		addr, _, _ := strings.Cut(s, "/")
		if _, err := ParseAddr(addr); err != nil {
			return TypeInvalid, "", err
		}
		return TypeInvalid, "", invalid(IPv4, raw, "not a valid CIDR block")
	}
	if t := HashType(len(s)); t != TypeInvalid && isHex(s) {
		v, err := canonicalHash(t, s)
		return t, v, err
	}
	if strings.Contains(s, "://") {
		v, err := CanonicalURL(s)
		return URL, v, err
	}
	if strings.IndexByte(s, '@') > 0 {
		v, err := CanonicalEmail(s)
		return Email, v, err
	}
	if strings.IndexByte(s, '/') > 0 && !strings.ContainsAny(s, " \\") {
		v, err := CanonicalURL(s)
		return URL, v, err
	}
	if strings.IndexByte(s, '.') > 0 {
		v, err := CanonicalDomain(s)
		return Domain, v, err
	}
	return TypeInvalid, "", &ValueError{Value: raw, Reason: ErrNoType.Error()}
}

// looksLikeIP reports whether s is made only of characters of IP notation
// and so was meant as an address, even if it does not parse as one.
func looksLikeIP(s string) bool {
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' || c == '/' || c == ':':
		case (c|0x20) >= 'a' && (c|0x20) <= 'f' && strings.IndexByte(s, ':') >= 0:
		default:
			return false
		}
	}
	return digits > 0
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if unhex(s[i]) > 15 {
			return false
		}
	}
	return true
}

// IPKey returns the canonical prefix for an ipv4 or ipv6 indicator value, as
// the matcher keys it. Values that are not IP indicators return false.
func IPKey(t Type, v string) (netip.Prefix, bool) {
	if !t.IsIP() {
		return netip.Prefix{}, false
	}
	p, err := ParsePrefix(v)
	return p, err == nil
}
