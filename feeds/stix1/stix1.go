// Package stix1 reads STIX 1.x XML packages (STIX 1.1.1 and 1.2 with CybOX
// 2.x) into indicators. Each indicator's CybOX observable is translated
// into the equivalent STIX 2.1 pattern, which feeds/stix then handles as it
// handles any pattern: the pattern text is kept on the indicator's source,
// one-object observables become matcher entries (a conjunction when the
// object states several properties), and compositions joined by AND are
// reported as not enforced. The CybOX objects read are Address (ipv4,
// ipv6, e-mail), DomainName, Hostname, URI, Link, File (name and hashes)
// and EmailMessage (from, sender, subject). Values joined by the ##comma##
// list token become an IN set; conditions other than Equals, and objects
// or properties not read, make the indicator not enforced with the reason,
// never a broader match.
//
// The XML is read with encoding/xml, namespace-aware; idref references to
// indicators, observables, objects and TTPs anywhere in the package are
// resolved. A Format value is stateless and safe for concurrent use.
package stix1

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/feeds/stix"
)

// Format is the STIX 1.x XML format. The zero value is ready to use.
type Format struct{}

// Name implements feeds.Format.
func (Format) Name() string { return "stix1" }

// Sniff accepts XML whose head names a STIX_Package element.
func (Format) Sniff(_ string, head []byte) bool {
	t := bytes.TrimSpace(head)
	return len(t) > 0 && t[0] == '<' && bytes.Contains(t, []byte("STIX_Package"))
}

// MaxPackage bounds the size in bytes of a package: 256 MiB.
const MaxPackage = 256 << 20

// DefaultConfidence is used for an indicator that states none.
const DefaultConfidence = 50

// ErrTooLarge is returned for a package larger than MaxPackage.
var ErrTooLarge = errors.New("package larger than " + strconv.Itoa(MaxPackage) + " bytes")

// Parse implements feeds.Format. Indicators that cannot be read are
// rejected or reported as not enforced one by one; only a document that is
// not well-formed XML or not a STIX package is an error.
func (Format) Parse(r io.Reader, b *feeds.Builder) error {
	root, err := readTree(&limitReader{r: r, n: MaxPackage})
	if err != nil {
		return fmt.Errorf("read package: %w", err)
	}
	if root.name.Space != nsSTIX || root.name.Local != "STIX_Package" {
		return fmt.Errorf("read package: root element is %s in namespace %q, "+
			"not STIX_Package in %q", root.name.Local, root.name.Space, nsSTIX)
	}
	p := &pkg{ids: map[string]*node{}, b: b}
	p.index(root)
	n := 0
	for _, list := range root.children(nsSTIX, "Indicators") {
		for _, in := range list.children(nsSTIX, "Indicator") {
			p.indicator(n, in)
			n++
		}
	}
	return nil
}

type limitReader struct {
	r io.Reader
	n int64
}

func (l *limitReader) Read(b []byte) (int, error) {
	if l.n <= 0 {
		return 0, ErrTooLarge
	}
	if int64(len(b)) > l.n {
		b = b[:l.n]
	}
	n, err := l.r.Read(b)
	l.n -= int64(n)
	return n, err
}

// pkg is one package being read.
type pkg struct {
	ids     map[string]*node
	b       *feeds.Builder
	visited int // observables visited for the current indicator
}

// index records every element with an id, so that idrefs resolve
// wherever the referenced element sits.
func (p *pkg) index(n *node) {
	if id := n.attr("id"); id != "" {
		if _, dup := p.ids[id]; !dup {
			p.ids[id] = n
		}
	}
	for _, k := range n.kids {
		p.index(k)
	}
}

// resolve follows an idref once.
func (p *pkg) resolve(n *node) (*node, string) {
	ref := n.attr("idref")
	if ref == "" {
		return n, ""
	}
	t, ok := p.ids[ref]
	if !ok {
		return nil, "idref " + quote(ref) + " not found in the package"
	}
	if t.attr("idref") != "" {
		return nil, "idref " + quote(ref) + " points to another reference"
	}
	return t, ""
}

