// Package list reads an analyst's own indicators: a plain list with one
// value per line, typed by the value's shape, or a CSV file with a header
// row that names its columns. It is the "bring your own intelligence"
// format for anything no other parser knows.
//
// Format values are stateless and safe for concurrent use.
package list

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
)

// Defaults for a list that says nothing about its values.
const (
	DefaultConfidence = 50
	DefaultSeverity   = ioc.SeverityMedium
	maxLine           = 64 << 10
)

// Plain is the one-value-per-line format. Blank lines and lines starting
// with '#', ';' or "//" are comments, as is anything after " #" on a line.
// Each value is typed by its shape (ioc.Detect): addresses and CIDR blocks,
// hashes by length, URLs, e-mail addresses and domains. Defanged values are
// repaired.
type Plain struct{}

// Name implements feeds.Format.
func (Plain) Name() string { return "list" }

// Sniff accepts any text that does not open like JSON or XML.
func (Plain) Sniff(_ string, head []byte) bool {
	t := bytes.TrimSpace(head)
	if len(t) == 0 || bytes.IndexByte(head, 0) >= 0 {
		return false
	}
	if t[0] == '{' || t[0] == '[' || t[0] == '<' {
		return false
	}
	// The head may end inside a rune; up to three bytes are allowed to be cut.
	for cut := 0; cut < 4 && cut < len(head); cut++ {
		if utf8.Valid(head[:len(head)-cut]) {
			return true
		}
	}
	return false
}

// Parse implements feeds.Format.
func (Plain) Parse(r io.Reader, b *feeds.Builder) error {
	return feeds.EachLine(r, b, maxLine, func(pos, text string) error {
		if v := stripComment(text); v != "" {
			b.Add(pos, ioc.TypeInvalid, v, ioc.Source{
				ID: pos, Confidence: DefaultConfidence, Severity: DefaultSeverity,
			})
		}
		return nil
	})
}

func stripComment(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || s[0] == '#' || s[0] == ';' || strings.HasPrefix(s, "//") {
		return ""
	}
	if i := strings.Index(s, " #"); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, "\t#"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}
