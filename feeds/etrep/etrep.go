// Package etrep reads Emerging Threats Intelligence (ETPro) reputation
// lists: detailed-iprepdata.txt and detailed-domainrepdata.txt (a header
// "ip, category, score, first_seen, last_seen, ports (|)", one row per
// indicator and category) and the Suricata-style iprepdata.txt
// ("ip,category,score", no header).
//
// The rows of one value are folded into one source: its threat types are
// the category names, its confidence the highest score scaled from 0-127
// to 0-100, its severity the highest of its categories. Categories that
// describe services rather than threats (Utility, IPCheck, TorNode, VPN
// and the like) give info severity, so a value listed only in them is
// context and never a malicious verdict. Domain globs "*.name" and "*name"
// become the indicator "name", which the matcher applies to the name and
// every name under it; other globs are rejected.
//
// A Format value is not modified by Parse and is safe for concurrent use.
package etrep

import (
	"bytes"
	"errors"
	"io"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/internal/clip"
)

// Format is the ET reputation format.
type Format struct {
	// Categories names the category ids; the zero value means
	// DefaultCategories.
	Categories Categories
}

// Name implements feeds.Format.
func (Format) Name() string { return "etrep" }

// MaxScore is the highest ET reputation score.
const MaxScore = 127

const maxLine = 64 << 10

// Sniff recognises the files by ET's names (detailed-iprepdata*,
// detailed-domainrepdata*, iprepdata*, domainrepdata*, categories.txt), by
// the detailed header, or by a first line "address,category,score".
func (Format) Sniff(name string, head []byte) bool {
	lower := strings.ToLower(name)
	for _, p := range []string{"detailed-iprepdata", "detailed-domainrepdata",
		"iprepdata", "domainrepdata"} {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	first := firstLine(head)
	if lower == "categories.txt" {
		_, _, ok := parseCategoryLine(string(first))
		return ok
	}
	if h, ok := parseHeader(string(first)); ok {
		return h.value >= 0
	}
	f := strings.Split(string(first), ",")
	if len(f) != 3 {
		return false
	}
	_, errIP := ioc.ParsePrefix(f[0])
	_, errCat := strconv.Atoi(f[1])
	s, errScore := strconv.Atoi(strings.TrimSpace(f[2]))
	return errIP == nil && errCat == nil && errScore == nil && s >= 0 && s <= MaxScore
}

func firstLine(head []byte) []byte {
	head = bytes.TrimPrefix(head, []byte("\uFEFF"))
	for _, line := range bytes.Split(head, []byte("\n")) {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] != '#' {
			return t
		}
	}
	return nil
}

// header gives the column of each field; -1 is absent.
type header struct {
	kind                                ioc.Type
	value, category, score, first, last int
}

// suricataHeader is the layout of iprepdata.txt, which has no header.
var suricataHeader = header{kind: ioc.IPv4, value: 0, category: 1, score: 2, first: -1, last: -1}

// parseHeader reads a detailed header; the names are matched trimmed and
// without case, and "ports (|)" and unknown columns are ignored.
func parseHeader(line string) (header, bool) {
	h := header{value: -1, category: -1, score: -1, first: -1, last: -1}
	for i, f := range strings.Split(line, ",") {
		switch strings.ToLower(strings.TrimSpace(f)) {
		case "ip":
			h.kind, h.value = ioc.IPv4, i
		case "domain":
			h.kind, h.value = ioc.Domain, i
		case "category":
			h.category = i
		case "score":
			h.score = i
		case "first_seen":
			h.first = i
		case "last_seen":
			h.last = i
		}
	}
	return h, h.value >= 0 && h.category >= 0 && h.score >= 0
}

// entry gathers the rows of one canonical value.
type entry struct {
	typ        ioc.Type
	raw, pos   string
	categories []string
	score      int // highest score of a threat category, or -1
	neutral    int // highest score of a neutral category, or -1
	severity   ioc.Severity
	first      time.Time
	last       time.Time
}

// Parse implements feeds.Format. A categories.txt is checked line by line
// and gives no indicators.
func (f Format) Parse(r io.Reader, b *feeds.Builder) error {
	table := f.Categories
	if table.names == nil {
		table = DefaultCategories()
	}
	p := parser{b: b, table: table, index: map[string]*entry{}}
	if err := p.read(r); err != nil {
		return err
	}
	for _, e := range p.order {
		p.add(e)
	}
	return nil
}

type parser struct {
	b     *feeds.Builder
	table Categories
	h     header
	// state: 0 before the first line, 1 reading rows, 2 categories file
	state int
	index map[string]*entry
	order []*entry
}

func (p *parser) read(r io.Reader) error {
	return feeds.EachLine(r, p.b, maxLine, func(pos, text string) error {
		if text[0] != '#' {
			p.line(pos, text)
		}
		return nil
	})
}

func (p *parser) line(pos, text string) {
	if p.state == 0 {
		p.state = 1
		if h, ok := parseHeader(text); ok {
			p.h = h
			return
		}
		if p.isCategories(text) {
			p.state = 2
		} else {
			p.h = suricataHeader
		}
	}
	if p.state == 2 {
		if _, _, ok := parseCategoryLine(text); !ok {
			p.b.Reject(pos, text, "categories.txt line is not id,ShortName,Description")
		}
		return
	}
	p.row(pos, text)
}

