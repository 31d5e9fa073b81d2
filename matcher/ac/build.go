package ac

import (
	"slices"
	"strings"
)

// Options tunes Build. The zero value selects the defaults.
type Options struct {
	// DenseBytes caps the memory of the dense rows, in bytes. Default
	// 16 MiB: large enough for every state of depth 3 or less over a
	// 40-class alphabet, small enough to stay mostly in a 4 MiB L2 cache
	// in the parts ordinary text visits.
	DenseBytes int
}

const defaultDenseBytes = 16 << 20

// trie is the pattern trie in insertion order, used only while building.
type trie struct {
	label      []uint8 // class of the edge into the node
	firstChild []int32
	nextSib    []int32
	depth      []int32
	own        [][]uint32
}

func (t *trie) add(label uint8, depth int32) int32 {
	t.label = append(t.label, label)
	t.firstChild = append(t.firstChild, -1)
	t.nextSib = append(t.nextSib, -1)
	t.depth = append(t.depth, depth)
	t.own = append(t.own, nil)
	return int32(len(t.label) - 1)
}

// Build returns an automaton for patterns; a pattern is named by its
// index. Empty patterns are ignored (they never match). Patterns are
// folded to lower case for ASCII letters. Build is not for the hot path:
// it takes about a second per million trie states.
func Build(patterns []string, opt Options) *Automaton {
	if opt.DenseBytes <= 0 {
		opt.DenseBytes = defaultDenseBytes
	}
	a := &Automaton{patterns: len(patterns)}
	folded := make([]string, len(patterns))
	for i, p := range patterns {
		folded[i] = lowerASCII(p)
	}
	a.buildClasses(folded)
	t := buildTrie(folded, &a.class)
	order := bfsOrder(t)
	a.nDense = denseCount(t, order, a.nc, opt.DenseBytes)
	if a.nDense > 0 {
		a.depth = int(t.depth[order[a.nDense-1]])
	}
	a.link(t, order)
	a.buildFilter(folded)
	return a
}

// filterBits is the size of the start filter per gram, in bits: a
// position of text where no pattern starts passes it with a chance of
// about one in filterBits.
const filterBits = 16

// buildFilter sets up the start filter over the folded patterns. The
// gram is about half the shortest pattern, at least 5 bytes where the
// patterns allow and at most 8, so that grams of ordinary text seldom
// pass and one probe covers several starts. With a pattern of one byte
// the dense root row already does the filter's work, and there is none.
func (a *Automaton) buildFilter(folded []string) {
	m, n := 1<<30, 0
	for _, p := range folded {
		if p != "" {
			m = min(m, len(p))
			n++
		}
	}
	if n == 0 || m < 2 {
		return
	}
	g := min(8, m, max(5, (m+2)/2))
	a.minLen, a.gram, a.stride = m, g, m-g+1
	a.gmask = ^uint64(0) >> (64 - 8*g)
	logBits := 12
	for 1<<logBits < filterBits*n*a.stride && logBits < 26 {
		logBits++
	}
	a.fshift = uint(64 - logBits)
	a.filter = make([]uint64, 1<<(logBits-6))
	for _, p := range folded {
		if p == "" {
			continue
		}
		for o := range a.stride {
			var x uint64
			for j := g - 1; j >= 0; j-- {
				x = x<<8 | uint64(p[o+j])
			}
			h := a.gramHash(x)
			a.filter[h>>6] |= 1 << (h & 63)
		}
	}
}

// buildClasses gives each byte that occurs in a folded pattern its own
// class, upper-case ASCII letters that of their lower case, and every
// other byte class 0.
func (a *Automaton) buildClasses(folded []string) {
	var seen [256]bool
	for _, p := range folded {
		for i := 0; i < len(p); i++ {
			seen[p[i]] = true
		}
	}
	n := uint8(0)
	for b := range 256 {
		if seen[b] && n < 255 {
			n++
			a.class[b] = n
		}
	}
	for b := 'A'; b <= 'Z'; b++ {
		a.class[b] = a.class[b+'a'-'A']
	}
	a.nc = uint32(n) + 1
}

// buildTrie inserts the patterns in sorted order, so that each node's
// children come in increasing class order and each pattern shares its
// path with the previous one up to their common prefix.
func buildTrie(folded []string, class *[256]uint8) *trie {
	idx := make([]int, 0, len(folded))
	for i, p := range folded {
		if p != "" {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(x, y int) int { return strings.Compare(folded[x], folded[y]) })
	t := &trie{}
	t.add(0, 0)
	path := []int32{0} // path[d] is the node at depth d of the previous pattern
	prev := ""
	lastChild := []int32{-1}
	for _, i := range idx {
		p := folded[i]
		lcp := commonPrefix(prev, p)
		path, lastChild = path[:lcp+1], lastChild[:lcp+1]
		for d := lcp; d < len(p); d++ {
			n := t.add(class[p[d]], int32(d+1))
			parent := path[d]
			if lastChild[d] < 0 {
				t.firstChild[parent] = n
			} else {
				t.nextSib[lastChild[d]] = n
			}
			lastChild[d] = n
			path = append(path, n)
			lastChild = append(lastChild, -1)
		}
		end := path[len(p)]
		t.own[end] = append(t.own[end], uint32(i))
		prev = p
	}
	return t
}

func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// bfsOrder returns the trie nodes in breadth-first order, children in
// class order.
func bfsOrder(t *trie) []int32 {
	order := make([]int32, 0, len(t.label))
	order = append(order, 0)
	for i := 0; i < len(order); i++ {
		for c := t.firstChild[order[i]]; c >= 0; c = t.nextSib[c] {
			order = append(order, c)
		}
	}
	return order
}

// denseCount returns how many states, in BFS order, get dense rows: all
// states of the deepest complete levels that fit in budget bytes, and at
// least the root.
func denseCount(t *trie, order []int32, nc uint32, budget int) uint32 {
	maxStates := max(1, budget/(4*int(nc)))
	n := 1
	for n < len(order) {
		// Take the whole next level or stop.
		d := t.depth[order[n]]
		end := n
		for end < len(order) && t.depth[order[end]] == d {
			end++
		}
		if end > maxStates {
			break
		}
		n = end
	}
	return uint32(n)
}

// lowerASCII folds ASCII letters to lower case and leaves every other byte,
// valid UTF-8 or not, as it is.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
