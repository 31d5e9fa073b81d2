package matcher

import (
	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/matcher/ac"
)

// textIndex holds the substring patterns: an Aho-Corasick automaton over
// the values of the Text indicators, and the ref of each pattern.
type textIndex struct {
	auto *ac.Automaton
	refs []Ref // pattern index → ref
}

// buildText builds the automaton for the Text indicators refs of s.
func buildText(s *Snapshot, refs []Ref) *textIndex {
	pats := make([]string, len(refs))
	for i, r := range refs {
		pats[i] = s.Indicator(r).Value
	}
	return &textIndex{auto: ac.Build(pats, ac.Options{}), refs: refs}
}

// lookupText appends every Text indicator whose pattern occurs in v,
// ignoring ASCII case: v is the free text as the event gave it, not lower
// cased, and patterns are folded when the automaton is built. Each
// indicator is reported once however often its pattern occurs. Hot path:
// it allocates only when dst must grow.
func (s *Snapshot) lookupText(v string, dst []Ref) []Ref {
	if s.text == nil {
		return dst
	}
	start := len(dst)
	dst = ac.AppendMatches(s.text.auto, dst, v)
	j := start
	for _, p := range dst[start:] {
		r := s.text.refs[p]
		// Patterns removed since the automaton was built are skipped.
		if in := s.Indicator(r); in != nil && in.Type == ioc.Text {
			dst[j] = r
			j++
		}
	}
	return dst[:j]
}
