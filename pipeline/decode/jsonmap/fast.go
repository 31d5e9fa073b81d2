package jsonmap

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/iocflow/iocflow/pipeline/decode"
	"github.com/iocflow/iocflow/pipeline/decode/extract"
	"github.com/iocflow/iocflow/pipeline/decode/jsonscan"
	"github.com/iocflow/iocflow/pipeline/event"
)

// The fast path reads a record in one pass of jsonscan and keeps only the
// members whose key some mapped path can meet (the program's key set),
// with their values, in a small tree of nodes. The mapped paths are then
// looked up in that tree exactly as decodeGeneric looks them up in the
// map[string]any that encoding/json builds: at an object the whole key and
// then every split at a dot are tried in order, arrays apply
// the rest of the path to each element, and a repeated key keeps its last
// value. Values are copied into an arena, so nothing is allocated per
// record beyond what package ioc allocates to canonicalise a value.
//
// Anything that would make encoding/json behave in a way the tree does
// not model sends the record to decodeGeneric instead (errFallback):
// malformed JSON (so that the error and its offset are encoding/json's),
// a top-level value that is not an object, a number beyond float64 and
// nesting deeper than jsonscan.MaxDepth.

// errFallback says the fast path does not take the record.
var errFallback = errors.New("jsonmap: record needs the generic decoder")

// program is a Mapping compiled for the fast path.
type program struct {
	// keys holds every key a mapped path can meet at any depth: each
	// path's remainders and their prefixes up to a dot.
	keys                     map[string]int32
	fields                   []fieldStep // in the sorted order of the paths
	ids, times, hosts, users []pathStep
}

type fieldStep struct {
	path string
	kind Kind
	at   *suffix
}

type pathStep struct {
	path string
	at   *suffix
}

// suffix is what is left of a path at some object: the whole of it, tried
// first as one key, or a split at each dot into a key and a rest.
type suffix struct {
	end    bool // nothing is left: the value reached is the hit
	whole  int32
	splits []split
}

type split struct {
	key  int32
	rest *suffix
}

type compiler struct {
	p    *program
	sufs map[string]*suffix
}

func compile(m *Mapping, paths []string) *program {
	c := compiler{p: &program{keys: map[string]int32{}}, sufs: map[string]*suffix{}}
	for _, path := range paths {
		c.p.fields = append(c.p.fields, fieldStep{path, m.Fields[path], c.suffix(path)})
	}
	c.p.ids = c.steps(m.IDFields)
	c.p.times = c.steps(m.TimeFields)
	c.p.hosts = c.steps(m.HostFields)
	c.p.users = c.steps(m.UserFields)
	return c.p
}

func (c *compiler) steps(paths []string) []pathStep {
	out := make([]pathStep, len(paths))
	for i, path := range paths {
		out[i] = pathStep{path, c.suffix(path)}
	}
	return out
}

func (c *compiler) suffix(s string) *suffix {
	if sf, ok := c.sufs[s]; ok {
		return sf
	}
	sf := &suffix{}
	c.sufs[s] = sf
	if s == "" {
		sf.end = true
		return sf
	}
	sf.whole = c.key(s)
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			sf.splits = append(sf.splits, split{c.key(s[:i]), c.suffix(s[i+1:])})
		}
	}
	return sf
}

func (c *compiler) key(s string) int32 {
	id, ok := c.p.keys[s]
	if !ok {
		id = int32(len(c.p.keys))
		c.p.keys[s] = id
	}
	return id
}

type nodeKind uint8

const (
	kindNull nodeKind = iota
	kindBool
	kindNumber // from, to: the number's bytes in the record
	kindString // from, to: the value, unescaped, in state.strs
	kindObject // from, to: its kept members in state.kids
	kindArray  // from, to: its elements in state.kids
)

type node struct {
	kind     nodeKind
	from, to int32
}

// kid is a kept member of an object (key is its key id) or an element of
// an array (key -1).
type kid struct {
	key  int32
	node int32
}

// state is the scratch of one decode, pooled so that the steady state
// allocates nothing for it.
type state struct {
	sc    jsonscan.Scanner
	ar    extract.Arena
	data  []byte
	nodes []node
	kids  []kid
	stack []kid // members of the objects and arrays being read
	strs  []byte
	kbuf  []byte
	num   []byte
	hits  []int32
}

