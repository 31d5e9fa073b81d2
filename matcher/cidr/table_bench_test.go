package cidr

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"testing"

	"github.com/gaissmai/bart"
	"github.com/iocflow/iocflow/matcher/internal/cputime"
	"github.com/yl2chen/cidranger"
)

const nQueries = 1 << 16

// benchData returns n mixed prefixes (three IPv4 to one IPv6) and
// addresses to look up, in the same proportions.
func benchData(n int) ([]Pair, []netip.Addr) {
	r := rand.New(rand.NewPCG(9, 10))
	v6 := func() [16]byte {
		var a [16]byte
		for i := range a {
			a[i] = byte(r.Uint32())
		}
		a[0], a[1] = 0x20, 0x01
		return a
	}
	pairs := make([]Pair, n)
	for i := range pairs {
		if i%4 == 0 {
			pairs[i].Prefix = netip.PrefixFrom(netip.AddrFrom16(v6()), 24+r.IntN(41)).Masked()
		} else {
			a := netip.AddrFrom4([4]byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), 0})
			pairs[i].Prefix = netip.PrefixFrom(a, 8+r.IntN(17)).Masked()
		}
		pairs[i].Value = uint32(i)
	}
	addrs := make([]netip.Addr, nQueries)
	for i := range addrs {
		if i%4 == 0 {
			addrs[i] = netip.AddrFrom16(v6())
		} else {
			addrs[i] = netip.AddrFrom4([4]byte{byte(r.Uint32()), byte(r.Uint32()),
				byte(r.Uint32()), byte(r.Uint32())})
		}
	}
	return pairs, addrs
}

// BenchmarkLookup compares, on the same prefixes and addresses, this
// package's Table (bart with closures: every containing prefix), bare
// bart.Table and bart.Fast longest-prefix match, cidranger's
// ContainingNetworks, and probing a Go map once per prefix length present.
func BenchmarkLookup(b *testing.B) {
	for _, n := range []int{1e4, 1e5} {
		pairs, addrs := benchData(n)
		b.Run(fmt.Sprintf("n=%d/impl=cidr", n), func(b *testing.B) {
			t := Build(pairs)
			b.ReportAllocs()
			found := 0
			stop := cputime.Start(b)
			for i := 0; b.Loop(); i++ {
				found += len(t.Lookup(addrs[i&(nQueries-1)]))
			}
			stop()
		})
		b.Run(fmt.Sprintf("n=%d/impl=bart-lpm", n), func(b *testing.B) {
			var t bart.Table[uint32]
			for _, p := range pairs {
				t.Insert(p.Prefix, p.Value)
			}
			b.ReportAllocs()
			stop := cputime.Start(b)
			for i := 0; b.Loop(); i++ {
				t.Lookup(addrs[i&(nQueries-1)])
			}
			stop()
		})
		b.Run(fmt.Sprintf("n=%d/impl=bart-fast-lpm", n), func(b *testing.B) {
			var t bart.Fast[uint32]
			for _, p := range pairs {
				t.Insert(p.Prefix, p.Value)
			}
			b.ReportAllocs()
			stop := cputime.Start(b)
			for i := 0; b.Loop(); i++ {
				t.Lookup(addrs[i&(nQueries-1)])
			}
			stop()
		})
		b.Run(fmt.Sprintf("n=%d/impl=cidranger", n), func(b *testing.B) {
			benchRanger(b, pairs, addrs)
		})
		b.Run(fmt.Sprintf("n=%d/impl=lenmaps", n), func(b *testing.B) {
			benchLenMaps(b, pairs, addrs)
		})
	}
}

func benchRanger(b *testing.B, pairs []Pair, addrs []netip.Addr) {
	rg := cidranger.NewPCTrieRanger()
	for _, p := range pairs {
		_, nw, err := net.ParseCIDR(p.Prefix.String())
		if err != nil {
			b.Fatal(err)
		}
		if err := rg.Insert(cidranger.NewBasicRangerEntry(*nw)); err != nil {
			b.Fatal(err)
		}
	}
	ips := make([]net.IP, len(addrs))
	for i, a := range addrs {
		ips[i] = net.IP(a.AsSlice())
	}
	b.ReportAllocs()
	stop := cputime.Start(b)
	for i := 0; b.Loop(); i++ {
		if _, err := rg.ContainingNetworks(ips[i&(nQueries-1)]); err != nil {
			b.Fatal(err)
		}
	}
	stop()
}

func benchLenMaps(b *testing.B, pairs []Pair, addrs []netip.Addr) {
	m := map[netip.Prefix][]uint32{}
	var has4, has6 [129]bool
	for _, p := range pairs {
		m[p.Prefix] = append(m[p.Prefix], p.Value)
		if p.Prefix.Addr().Is4() {
			has4[p.Prefix.Bits()] = true
		} else {
			has6[p.Prefix.Bits()] = true
		}
	}
	var bits4, bits6 []int
	for i := range has4 {
		if has4[i] {
			bits4 = append(bits4, i)
		}
		if has6[i] {
			bits6 = append(bits6, i)
		}
	}
	b.ReportAllocs()
	found := 0
	stop := cputime.Start(b)
	for i := 0; b.Loop(); i++ {
		a := addrs[i&(nQueries-1)]
		bits := bits6
		if a.Is4() {
			bits = bits4
		}
		for _, n := range bits {
			p, _ := a.Prefix(n)
			found += len(m[p])
		}
	}
	stop()
}

// BenchmarkApply measures a change set of 1,000 prefixes (half removed,
// half added) on a table of 1e5.
func BenchmarkApply(b *testing.B) {
	pairs, _ := benchData(100_000)
	t := Build(pairs[:99_500])
	del, add := pairs[:500], pairs[99_500:]
	b.ReportAllocs()
	stop := cputime.Start(b)
	for b.Loop() {
		t.Apply(del, add)
	}
	stop()
}
