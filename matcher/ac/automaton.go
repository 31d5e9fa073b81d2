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
		4*len(a.fail) + 4*len(a.ownStart) + 4*len(a.own) + 4*len(a.dict)
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
