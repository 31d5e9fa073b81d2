package matcher

import (
	"net/netip"
	"strings"
	"sync/atomic"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/matcher/cidr"
	"github.com/iocflow/iocflow/matcher/conjunction"
)

// Ref names an indicator inside one Snapshot and the snapshots derived
// from it with Apply (until one of them compacts; see Apply). Compare
// indicators across snapshots by ID, not by Ref.
type Ref uint32

// chunkBits sets the size of the copy-on-write chunks the indicator list
// is kept in: 1,024 pointers, so a delta copies 8 KiB per chunk it
// touches.
const chunkBits = 10

const chunkSize = 1 << chunkBits

// Snapshot is an immutable indicator engine: built once off the hot path,
// then read by any number of goroutines without locks. A Snapshot is safe
// for concurrent use; Apply derives a new one that shares what did not
// change.
//
// Exact values live in flat bucketed hash tables with an overlay for
// deltas (see flat.go): string types keyed by a seeded 64-bit hash and
// checked against the indicator on a hit, hashes by their binary digest,
// host addresses by their bits (IPv4 hashed by its canonical text, so
// that a miss needs no parse). IP ranges live in a cidr.Table and
// substring patterns in an ac automaton. STIX conjunction gates live
// beside them, so that they change with the indicators (Gates).
type Snapshot struct {
	version uint64
	h       hasher
	inds    [][]*ioc.Indicator // chunks of chunkSize; nil marks a removed ref
	next    Ref                // refs [0, next) have been handed out
	live    int
	strs    [ioc.NumTypes]exact[uint64]
	md5     exact[[16]byte]
	sha1    exact[[20]byte]
	sha256  exact[[32]byte]
	sha512  exact[[64]byte]
	ip4     exact[uint32]
	ip6     exact[[16]byte]
	cidrs   *cidr.Table
	// cidr4 is set when cidrs may hold an IPv4 prefix: without one, an
	// IPv4 lookup needs only the exact table. Apply only sets it.
	cidr4 bool
	text  *textIndex
	// gates are the conjunction patterns of the indicators, built and
	// changed with them; gateErrs are the patterns that could not be
	// compiled by the Build or Apply that made this snapshot.
	gates    *conjunction.Set
	gateErrs []error
	// labels has bit n set when some domain indicator has n labels (63
	// standing for 63 or more), so that the parent walk skips the
	// suffixes no indicator can equal. Apply only sets bits.
	labels uint64
}

// Build returns a snapshot of inds with the given version. The indicators
// must have canonical values and distinct ids, and their IDs should be
// ioc.MakeID of type and value, by which Apply finds them; Build does not
// keep the slice, but the indicators must not change afterwards.
// Indicators whose value is empty or invalid for its type are kept (they
// have a Ref) but never match. Build is not for the hot path: about a
// second per million indicators.
func Build(version uint64, inds []*ioc.Indicator) *Snapshot {
	s := &Snapshot{version: version, h: newHasher()}
	b := &builder{h: &s.h}
	for i, in := range inds {
		r := Ref(i)
		s.grow(r)
		s.inds[r>>chunkBits][r&(chunkSize-1)] = in
		if in != nil {
			s.live++
			b.add(r, in)
		}
	}
	s.next = Ref(len(inds))
	b.build(s)
	s.gates, s.gateErrs = conjunction.Build(inds)
	return s
}

// Gates returns the conjunction gates of the snapshot's indicators (see
// matcher/conjunction): a hit on an indicator that is the anchor of a
// STIX conjunction counts only if Gates().Filter keeps it. Build makes
// the Set from the same indicators and Apply changes it with them, so a
// snapshot and its gates always agree. Hot path: it allocates nothing.
func (s *Snapshot) Gates() *conjunction.Set { return s.gates }

// GateErrors returns the *conjunction.BuildError of each source whose
// conjunction pattern could not be compiled by the Build or Apply that
// made this snapshot (for Apply, among the delta's upserts). Those
// sources never match.
func (s *Snapshot) GateErrors() []error { return s.gateErrs }

// grow makes room in the chunk list for r, with a fresh chunk if needed.
func (s *Snapshot) grow(r Ref) {
	if int(r>>chunkBits) == len(s.inds) {
		s.inds = append(s.inds, make([]*ioc.Indicator, chunkSize))
	}
}

// Version returns the version the snapshot was built or applied with;
// every verdict carries it.
func (s *Snapshot) Version() uint64 { return s.version }

