package cidr

import (
	"net/netip"
	"slices"

	"github.com/gaissmai/bart"
)

// Pair is one value stored under one prefix.
type Pair struct {
	Prefix netip.Prefix
	Value  uint32
}

// entry is what the trie holds for one prefix. own lists the values stored
// under the prefix; all is own followed by the all of the nearest shorter
// prefix that contains this one. Entries are never modified once a Table
// that holds them has been returned.
type entry struct {
	own []uint32
	all []uint32
}

// Table maps prefixes to values and answers containment lookups. The zero
// value is not usable; call Build. A Table is immutable and safe for
// concurrent use.
type Table struct {
	trie *bart.Table[*entry]
	n    int
	// persist is set only inside Apply, while its trie is still shared.
	persist bool
}

// Build returns a table of pairs. Prefixes are masked; invalid prefixes
// are skipped. The same prefix may carry several values; a repeated
// (prefix, value) pair is stored once.
func Build(pairs []Pair) *Table {
	t := &Table{trie: new(bart.Table[*entry])}
	for _, p := range pairs {
		if !p.Prefix.IsValid() {
			continue
		}
		pfx := p.Prefix.Masked()
		e, ok := t.trie.Get(pfx)
		if !ok {
			e = &entry{}
			t.trie.Insert(pfx, e)
		}
		if !slices.Contains(e.own, p.Value) {
			e.own = append(e.own, p.Value)
			t.n++
		}
	}
	closeAll(t.trie.AllSorted4(), nil)
	closeAll(t.trie.AllSorted6(), nil)
	return t
}

type frame struct {
	pfx netip.Prefix
	e   *entry
}

// closeAll fills the all list of each entry of seq, which must be in CIDR
// sort order (a prefix before the prefixes it contains), starting from the
// given stack of enclosing prefixes. It mutates the entries and so runs
// only on entries not yet visible to readers.
func closeAll(seq func(func(netip.Prefix, *entry) bool), stack []frame) {
	for pfx, e := range seq {
		for len(stack) > 0 && !contains(stack[len(stack)-1].pfx, pfx) {
			stack = stack[:len(stack)-1]
		}
		var up []uint32
		if len(stack) > 0 {
			up = stack[len(stack)-1].e.all
		}
		e.all = append(append(make([]uint32, 0, len(e.own)+len(up)), e.own...), up...)
		stack = append(stack, frame{pfx, e})
	}
}

// contains reports whether prefix a contains prefix b.
func contains(a, b netip.Prefix) bool {
	return a.Bits() <= b.Bits() && a.Contains(b.Addr())
}

// Len returns the number of (prefix, value) pairs in the table.
func (t *Table) Len() int { return t.n }

// Lookup returns the values of every prefix that contains a, those of the
// longest prefix first. The slice borrows the table's memory: the caller
// must not modify it; it stays valid as long as the table is reachable.
// a must be unmapped (IPv4 as IPv4). Hot path: it allocates nothing.
func (t *Table) Lookup(a netip.Addr) []uint32 {
	e, ok := t.trie.Lookup(a)
	if !ok {
		return nil
	}
	return e.all
}

// LookupPrefix returns the values of every prefix that contains p
// (p itself included), like Lookup. Hot path: it allocates nothing.
func (t *Table) LookupPrefix(p netip.Prefix) []uint32 {
	e, ok := t.trie.LookupPrefix(p)
	if !ok {
		return nil
	}
	return e.all
}

// Apply returns a table with the pairs of del removed and those of add
// added; t is not changed. A small change set (up to persistLimit pairs)
// copies on write only the trie paths to the changed prefixes, sharing
// every other node with t; a larger one deep-copies the trie once (about
// 10 ms per 100,000 prefixes) and changes the copy in place. Either way a
// changed prefix also rewrites the closure of every prefix it contains:
// adding a /8 above 10,000 stored prefixes rewrites 10,000 entries. A
// change set larger than an eighth of the table rebuilds it whole.
func (t *Table) Apply(del, add []Pair) *Table {
	if len(del)+len(add) > t.n/8+64 {
		return t.rebuild(del, add)
	}
	nt := &Table{trie: t.trie, n: t.n, persist: len(del)+len(add) <= persistLimit}
	if !nt.persist {
		nt.trie = t.trie.Clone()
	}
	for _, p := range del {
		nt.change(p, false)
	}
	for _, p := range add {
		nt.change(p, true)
	}
	nt.persist = false
	return nt
}

