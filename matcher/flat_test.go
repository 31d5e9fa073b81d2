package matcher

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/iocflow/iocflow/feeds/ioc"
)

func TestHexWord_MatchesDecode(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(41, 42))
	for range 10000 {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], r.Uint64())
		s := hex.EncodeToString(b[:])
		switch r.IntN(3) {
		case 1:
			s = strings.ToUpper(s)
		case 2:
			m := []byte(s)
			for i := range m {
				if r.IntN(2) == 0 && m[i] >= 'a' {
					m[i] -= 'a' - 'A'
				}
			}
			s = string(m)
		}
		if got, want := hexWord(s), binary.LittleEndian.Uint64(b[:]); got != want {
			t.Fatalf("hexWord(%q) = %x, want %x", s, got, want)
		}
	}
}

func checkParse4(t *testing.T, s string) {
	t.Helper()
	a, err := netip.ParseAddr(s)
	want := err == nil && a.Is4()
	k, ok := parse4Key(s)
	if ok != want {
		t.Fatalf("parse4Key(%q) ok = %v, want %v", s, ok, want)
	}
	if ok && k != ip4Key(a) {
		t.Fatalf("parse4Key(%q) = %08x, want %08x", s, k, ip4Key(a))
	}
	if k2, ok2 := parse4KeyLoop(s); ok2 != ok || ok && k2 != k {
		t.Fatalf("parse4KeyLoop(%q) = %08x, %v; parse4Key %08x, %v", s, k2, ok2, k, ok)
	}
	if a4, ok4 := parse4(s); ok4 != ok || ok && a4 != a {
		t.Fatalf("parse4(%q) = %v, %v; want %v, %v", s, a4, ok4, a, want)
	}
}

func TestParse4_MatchesNetip(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "1.2.3.4", "0.0.0.0", "255.255.255.255", "256.1.1.1",
		"1.2.3", "1.2.3.4.", ".1.2.3.4", "01.2.3.4", "1.02.3.4", "1.2.3.04", "1.2.3.400",
		"1..3.4", "1.2.3.4x", "1.2.3.-4", "1234.1.1.1", "1.2.3.255", "10.0.0.10",
		"100.200.250.199", "1.2.3.4/8", "::1", "1.2.3.4%eth0"} {
		checkParse4(t, s)
	}
	r := rand.New(rand.NewPCG(43, 44))
	for range 100000 {
		checkParse4(t, randString(r, "0123456789..", r.IntN(17)))
	}
	// Near-misses of the word-at-a-time parser: fields of 0 to 4 digits,
	// leading zeros, values around 255, a stray byte (NUL, '/', ':', the
	// bytes next to '.' and the digits, high bytes) anywhere.
	for range 200000 {
		var b []byte
		for f := range 3 + r.IntN(3) {
			if f > 0 {
				b = append(b, '.')
			}
			switch r.IntN(4) {
			case 0:
				b = append(b, randString(r, "0123456789", r.IntN(5))...)
			case 1:
				b = strconv.AppendInt(b, int64(250+r.IntN(10)), 10)
			default:
				b = strconv.AppendInt(b, int64(r.IntN(256)), 10)
			}
		}
		if r.IntN(4) == 0 {
			odd := []byte{0, '/', ':', '-', '.', '0', '9', 0x2e ^ 0x80, 0xb0, 0xff, ' '}
			b[r.IntN(len(b))] = odd[r.IntN(len(odd))]
		}
		checkParse4(t, string(b))
	}
}

// parse4KeyLoop is the byte-at-a-time parser that parse4Key replaced,
// kept as a second oracle and for BenchmarkParse4.
func parse4KeyLoop(s string) (uint32, bool) {
	var k uint32
	i := 0
	for f := range 4 {
		if f > 0 {
			if i >= len(s) || s[i] != '.' {
				return 0, false
			}
			i++
		}
		if i >= len(s) {
			return 0, false
		}
		v := uint32(s[i] - '0')
		if v > 9 {
			return 0, false
		}
		i++
		if v != 0 {
			for range 2 {
				if i >= len(s) {
					break
				}
				d := uint32(s[i] - '0')
				if d > 9 {
					break
				}
				v = v*10 + d
				i++
			}
			if v > 255 {
				return 0, false
			}
		}
		k = k<<8 | v
	}
	return k, i == len(s)
}

func FuzzParse4(f *testing.F) {
	f.Add("192.168.0.1")
	f.Add("1.2.3.04")
	f.Add("1.2.3.4")
	f.Add("255.255.255.255")
	f.Add("1.2.3.256")
	f.Add("1.2.3.\x004")
	f.Add("100.10.1.255")
	f.Fuzz(func(t *testing.T, s string) { checkParse4(t, s) })
}