// Len returns the number of indicators in the snapshot.
func (s *Snapshot) Len() int { return s.live }

// Indicator returns the indicator r names, or nil if it was removed by a
// later delta. The indicator is shared and must not be modified. Hot
// path: it allocates nothing.
func (s *Snapshot) Indicator(r Ref) *ioc.Indicator {
	if r >= s.next {
		return nil
	}
	return s.inds[r>>chunkBits][r&(chunkSize-1)]
}

// Lookup appends to dst the indicators that an observable value of type t
// matches, and returns the extended slice. Values must be canonical for
// their type (ioc.Canonical), except Text, which is taken as the event
// gave it. What matches, per type:
//
//   - ipv4, ipv6: every indicator address or prefix containing the
//     address, all of them and not only the longest; IPv4-mapped IPv6 is
//     looked up as IPv4 and a zone is ignored;
//   - domain: the name and each parent on label boundaries ("a.b.example"
//     finds "b.example" and "example", never "xample"); a trailing dot is
//     ignored;
//   - url: the URL itself, then its host: as an address for an IP host,
//     as a domain with its parents otherwise;
//   - email: the address, exact (its domain is canonical lower case; the
//     local part is compared as written);
//   - md5, sha1, sha256, sha512: the digest, hex in either case;
//   - file_name, file_path, process_name, registry_key: exact on the
//     canonical (lower-case) form; mutex and user_agent: exact and
//     case-sensitive;
//   - text: every substring pattern occurring in the value, overlapping
//     ones included, ignoring ASCII case; each indicator once.
//
// The same indicator is never appended twice by one call. Hot path: Lookup
// allocates only when dst must grow, and, for ipv6 text that has only the
// characters of IPv6 notation but is still malformed, the parse error.
func (s *Snapshot) Lookup(t ioc.Type, v string, dst []Ref) []Ref {
	switch t {
	case ioc.IPv4, ioc.IPv6:
		if w0, w1, ok := load4(v); ok {
			return s.lookup4Text(v, s.h.ip4Text(w0, w1), dst)
		}
		a, ok := parseAddr(v)
		if !ok {
			return dst
		}
		return s.LookupAddr(a, dst)
	case ioc.Domain:
		return s.lookupDomain(strings.TrimSuffix(v, "."), dst)
	case ioc.URL:
		dst = s.lookupString(ioc.URL, v, dst)
		return s.lookupHost(ioc.URLHost(v), dst)
	case ioc.MD5, ioc.SHA1, ioc.SHA256, ioc.SHA512:
		return s.lookupHash(t, v, dst)
	case ioc.Text:
		return s.lookupText(v, dst)
	}
	if !t.IsValid() {
		return dst
	}
	return s.lookupString(t, v, dst)
}

// LookupAddr appends every indicator whose address or prefix contains a.
// Hot path: it allocates only when dst must grow.
func (s *Snapshot) LookupAddr(a netip.Addr, dst []Ref) []Ref {
	a = a.WithZone("").Unmap()
	if a.Is4() {
		k := ip4Key(a)
		return s.lookup4(k, s.hash4(k), dst)
	}
	if a.Is6() {
		k := a.As16()
		dst = s.ip6.appendRefs(s, dst, s.h.ip6(k), k)
	}
	if s.cidrs != nil {
		for _, r := range s.cidrs.Lookup(a) {
			dst = append(dst, Ref(r))
		}
	}
	return dst
}

// lookup4Text is Lookup of v, which load4 accepted and whose words hash
// to h: IPv4 text or nothing. Without IPv4 prefixes in the snapshot a miss
// in the exact table's tags settles it, before v is parsed; the exact
// table is hashed by the canonical text, and only canonical text parses.
// Hot path.
func (s *Snapshot) lookup4Text(v string, h uint64, dst []Ref) []Ref {
	if !s.cidr4 && !s.ip4.mayHave(h) {
		return dst
	}
	k, ok := parse4Key(v)
	if !ok {
		return dst
	}
	return s.lookup4(k, h, dst)
}

// hash4 returns the IPv4 table's hash of k (as ip4Key gives it), or 0
// when the table is empty: hashing k formats its text.
func (s *Snapshot) hash4(k uint32) uint64 {
	if s.ip4.empty() {
		return 0
	}
	return s.h.ip4(k)
}

