package matcher

import "math/bits"

// The exact tables. Each type's keys live in one flat, immutable table
// built at Build (the base) and, after deltas, a second flat table of the
// keys added since (the overlay), which Apply rebuilds whole and merges
// into a new base once it grows past a fraction of the base.
//
// A flat table is an array of 32-byte buckets, each holding up to 14
// 16-bit tags (fingerprints of the key's hash; 0 marks an empty lane) and
// the position of its first entry in dense key and ref arrays. Keys are
// placed in the order of their home bucket, spilling into the following
// buckets when one is full; a bucket that a key homed at or before it
// spilled past carries a flag, and a lookup moves on to the next bucket
// only while the flag is set. Buckets are sized for 7 keys each on
// average, so a flag is set on about one bucket in 170: a miss reads one
// bucket (half a cache line), compares its tags with four word operations
// and stops, and a false tag match costs one key comparison in about
// 5,000 lookups.
//
// Removals do not touch the tables: a removed ref's indicator is nil in
// the snapshot, and every key match is checked against it. Entries of
// removed refs are dropped when the table is next rebuilt, and the
// snapshot compacts itself when they exceed a quarter of its refs (Apply).

const (
	bucketTags = 14 // tag lanes per bucket
	bucketLoad = 7  // keys per bucket, on average, when a table is built

	lanes1 = 0x0001000100010001
	lanes7 = 0x7fff7fff7fff7fff
	lanes8 = 0x8000800080008000
	// metaLanes covers the last two lanes of the fourth word, which hold
	// the bucket's metadata rather than tags.
	metaLanes = 0xffffffff00000000
	spillFlag = 1 << 63
)

// bucket is four words of 16-bit lanes: lanes 0 to 13 are tags, and the
// top 32 bits of word 3 are the index of the bucket's first entry (bits
// 32 to 62) and the spill flag (bit 63).
type bucket [4]uint64

// item is one (hash, key, ref) triple to build a table from.
type item[K comparable] struct {
	h   uint64
	key K
	ref Ref
}

// flat is an immutable bucketed hash table from keys to refs; see above.
// The caller supplies a seeded 64-bit hash of each key; the table compares
// keys for equality. A nil *flat is empty.
type flat[K comparable] struct {
	buckets []bucket // nb home buckets, then the spill
	keys    []K
	refs    []Ref
	nb      uint64
}

// tagOf returns the 16-bit tag of a hash, never 0. The home bucket comes
// from the top 32 bits, the tag from the bottom 16.
func tagOf(h uint64) uint64 { return h&0xffff | 1 }

// homeOf returns the home bucket of h among nb.
func homeOf(h, nb uint64) uint64 { return (h >> 32) * nb >> 32 }

// zero16 sets the top bit of every 16-bit lane of x that is zero, and of
// no other (the low 15 bits of a lane are added without carrying into the
// next lane).
func zero16(x uint64) uint64 { return ^((x&lanes7 + lanes7) | x) & lanes8 }

// matches returns, per word of b, the lanes whose tag may equal tag.
func (b *bucket) matches(tag uint64) (m0, m1, m2, m3 uint64) {
	p := tag * lanes1
	return zero16(b[0] ^ p), zero16(b[1] ^ p), zero16(b[2] ^ p), zero16((b[3] ^ p) | metaLanes)
}

func (b *bucket) base() int { return int(b[3] >> 32 & 0x7fffffff) }

// appendRefs appends the live refs of the entries whose key is k; s is the
// snapshot whose indicators say which refs are live. Hot path: it
// allocates only when dst must grow.
func (t *flat[K]) appendRefs(s *Snapshot, dst []Ref, h uint64, k K) []Ref {
	if t == nil {
		return dst
	}
	tag := tagOf(h)
	for i := homeOf(h, t.nb); ; i++ {
		b := &t.buckets[i]
		m0, m1, m2, m3 := b.matches(tag)
		if m0|m1|m2|m3 != 0 {
			dst = t.collect(s, dst, b, [4]uint64{m0, m1, m2, m3}, k)
		}
		if b[3]&spillFlag == 0 {
			return dst
		}
	}
}

// collect appends the live refs of the flagged lanes of b whose key is k.
func (t *flat[K]) collect(s *Snapshot, dst []Ref, b *bucket, m [4]uint64, k K) []Ref {
	base := b.base()
	for w, mw := range m {
		for mw != 0 {
			j := base + w*4 + bits.TrailingZeros64(mw)/16
			mw &= mw - 1
			if t.keys[j] == k && s.Indicator(t.refs[j]) != nil {
				dst = append(dst, t.refs[j])
			}
		}
	}
	return dst
}

