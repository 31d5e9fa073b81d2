package stix1

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Namespaces of the elements read (STIX 1.2, CybOX 2.1).
const (
	nsSTIX        = "http://stix.mitre.org/stix-1"
	nsIndicator   = "http://stix.mitre.org/Indicator-2"
	nsCybox       = "http://cybox.mitre.org/cybox-2"
	nsCyboxCommon = "http://cybox.mitre.org/common-2"
	nsSTIXCommon  = "http://stix.mitre.org/common-1"
	nsTTP         = "http://stix.mitre.org/TTP-1"
	nsXSI         = "http://www.w3.org/2001/XMLSchema-instance"
	nsObjects     = "http://cybox.mitre.org/objects#"
)

// Limits on a package, against hostile input.
const (
	maxDepth = 128
	maxNodes = 4 << 20
)

// node is one XML element with its namespace resolved, its attributes, its
// children and its text.
type node struct {
	name  xml.Name
	attrs []xml.Attr
	kids  []*node
	text  []byte
	line  int
	// xsiType is the element's xsi:type with its prefix resolved to a
	// namespace URI.
	xsiType xml.Name
}

// value returns the element's text, trimmed.
func (n *node) value() string { return strings.TrimSpace(string(n.text)) }

func (n *node) attr(local string) string {
	for _, a := range n.attrs {
		if a.Name.Local == local && (a.Name.Space == "" || a.Name.Space == n.name.Space) {
			return a.Value
		}
	}
	return ""
}

// child returns the first child with the given namespace and local name.
func (n *node) child(space, local string) *node {
	for _, k := range n.kids {
		if k.name.Local == local && k.name.Space == space {
			return k
		}
	}
	return nil
}

func (n *node) children(space, local string) []*node {
	var out []*node
	for _, k := range n.kids {
		if k.name.Local == local && k.name.Space == space {
			out = append(out, k)
		}
	}
	return out
}

// SyntaxError is XML that cannot be read, with the line it was found on.
type SyntaxError struct {
	Line int
	Err  error
}

func (e *SyntaxError) Error() string {
	return "line " + strconv.Itoa(e.Line) + ": " + e.Err.Error()
}

func (e *SyntaxError) Unwrap() error { return e.Err }

var errTooBig = errors.New("document too large or too deep")

// readTree parses a whole document. encoding/xml resolves element and
// attribute prefixes; prefixes inside attribute values (xsi:type) are
// resolved here from the declarations in scope.
func readTree(r io.Reader) (*node, error) {
	d := xml.NewDecoder(r)
	var stack []*node
	var scopes []map[string]string
	var root *node
	count := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := d.InputPos()
		if err != nil {
			return nil, &SyntaxError{Line: line, Err: err}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if count++; count > maxNodes || len(stack) >= maxDepth {
				return nil, &SyntaxError{Line: line, Err: errTooBig}
			}
			scopes = append(scopes, declarations(t.Attr))
			n := &node{name: t.Name, attrs: t.Attr, line: line}
			n.xsiType = resolveType(n, scopes)
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			} else if root == nil {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			scopes = scopes[:len(scopes)-1]
		case xml.CharData:
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.text = append(p.text, t...)
			}
		}
	}
	if root == nil {
		return nil, &SyntaxError{Line: 1, Err: errors.New("no root element")}
	}
	return root, nil
}

// declarations returns the namespace prefixes an element declares.
func declarations(attrs []xml.Attr) map[string]string {
	var m map[string]string
	for _, a := range attrs {
		if a.Name.Space == "xmlns" {
			if m == nil {
				m = map[string]string{}
			}
			m[a.Name.Local] = a.Value
		}
	}
	return m
}

func resolveType(n *node, scopes []map[string]string) xml.Name {
	var v string
	for _, a := range n.attrs {
		if a.Name.Local == "type" && a.Name.Space == nsXSI {
			v = a.Value
		}
	}
	if v == "" {
		return xml.Name{}
	}
	prefix, local, ok := strings.Cut(v, ":")
	if !ok {
		return xml.Name{Local: v}
	}
	for i := len(scopes) - 1; i >= 0; i-- {
		if uri, ok := scopes[i][prefix]; ok {
			return xml.Name{Space: uri, Local: local}
		}
	}
	return xml.Name{Space: prefix, Local: local}
}

func (n *node) String() string {
	return fmt.Sprintf("%s (line %d)", n.name.Local, n.line)
}
