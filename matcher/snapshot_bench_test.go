package matcher

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bits-and-blooms/bloom/v3"
	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/matcher/internal/cputime"
)

// Sizes swept by the benchmarks. 1e7 runs only with IOCFLOW_BENCH_1E7=1:
// it needs about 4 GiB and a minute per type to set up.
func benchSizes() []int {
	if os.Getenv("IOCFLOW_BENCH_1E7") != "" {
		return []int{1e4, 1e6, 1e7}
	}
	return []int{1e4, 1e6}
}

const nQueries = 1 << 16

var tlds = []string{"com", "net", "org", "ru", "io", "info", "xyz", "top"}

func randLabel(r *rand.Rand) string {
	const abc = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 5+r.IntN(8))
	for i := range b {
		b[i] = abc[r.IntN(len(abc))]
	}
	return string(b)
}

// benchValue returns a random canonical value of type t.
func benchValue(r *rand.Rand, t ioc.Type) string {
	switch t {
	case ioc.IPv4:
		return netip.AddrFrom4([4]byte{byte(r.Uint32()), byte(r.Uint32()),
			byte(r.Uint32()), byte(r.Uint32())}).String()
	case ioc.IPv6:
		var b [16]byte
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		b[0] = 0x20
		return netip.AddrFrom16(b).String()
	case ioc.Domain:
		return randLabel(r) + "." + pick(r, tlds)
	case ioc.URL:
		return "http://" + randLabel(r) + "." + pick(r, tlds) + "/" + randLabel(r)
	case ioc.Email:
		return randLabel(r) + "@" + randLabel(r) + "." + pick(r, tlds)
	case ioc.MD5, ioc.SHA1, ioc.SHA256, ioc.SHA512:
		b := make([]byte, t.HashLen())
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return hex.EncodeToString(b)
	case ioc.FilePath:
		return `c:\users\` + randLabel(r) + `\appdata\` + randLabel(r) + ".exe"
	case ioc.RegistryKey:
		return `hkey_local_machine\software\` + randLabel(r) + `\` + randLabel(r)
	}
	return randLabel(r) + randLabel(r)
}

type benchSet struct {
	inds    []*ioc.Indicator
	queries []string // 1 in 1,000 a hit
}

var (
	setMu    sync.Mutex
	setCache = map[string]*benchSet{}
)

// getSet returns n indicators of type t and queries against them; one set
// is cached at a time to bound memory.
func getSet(t ioc.Type, n int) *benchSet {
	setMu.Lock()
	defer setMu.Unlock()
	key := fmt.Sprint(t, n)
	if s, ok := setCache[key]; ok {
		return s
	}
	clear(setCache)
	runtime.GC()
	r := rand.New(rand.NewPCG(uint64(t), uint64(n)))
	s := &benchSet{inds: make([]*ioc.Indicator, n), queries: make([]string, nQueries)}
	for i := range s.inds {
		v := benchValue(r, t)
		// No sources: the engine does not read them, and 1e7 of them
		// would dwarf what is measured.
		s.inds[i] = &ioc.Indicator{ID: ioc.MakeID(t, v), Type: t, Value: v}
	}
	for i := range s.queries {
		if i%1000 == 0 {
			s.queries[i] = s.inds[r.IntN(n)].Value
		} else {
			s.queries[i] = benchValue(r, t)
		}
	}
	setCache[key] = s
	return s
}

var exactTypes = []ioc.Type{ioc.IPv4, ioc.Domain, ioc.SHA256, ioc.MD5}

// BenchmarkLookupExact measures exact lookups of canonical observables
// (99.9% misses) against a bare Go map of the same keys in the same run.
func BenchmarkLookupExact(b *testing.B) {
	for _, t := range exactTypes {
		for _, n := range benchSizes() {
			set := getSet(t, n)
			s := Build(1, set.inds)
			b.Run(fmt.Sprintf("type=%v/n=%d/impl=snapshot", t, n), func(b *testing.B) {
				benchLookup(b, s, t, set.queries)
			})
			b.Run(fmt.Sprintf("type=%v/n=%d/impl=gomap", t, n), func(b *testing.B) {
				benchGoMap(b, set)
			})
			s = nil
		}
	}
}

func benchLookup(b *testing.B, s *Snapshot, t ioc.Type, qs []string) {
	b.ReportAllocs()
	dst := make([]Ref, 0, 16)
	hits := 0
	stop := cputime.Start(b)
	for i := 0; b.Loop(); i++ {
		dst = s.Lookup(t, qs[i&(nQueries-1)], dst[:0])
		hits += len(dst)
	}
	stop()
	if hits == 0 {
		b.Fatal("no hits")
	}
}

func benchGoMap(b *testing.B, set *benchSet) {
	m := make(map[string]Ref, len(set.inds))
	for i, in := range set.inds {
		m[in.Value] = Ref(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	hits := 0
	stop := cputime.Start(b)
	for i := 0; b.Loop(); i++ {
		if _, ok := m[set.queries[i&(nQueries-1)]]; ok {
			hits++
		}
	}
	stop()
	if hits == 0 {
		b.Fatal("no hits")
	}
}

// BenchmarkLookupExactParallel is the shared-snapshot variant: every
// core looks up in one snapshot.
func BenchmarkLookupExactParallel(b *testing.B) {
	set := getSet(ioc.SHA256, 1e6)
	s := Build(1, set.inds)
	b.ReportAllocs()
	b.ResetTimer()
	var seed atomic.Uint64
	b.RunParallel(func(pb *testing.PB) {
		i := int(seed.Add(7919))
		dst := make([]Ref, 0, 16)
		for pb.Next() {
			dst = s.Lookup(ioc.SHA256, set.queries[i&(nQueries-1)], dst[:0])
			i++
		}
	})
}

// BenchmarkLookupDomainParents measures names of three and four labels
// walked up to their parents against 1e6 registered domains.
func BenchmarkLookupDomainParents(b *testing.B) {
	for _, n := range benchSizes() {
		set := getSet(ioc.Domain, n)
		s := Build(1, set.inds)
		r := rand.New(rand.NewPCG(5, 6))
		qs := make([]string, nQueries)
		for i := range qs {
			qs[i] = randLabel(r) + "." + set.queries[i]
			if i%2 == 0 {
				qs[i] = "www." + qs[i]
			}
		}
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			benchLookup(b, s, ioc.Domain, qs)
		})
	}
}

// BenchmarkLookupCIDR measures address lookups against 1e5 mixed IPv4 and
// IPv6 prefixes (all containing prefixes reported).
func BenchmarkLookupCIDR(b *testing.B) {
	r := rand.New(rand.NewPCG(9, 10))
	inds := make([]*ioc.Indicator, 0, 1e5)
	for range 100000 {
		var p netip.Prefix
		if r.IntN(4) == 0 {
			var a [16]byte
			for i := range a {
				a[i] = byte(r.Uint32())
			}
			a[0], a[1] = 0x20, 0x01
			p = netip.PrefixFrom(netip.AddrFrom16(a), 24+r.IntN(41)).Masked()
		} else {
			a := netip.AddrFrom4([4]byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), 0})
			p = netip.PrefixFrom(a, 8+r.IntN(17)).Masked()
		}
		inds = append(inds, ind(ioc.AddrType(p.Addr()), ioc.FormatPrefix(p)))
	}
	s := Build(1, inds)
	addrs := make([]netip.Addr, nQueries)
	for i := range addrs {
		if i%4 == 0 {
			var a [16]byte
			for j := range a {
				a[j] = byte(r.Uint32())
			}
			a[0], a[1] = 0x20, 0x01
			addrs[i] = netip.AddrFrom16(a)
		} else {
			addrs[i] = netip.AddrFrom4([4]byte{byte(r.Uint32()), byte(r.Uint32()),
				byte(r.Uint32()), byte(r.Uint32())})
		}
	}
	b.Run("n=100000", func(b *testing.B) {
		b.ReportAllocs()
		dst := make([]Ref, 0, 16)
		stop := cputime.Start(b)
		for i := 0; b.Loop(); i++ {
			dst = s.LookupAddr(addrs[i&(nQueries-1)], dst[:0])
		}
		stop()
	})
}

// BenchmarkBloomFront compares a bloom/v3 test, the candidate first check,
// with a full miss in the snapshot's table on the same keys.
func BenchmarkBloomFront(b *testing.B) {
	set := getSet(ioc.Domain, 1e6)
	f := bloom.NewWithEstimates(uint(len(set.inds)), 0.01)
	for _, in := range set.inds {
		f.AddString(in.Value)
	}
	s := Build(1, set.inds)
	b.Run("impl=bloom-v3", func(b *testing.B) {
		b.ReportAllocs()
		hits := 0
		stop := cputime.Start(b)
		for i := 0; b.Loop(); i++ {
			if f.TestString(set.queries[i&(nQueries-1)]) {
				hits++
			}
		}
		stop()
	})
	b.Run("impl=table", func(b *testing.B) {
		b.ReportAllocs()
		dst := make([]Ref, 0, 16)
		stop := cputime.Start(b)
		for i := 0; b.Loop(); i++ {
			dst = s.lookupString(ioc.Domain, set.queries[i&(nQueries-1)], dst[:0])
		}
		stop()
	})
}

// BenchmarkMemory reports the heap the snapshot's index takes per
// indicator (the indicators themselves are the caller's and not counted).
func BenchmarkMemory(b *testing.B) {
	types := []ioc.Type{ioc.IPv4, ioc.IPv6, ioc.Domain, ioc.URL, ioc.Email, ioc.MD5,
		ioc.SHA1, ioc.SHA256, ioc.SHA512, ioc.FilePath, ioc.RegistryKey, ioc.UserAgent}
	for _, t := range types {
		for _, n := range benchSizes() {
			if n > 1e6 && t != ioc.SHA256 {
				continue
			}
			set := getSet(t, n)
			b.Run(fmt.Sprintf("type=%v/n=%d", t, n), func(b *testing.B) {
				var s *Snapshot
				var perInd float64
				stop := cputime.Start(b)
				for b.Loop() {
					before := heapInUse()
					s = Build(1, set.inds)
					perInd = float64(heapInUse()-before) / float64(n)
				}
				stop()
				runtime.KeepAlive(s)
				b.ReportMetric(perInd, "B/ind")
				if h := t.HashLen(); h > 0 {
					b.ReportMetric(perInd/float64(h), "x-binary")
				}
			})
		}
	}
}

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// BenchmarkBuild measures building a snapshot of n SHA-256 indicators.
func BenchmarkBuild(b *testing.B) {
	for _, n := range benchSizes() {
		set := getSet(ioc.SHA256, n)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			stop := cputime.Start(b)
			for b.Loop() {
				Build(1, set.inds)
			}
			stop()
		})
	}
}

// BenchmarkApply measures a delta of 1,000 changes (500 removals, 500
// additions, over every type used here) to a snapshot of 1e6 indicators
// while another goroutine looks up in the snapshot in force, and reports
// that goroutine's lookup rate.
func BenchmarkApply(b *testing.B) {
	set := getSet(ioc.SHA256, 1e6)
	base := Build(1, set.inds)
	r := rand.New(rand.NewPCG(13, 14))
	var e Engine
	e.Store(base)
	var done atomic.Bool
	var lookups atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		dst := make([]Ref, 0, 16)
		for i := 0; !done.Load(); i++ {
			dst = e.Load().Lookup(ioc.SHA256, set.queries[i&(nQueries-1)], dst[:0])
			if i&1023 == 0 {
				lookups.Add(1024)
			}
		}
	})
	deltas := make([]Delta, 64)
	for i := range deltas {
		for range 500 {
			deltas[i].Remove = append(deltas[i].Remove, set.inds[r.IntN(len(set.inds))].ID)
			v := benchValue(r, ioc.SHA256)
			deltas[i].Upsert = append(deltas[i].Upsert, ind(ioc.SHA256, v))
		}
	}
	b.ReportAllocs()
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		e.Store(base.Apply(uint64(i+2), deltas[i%len(deltas)]))
	}
	done.Store(true)
	wg.Wait()
	b.ReportMetric(float64(lookups.Load())/time.Since(start).Seconds(), "lookups/s")
}

// BenchmarkLookupOverlay measures exact lookups (99.9% misses) in a
// snapshot of 1e6 indicators whose overlay is as large as it gets before
// a merge (overlayMax), the slowest state of the exact tables.
func BenchmarkLookupOverlay(b *testing.B) {
	for _, t := range []ioc.Type{ioc.Domain, ioc.SHA256} {
		set := getSet(t, 1e6)
		s := Build(1, set.inds)
		r := rand.New(rand.NewPCG(15, 16))
		var d Delta
		for range overlayMax(1e6) {
			d.Upsert = append(d.Upsert, ind(t, benchValue(r, t)))
		}
		s = s.Apply(2, d)
		b.Run(fmt.Sprintf("type=%v/n=1000000/overlay=%d", t, s.strs[ioc.Domain].over.Len()+
			s.sha256.over.Len()), func(b *testing.B) {
			benchLookup(b, s, t, set.queries)
		})
	}
}

// BenchmarkApplyChain applies 150 deltas of 1,000 changes (500 removals,
// 500 additions) one after the other to a snapshot of 1e6 SHA-256
// indicators, so that the overlay is merged into the base along the way,
// and reports the mean and the longest Apply in processor milliseconds.
func BenchmarkApplyChain(b *testing.B) {
	set := getSet(ioc.SHA256, 1e6)
	r := rand.New(rand.NewPCG(17, 18))
	deltas := make([]Delta, 150)
	live := append([]*ioc.Indicator(nil), set.inds...)
	for i := range deltas {
		for range 500 {
			j := r.IntN(len(live))
			deltas[i].Remove = append(deltas[i].Remove, live[j].ID)
			in := ind(ioc.SHA256, benchValue(r, ioc.SHA256))
			live[j] = in
			deltas[i].Upsert = append(deltas[i].Upsert, in)
		}
	}
	for b.Loop() {
		s := Build(1, set.inds)
		var worst, total time.Duration
		for i, d := range deltas {
			t0 := cputime.Used()
			s = s.Apply(uint64(i+2), d)
			el := cputime.Used() - t0
			total += el
			worst = max(worst, el)
		}
		b.ReportMetric(float64(total.Microseconds())/1e3/float64(len(deltas)), "mean-cpu-ms/apply")
		b.ReportMetric(float64(worst.Microseconds())/1e3, "max-cpu-ms/apply")
	}
}

// BenchmarkParse4 compares the word-at-a-time dotted-quad parser with
// the byte loop it replaced (parse4KeyLoop) on the IPv4 queries of
// BenchmarkLookupExact (random addresses).
func BenchmarkParse4(b *testing.B) {
	qs := getSet(ioc.IPv4, 1e4).queries
	for _, impl := range []struct {
		name  string
		parse func(string) (uint32, bool)
	}{{"swar", parse4Key}, {"loop", parse4KeyLoop}} {
		b.Run("impl="+impl.name, func(b *testing.B) {
			var sum uint32
			stop := cputime.Start(b)
			for i := 0; b.Loop(); i++ {
				k, _ := impl.parse(qs[i&(nQueries-1)])
				sum += k
			}
			stop()
			if sum == 0 {
				b.Fatal("nothing parsed")
			}
		})
	}
}

// BenchmarkLookupIPv4WithPrefix is BenchmarkLookupExact for ipv4 at 1e6
// with one IPv4 prefix in the snapshot as well, which makes every lookup
// parse the text and search the prefixes.
func BenchmarkLookupIPv4WithPrefix(b *testing.B) {
	set := getSet(ioc.IPv4, 1e6)
	inds := append(slices.Clip(set.inds), &ioc.Indicator{ID: "p", Type: ioc.IPv4, Value: "192.0.2.0/24"})
	s := Build(1, inds)
	b.Run("impl=snapshot", func(b *testing.B) { benchLookup(b, s, ioc.IPv4, set.queries) })
	b.Run("impl=gomap", func(b *testing.B) { benchGoMap(b, set) })
}
