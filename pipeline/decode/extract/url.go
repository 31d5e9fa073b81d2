package extract

import (
	"strconv"

	"github.com/iocflow/iocflow/feeds/ioc"
)

// URL adds a URL. Absolute http(s)-like URLs whose host is a name or an
// IPv4 address and whose path needs no percent or dot-segment repair are
// canonicalised here without allocating; the rest go through
// ioc.CanonicalURL.
func (a *Adder) URL(raw []byte, field string) {
	if IsMissing(raw) {
		return
	}
	var ok bool
	if a.tmp, ok = fastURL(a.tmp[:0], raw); !ok {
		a.slow(ioc.URL, raw, field)
		return
	}
	a.Ev.AddCanonical(ioc.URL, a.Ar.String(a.tmp), field)
}

// HTTPURL adds the URL of an HTTP request logged as host, port and
// request target ("/path?query"), as Suricata and proxies log it. A target
// that is already absolute (a proxy request) is added as it is. Nothing is
// added without a host or a target.
func (a *Adder) HTTPURL(host []byte, port int64, target []byte, field string) {
	if len(target) == 0 || IsMissing(host) {
		if hasScheme(target) {
			a.URL(target, field)
		}
		return
	}
	if target[0] != '/' {
		if hasScheme(target) {
			a.URL(target, field)
		}
		return
	}
	b := append(a.raw[:0], "http://"...)
	v6 := isIPShape(host) && containsByte(host, ':')
	if v6 {
		b = append(b, '[')
	}
	b = append(b, host...)
	if v6 {
		b = append(b, ']')
	}
	if port > 0 && port != 80 && port < 65536 {
		b = append(b, ':')
		b = strconv.AppendInt(b, port, 10)
	}
	b = append(b, target...)
	a.raw = b
	a.URL(b, field)
}

func containsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// hasScheme reports whether b starts with "scheme://".
func hasScheme(b []byte) bool {
	for i, c := range b {
		if c == ':' {
			return i > 0 && len(b) > i+2 && b[i+1] == '/' && b[i+2] == '/'
		}
		ok := c|0x20 >= 'a' && c|0x20 <= 'z' || i > 0 && (c >= '0' && c <= '9' ||
			c == '+' || c == '-' || c == '.')
		if !ok {
			return false
		}
	}
	return false
}

// fastURL appends the canonical form of raw to dst when raw is an
// absolute URL in a shape it fully understands, and reports false
// otherwise. It must agree with ioc.CanonicalURL wherever it reports true.
func fastURL(dst, raw []byte) ([]byte, bool) {
	if !trimmed(raw) {
		return dst, false
	}
	i := 0
	for i < len(raw) && raw[i] != ':' {
		i++
	}
	if !hasScheme(raw) {
		return dst, false
	}
	start := len(dst)
	for _, c := range raw[:i] {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	scheme := dst[start:]
	dst = append(dst, "://"...)
	rest := raw[i+3:]
	end := 0
	for end < len(rest) && rest[end] != '/' && rest[end] != '?' {
		end++
	}
	var ok bool
	if dst, ok = fastAuthority(dst, scheme, rest[:end]); !ok {
		return dst, false
	}
	rest = rest[end:]
	if len(rest) > 0 && rest[len(rest)-1] == '?' {
		return dst, false // maybe an empty query, which package ioc drops
	}
	if len(rest) == 0 || rest[0] == '?' {
		dst = append(dst, '/')
	}
	if !cleanTarget(rest) {
		return dst, false
	}
	return append(dst, rest...), true
}

// fastAuthority appends host[:port] with the host a canonical name or
// IPv4 address and a default port dropped. User information, IPv6
// literals and ports with leading zeros are left to package ioc.
func fastAuthority(dst, scheme, auth []byte) ([]byte, bool) {
	host, port := auth, []byte(nil)
	for i := len(auth) - 1; i >= 0; i-- {
		if auth[i] == ':' {
			host, port = auth[:i], auth[i+1:]
			break
		}
	}
	if len(host) == 0 || host[0] == '[' || containsByte(host, '@') {
		return dst, false
	}
	if isIPShape(host) {
		if !canonicalIPv4(host) {
			return dst, false
		}
		dst = append(dst, host...)
	} else {
		var ok bool
		if dst, ok = fastDomain(dst, host); !ok || host[len(host)-1] == '.' {
			return dst, false
		}
	}
	if port == nil {
		return dst, true
	}
	if len(port) == 0 || port[0] == '0' || len(port) > 5 {
		return dst, false
	}
	n := 0
	for _, c := range port {
		if c < '0' || c > '9' {
			return dst, false
		}
		n = n*10 + int(c-'0')
	}
	if n > 65535 {
		return dst, false // ioc rejects it
	}
	if string(port) == defaultPort(scheme) {
		return dst, true
	}
	dst = append(dst, ':')
	return append(dst, port...), true
}

func defaultPort(scheme []byte) string {
	switch string(scheme) {
	case "http", "ws":
		return "80"
	case "https", "wss":
		return "443"
	case "ftp":
		return "21"
	}
	return ""
}

// canonicalIPv4 reports whether b is a dotted quad as netip prints it.
func canonicalIPv4(b []byte) bool {
	parts, n, digits := 0, 0, 0
	for i := 0; i <= len(b); i++ {
		if i == len(b) || b[i] == '.' {
			if digits == 0 || n > 255 || digits > 1 && b[i-digits] == '0' {
				return false
			}
			parts++
			n, digits = 0, 0
			continue
		}
		if b[i] < '0' || b[i] > '9' {
			return false
		}
		n = n*10 + int(b[i]-'0')
		digits++
		if digits > 3 {
			return false
		}
	}
	return parts == 4
}

// cleanTarget reports whether a path and query need no repair by
// ioc.CanonicalURL: no fragment, no percent escape, only printable ASCII,
// and no "." or ".." segment in the path.
func cleanTarget(t []byte) bool {
	inQuery, seg := false, 0
	for i := 0; i <= len(t); i++ {
		end := i == len(t)
		if !end {
			if c := t[i]; c == '#' || c == '%' || c <= ' ' || c >= 0x7f {
				return false
			}
		}
		if inQuery || !end && t[i] != '/' && t[i] != '?' {
			continue
		}
		if s := t[seg:i]; string(s) == "." || string(s) == ".." {
			return false
		}
		seg = i + 1
		inQuery = !end && t[i] == '?'
	}
	return true
}