var statePool = sync.Pool{New: func() any { return new(state) }}

// decode is the fast path of Decode. Hot path. It returns errFallback,
// with ev untouched, for a record it does not take.
func (st *state) decode(d *Decoder, data []byte, ev *event.Event) error {
	p := d.prog
	sc := &st.sc
	sc.Reset(data)
	st.data = data
	defer func() { st.data = nil }()
	st.nodes, st.kids, st.stack, st.strs = st.nodes[:0], st.kids[:0], st.stack[:0], st.strs[:0]
	if sc.Peek() != '{' {
		return errFallback
	}
	root, ok := st.value(p)
	if !ok || !sc.End() {
		return errFallback
	}

	ev.Format = FormatName
	ev.ID = st.id(p, root, data)
	for _, ps := range p.times {
		st.hits = st.lookup(root, ps.at, st.hits[:0])
		if len(st.hits) == 0 {
			continue
		}
		t, err := st.time(st.hits[0])
		if err != nil {
			return decode.NewError(FormatName, decode.NoOffset, ps.path+": "+err.Error())
		}
		ev.Time = t
		break
	}
	ev.Host = st.firstString(p.hosts, root)
	ev.User = st.firstString(p.users, root)
	for i := range p.fields {
		f := &p.fields[i]
		st.hits = st.lookup(root, f.at, st.hits[:0])
		for _, h := range st.hits {
			if n := st.nodes[h]; n.kind == kindString {
				addValue(ev, f.kind, st.ar.String(st.strs[n.from:n.to]), f.path)
			}
		}
	}
	return nil
}

// value reads the next value into a node and returns its index; false
// means the record goes to the generic decoder.
func (st *state) value(p *program) (int32, bool) {
	sc := &st.sc
	n := int32(len(st.nodes))
	st.nodes = append(st.nodes, node{})
	switch c := sc.Peek(); {
	case c == '{':
		if !sc.Object() {
			return 0, false
		}
		base := len(st.stack)
		for {
			k, ok := sc.Key()
			if !ok {
				break
			}
			id, ok := st.keyID(p, k)
			if !ok {
				if !st.skip() {
					return 0, false
				}
				continue
			}
			st.stack = append(st.stack, kid{key: id})
			at := len(st.stack) - 1
			v, ok := st.value(p)
			if !ok {
				return 0, false
			}
			st.stack[at].node = v
		}
		st.nodes[n] = st.close(kindObject, base)
	case c == '[':
		if !sc.Array() {
			return 0, false
		}
		base := len(st.stack)
		for sc.Next() {
			st.stack = append(st.stack, kid{key: -1})
			at := len(st.stack) - 1
			v, ok := st.value(p)
			if !ok {
				return 0, false
			}
			st.stack[at].node = v
		}
		st.nodes[n] = st.close(kindArray, base)
	case c == '"':
		b, ok := sc.Str()
		if !ok {
			return 0, false
		}
		from := len(st.strs)
		st.strs = appendValidUTF8(st.strs, b)
		st.nodes[n] = node{kindString, int32(from), int32(len(st.strs))}
	case c == 'n':
		sc.Skip()
	case c == 't' || c == 'f':
		sc.Skip()
		st.nodes[n].kind = kindBool
	case c == '-' || c >= '0' && c <= '9':
		raw := sc.Raw()
		if raw == nil || !numberFits(raw) {
			return 0, false
		}
		to := sc.Pos()
		st.nodes[n] = node{kindNumber, int32(to - len(raw)), int32(to)}
	default:
		return 0, false
	}
	return n, sc.Err() == nil
}

// close moves the members read since base off the stack into kids.
func (st *state) close(kind nodeKind, base int) node {
	from := len(st.kids)
	st.kids = append(st.kids, st.stack[base:]...)
	st.stack = st.stack[:base]
	return node{kind, int32(from), int32(len(st.kids))}
}

// skip reads over a value no mapped path reaches. It checks its numbers
// as encoding/json would, since one beyond float64 fails the record there.
func (st *state) skip() bool {
	sc := &st.sc
	switch c := sc.Peek(); {
	case c == '{':
		if !sc.Object() {
			return false
		}
		for {
			if _, ok := sc.Key(); !ok {
				break
			}
			if !st.skip() {
				return false
			}
		}
	case c == '[':
		if !sc.Array() {
			return false
		}
		for sc.Next() {
			if !st.skip() {
				return false
			}
		}
	case c == '-' || c >= '0' && c <= '9':
		if raw := sc.Raw(); raw == nil || !numberFits(raw) {
			return false
		}
	default:
		sc.Skip()
	}
	return sc.Err() == nil
}

