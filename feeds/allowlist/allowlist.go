// Package allowlist keeps values that must never become indicators: the
// reserved, private and documentation address ranges and names that shipped
// defaults cover, and the operator's own known-good values. Feeds are
// filtered through it after loading, so a feed that lists 127.0.0.1 or
// localhost cannot raise verdicts on them.
//
// An entry is an exact value, an address block, or a domain suffix that
// matches the name and every name under it (label-aligned: the suffix
// "example.com" covers "a.example.com" but not "badexample.com").
//
// A List is built once and then only read: Allows and Filter are safe for
// concurrent use, Add and Merge are not.
package allowlist

import (
	"net/netip"
	"strings"

	"github.com/iocflow/iocflow/feeds/ioc"
)

// List is a set of allowlist entries. The zero value is not usable; call
// New, Default or Load.
type List struct {
	// exact maps an indicator id ("domain:a.example") to its reason.
	exact map[string]string
	// blocks maps a prefix length to the masked blocks of that length, so
	// that containment is at most one lookup per length.
	blocks map[int]map[netip.Prefix]string
	// lengths lists the keys of blocks, shortest first.
	lengths []int
	// suffixes maps a canonical domain to its reason; it covers the name
	// and every name under it.
	suffixes map[string]string
	size     int
}

// New returns an empty list.
func New() *List {
	return &List{
		exact:    map[string]string{},
		blocks:   map[int]map[netip.Prefix]string{},
		suffixes: map[string]string{},
	}
}

// Len returns the number of entries.
func (l *List) Len() int { return l.size }

// Add adds one entry with the reason reported when it suppresses an
// indicator. The entry is written as in an allowlist file:
//
//	192.0.2.1, 2001:db8::/32   an address or a block (host bits masked)
//	.example.com, *.example.com  the name and every name under it
//	example.com                this name only
//	other values               an exact URL, e-mail address or hash, typed by
//	                           shape as in a plain list feed
//	type value                 an exact value of the named type
//	                           ("file_name svchost.exe", "mutex Global\x")
func (l *List) Add(entry, reason string) error {
	s := strings.TrimSpace(entry)
	if s == "" {
		return &EntryError{Entry: entry, Reason: "empty entry"}
	}
	if name, rest, ok := strings.Cut(s, " "); ok {
		return l.addTyped(name, strings.TrimSpace(rest), reason)
	}
	if suffix, ok := cutWildcard(s); ok {
		d, err := ioc.CanonicalDomain(suffix)
		if err != nil {
			return &EntryError{Entry: entry, Reason: valueReason(err)}
		}
		l.AddSuffix(d, reason)
		return nil
	}
	if strings.Contains(s, "*") {
		return &EntryError{Entry: entry,
			Reason: "'*' is allowed only as a leading \"*.\" label"}
	}
	t, v, err := ioc.Detect(s)
	if err != nil {
		return &EntryError{Entry: entry, Reason: valueReason(err)}
	}
	if t.IsIP() {
		p, _ := ioc.ParsePrefix(v)
		l.AddBlock(p, reason)
		return nil
	}
	l.addExact(t, v, reason)
	return nil
}

func (l *List) addTyped(name, value, reason string) error {
	t, ok := ioc.ParseType(name)
	if !ok || !t.IsValid() {
		return &EntryError{Entry: name + " " + value,
			Reason: "unknown type " + clipQuote(name) + " before the value"}
	}
	if t.IsIP() {
		p, err := ioc.ParsePrefix(value)
		if err != nil || ioc.AddrType(p.Addr()) != t {
			return &EntryError{Entry: value, Reason: "not an " + t.String() + " address or block"}
		}
		l.AddBlock(p, reason)
		return nil
	}
	v, err := ioc.Canonical(t, value)
	if err != nil {
		return &EntryError{Entry: value, Reason: valueReason(err)}
	}
	l.addExact(t, v, reason)
	return nil
}

