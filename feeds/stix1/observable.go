package stix1

import (
	"strconv"
	"strings"

	"github.com/iocflow/iocflow/internal/clip"
)

// maxNesting bounds how deeply observable compositions (and idrefs within
// them) are followed; it also stops reference cycles.
const maxNesting = 16

// maxObservables bounds the observables visited for one indicator, so that
// compositions referring to themselves several times cannot make the work
// grow exponentially.
const maxObservables = 256

// listToken joins the members of a CybOX list value (CybOX 2.1 "##comma##").
const listToken = "##comma##"

// observable translates a CybOX observable into STIX 2.1 patterns whose
// union means the same: one pattern for an object or an AND composition,
// one per member for an OR composition. The reason is set when it cannot be
// translated.
func (p *pkg) observable(n *node, depth int) ([]string, string) {
	if depth > maxNesting {
		return nil, "observable compositions nested too deeply or cyclic"
	}
	if p.visited++; p.visited > maxObservables {
		return nil, "more than " + strconv.Itoa(maxObservables) + " observables in one indicator"
	}
	n, reason := p.resolve(n)
	if reason != "" {
		return nil, reason
	}
	if obj := n.child(nsCybox, "Object"); obj != nil {
		pt, reason := p.object(obj)
		if reason != "" {
			return nil, reason
		}
		return []string{pt}, ""
	}
	comp := n.child(nsCybox, "Observable_Composition")
	if comp == nil {
		return nil, "observable without an object or a composition"
	}
	var parts []string
	for _, k := range comp.children(nsCybox, "Observable") {
		ps, reason := p.observable(k, depth+1)
		if reason != "" {
			return nil, reason
		}
		parts = append(parts, ps...)
		if comp.attr("operator") == "AND" && len(ps) > 1 {
			parts[len(parts)-len(ps)] = "(" + strings.Join(ps, " OR ") + ")"
			parts = parts[:len(parts)-len(ps)+1]
		}
	}
	switch {
	case len(parts) == 0:
		return nil, "empty observable composition"
	case comp.attr("operator") == "AND":
		return []string{strings.Join(parts, " AND ")}, ""
	}
	return parts, ""
}

// object translates one CybOX object into a single-observation pattern.
// Every property with a value must be understood; one that is not makes
// the whole object not enforced, so that a dropped constraint never
// widens the match.
func (p *pkg) object(obj *node) (string, string) {
	obj, reason := p.resolve(obj)
	if reason != "" {
		return "", reason
	}
	props := obj.child(nsCybox, "Properties")
	if props == nil {
		return "", "CybOX object without properties"
	}
	t := &translation{used: map[*node]bool{}}
	switch props.xsiType.Local {
	case "AddressObjectType":
		t.address(props)
	case "DomainNameObjectType":
		t.simple(props, "Value", "domain-name:value")
	case "HostnameObjectType":
		t.simple(props, "Hostname_Value", "domain-name:value")
	case "URIObjectType", "LinkObjectType":
		t.uri(props)
	case "FileObjectType":
		t.file(props)
	case "EmailMessageObjectType":
		t.email(props)
	default:
		return "", "CybOX object type " + quote(props.xsiType.Local) + " not read"
	}
	if t.reason != "" {
		return "", t.reason
	}
	if r := unread(props, t.used); r != "" {
		return "", r
	}
	if len(t.comparisons) == 0 {
		return "", "CybOX object without a value"
	}
	return "[" + strings.Join(t.comparisons, " AND ") + "]", ""
}

// translation collects the comparisons of one object.
type translation struct {
	comparisons []string
	used        map[*node]bool
	reason      string
}

// property finds a property element by local name, in any CybOX object
// namespace.
func property(n *node, local string) *node {
	for _, k := range n.kids {
		if k.name.Local == local && strings.HasPrefix(k.name.Space, nsObjects) {
			return k
		}
	}
	return nil
}

func (t *translation) simple(props *node, local, path string) {
	if v := property(props, local); v != nil {
		t.compare(path, v)
	}
}

