package matcher

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"net/netip"
	"slices"
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
}

func FuzzParse4(f *testing.F) {
	f.Add("192.168.0.1")
	f.Add("1.2.3.04")
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