func (p *pkg) indicator(i int, n *node) {
	pos := "indicator " + strconv.Itoa(i) + " at line " + strconv.Itoa(n.line)
	n, reason := p.resolve(n)
	if reason != "" {
		p.b.Reject(pos, "", reason)
		return
	}
	if id := n.attr("id"); id != "" {
		pos = id
	}
	src, err := p.source(n)
	if err != nil {
		p.b.Reject(pos, "", err.Error())
		return
	}
	p.visited = 0
	patterns, reason := p.indicatorPatterns(n)
	if reason != "" {
		p.b.NotEnforced(pos, "", reason)
		return
	}
	for _, pt := range patterns {
		stix.AddPattern(p.b, pos, pt, src)
	}
}

func (p *pkg) indicatorPatterns(n *node) ([]string, string) {
	if n.child(nsIndicator, "Composite_Indicator_Expression") != nil {
		return nil, "composite indicator expression"
	}
	obs := n.child(nsIndicator, "Observable")
	if obs == nil {
		return nil, "indicator without an observable (test mechanisms are not read)"
	}
	return p.observable(obs, 0)
}

// source reads the indicator's metadata.
func (p *pkg) source(n *node) (ioc.Source, error) {
	s := ioc.Source{ID: n.attr("id"), Confidence: DefaultConfidence}
	for _, t := range n.children(nsIndicator, "Type") {
		if v := t.value(); v != "" {
			s.ThreatTypes = append(s.ThreatTypes, v)
		}
	}
	s.Severity = stix.Severity(s.ThreatTypes)
	var err error
	if ts := n.attr("timestamp"); ts != "" {
		if s.Modified, err = parseTime(ts); err != nil {
			return s, fmt.Errorf("timestamp: %w", err)
		}
	}
	if err := validTime(n, &s); err != nil {
		return s, err
	}
	if c := n.child(nsIndicator, "Confidence"); c != nil {
		if v := c.child(nsSTIXCommon, "Value"); v != nil {
			s.Confidence = confidence(v.value())
		}
	}
	s.Malware = p.malware(n)
	return s, nil
}

func validTime(n *node, s *ioc.Source) error {
	vt := n.child(nsIndicator, "Valid_Time_Position")
	if vt == nil {
		return nil
	}
	var err error
	if st := vt.child(nsIndicator, "Start_Time"); st != nil && st.value() != "" {
		if s.ValidFrom, err = parseTime(st.value()); err != nil {
			return fmt.Errorf("Start_Time: %w", err)
		}
	}
	if et := vt.child(nsIndicator, "End_Time"); et != nil && et.value() != "" {
		if s.ValidUntil, err = parseTime(et.value()); err != nil {
			return fmt.Errorf("End_Time: %w", err)
		}
		if !s.ValidUntil.After(s.ValidFrom) {
			return errors.New("End_Time is not after Start_Time")
		}
	}
	return nil
}

// confidence maps the STIX 1.x HighMediumLow vocabulary onto 0-100.
func confidence(v string) int {
	switch strings.ToLower(v) {
	case "high":
		return 85
	case "medium":
		return 50
	case "low":
		return 15
	case "none":
		return 0
	}
	return DefaultConfidence
}

// malware follows Indicated_TTP to the malware instances the TTPs name.
func (p *pkg) malware(n *node) []string {
	var out []string
	for _, it := range n.children(nsIndicator, "Indicated_TTP") {
		for _, ref := range it.children(nsSTIXCommon, "TTP") {
			ttp, reason := p.resolve(ref)
			if reason != "" {
				continue
			}
			beh := ttp.child(nsTTP, "Behavior")
			if beh == nil {
				continue
			}
			for _, m := range beh.children(nsTTP, "Malware") {
				for _, mi := range m.children(nsTTP, "Malware_Instance") {
					for _, name := range mi.children(nsTTP, "Name") {
						if v := name.value(); v != "" {
							out = append(out, v)
						}
					}
				}
			}
		}
	}
	return out
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("time " + quote(s) + " is not ISO 8601")
}
