package ac

// outFlag marks, in a transition target, a state at which some pattern
// ends (its own or one reached through failure links).
const outFlag = 1 << 31

// none is the absent state in dict links.
const none = ^uint32(0)

// Automaton is an immutable Aho-Corasick automaton. It is safe for
// concurrent use. Its size is about 21 bytes per trie state plus
// 4 × classes bytes per dense state; Size reports it.
//
// The fields are laid out for the scan loop: class and dense are read for
// every byte; the sparse arrays and fail only below the dense depth; own
// and dict only when a pattern ends.
type Automaton struct {
	class  [256]uint8
	nc     uint32   // number of byte classes
	nDense uint32   // states [0, nDense) have dense rows
	dense  []uint32 // nDense × nc targets, outFlag set where output
	// Sparse states s >= nDense: transitions sparseCls/sparseNext in
	// [sparseStart[s-nDense], sparseStart[s-nDense+1]), failure link
	// fail[s-nDense] (a plain id).
	sparseStart []uint32
	sparseCls   []uint8
	sparseNext  []uint32
	fail        []uint32
	// own[ownStart[s]:ownStart[s+1]] are the patterns ending exactly at
	// state s; dict[s] is the nearest state on its failure chain at which
	// a pattern ends, or none.
	ownStart []uint32
	own      []uint32
	dict     []uint32
	patterns int
	depth    int
	// The start filter: while the scan is at the root, it moves on,
	// without touching the automaton, past the positions where no pattern
	// can start. Every pattern has at least minLen bytes; filter has the
	// bit hash(g) set for each of the stride grams g of gram bytes
	// (folded) at offsets 0 to stride-1 of every pattern, where
	// gram+stride-1 = minLen. An occurrence starting at s therefore sets
	// the bit of the gram at any one position in [s, s+stride-1], and one
	// probe clears stride candidate starts. gram 0: no filter.
	gram   int
	stride int
	minLen int
	gmask  uint64
	fshift uint
	filter []uint64
}

// Len returns the number of patterns the automaton was built from,
// counting the empty ones it ignores.
func (a *Automaton) Len() int { return a.patterns }

// States returns the number of trie states.
func (a *Automaton) States() int { return len(a.dict) }

// DenseDepth returns the deepest level of the trie that has dense rows.
func (a *Automaton) DenseDepth() int { return a.depth }

// Size returns the automaton's approximate memory use in bytes.
func (a *Automaton) Size() int {
	return 256 + 4*len(a.dense) + 4*len(a.sparseStart) + 5*len(a.sparseCls) +
		4*len(a.fail) + 4*len(a.ownStart) + 4*len(a.own) + 4*len(a.dict) + 8*len(a.filter)
}

// AppendMatches appends to dst the index of every pattern that occurs in
// text, each once, and returns the extended slice. Overlapping and nested
// occurrences all count. The appended indexes are in increasing order and
// distinct from each other; entries of dst before the call are left
// alone and not looked at. Hot path: it allocates only when dst must grow.
func AppendMatches[T ~uint32](a *Automaton, dst []T, text string) []T {
	start := len(dst)
	s := uint32(0)
	for i := 0; i < len(text); i++ {
		if s == 0 && a.gram > 0 {
			if i = a.skip(text, i); i == len(text) {
				break
			}
		}
		c := uint32(a.class[text[i]])
		if c == 0 {
			s = 0
			continue
		}
		next := a.step(s, c)
		s = next &^ outFlag
		if next&outFlag != 0 {
			dst = report(a, dst, start, s)
		}
	}
	return dst
}

// Contains reports whether any pattern occurs in text. Hot path: it
// allocates nothing.
func (a *Automaton) Contains(text string) bool {
	s := uint32(0)
	for i := 0; i < len(text); i++ {
		if s == 0 && a.gram > 0 {
			if i = a.skip(text, i); i == len(text) {
				break
			}
		}
		c := uint32(a.class[text[i]])
		if c == 0 {
			s = 0
			continue
		}
		next := a.step(s, c)
		if next&outFlag != 0 {
			return true
		}
		s = next
	}
	return false
}

// skip returns the first position at or after i where some pattern may
// start, by the start filter, or len(text) if there is none: the scan is
// at the root, so an occurrence can only begin at such a position. It
// probes one gram per stride positions: the gram at i+stride-1 covers the
// starts i to i+stride-1. Hot path.
func (a *Automaton) skip(text string, i int) int {
	n := len(text)
	k := a.stride
	for last := n - a.minLen; i <= last; i += k {
		j := i + k - 1
		var x uint64
		if j+8 <= n {
			x = le64(text[j:])
		} else {
			for b := a.gram - 1; b >= 0; b-- {
				x = x<<8 | uint64(text[j+b])
			}
		}
		if a.mayStart(x) {
			return i
		}
	}
	return n
}

// mayStart reports whether some pattern may begin with the first gram
// bytes of x (little-endian; the rest ignored).
func (a *Automaton) mayStart(x uint64) bool {
	h := a.gramHash(foldWord(x))
	return a.filter[h>>6]&(1<<(h&63)) != 0
}

func (a *Automaton) gramHash(x uint64) uint64 {
	return (x & a.gmask) * 0x9e3779b97f4a7c15 >> a.fshift
}

// foldWord turns the ASCII upper-case letters among the 8 bytes of x to
// lower case and leaves every other byte alone.
func foldWord(x uint64) uint64 {
	const low7, high = 0x7f7f7f7f7f7f7f7f, 0x8080808080808080
	y := x & low7
	ge := y + 0x3f3f3f3f3f3f3f3f // high bit: byte >= 'A'
	gt := y + 0x2525252525252525 // high bit: byte > 'Z'
	upper := ge &^ gt &^ x & high
	return x | upper>>2
}

// le64 loads the first 8 bytes of s as a little-endian word.
func le64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// step returns the target of state s on class c, with outFlag.
func (a *Automaton) step(s, c uint32) uint32 {
	for s >= a.nDense {
		k := s - a.nDense
		lo, hi := a.sparseStart[k], a.sparseStart[k+1]
		for j := lo; j < hi; j++ {
			if uint32(a.sparseCls[j]) == c {
				return a.sparseNext[j]
			}
		}
		s = a.fail[k]
	}
	return a.dense[s*a.nc+c]
}

// report adds the patterns ending at state s to dst[start:], keeping that
// part sorted and free of repeats.
func report[T ~uint32](a *Automaton, dst []T, start int, s uint32) []T {
	for s != none {
		for _, p := range a.own[a.ownStart[s]:a.ownStart[s+1]] {
			dst = insertSorted(dst, start, T(p))
		}
		s = a.dict[s]
	}
	return dst
}

// insertSorted inserts v into the sorted dst[start:] unless it is there.
func insertSorted[T ~uint32](dst []T, start int, v T) []T {
	lo, hi := start, len(dst)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if dst[m] < v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(dst) && dst[lo] == v {
		return dst
	}
	dst = append(dst, 0)
	copy(dst[lo+1:], dst[lo:])
	dst[lo] = v
	return dst
}