// persistLimit is the largest change set Apply makes with persistent
// (copy-on-write) trie operations; above it one deep copy is cheaper.
const persistLimit = 16

// insert and remove change nt's trie, persistently or in place.
func (nt *Table) insert(p netip.Prefix, e *entry) {
	if nt.persist {
		nt.trie = nt.trie.InsertPersist(p, e)
		return
	}
	nt.trie.Insert(p, e)
}

func (nt *Table) remove(p netip.Prefix) {
	if nt.persist {
		nt.trie = nt.trie.DeletePersist(p)
		return
	}
	nt.trie.Delete(p)
}

func (t *Table) rebuild(del, add []Pair) *Table {
	gone := make(map[Pair]bool, len(del))
	for _, p := range del {
		gone[Pair{p.Prefix.Masked(), p.Value}] = true
	}
	pairs := make([]Pair, 0, t.n+len(add))
	for pfx, e := range t.trie.All() {
		for _, v := range e.own {
			if !gone[Pair{pfx, v}] {
				pairs = append(pairs, Pair{pfx, v})
			}
		}
	}
	return Build(append(pairs, add...))
}

// change adds or removes one pair on nt, whose trie it replaces by a
// persistent copy.
func (nt *Table) change(p Pair, add bool) {
	if !p.Prefix.IsValid() {
		return
	}
	pfx := p.Prefix.Masked()
	old, ok := nt.trie.Get(pfx)
	has := ok && slices.Contains(old.own, p.Value)
	if add == has {
		return
	}
	var own []uint32
	if ok {
		own = slices.Clone(old.own)
	}
	if add {
		own = append(own, p.Value)
		nt.n++
	} else {
		own = slices.DeleteFunc(own, func(v uint32) bool { return v == p.Value })
		nt.n--
	}

	// The new entry, or its removal, then the closures below it.
	up := nt.parent(pfx)
	stack := []frame{{pfx, &entry{all: up}}}
	if len(own) == 0 {
		nt.remove(pfx)
	} else {
		e := &entry{own: own, all: append(slices.Clone(own), up...)}
		nt.insert(pfx, e)
		stack[0].e = e
	}
	nt.reclose(pfx, stack)
}

// parent returns the closure of the nearest prefix strictly containing pfx.
func (t *Table) parent(pfx netip.Prefix) []uint32 {
	if pfx.Bits() == 0 {
		return nil
	}
	up := netip.PrefixFrom(pfx.Addr(), pfx.Bits()-1).Masked()
	e, ok := t.trie.LookupPrefix(up)
	if !ok {
		return nil
	}
	return e.all
}

// reclose rewrites, with fresh entries, the closures of every prefix
// strictly inside pfx.
func (nt *Table) reclose(pfx netip.Prefix, stack []frame) {
	var subs []frame
	for q, e := range nt.trie.Subnets(pfx) {
		if q != pfx {
			subs = append(subs, frame{q, &entry{own: e.own}})
		}
	}
	if len(subs) == 0 {
		return
	}
	closeAll(func(yield func(netip.Prefix, *entry) bool) {
		for _, f := range subs {
			if !yield(f.pfx, f.e) {
				return
			}
		}
	}, stack)
	for _, f := range subs {
		nt.insert(f.pfx, f.e)
	}
}

// All calls yield for every (prefix, value) pair, in no particular order.
// It is for tests and rebuilds, not for the hot path.
func (t *Table) All(yield func(Pair) bool) {
	for pfx, e := range t.trie.All() {
		for _, v := range e.own {
			if !yield(Pair{pfx, v}) {
				return
			}
		}
	}
}

// Get returns the values stored under exactly the prefix p (masked). The
// slice borrows the table's memory and must not be modified.
func (t *Table) Get(p netip.Prefix) []uint32 {
	if !p.IsValid() {
		return nil
	}
	e, ok := t.trie.Get(p.Masked())
	if !ok {
		return nil
	}
	return e.own
}
