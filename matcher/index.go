package matcher

import (
	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/matcher/cidr"
)

// builder collects the keys of indicators per structure, to build tables
// from or to apply to them as a delta.
type builder struct {
	h      *hasher
	strs   [ioc.NumTypes][]item[uint64]
	md5    []item[[16]byte]
	sha1   []item[[20]byte]
	sha256 []item[[32]byte]
	sha512 []item[[64]byte]
	ip4    []item[uint32]
	ip6    []item[[16]byte]
	cidrs  []cidr.Pair
	cidr4  bool // some prefix of cidrs is IPv4
	texts  []Ref
	labels uint64 // label counts of the domains added, as Snapshot.labels
}

// add records the keys of in under r. Values that are empty, of an
// invalid type or not valid for their type (a hash that is not hex of the
// right length, an IP value that is no address or prefix) are not
// indexed and never match.
func (b *builder) add(r Ref, in *ioc.Indicator) {
	t, v := in.Type, in.Value
	if v == "" || !t.IsValid() {
		return
	}
	switch {
	case t.IsIP():
		b.addIP(r, t, v)
	case t.IsHash():
		b.addHash(r, t, v)
	default:
		h := b.h.str(v)
		b.strs[t] = append(b.strs[t], item[uint64]{h, h, r})
		if t == ioc.Domain {
			b.labels |= 1 << min(labelCount(v), 63)
		}
		if t == ioc.Text {
			// Text keeps a string table too, to find a pattern by id.
			b.texts = append(b.texts, r)
		}
	}
}

func (b *builder) addIP(r Ref, t ioc.Type, v string) {
	p, ok := ioc.IPKey(t, v)
	if !ok {
		return
	}
	if !p.IsSingleIP() {
		b.cidrs = append(b.cidrs, cidr.Pair{Prefix: p, Value: uint32(r)})
		b.cidr4 = b.cidr4 || p.Addr().Is4()
		return
	}
	a := p.Addr()
	if a.Is4() {
		k := ip4Key(a)
		b.ip4 = append(b.ip4, item[uint32]{b.h.ip4(k), k, r})
		return
	}
	k := a.As16()
	b.ip6 = append(b.ip6, item[[16]byte]{b.h.ip6(k), k, r})
}

func (b *builder) addHash(r Ref, t ioc.Type, v string) {
	switch t {
	case ioc.MD5:
		var k [16]byte
		if decodeHex(k[:], v) {
			b.md5 = append(b.md5, item[[16]byte]{b.h.md5(k), k, r})
		}
	case ioc.SHA1:
		var k [20]byte
		if decodeHex(k[:], v) {
			b.sha1 = append(b.sha1, item[[20]byte]{b.h.sha1(k), k, r})
		}
	case ioc.SHA256:
		var k [32]byte
		if decodeHex(k[:], v) {
			b.sha256 = append(b.sha256, item[[32]byte]{b.h.sha256(k), k, r})
		}
	case ioc.SHA512:
		var k [64]byte
		if decodeHex(k[:], v) {
			b.sha512 = append(b.sha512, item[[64]byte]{b.h.sha512(k), k, r})
		}
	}
}

// build fills the structures of s from the collected keys.
func (b *builder) build(s *Snapshot) {
	for t := range b.strs {
		s.strs[t] = exact[uint64]{base: newFlat(b.strs[t])}
	}
	s.md5 = exact[[16]byte]{base: newFlat(b.md5)}
	s.sha1 = exact[[20]byte]{base: newFlat(b.sha1)}
	s.sha256 = exact[[32]byte]{base: newFlat(b.sha256)}
	s.sha512 = exact[[64]byte]{base: newFlat(b.sha512)}
	s.ip4 = exact[uint32]{base: newFlat(b.ip4)}
	s.ip6 = exact[[16]byte]{base: newFlat(b.ip6)}
	s.labels = b.labels
	if len(b.cidrs) > 0 {
		s.cidrs = cidr.Build(b.cidrs)
	}
	s.cidr4 = b.cidr4
	if len(b.texts) > 0 {
		s.text = buildText(s, b.texts)
	}
}

// applyTo fills the structures of ns, a copy of s whose indicator list
// already has the changes, with the keys of add added and those of del
// removed. Structures that no change touches are shared with s. The exact
// tables need no removals: they skip the refs whose indicator is gone.
func applyTo(ns, s *Snapshot, del, add *builder) {
	for t := range add.strs {
		ns.strs[t] = s.strs[t].apply(ns, add.strs[t], keyHash)
	}
	h := &s.h
	ns.md5 = s.md5.apply(ns, add.md5, h.md5)
	ns.sha1 = s.sha1.apply(ns, add.sha1, h.sha1)
	ns.sha256 = s.sha256.apply(ns, add.sha256, h.sha256)
	ns.sha512 = s.sha512.apply(ns, add.sha512, h.sha512)
	ns.ip4 = s.ip4.apply(ns, add.ip4, h.ip4)
	ns.ip6 = s.ip6.apply(ns, add.ip6, h.ip6)
	ns.labels = s.labels | add.labels
	ns.cidr4 = s.cidr4 || add.cidr4
	if len(del.cidrs)+len(add.cidrs) > 0 {
		if s.cidrs == nil {
			ns.cidrs = cidr.Build(add.cidrs)
		} else {
			ns.cidrs = s.cidrs.Apply(del.cidrs, add.cidrs)
		}
	}
	if len(add.texts) > 0 {
		// A removed pattern needs no rebuild: Lookup skips refs whose
		// indicator is gone. An added one does.
		var refs []Ref
		if s.text != nil {
			refs = s.text.refs
		}
		ns.text = buildText(ns, append(liveRefs(ns, refs), add.texts...))
	}
}

func liveRefs(s *Snapshot, refs []Ref) []Ref {
	out := make([]Ref, 0, len(refs))
	for _, r := range refs {
		if in := s.Indicator(r); in != nil && in.Type == ioc.Text {
			out = append(out, r)
		}
	}
	return out
}