// keyID returns the id of a key some mapped path can meet. A key that is
// not valid UTF-8 is compared as encoding/json would decode it.
func (st *state) keyID(p *program, k []byte) (int32, bool) {
	if !utf8.Valid(k) {
		st.kbuf = appendValidUTF8(st.kbuf[:0], k)
		k = st.kbuf
	}
	id, ok := p.keys[string(k)]
	return id, ok
}

// numberFits reports whether encoding/json decodes the JSON number raw
// into a float64 without a range error. Only an exponent or more than 300
// digits can take a number out of range, so most numbers are not parsed.
func numberFits(raw []byte) bool {
	if len(raw) <= 300 {
		exp := false
		for _, c := range raw {
			if c == 'e' || c == 'E' {
				exp = true
				break
			}
		}
		if !exp {
			return true
		}
	}
	_, err := strconv.ParseFloat(string(raw), 64)
	return err == nil
}

// appendValidUTF8 appends b to dst with every byte that is not part of a
// valid UTF-8 sequence replaced by U+FFFD, as encoding/json decodes
// strings.
func appendValidUTF8(dst, b []byte) []byte {
	if utf8.Valid(b) {
		return append(dst, b...)
	}
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		} else {
			dst = append(dst, b[:size]...)
		}
		b = b[size:]
	}
	return dst
}

// lookup appends to out every node at the rest of a path sf from node n,
// with the semantics of the generic decoder's lookup.
func (st *state) lookup(n int32, sf *suffix, out []int32) []int32 {
	nd := st.nodes[n]
	if nd.kind == kindArray {
		for _, k := range st.kids[nd.from:nd.to] {
			out = st.lookup(k.node, sf, out)
		}
		return out
	}
	if sf.end {
		return append(out, n)
	}
	if nd.kind != kindObject {
		return out
	}
	if m := st.member(nd, sf.whole); m >= 0 {
		out = st.lookup(m, endOfPath, out)
	}
	for _, sp := range sf.splits {
		if m := st.member(nd, sp.key); m >= 0 {
			out = st.lookup(m, sp.rest, out)
		}
	}
	return out
}

var endOfPath = &suffix{end: true}

// member returns the value of the last member of object nd with the key
// id, or -1.
func (st *state) member(nd node, key int32) int32 {
	found := int32(-1)
	for _, k := range st.kids[nd.from:nd.to] {
		if k.key == key {
			found = k.node
		}
	}
	return found
}

func (st *state) str(n node) string { return st.ar.String(st.strs[n.from:n.to]) }

// id returns the event id: the first non-empty string or number at the id
// paths, or a hash of the record.
func (st *state) id(p *program, root int32, data []byte) string {
	for _, ps := range p.ids {
		st.hits = st.lookup(root, ps.at, st.hits[:0])
		for _, h := range st.hits {
			switch n := st.nodes[h]; n.kind {
			case kindString:
				if n.to > n.from {
					return st.str(n)
				}
			case kindNumber:
				x, _ := strconv.ParseFloat(string(st.data[n.from:n.to]), 64)
				st.num = strconv.AppendFloat(st.num[:0], x, 'f', -1, 64)
				return st.ar.String(st.num)
			}
		}
	}
	sum := sha256.Sum256(data)
	var h [32]byte
	hex.Encode(h[:], sum[:16])
	return st.ar.String(h[:])
}

func (st *state) time(h int32) (time.Time, error) {
	switch n := st.nodes[h]; n.kind {
	case kindString:
		return timeText(st.str(n))
	case kindNumber:
		x, _ := strconv.ParseFloat(string(st.data[n.from:n.to]), 64)
		return timeNumber(x), nil
	}
	return time.Time{}, errTimeKind
}

// firstString returns the first non-empty string at any of the paths.
func (st *state) firstString(paths []pathStep, root int32) string {
	for _, ps := range paths {
		st.hits = st.lookup(root, ps.at, st.hits[:0])
		for _, h := range st.hits {
			if n := st.nodes[h]; n.kind == kindString && n.to > n.from {
				return st.str(n)
			}
		}
	}
	return ""
}
