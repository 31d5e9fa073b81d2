package pattern

import (
	"strconv"
	"unicode/utf8"
)

// SyntaxError reports where and why Parse rejected a pattern.
type SyntaxError struct {
	// Offset is the 0-based byte offset in the source of the offending
	// token or character.
	Offset int
	// Column is the 1-based rune column of Offset. Every rune counts,
	// newlines included, because a pattern is one logical line.
	Column int
	// Msg describes the problem in lower case without the position.
	Msg string
}

// Error returns e.g. `pattern: column 17: expected ']' after comparison
// expression, found "AND"`.
func (e *SyntaxError) Error() string {
	return "pattern: column " + strconv.Itoa(e.Column) + ": " + e.Msg
}

// maxQuote is how many bytes of an offending token an error quotes.
const maxQuote = 40

// newSyntaxError builds a SyntaxError at byte offset off of src.
func newSyntaxError(src string, off int, msg string) *SyntaxError {
	return &SyntaxError{
		Offset: off,
		Column: utf8.RuneCountInString(src[:off]) + 1,
		Msg:    msg,
	}
}

// quoteCut quotes s with %q rules, cut to maxQuote bytes on a rune
// boundary; a cut string ends in "...".
func quoteCut(s string) string {
	if len(s) <= maxQuote {
		return strconv.Quote(s)
	}
	n := maxQuote
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strconv.Quote(s[:n] + "...")
}
