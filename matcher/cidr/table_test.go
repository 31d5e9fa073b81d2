package cidr

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

// naive is the obviously right answer: every pair whose prefix contains a.
func naive(pairs map[Pair]bool, a netip.Addr) []uint32 {
	var out []uint32
	for p := range pairs {
		if p.Prefix.Contains(a) {
			out = append(out, p.Value)
		}
	}
	slices.Sort(out)
	return out
}

func randPrefix(r *rand.Rand) netip.Prefix {
	if r.IntN(3) == 0 {
		var b [16]byte
		b[0], b[1], b[2] = 0x20, 0x01, byte(r.IntN(4))
		b[3] = byte(r.IntN(4))
		b[15] = byte(r.IntN(4))
		return netip.PrefixFrom(netip.AddrFrom16(b), r.IntN(129)).Masked()
	}
	a := netip.AddrFrom4([4]byte{10, byte(r.IntN(3)), byte(r.IntN(3)), byte(r.IntN(4))})
	return netip.PrefixFrom(a, r.IntN(33)).Masked()
}

func checkAll(t *testing.T, tb *Table, pairs map[Pair]bool, r *rand.Rand) {
	t.Helper()
	if tb.Len() != len(pairs) {
		t.Fatalf("Len() = %d, want %d", tb.Len(), len(pairs))
	}
	for range 300 {
		a := randPrefix(r).Addr()
		got := slices.Clone(tb.Lookup(a))
		slices.Sort(got)
		if want := naive(pairs, a); !slices.Equal(got, want) {
			t.Fatalf("Lookup(%v) = %v, want %v", a, got, want)
		}
	}
}

func TestTable_LookupMatchesNaive(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	pairs := map[Pair]bool{}
	var list []Pair
	for i := range 400 {
		p := Pair{randPrefix(r), uint32(i % 350)}
		list = append(list, p)
		pairs[p] = true
	}
	checkAll(t, Build(list), pairs, r)
}

func TestTable_ApplyMatchesNaive(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	pairs := map[Pair]bool{}
	tb := Build(nil)
	for round := range 40 {
		var del, add []Pair
		for p := range pairs {
			if r.IntN(4) == 0 {
				del = append(del, p)
			}
		}
		for i := range 1 + r.IntN(30) {
			add = append(add, Pair{randPrefix(r), uint32(round*100 + i%7)})
		}
		old := tb
		oldPairs := maps(pairs)
		tb = tb.Apply(del, add)
		for _, p := range del {
			delete(pairs, p)
		}
		for _, p := range add {
			pairs[p] = true
		}
		checkAll(t, tb, pairs, r)
		checkAll(t, old, oldPairs, r) // the old table is untouched
	}
}

func maps(m map[Pair]bool) map[Pair]bool {
	c := make(map[Pair]bool, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func TestTable_LookupPrefixReportsSupernets(t *testing.T) {
	t.Parallel()
	p := netip.MustParsePrefix
	tb := Build([]Pair{{p("10.0.0.0/8"), 1}, {p("10.1.0.0/16"), 2}, {p("10.1.2.0/24"), 3}})
	got := tb.LookupPrefix(p("10.1.0.0/20"))
	if want := []uint32{2, 1}; !slices.Equal(got, want) {
		t.Fatalf("LookupPrefix(10.1.0.0/20) = %v, want %v", got, want)
	}
	got = tb.Lookup(netip.MustParseAddr("10.1.2.3"))
	if want := []uint32{3, 2, 1}; !slices.Equal(got, want) {
		t.Fatalf("Lookup(10.1.2.3) = %v, want %v", got, want)
	}
}

func TestTable_LookupAllocatesNothing(t *testing.T) {
	p := netip.MustParsePrefix
	tb := Build([]Pair{{p("10.0.0.0/8"), 1}, {p("2001:db8::/32"), 2}})
	a4, a6 := netip.MustParseAddr("10.9.9.9"), netip.MustParseAddr("2001:db8::1")
	n := testing.AllocsPerRun(100, func() {
		_ = tb.Lookup(a4)
		_ = tb.Lookup(a6)
	})
	if n != 0 {
		t.Fatalf("Lookup allocates %v times per run, want 0", n)
	}
}