// mayHave reports whether some entry may have a key hashing to h: a probe
// of the tags alone, which settles a miss without reading any key. Hot
// path.
func (t *flat[K]) mayHave(h uint64) bool {
	if t == nil {
		return false
	}
	tag := tagOf(h)
	for i := homeOf(h, t.nb); ; i++ {
		b := &t.buckets[i]
		m0, m1, m2, m3 := b.matches(tag)
		if m0|m1|m2|m3 != 0 {
			return true
		}
		if b[3]&spillFlag == 0 {
			return false
		}
	}
}

// Len returns the number of entries, live or not.
func (t *flat[K]) Len() int {
	if t == nil {
		return 0
	}
	return len(t.keys)
}

// newFlat builds a table of items, which it does not keep.
func newFlat[K comparable](items []item[K]) *flat[K] {
	n := len(items)
	if n == 0 {
		return nil
	}
	nb := (n + bucketLoad - 1) / bucketLoad
	// Counting sort of the items by home bucket (stable).
	homes := make([]uint32, n)
	start := make([]uint32, nb+1)
	for i := range items {
		hb := uint32(homeOf(items[i].h, uint64(nb)))
		homes[i] = hb
		start[hb+1]++
	}
	for b := 1; b <= nb; b++ {
		start[b] += start[b-1]
	}
	order := make([]uint32, n)
	for i, hb := range homes {
		order[start[hb]] = uint32(i)
		start[hb]++
	}
	t := &flat[K]{buckets: make([]bucket, nb, nb+nb/64+1), keys: make([]K, n),
		refs: make([]Ref, n), nb: uint64(nb)}
	next := 0 // next item to place, in home order
	for b := 0; b < nb || next < n; b++ {
		if b == len(t.buckets) {
			t.buckets = append(t.buckets, bucket{})
		}
		bk := &t.buckets[b]
		base := next
		for lane := 0; lane < bucketTags && next < n && int(homes[order[next]]) <= b; lane++ {
			it := &items[order[next]]
			bk[lane/4] |= tagOf(it.h) << (16 * (lane % 4))
			t.keys[next], t.refs[next] = it.key, it.ref
			next++
		}
		bk[3] |= uint64(base) << 32
		if next < n && int(homes[order[next]]) <= b {
			bk[3] |= spillFlag
		}
	}
	return t
}

// liveItems appends the entries of t whose ref s still holds, with their
// hashes.
func (t *flat[K]) liveItems(s *Snapshot, hash func(K) uint64, out []item[K]) []item[K] {
	if t == nil {
		return out
	}
	for i, k := range t.keys {
		if r := t.refs[i]; s.Indicator(r) != nil {
			out = append(out, item[K]{hash(k), k, r})
		}
	}
	return out
}

// exact is one type's exact index: the base table and the overlay of the
// keys added by deltas since the base was built.
type exact[K comparable] struct {
	base, over *flat[K]
}

// appendRefs appends the live refs whose key is k. Hot path.
func (e *exact[K]) appendRefs(s *Snapshot, dst []Ref, h uint64, k K) []Ref {
	dst = e.base.appendRefs(s, dst, h, k)
	if e.over != nil {
		dst = e.over.appendRefs(s, dst, h, k)
	}
	return dst
}

// mayHave reports whether a key hashing to h may be present. Hot path.
func (e *exact[K]) mayHave(h uint64) bool {
	return e.base.mayHave(h) || e.over.mayHave(h)
}

// empty reports whether the index has no entries at all.
func (e *exact[K]) empty() bool { return e.base == nil && e.over == nil }

// overlayMax is the largest overlay kept beside a base of n entries: past
// it, Apply merges the overlay into a new base. Rebuilding the overlay on
// every Apply costs in proportion to its size, and a lookup probes its
// buckets after the base's, so it is kept to a sixteenth of the base
// (whose buckets then take at most a few hundred KiB at a million keys,
// well inside L2); merging costs a rebuild of the base.
func overlayMax(n int) int { return max(1024, n/16) }

// apply returns the index with the items of add added, for the snapshot
// s, whose indicators say which refs are still live. Entries of removed
// refs are dropped from whatever is rebuilt.
func (e exact[K]) apply(s *Snapshot, add []item[K], hash func(K) uint64) exact[K] {
	if len(add) == 0 {
		return e
	}
	items := e.over.liveItems(s, hash, make([]item[K], 0, e.over.Len()+len(add)))
	items = append(items, add...)
	if len(items) <= overlayMax(e.base.Len()) {
		return exact[K]{base: e.base, over: newFlat(items)}
	}
	return exact[K]{base: newFlat(e.base.liveItems(s, hash, items))}
}

// each calls fn for every entry of the base and the overlay, live or not.
// It is for tests.
func (e *exact[K]) each(fn func(k K, r Ref)) {
	for _, t := range []*flat[K]{e.base, e.over} {
		if t == nil {
			continue
		}
		for i, k := range t.keys {
			fn(k, t.refs[i])
		}
	}
}