// lookup4 is LookupAddr for the IPv4 address k (as ip4Key gives it),
// whose hash is h (hash4).
func (s *Snapshot) lookup4(k uint32, h uint64, dst []Ref) []Ref {
	dst = s.ip4.appendRefs(s, dst, h, k)
	if s.cidr4 && s.cidrs != nil {
		a := netip.AddrFrom4([4]byte{byte(k >> 24), byte(k >> 16), byte(k >> 8), byte(k)})
		for _, r := range s.cidrs.Lookup(a) {
			dst = append(dst, Ref(r))
		}
	}
	return dst
}

// lookupString appends the indicators of type t whose value is v. The
// table holds hashes; each candidate is checked against its indicator.
func (s *Snapshot) lookupString(t ioc.Type, v string, dst []Ref) []Ref {
	tb := &s.strs[t]
	if tb.empty() {
		return dst
	}
	h := s.h.str(v)
	start := len(dst)
	dst = tb.appendRefs(s, dst, h, h)
	if len(dst) == start {
		return dst
	}
	j := start
	for _, r := range dst[start:] {
		if in := s.Indicator(r); in != nil && in.Value == v {
			dst[j] = r
			j++
		}
	}
	return dst[:j]
}

// lookupDomain walks the name and its parents, one label at a time,
// probing only the suffixes whose label count some indicator has.
func (s *Snapshot) lookupDomain(v string, dst []Ref) []Ref {
	if s.strs[ioc.Domain].empty() {
		return dst
	}
	n := labelCount(v)
	for {
		bit := uint64(1) << min(n, 63)
		if s.labels&bit != 0 {
			dst = s.lookupString(ioc.Domain, v, dst)
		}
		if n <= 63 && s.labels&(bit-1) == 0 {
			return dst // no indicator has fewer labels
		}
		i := strings.IndexByte(v, '.')
		if i < 0 {
			return dst
		}
		v, n = v[i+1:], n-1
	}
}

// labelCount returns the number of labels of a name: one more than its
// dots.
func labelCount(v string) int { return strings.Count(v, ".") + 1 }

// lookupHost looks up the host of a canonical URL: a bracketed IPv6
// address, an IPv4 address or a domain.
func (s *Snapshot) lookupHost(h string, dst []Ref) []Ref {
	if len(h) >= 2 && h[0] == '[' && h[len(h)-1] == ']' {
		if a, ok := parseAddr(h[1 : len(h)-1]); ok {
			return s.LookupAddr(a, dst)
		}
		return dst
	}
	if w0, w1, ok := load4(h); ok {
		if k, ok := parse4Key(h); ok {
			// h parsed, so it is canonical: hash its text, not k.
			return s.lookup4(k, s.h.ip4Text(w0, w1), dst)
		}
	}
	return s.lookupDomain(h, dst)
}

// lookupHash looks a hex digest up in its type's table. The hash comes
// from the first 16 hex digits, decoded a word at a time without checking
// them; the rest of the digest is decoded, and the whole checked, only
// when the tags show a candidate, so a miss reads the text once and the
// table's bucket once.
func (s *Snapshot) lookupHash(t ioc.Type, v string, dst []Ref) []Ref {
	switch t {
	case ioc.MD5:
		var k [16]byte
		if h, ok := probeDigest(s, &s.md5, k[:], v); ok {
			dst = s.md5.appendRefs(s, dst, h, k)
		}
	case ioc.SHA1:
		var k [20]byte
		if h, ok := probeDigest(s, &s.sha1, k[:], v); ok {
			dst = s.sha1.appendRefs(s, dst, h, k)
		}
	case ioc.SHA256:
		var k [32]byte
		if h, ok := probeDigest(s, &s.sha256, k[:], v); ok {
			dst = s.sha256.appendRefs(s, dst, h, k)
		}
	case ioc.SHA512:
		var k [64]byte
		if h, ok := probeDigest(s, &s.sha512, k[:], v); ok {
			dst = s.sha512.appendRefs(s, dst, h, k)
		}
	}
	return dst
}

// probeDigest hashes the hex digest v, of 2*len(b) digits, probes the tags
// of e, and only on a candidate decodes v into b. It returns the hash and
// whether b now holds the digest with a candidate for it.
func probeDigest[K comparable](s *Snapshot, e *exact[K], b []byte, v string) (uint64, bool) {
	if len(v) != 2*len(b) {
		return 0, false
	}
	h := s.h.word(hexWord(v))
	return h, e.mayHave(h) && decodeHex(b, v)
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
