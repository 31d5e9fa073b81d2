package ac

// linker holds the per-state facts needed while the automaton's tables
// are filled in breadth-first order.
type linker struct {
	a      *Automaton
	t      *trie
	order  []int32
	fail   []uint32 // every state's failure link
	hasOut []bool
}

// link fills the automaton's tables from the trie. States are processed in
// breadth-first order, so the failure link of a state, which is shallower,
// always has its transitions filled already.
func (a *Automaton) link(t *trie, order []int32) {
	n := len(order)
	l := &linker{a: a, t: t, order: order, fail: make([]uint32, n), hasOut: make([]bool, n)}
	a.dense = make([]uint32, int(a.nDense)*int(a.nc))
	a.sparseStart = make([]uint32, 0, n-int(a.nDense)+1)
	a.fail = make([]uint32, 0, n-int(a.nDense))
	a.ownStart = make([]uint32, n+1)
	a.dict = make([]uint32, n)
	a.dict[0] = none
	var kids []kid
	next := uint32(1)
	for s := range uint32(n) {
		kids = kids[:0]
		for c := t.firstChild[order[s]]; c >= 0; c = t.nextSib[c] {
			kids = append(kids, kid{class: t.label[c], id: next, node: c})
			next++
		}
		if s >= a.nDense {
			// Open the range of s first: a failure link may point to the
			// state just before, whose range it closes.
			a.sparseStart = append(a.sparseStart, uint32(len(a.sparseCls)))
			a.fail = append(a.fail, l.fail[s])
		}
		l.linkChildren(s, kids)
		l.fillState(s, kids)
		a.ownStart[s] = uint32(len(a.own))
		a.own = append(a.own, t.own[order[s]]...)
	}
	a.ownStart[n] = uint32(len(a.own))
	a.sparseStart = append(a.sparseStart, uint32(len(a.sparseCls)))
}

type kid struct {
	class uint8
	id    uint32
	node  int32
}

// linkChildren sets the failure link, output flag and dict link of each
// child of s.
func (l *linker) linkChildren(s uint32, kids []kid) {
	for _, k := range kids {
		f := uint32(0)
		if s != 0 {
			f = l.delta(l.fail[s], uint32(k.class))
		}
		l.fail[k.id] = f
		own := len(l.t.own[k.node]) > 0
		l.hasOut[k.id] = own || l.hasOut[f]
		if len(l.t.own[l.order[f]]) > 0 {
			l.a.dict[k.id] = f
		} else {
			l.a.dict[k.id] = l.a.dict[f]
		}
	}
}

// delta is the transition of state f on class c, without outFlag.
func (l *linker) delta(f, c uint32) uint32 {
	return l.a.step(f, c) &^ outFlag
}

func (l *linker) target(id uint32) uint32 {
	if l.hasOut[id] {
		return id | outFlag
	}
	return id
}

// fillState writes the transitions of s: a full row for a dense state
// (missing children resolved through the failure link), the children
// alone and the failure link for a sparse one.
func (l *linker) fillState(s uint32, kids []kid) {
	a := l.a
	if s >= a.nDense {
		for _, k := range kids {
			a.sparseCls = append(a.sparseCls, k.class)
			a.sparseNext = append(a.sparseNext, l.target(k.id))
		}
		return
	}
	row := a.dense[s*a.nc : (s+1)*a.nc]
	if s != 0 {
		copy(row, a.dense[l.fail[s]*a.nc:(l.fail[s]+1)*a.nc])
	}
	row[0] = 0
	for _, k := range kids {
		row[k.class] = l.target(k.id)
	}
}
