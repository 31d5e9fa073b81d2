package matcher

import "math/bits"

// shardTarget is the mean number of entries per shard when a table is
// built. A change rewrites whole shards, so it sets the cost of a delta
// (about 64 entries copied per changed key) against the size of the
// shard directory (48 bytes per shard, copied once per delta).
const shardTarget = 64

// slot is one cell of a shard's open-addressing index: a 32-bit tag of the
// key's hash and the entry's index plus one (0 marks an empty cell). A
// miss reads only slots, 8 bytes each, at a load of at most one half.
type slot struct {
	tag uint32
	i   uint32
}

// entry is one key and the indicator it names. A key may repeat, with
// different refs.
type entry[K comparable] struct {
	key K
	ref Ref
}

// shard is an immutable open-addressing hash table with linear probing.
type shard[K comparable] struct {
	slots   []slot
	entries []entry[K]
}

// table is a persistent hash table from keys to Refs, split into shards
// by the top bits of the hash so that a change copies only the shards it
// touches. The caller supplies a 64-bit hash h of each key, seeded so that
// outside input cannot aim at one shard; the table compares keys for
// equality. A nil *table is empty. A table is immutable once built.
type table[K comparable] struct {
	shift  uint // 64 - log2(len(shards))
	n      int
	shards []shard[K]
}

// item is one (hash, key, ref) triple to build or change a table with.
type item[K comparable] struct {
	h   uint64
	key K
	ref Ref
}

func tagOf(h uint64) uint32 { return uint32((h * 0x9e3779b97f4a7c15) >> 32) }

// home returns the first cell to probe for h in a shard of n cells.
func home(h uint64, n int) int { return int((uint64(uint32(h)) * uint64(n)) >> 32) }

// appendRefs appends the ref of every entry whose key is k. Hot path: it
// allocates only when dst must grow.
func (t *table[K]) appendRefs(dst []Ref, h uint64, k K) []Ref {
	if t == nil {
		return dst
	}
	sh := &t.shards[h>>t.shift]
	n := len(sh.slots)
	if n == 0 {
		return dst
	}
	tag := tagOf(h)
	for i := home(h, n); ; {
		s := sh.slots[i]
		if s.i == 0 {
			return dst
		}
		if s.tag == tag {
			if e := &sh.entries[s.i-1]; e.key == k {
				dst = append(dst, e.ref)
			}
		}
		if i++; i == n {
			i = 0
		}
	}
}

// hasTag reports whether some entry may have a key hashing to h: a probe
// of the slots alone, which settles a miss without reading any entry.
// Hot path.
func (t *table[K]) hasTag(h uint64) bool {
	if t == nil {
		return false
	}
	sh := &t.shards[h>>t.shift]
	n := len(sh.slots)
	if n == 0 {
		return false
	}
	tag := tagOf(h)
	for i := home(h, n); ; {
		s := sh.slots[i]
		if s.i == 0 {
			return false
		}
		if s.tag == tag {
			return true
		}
		if i++; i == n {
			i = 0
		}
	}
}

// Len returns the number of entries.
func (t *table[K]) Len() int {
	if t == nil {
		return 0
	}
	return t.n
}

// newTable builds a table of items.
func newTable[K comparable](items []item[K]) *table[K] {
	if len(items) == 0 {
		return nil
	}
	nsh := 1
	if len(items) > shardTarget {
		nsh = 1 << bits.Len(uint(len(items)/shardTarget-1))
	}
	t := &table[K]{shift: uint(64 - bits.TrailingZeros(uint(nsh))), n: len(items)}
	t.shards = make([]shard[K], nsh)

	// Count per shard, then carve each shard out of two shared arrays.
	count := make([]int32, nsh)
	for i := range items {
		count[items[i].h>>t.shift]++
	}
	nslots := 0
	for _, c := range count {
		nslots += cells(int(c))
	}
	slots := make([]slot, nslots)
	entries := make([]entry[K], 0, len(items))
	off := 0
	for i, c := range count {
		sh := &t.shards[i]
		sh.slots = slots[off : off+cells(int(c)) : off+cells(int(c))]
		sh.entries = entries[len(entries) : len(entries) : len(entries)+int(c)]
		entries = entries[:len(entries)+int(c)]
		off += cells(int(c))
	}
	for i := range items {
		it := &items[i]
		t.shards[it.h>>t.shift].put(it)
	}
	return t
}