func randString(r *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// liveSnapshot returns a snapshot in which refs [0, n) are live.
func liveSnapshot(n int) *Snapshot {
	s := &Snapshot{}
	in := ind(ioc.Mutex, "m")
	for r := range Ref(n) {
		s.grow(r)
		s.inds[r>>chunkBits][r&(chunkSize-1)] = in
	}
	s.next = Ref(n)
	return s
}

// TestFlat_SpillsAndRepeats builds tables where many keys share a home
// bucket (so that they spill over several buckets), keys repeat with
// different refs, and tags collide, and checks every key finds exactly
// its refs and absent keys find none.
func TestFlat_SpillsAndRepeats(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(45, 46))
	for round := range 50 {
		n := 1 + r.IntN(2000)
		want := map[uint64][]Ref{}
		hashOf := map[uint64]uint64{}
		var items []item[uint64]
		for i := range n {
			k := r.Uint64()
			h := r.Uint64()
			switch r.IntN(4) {
			case 0: // same home as the previous key
				if i > 0 {
					h = items[i-1].h&^0xffff | h&0xffff
				}
			case 1: // same home and tag as the previous key
				if i > 0 {
					h = items[i-1].h
				}
			case 2: // the previous key again, another ref
				if i > 0 {
					k, h = items[i-1].key, items[i-1].h
				}
			}
			items = append(items, item[uint64]{h, k, Ref(i)})
			want[k] = append(want[k], Ref(i))
			hashOf[k] = h
		}
		ft := newFlat(items)
		s := liveSnapshot(n)
		for k, refs := range want {
			got := ft.appendRefs(s, nil, hashOf[k], k)
			slices.Sort(got)
			if !slices.Equal(got, refs) {
				t.Fatalf("round %d: key %x: refs %v, want %v", round, k, got, refs)
			}
			if !ft.mayHave(hashOf[k]) {
				t.Fatalf("round %d: mayHave false for a present key", round)
			}
		}
		for range 200 {
			k, h := r.Uint64(), r.Uint64()
			if len(want[k]) == 0 && len(ft.appendRefs(s, nil, h, k)) != 0 {
				t.Fatalf("round %d: absent key %x found", round, k)
			}
		}
		if ft.Len() != n {
			t.Fatalf("round %d: Len %d, want %d", round, ft.Len(), n)
		}
	}
}

// TestSnapshot_OverlayMerges applies many deltas to one lineage, so that
// the overlay grows past its limit and is merged into the base several
// times, and checks the snapshot against the reference after each.
func TestSnapshot_OverlayMerges(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(47, 48))
	live := map[string]*ioc.Indicator{}
	var inds []*ioc.Indicator
	newInd := func() *ioc.Indicator {
		var b [32]byte
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return ind(ioc.SHA256, hex.EncodeToString(b[:]))
	}
	for range 4000 {
		in := newInd()
		inds = append(inds, in)
		live[in.ID] = in
	}
	s := Build(1, inds)
	merges := 0
	for v := range uint64(12) {
		var d Delta
		for id := range live {
			if r.IntN(40) == 0 {
				d.Remove = append(d.Remove, id)
				delete(live, id)
			}
		}
		for range 600 {
			in := newInd()
			d.Upsert = append(d.Upsert, in)
			live[in.ID] = in
		}
		before := s.sha256.base
		s = s.Apply(v+2, d)
		if s.sha256.base != before {
			merges++
		}
		checkAgainst(t, r, s, live)
	}
	if merges < 2 {
		t.Errorf("%d merges of the overlay into the base, want at least 2", merges)
	}
}

func TestGather8(t *testing.T) {
	t.Parallel()
	for m := range 256 {
		var w uint64
		for i := range 8 {
			if m>>i&1 != 0 {
				w |= 0x80 << (8 * i)
			}
		}
		if got := gather8(w); int(got) != m {
			t.Fatalf("gather8(%016x) = %08b, want %08b", w, got, m)
		}
	}
}

// TestFormat4_MatchesLoad4 checks that the IPv4 table hashes an address
// (format4) as a lookup hashes its canonical text (load4).
func TestFormat4_MatchesLoad4(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(45, 46))
	keys := []uint32{0, 0xffffffff, 0x01020304, 0x0a000001, 0x64646464, 0x09090909, 0xff000000}
	for range 100000 {
		keys = append(keys, r.Uint32())
	}
	for range 10000 { // short fields, short texts
		keys = append(keys, r.Uint32()&0x0f0f0f0f, r.Uint32()&0x07070707)
	}
	for _, k := range keys {
		s := netip.AddrFrom4([4]byte{byte(k >> 24), byte(k >> 16), byte(k >> 8), byte(k)}).String()
		w0, w1, ok := load4(s)
		if !ok {
			t.Fatalf("load4(%q) not ok", s)
		}
		if g0, g1 := format4(k); g0 != w0 || g1 != w1 {
			t.Fatalf("format4(%08x) = %016x %016x, load4(%q) = %016x %016x", k, g0, g1, s, w0, w1)
		}
	}
}