func (t *translation) address(props *node) {
	path := "ipv4-addr:value"
	switch props.attr("category") {
	case "", "ipv4-addr", "ipv4-net", "cidr":
	case "ipv6-addr", "ipv6-net":
		path = "ipv6-addr:value"
	case "e-mail":
		path = "email-addr:value"
	default:
		t.reason = "address category " + quote(props.attr("category")) + " not read"
		return
	}
	t.simple(props, "Address_Value", path)
}

func (t *translation) uri(props *node) {
	path := "url:value"
	switch props.attr("type") {
	case "", "URL":
	case "Domain Name":
		path = "domain-name:value"
	default:
		t.reason = "URI type " + quote(props.attr("type")) + " not read"
		return
	}
	t.simple(props, "Value", path)
}

func (t *translation) file(props *node) {
	t.simple(props, "File_Name", "file:name")
	hashes := property(props, "Hashes")
	if hashes == nil {
		return
	}
	for _, h := range hashes.children(nsCyboxCommon, "Hash") {
		typ := h.child(nsCyboxCommon, "Type")
		val := h.child(nsCyboxCommon, "Simple_Hash_Value")
		if val == nil {
			val = h.child(nsCyboxCommon, "Fuzzy_Hash_Value")
		}
		if typ == nil || val == nil {
			continue // left for unread to report
		}
		t.used[typ] = true
		t.compare("file:hashes."+hashKey(typ.value()), val)
	}
}

// hashKey names a CybOX hash type as a STIX 2.1 hashes key (STIX 2.1
// section 10.7 hash-algorithm-ov).
func hashKey(cybox string) string {
	switch strings.ToUpper(strings.ReplaceAll(cybox, "-", "")) {
	case "MD5":
		return "MD5"
	case "SHA1":
		return "'SHA-1'"
	case "SHA224":
		return "'SHA-224'"
	case "SHA256":
		return "'SHA-256'"
	case "SHA384":
		return "'SHA-384'"
	case "SHA512":
		return "'SHA-512'"
	case "SSDEEP":
		return "SSDEEP"
	}
	return literal(cybox)
}

func (t *translation) email(props *node) {
	header := property(props, "Header")
	if header == nil {
		return
	}
	for _, f := range []struct{ local, path string }{
		{"From", "email-message:from_ref.value"},
		{"Sender", "email-message:sender_ref.value"},
	} {
		if a := property(header, f.local); a != nil {
			if v := property(a, "Address_Value"); v != nil {
				t.compare(f.path, v)
			}
		}
	}
	if s := property(header, "Subject"); s != nil {
		t.compare("email-message:subject", s)
	}
}

// compare adds one comparison for a CybOX value element: = for one value,
// IN for a ##comma## list with apply_condition ANY (the default).
func (t *translation) compare(path string, v *node) {
	t.used[v] = true
	if c := v.attr("condition"); c != "" && c != "Equals" {
		t.fail("condition " + quote(c) + " on " + path + " not enforced")
		return
	}
	var vals []string
	for _, s := range strings.Split(v.value(), listToken) {
		if s = strings.TrimSpace(s); s != "" {
			vals = append(vals, literal(s))
		}
	}
	switch {
	case len(vals) == 0:
		t.fail("empty value for " + path)
	case len(vals) == 1:
		t.comparisons = append(t.comparisons, path+" = "+vals[0])
	case v.attr("apply_condition") == "" || v.attr("apply_condition") == "ANY":
		t.comparisons = append(t.comparisons, path+" IN ("+strings.Join(vals, ", ")+")")
	default:
		t.fail("apply_condition " + quote(v.attr("apply_condition")) + " on a list not enforced")
	}
}

func (t *translation) fail(reason string) {
	if t.reason == "" {
		t.reason = reason
	}
}

// unread returns a reason naming the first element under n that holds a
// value no translation used, or "".
func unread(n *node, used map[*node]bool) string {
	for _, k := range n.kids {
		if len(k.kids) == 0 && k.value() != "" && !used[k] {
			return "CybOX property " + quote(k.name.Local) + " not read"
		}
		if r := unread(k, used); r != "" {
			return r
		}
	}
	return ""
}

// literal writes s as a STIX pattern string literal (STIX 2.1 section
// 9.2: only \' and \\ are escapes).
func literal(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func quote(s string) string { return clip.Quote(s) }
