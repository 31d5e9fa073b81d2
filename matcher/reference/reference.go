// Package reference is the naive indicator matcher that the engines of
// package matcher are tested against. It keeps the indicators in a slice
// and compares each with the observable, with the matching rules written
// out as plainly as possible; it is meant to be obviously right, not
// fast (every lookup is linear in the number of indicators).
//
// A Matcher is immutable after New and safe for concurrent use.
package reference

import (
	"net/netip"
	"strings"

	"github.com/iocflow/iocflow/feeds/ioc"
)

// Matcher answers lookups by comparing an observable with every
// indicator.
type Matcher struct {
	inds []*ioc.Indicator
}

// New returns a matcher over inds, which it keeps and must not change.
// Nil entries are skipped.
func New(inds []*ioc.Indicator) *Matcher { return &Matcher{inds: inds} }

// Lookup returns the indexes, in inds, of the indicators that the
// observable value v of type t matches, in increasing order. The rules are
// those documented on matcher.Snapshot.Lookup.
func (m *Matcher) Lookup(t ioc.Type, v string) []int {
	var out []int
	for i, in := range m.inds {
		if in != nil && in.Value != "" && matches(in, t, v) {
			out = append(out, i)
		}
	}
	return out
}

func matches(in *ioc.Indicator, t ioc.Type, v string) bool {
	switch t {
	case ioc.IPv4, ioc.IPv6:
		a, err := netip.ParseAddr(v)
		return err == nil && addrMatches(in, a)
	case ioc.Domain:
		return in.Type == ioc.Domain && domainMatches(in.Value, strings.TrimSuffix(v, "."))
	case ioc.URL:
		if in.Type == ioc.URL {
			return in.Value == v
		}
		return hostMatches(in, ioc.URLHost(v))
	case ioc.MD5, ioc.SHA1, ioc.SHA256, ioc.SHA512:
		return in.Type == t && len(v) == 2*t.HashLen() && isHex(v) &&
			strings.EqualFold(in.Value, v) && isHex(in.Value)
	case ioc.Text:
		return in.Type == ioc.Text && strings.Contains(lower(v), lower(in.Value))
	}
	return t.IsValid() && in.Type == t && in.Value == v
}

// addrMatches reports whether in is an IP indicator whose address or
// prefix contains a.
func addrMatches(in *ioc.Indicator, a netip.Addr) bool {
	p, ok := ioc.IPKey(in.Type, in.Value)
	return ok && p.Contains(a.WithZone("").Unmap())
}

// domainMatches reports whether name is d or lies under d on a label
// boundary.
func domainMatches(d, name string) bool {
	return name == d || strings.HasSuffix(name, "."+d)
}

// hostMatches checks a URL's host: a bracketed IPv6 address, an IPv4
// address, or else a domain.
func hostMatches(in *ioc.Indicator, h string) bool {
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") && len(h) >= 2 {
		a, err := netip.ParseAddr(h[1 : len(h)-1])
		return err == nil && addrMatches(in, a)
	}
	if a, err := netip.ParseAddr(h); err == nil && a.Is4() {
		return addrMatches(in, a)
	}
	return in.Type == ioc.Domain && domainMatches(in.Value, h)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if !(s[i] >= '0' && s[i] <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// lower folds ASCII letters only, as the engine does.
func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