// cutWildcard returns the suffix of a ".name" or "*.name" entry.
func cutWildcard(s string) (string, bool) {
	switch {
	case strings.HasPrefix(s, "*."):
		return s[2:], true
	case strings.HasPrefix(s, "."):
		return s[1:], true
	}
	return "", false
}

func (l *List) addExact(t ioc.Type, canonical, reason string) {
	id := ioc.MakeID(t, canonical)
	if _, ok := l.exact[id]; !ok {
		l.size++
		l.exact[id] = reason
	}
}

// AddBlock adds an address block; a single address is a full-length block.
// The block is masked first.
func (l *List) AddBlock(p netip.Prefix, reason string) {
	p = p.Masked()
	set := l.blocks[p.Bits()]
	if set == nil {
		set = map[netip.Prefix]string{}
		l.blocks[p.Bits()] = set
		l.lengths = insertSorted(l.lengths, p.Bits())
	}
	if _, ok := set[p]; !ok {
		l.size++
		set[p] = reason
	}
}

// AddSuffix adds a canonical domain that covers itself and every name under
// it.
func (l *List) AddSuffix(domain, reason string) {
	if _, ok := l.suffixes[domain]; !ok {
		l.size++
		l.suffixes[domain] = reason
	}
}

// Merge adds the entries of o that l lacks. An entry in both keeps l's
// reason.
func (l *List) Merge(o *List) {
	for id, r := range o.exact {
		if _, ok := l.exact[id]; !ok {
			l.size++
			l.exact[id] = r
		}
	}
	for _, set := range o.blocks {
		for p, r := range set {
			l.AddBlock(p, r)
		}
	}
	for d, r := range o.suffixes {
		l.AddSuffix(d, r)
	}
}

func insertSorted(s []int, n int) []int {
	i := 0
	for i < len(s) && s[i] < n {
		i++
	}
	s = append(s, 0)
	copy(s[i+1:], s[i:])
	s[i] = n
	return s
}

// Allows reports whether the canonical value v of type t is on the list,
// and the reason of the entry that covers it. An address or block is
// covered when it lies wholly inside a listed block; a block that only
// overlaps one is not. A domain is covered by an exact entry or a suffix;
// an e-mail address by its domain; a URL by an exact entry or by its host
// (a name or an address). Allows does not allocate for addresses and
// domains.
func (l *List) Allows(t ioc.Type, v string) (reason string, ok bool) {
	if r, ok := l.exact[ioc.MakeID(t, v)]; ok {
		return r, true
	}
	switch t {
	case ioc.IPv4, ioc.IPv6:
		p, err := ioc.ParsePrefix(v)
		if err != nil {
			return "", false
		}
		return l.allowsBlock(p)
	case ioc.Domain:
		return l.allowsDomain(v)
	case ioc.Email:
		at := strings.LastIndexByte(v, '@')
		if at < 0 {
			return "", false
		}
		return l.allowsDomain(v[at+1:])
	case ioc.URL:
		return l.allowsHost(ioc.URLHost(v))
	}
	return "", false
}

func (l *List) allowsBlock(p netip.Prefix) (string, bool) {
	for _, bits := range l.lengths {
		if bits > p.Bits() {
			break
		}
		outer, err := p.Addr().Prefix(bits)
		if err != nil {
			continue
		}
		if r, ok := l.blocks[bits][outer]; ok {
			return r, true
		}
	}
	return "", false
}

func (l *List) allowsDomain(d string) (string, bool) {
	if r, ok := l.exact[ioc.MakeID(ioc.Domain, d)]; ok {
		return r, true
	}
	for s := d; s != ""; {
		if r, ok := l.suffixes[s]; ok {
			return r, true
		}
		i := strings.IndexByte(s, '.')
		if i < 0 {
			break
		}
		s = s[i+1:]
	}
	return "", false
}

func (l *List) allowsHost(host string) (string, bool) {
	if host == "" {
		return "", false
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return l.allowsBlock(netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return l.allowsDomain(host)
}
