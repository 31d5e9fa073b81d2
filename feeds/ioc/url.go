package ioc

import (
	"net/netip"
	"strconv"
	"strings"
)

var defaultPorts = map[string]string{
	"http": "80", "https": "443", "ftp": "21", "ws": "80", "wss": "443",
}

// CanonicalURL normalises a URL the way RFC 3986 section 6.2.2 allows
// without changing what it points at: scheme and host lower case, the host
// canonical as a domain (punycode) or an IP address, the scheme's default
// port dropped, an empty path written "/", dot segments removed,
// percent-escapes of unreserved characters decoded and all other escapes in
// upper-case hex, and the fragment dropped (it never leaves the browser). A
// URL without a scheme is read as http.
//
// Two parts are dropped although RFC 3986 keeps them, because they do not
// change the resource a server gives and keeping them would let anyone
// writing a link slip past a URL indicator: user information
// ("http://bank.example@evil.example/" and "http://x@evil.example/a" are
// the same request to evil.example; it also holds passwords, which must not
// reach verdicts), and an empty query (a trailing "?").
func CanonicalURL(s string) (string, error) {
	raw := s
	scheme := "http"
	if i := strings.Index(s, "://"); i > 0 && isScheme(s[:i]) {
		scheme, s = lowerASCII(s[:i]), s[i+3:]
	}
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	end := strings.IndexAny(s, "/?")
	if end < 0 {
		end = len(s)
	}
	authority, rest := s[:end], s[end:]
	host, err := canonicalAuthority(scheme, authority)
	if err != nil {
		return "", invalid(URL, raw, err.(*ValueError).Reason)
	}
	path, query := rest, ""
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		path, query = rest[:i], rest[i:]
	}
	if query == "?" {
		query = ""
	}
	path = removeDotSegments(normalisePercent(path))
	if path == "" || path[0] != '/' {
		path = "/" + path
	}
	return scheme + "://" + host + path + normalisePercent(query), nil
}

func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		ok := c >= 'a' && c <= 'z' || i > 0 && (s[i] >= '0' && s[i] <= '9' ||
			s[i] == '+' || s[i] == '-' || s[i] == '.')
		if !ok {
			return false
		}
	}
	return true
}

// canonicalAuthority returns host:port with the host canonical, a default
// port dropped and user information left out.
func canonicalAuthority(scheme, a string) (string, error) {
	if i := strings.LastIndexByte(a, '@'); i >= 0 {
		a = a[i+1:]
	}
	host, port := a, ""
	if strings.HasPrefix(a, "[") {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return "", invalid(URL, a, "unclosed '[' in host")
		}
		host, port = a[:end+1], strings.TrimPrefix(a[end+1:], ":")
	} else if i := strings.LastIndexByte(a, ':'); i >= 0 {
		host, port = a[:i], a[i+1:]
	}
	h, err := canonicalURLHost(host)
	if err != nil {
		return "", err
	}
	if port == "" {
		return h, nil
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || port[0] == '+' {
		return "", invalid(URL, a, "port is not a number from 0 to 65535")
	}
	if port = strconv.FormatUint(n, 10); port == defaultPorts[scheme] {
		return h, nil
	}
	return h + ":" + port, nil
}

func canonicalURLHost(h string) (string, error) {
	if h == "" {
		return "", invalid(URL, h, "no host")
	}
	if strings.HasPrefix(h, "[") {
		a, err := netip.ParseAddr(h[1 : len(h)-1])
		if err != nil {
			return "", invalid(URL, h, "bad IPv6 literal")
		}
		if a = a.Unmap(); a.Is4() {
			return a.String(), nil
		}
		return "[" + a.WithZone("").String() + "]", nil
	}
	if strings.IndexByte(h, ':') >= 0 {
		return "", invalid(URL, h, "IPv6 host not in brackets")
	}
	if a, err := netip.ParseAddr(h); err == nil {
		return a.String(), nil
	}
	d, err := CanonicalDomain(h)
	if err != nil {
		return "", invalid(URL, h, "host: "+err.(*ValueError).Reason)
	}
	return d, nil
}

// URLHost returns the host of a canonical URL (as CanonicalURL writes it):
// a domain, an IPv4 address or a bracketed IPv6 address. It allocates
// nothing.
func URLHost(canonical string) string {
	s := canonical
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	if strings.HasPrefix(s, "[") {
		if i := strings.IndexByte(s, ']'); i >= 0 {
			return s[:i+1]
		}
		return s
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	return s
}

func isUnreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// normalisePercent decodes escapes of unreserved characters and writes the
// hex of the others in upper case (RFC 3986 sections 6.2.2.1 and 6.2.2.2). A
// '%' not followed by two hex digits is left alone.
func normalisePercent(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+2 >= len(s) || unhex(s[i+1]) > 15 || unhex(s[i+2]) > 15 {
			b.WriteByte(s[i])
			continue
		}
		c := unhex(s[i+1])<<4 | unhex(s[i+2])
		if isUnreserved(c) {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(upperHex(s[i+1]))
			b.WriteByte(upperHex(s[i+2]))
		}
		i += 2
	}
	return b.String()
}

func upperHex(c byte) byte {
	if c >= 'a' && c <= 'f' {
		return c - ('a' - 'A')
	}
	return c
}

// removeDotSegments applies RFC 3986 section 5.2.4 to a path.
func removeDotSegments(p string) string {
	if !strings.Contains(p, ".") {
		return p
	}
	segs := strings.Split(p, "/")
	out := make([]string, 0, len(segs))
	for i, seg := range segs {
		last := i == len(segs)-1
		switch seg {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, seg)
		}
	}
	return strings.Join(out, "/")
}