// isCategories reports whether the first line is a categories.txt line:
// an id, then a name that is not a number.
func (p *parser) isCategories(text string) bool {
	f := strings.SplitN(text, ",", 3)
	if len(f) != 3 {
		return false
	}
	_, errName := strconv.Atoi(strings.TrimSpace(f[1]))
	_, _, ok := parseCategoryLine(text)
	return ok && errName != nil
}

func (p *parser) row(pos, text string) {
	f := strings.Split(text, ",")
	get := func(i int) string {
		if i < 0 || i >= len(f) {
			return ""
		}
		return strings.TrimSpace(f[i])
	}
	raw := get(p.h.value)
	if len(f) <= max(p.h.value, p.h.category, p.h.score) {
		p.b.Reject(pos, text, "want at least "+strconv.Itoa(max(p.h.value, p.h.category,
			p.h.score)+1)+" comma-separated fields")
		return
	}
	cat, err := strconv.Atoi(get(p.h.category))
	if err != nil || cat <= 0 {
		p.b.Reject(pos, raw, "category "+clip.Quote(get(p.h.category))+
			" is not a positive integer")
		return
	}
	score, err := strconv.Atoi(get(p.h.score))
	if err != nil || score < 0 || score > MaxScore {
		p.b.Reject(pos, raw, "score "+clip.Quote(get(p.h.score))+
			" is not an integer from 0 to 127")
		return
	}
	first, errFirst := parseDate(get(p.h.first))
	last, errLast := parseDate(get(p.h.last))
	if errFirst != nil || errLast != nil {
		p.b.Reject(pos, raw, "first_seen and last_seen must be YYYY-MM-DD")
		return
	}
	e := p.entry(pos, raw)
	if e == nil {
		return
	}
	e.note(p.table.Name(cat), score, first, last)
}

// entry returns the entry of raw's canonical value, creating it, or nil
// after rejecting a value that is not valid.
func (p *parser) entry(pos, raw string) *entry {
	t, key, reason := canonical(p.h.kind, raw)
	if reason != "" {
		p.b.Reject(pos, raw, reason)
		return nil
	}
	id := ioc.MakeID(t, key)
	e := p.index[id]
	if e == nil {
		e = &entry{typ: t, raw: raw, pos: pos, score: -1, neutral: -1}
		p.index[id] = e
		p.order = append(p.order, e)
	}
	return e
}

func (e *entry) note(category string, score int, first, last time.Time) {
	if !slices.Contains(e.categories, category) {
		e.categories = append(e.categories, category)
	}
	c := classOf(category)
	if c.neutral {
		e.neutral = max(e.neutral, score)
	} else {
		e.score = max(e.score, score)
	}
	e.severity = max(e.severity, c.severity)
	if !first.IsZero() && (e.first.IsZero() || first.Before(e.first)) {
		e.first = first
	}
	if last.After(e.last) {
		e.last = last
	}
}

// add hands a folded entry to the builder. Its confidence comes from the
// threat categories when there are any, so that a high score as a VPN
// does not make a low-scored scanner listing look certain.
func (p *parser) add(e *entry) {
	score := e.score
	if score < 0 {
		score = e.neutral
	}
	src := ioc.Source{
		ID:          e.pos,
		Confidence:  Confidence(score),
		Severity:    e.severity,
		ThreatTypes: e.categories,
		FirstSeen:   e.first,
		Modified:    e.last,
	}
	value := e.raw
	if e.typ == ioc.Domain && strings.Contains(e.raw, "*") {
		value, _ = cutGlob(e.raw)
		src.Original = e.raw
	}
	p.b.Add(e.pos, e.typ, value, src)
}

// Confidence maps an ET score (0-127) to iocflow's 0-100 scale linearly,
// rounding to the nearest: 127 is 100, 64 is 50, 42 is 33.
func Confidence(score int) int {
	score = min(max(score, 0), MaxScore)
	return int(math.Round(float64(score) * 100 / MaxScore))
}

// canonical returns the type and canonical value of a row's value, or why
// it is not one.
func canonical(kind ioc.Type, raw string) (ioc.Type, string, string) {
	fixed, _ := ioc.Refang(raw)
	if kind.IsIP() {
		pfx, err := ioc.ParsePrefix(fixed)
		if err != nil {
			return kind, "", "not an IP address or CIDR block"
		}
		if pfx.Bits() == 0 {
			return kind, "", "a /0 block would match every address"
		}
		return ioc.AddrType(pfx.Addr()), ioc.FormatPrefix(pfx), ""
	}
	name, ok := cutGlob(fixed)
	if !ok {
		return kind, "", "glob is not a leading '*' over whole labels; " +
			"the matcher matches a name and the names under it, nothing finer"
	}
	d, err := ioc.CanonicalDomain(name)
	if err != nil {
		var ve *ioc.ValueError
		if errors.As(err, &ve) {
			return kind, "", "domain: " + ve.Reason
		}
		return kind, "", err.Error()
	}
	if _, err := netip.ParseAddr(d); err == nil || !strings.Contains(d, ".") {
		return kind, "", "single-label domain would match a whole top-level domain"
	}
	return ioc.Domain, d, ""
}

// cutGlob returns the name a domain glob stands for: "*.name" and "*name"
// give "name", a value without '*' gives itself, and a '*' anywhere else
// is not accepted.
func cutGlob(s string) (string, bool) {
	if !strings.Contains(s, "*") {
		return s, true
	}
	name, ok := strings.CutPrefix(s, "*")
	name = strings.TrimPrefix(name, ".")
	if !ok || name == "" || strings.Contains(name, "*") {
		return s, false
	}
	return name, true
}

func parseDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.DateOnly, s)
}
