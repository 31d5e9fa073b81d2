// Package clip shortens outside input before it goes into an error message
// or a log attribute, so that a hostile multi-megabyte line cannot flood a
// terminal or a log pipeline.
package clip

import (
	"strconv"
	"unicode/utf8"
)

// MaxBytes is the longest piece of outside input quoted in a message.
const MaxBytes = 128

// Quote returns s quoted as by %q, cut to at most MaxBytes of input on a rune
// boundary, with "..." after the closing quote when something was cut.
func Quote(s string) string {
	if len(s) <= MaxBytes {
		return strconv.Quote(s)
	}
	cut := MaxBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "..."
}
