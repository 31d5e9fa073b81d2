package ac

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// naive is the obviously right answer: the index of every non-empty
// pattern that occurs in text, ASCII case ignored.
func naive(patterns []string, text string) []uint32 {
	var out []uint32
	low := lowerASCII(text)
	for i, p := range patterns {
		if p != "" && strings.Contains(low, lowerASCII(p)) {
			out = append(out, uint32(i))
		}
	}
	return out
}

func randString(r *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

func TestAutomaton_MatchesNaive(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 8))
	for _, dense := range []int{1, 64, 1 << 10, 0} {
		for round := range 60 {
			pats := make([]string, 1+r.IntN(40))
			for i := range pats {
				pats[i] = randString(r, "abcAB\xc3", r.IntN(6))
			}
			a := Build(pats, Options{DenseBytes: dense})
			for range 20 {
				text := randString(r, "abcdABC\xc3", r.IntN(40))
				got := AppendMatches(a, []uint32(nil), text)
				if want := naive(pats, text); !slices.Equal(got, want) {
					t.Fatalf("dense %d round %d: patterns %q text %q: got %v, want %v",
						dense, round, pats, text, got, want)
				}
				if c := a.Contains(text); c != (len(got) > 0) {
					t.Fatalf("Contains(%q) = %v with matches %v", text, c, got)
				}
			}
		}
	}
}

func TestAutomaton_ReportsOverlapping(t *testing.T) {
	t.Parallel()
	pats := []string{"he", "she", "his", "hers", "", "HE"}
	a := Build(pats, Options{})
	got := AppendMatches(a, []uint32{99}, "uSHErs")
	if want := []uint32{99, 0, 1, 3, 5}; !slices.Equal(got, want) {
		t.Fatalf("AppendMatches(uSHErs) = %v, want %v", got, want)
	}
}

func TestAutomaton_AppendMatchesAllocatesNothing(t *testing.T) {
	a := Build([]string{"powershell -enc", "mimikatz", "vssadmin delete"}, Options{})
	text := "cmd.exe /c VSSADMIN Delete shadows /all /quiet & mimikatz.exe"
	dst := make([]uint32, 0, 8)
	n := testing.AllocsPerRun(100, func() {
		dst = AppendMatches(a, dst[:0], text)
	})
	if n != 0 || len(dst) != 2 {
		t.Fatalf("AppendMatches: %v allocations, %d matches; want 0 and 2", n, len(dst))
	}
}

// TestAutomaton_StartFilter checks the start filter with patterns of every
// shortest length (so gram lengths 2 to 8 and the tails of texts), in
// mixed case and with bytes outside ASCII, against the naive answer.
func TestAutomaton_StartFilter(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(9, 10))
	for round := range 400 {
		minLen := 2 + r.IntN(18)
		pats := make([]string, 1+r.IntN(30))
		for i := range pats {
			pats[i] = randString(r, "abAB\xc3\x9f-", minLen+r.IntN(5))
		}
		a := Build(pats, Options{DenseBytes: []int{1, 1 << 10, 0}[round%3]})
		m := len(pats[0])
		for _, p := range pats {
			m = min(m, len(p))
		}
		if a.minLen != m || a.gram+a.stride-1 != m || a.gram > 8 {
			t.Fatalf("shortest pattern %d: filter gram %d stride %d", m, a.gram, a.stride)
		}
		for range 20 {
			text := randString(r, "abcABC\xc3\x9f-", r.IntN(80))
			if r.IntN(2) == 0 {
				// Plant a pattern, often at the very end.
				p := pats[r.IntN(len(pats))]
				if r.IntN(2) == 0 {
					text += strings.ToUpper(p)
				} else {
					text = p + text
				}
			}
			got := AppendMatches(a, []uint32(nil), text)
			if want := naive(pats, text); !slices.Equal(got, want) {
				t.Fatalf("round %d: patterns %q text %q: got %v, want %v", round, pats, text, got, want)
			}
			if c := a.Contains(text); c != (len(got) > 0) {
				t.Fatalf("Contains(%q) = %v with matches %v", text, c, got)
			}
		}
	}
}

func TestFoldWord(t *testing.T) {
	t.Parallel()
	for b := range 256 {
		for pos := range 8 {
			x := uint64(0x4142_7a5a_405b_6061) ^ uint64(b)<<(8*pos)
			want := uint64(0)
			for j := range 8 {
				c := byte(x >> (8 * j))
				if c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
				want |= uint64(c) << (8 * j)
			}
			if got := foldWord(x); got != want {
				t.Fatalf("foldWord(%016x) = %016x, want %016x", x, got, want)
			}
		}
	}
}
