package matcher

import (
	"encoding/hex"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/iocflow/iocflow/feeds/ioc"
)

// Ref names an indicator inside one Snapshot. It is valid only for the
// snapshot that returned it.
type Ref uint32

// Snapshot is an immutable indicator engine: built once off the hot path,
// then read by any number of goroutines without locks.
type Snapshot struct {
	version    uint64
	indicators []*ioc.Indicator
	// strs holds the exact-match types keyed by canonical value.
	strs [ioc.NumTypes]map[string][]Ref
	md5  map[[16]byte]Ref
	sha1 map[[20]byte]Ref
	sha2 map[[32]byte]Ref
	sha5 map[[64]byte]Ref
	// prefixes keys IP indicators by masked prefix; bits4 and bits6 list the
	// prefix lengths present, longest first, so a lookup probes only those.
	prefixes map[netip.Prefix][]Ref
	bits4    []int
	bits6    []int
	texts    []textPattern
}

type textPattern struct {
	pattern string
	ref     Ref
}

// Build returns a snapshot of inds with the given version. The indicators
// must have canonical values and distinct ids; Build takes ownership of the
// slice and of the indicators, which must not change afterwards.
func Build(version uint64, inds []*ioc.Indicator) *Snapshot {
	s := &Snapshot{
		version:    version,
		indicators: inds,
		md5:        map[[16]byte]Ref{},
		sha1:       map[[20]byte]Ref{},
		sha2:       map[[32]byte]Ref{},
		sha5:       map[[64]byte]Ref{},
		prefixes:   map[netip.Prefix][]Ref{},
	}
	for i, in := range inds {
		s.add(Ref(i), in)
	}
	slices.Reverse(s.bits4)
	slices.Reverse(s.bits6)
	return s
}

func (s *Snapshot) add(r Ref, in *ioc.Indicator) {
	switch t := in.Type; {
	case t.IsIP():
		p, ok := ioc.IPKey(t, in.Value)
		if !ok {
			return
		}
		s.prefixes[p] = append(s.prefixes[p], r)
		if p.Addr().Is4() {
			s.bits4 = insertSorted(s.bits4, p.Bits())
		} else {
			s.bits6 = insertSorted(s.bits6, p.Bits())
		}
	case t.IsHash():
		s.addHash(t, in.Value, r)
	case t == ioc.Text:
		s.texts = append(s.texts, textPattern{pattern: in.Value, ref: r})
	default:
		if s.strs[t] == nil {
			s.strs[t] = map[string][]Ref{}
		}
		s.strs[t][in.Value] = append(s.strs[t][in.Value], r)
	}
}

func (s *Snapshot) addHash(t ioc.Type, v string, r Ref) {
	b, err := hex.DecodeString(v)
	if err != nil || len(b) != t.HashLen() {
		return
	}
	switch t {
	case ioc.MD5:
		s.md5[[16]byte(b)] = r
	case ioc.SHA1:
		s.sha1[[20]byte(b)] = r
	case ioc.SHA256:
		s.sha2[[32]byte(b)] = r
	case ioc.SHA512:
		s.sha5[[64]byte(b)] = r
	}
}

func insertSorted(xs []int, x int) []int {
	i, found := slices.BinarySearch(xs, x)
	if found {
		return xs
	}
	return slices.Insert(xs, i, x)
}

// Version returns the version the snapshot was built with; every verdict
// carries it.
func (s *Snapshot) Version() uint64 { return s.version }

// Len returns the number of indicators in the snapshot.
func (s *Snapshot) Len() int { return len(s.indicators) }

// Indicator returns the indicator r names. The indicator is shared and must
// not be modified.
func (s *Snapshot) Indicator(r Ref) *ioc.Indicator { return s.indicators[r] }

// Lookup appends to dst the indicators that a canonical observable value of
// type t matches, and returns the extended slice:
//
//   - ipv4, ipv6: every indicator prefix containing the address, longest
//     first;
//   - domain: the name and each parent on label boundaries;
//   - url: the URL itself, then its host as a domain or an address;
//   - hashes and the other exact types: the value;
//   - text: every substring pattern occurring in the value.
//
// Hot path: Lookup allocates only when dst must grow.
func (s *Snapshot) Lookup(t ioc.Type, v string, dst []Ref) []Ref {
	switch t {
	case ioc.IPv4, ioc.IPv6:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return dst
		}
		return s.LookupAddr(a, dst)
	case ioc.Domain:
		return s.lookupDomain(v, dst)
	case ioc.URL:
		dst = append(dst, s.strs[ioc.URL][v]...)
		return s.lookupHost(ioc.URLHost(v), dst)
	case ioc.MD5, ioc.SHA1, ioc.SHA256, ioc.SHA512:
		return s.lookupHash(t, v, dst)
	case ioc.Text:
		return s.lookupText(v, dst)
	}
	if !t.IsValid() {
		return dst
	}
	return append(dst, s.strs[t][v]...)
}

// LookupAddr appends every indicator whose prefix contains a. Hot path.
func (s *Snapshot) LookupAddr(a netip.Addr, dst []Ref) []Ref {
	a = a.Unmap()
	bits := s.bits6
	if a.Is4() {
		bits = s.bits4
	}
	for _, b := range bits {
		p, _ := a.Prefix(b)
		dst = append(dst, s.prefixes[p]...)
	}
	return dst
}

func (s *Snapshot) lookupDomain(v string, dst []Ref) []Ref {
	m := s.strs[ioc.Domain]
	if m == nil {
		return dst
	}
	for {
		dst = append(dst, m[v]...)
		i := strings.IndexByte(v, '.')
		if i < 0 {
			return dst
		}
		v = v[i+1:]
	}
}

func (s *Snapshot) lookupHost(h string, dst []Ref) []Ref {
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	if a, err := netip.ParseAddr(h); err == nil {
		return s.LookupAddr(a, dst)
	}
	return s.lookupDomain(h, dst)
}

func (s *Snapshot) lookupHash(t ioc.Type, v string, dst []Ref) []Ref {
	var buf [64]byte
	n := t.HashLen()
	if len(v) != 2*n {
		return dst
	}
	if _, err := hex.Decode(buf[:n], []byte(v)); err != nil {
		return dst
	}
	var r Ref
	var ok bool
	switch t {
	case ioc.MD5:
		r, ok = s.md5[[16]byte(buf[:16])]
	case ioc.SHA1:
		r, ok = s.sha1[[20]byte(buf[:20])]
	case ioc.SHA256:
		r, ok = s.sha2[[32]byte(buf[:32])]
	case ioc.SHA512:
		r, ok = s.sha5[buf]
	}
	if ok {
		dst = append(dst, r)
	}
	return dst
}

// lookupText scans for every pattern. It is linear in the number of
// patterns.
func (s *Snapshot) lookupText(v string, dst []Ref) []Ref {
	for _, p := range s.texts {
		if strings.Contains(v, p.pattern) {
			dst = append(dst, p.ref)
		}
	}
	return dst
}

// Engine holds the snapshot in force and swaps it atomically. The zero
// value holds an empty snapshot of version 0. It is safe for concurrent
// use: readers never lock.
type Engine struct {
	cur atomic.Pointer[Snapshot]
}

var empty = Build(0, nil)

// Load returns the snapshot in force. Hot path: it allocates nothing.
func (e *Engine) Load() *Snapshot {
	if s := e.cur.Load(); s != nil {
		return s
	}
	return empty
}

// Store puts s in force. Lookups already running finish on the snapshot they
// loaded.
func (e *Engine) Store(s *Snapshot) { e.cur.Store(s) }