// cells returns the number of cells for n entries: a load of at most one
// half, and at least one empty cell so that every probe ends.
func cells(n int) int {
	if n == 0 {
		return 0
	}
	return 2*n + 1
}

// put adds an item to a shard under construction, whose entries slice has
// the capacity for it.
func (sh *shard[K]) put(it *item[K]) {
	sh.entries = append(sh.entries, entry[K]{it.key, it.ref})
	n := len(sh.slots)
	for i := home(it.h, n); ; {
		if sh.slots[i].i == 0 {
			sh.slots[i] = slot{tagOf(it.h), uint32(len(sh.entries))}
			return
		}
		if i++; i == n {
			i = 0
		}
	}
}

// apply returns a table with the entries (key, ref) of del removed and the
// items of add added; t is not changed. Only the shards that a change
// touches are copied; when the table has grown to four times the size it
// was sharded for, it is rebuilt with more shards.
func (t *table[K]) apply(del, add []item[K], hash func(K) uint64) *table[K] {
	if len(del) == 0 && len(add) == 0 {
		return t
	}
	if t == nil || t.n+len(add) > 4*shardTarget*len(t.shards) {
		return t.rebuild(del, add, hash)
	}
	nt := &table[K]{shift: t.shift, n: t.n, shards: make([]shard[K], len(t.shards))}
	copy(nt.shards, t.shards)
	byShard := map[uint64][]int{}
	for i := range del {
		byShard[del[i].h>>t.shift] = append(byShard[del[i].h>>t.shift], i)
	}
	for i := range add {
		k := add[i].h >> t.shift
		byShard[k] = append(byShard[k], len(del)+i)
	}
	for k, changes := range byShard {
		nt.n += nt.reshard(int(k), changes, del, add, hash)
	}
	return nt
}

// reshard rewrites shard k of nt with the given changes (indexes into del,
// then add) and returns the change in the number of entries.
func (nt *table[K]) reshard(k int, changes []int, del, add []item[K], hash func(K) uint64) int {
	old := nt.shards[k].entries
	kept := make([]item[K], 0, len(old)+len(changes))
	for _, e := range old {
		if !deleted(e, changes, del) {
			kept = append(kept, item[K]{hash(e.key), e.key, e.ref})
		}
	}
	for _, c := range changes {
		if c >= len(del) {
			kept = append(kept, add[c-len(del)])
		}
	}
	sh := shard[K]{slots: make([]slot, cells(len(kept))), entries: make([]entry[K], 0, len(kept))}
	for i := range kept {
		sh.put(&kept[i])
	}
	nt.shards[k] = sh
	return len(kept) - len(old)
}

func deleted[K comparable](e entry[K], changes []int, del []item[K]) bool {
	for _, c := range changes {
		if c < len(del) && del[c].key == e.key && del[c].ref == e.ref {
			return true
		}
	}
	return false
}

func (t *table[K]) rebuild(del, add []item[K], hash func(K) uint64) *table[K] {
	gone := make(map[entry[K]]bool, len(del))
	for _, d := range del {
		gone[entry[K]{d.key, d.ref}] = true
	}
	items := make([]item[K], 0, t.Len()+len(add))
	t.each(func(e entry[K]) {
		if !gone[e] {
			items = append(items, item[K]{hash(e.key), e.key, e.ref})
		}
	})
	return newTable(append(items, add...))
}

// each calls fn for every entry. It is for rebuilds and tests.
func (t *table[K]) each(fn func(entry[K])) {
	if t == nil {
		return
	}
	for i := range t.shards {
		for _, e := range t.shards[i].entries {
			fn(e)
		}
	}
}
