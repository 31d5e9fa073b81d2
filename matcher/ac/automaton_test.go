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
