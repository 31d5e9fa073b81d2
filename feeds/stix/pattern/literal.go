package pattern

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"
)

// lexPrefixed lexes t'…', h'…' or b'…' starting at the prefix letter. None
// of these bodies may contain a quote or backslash, so the body ends at the
// next quote.
func (lx *lexer) lexPrefixed(start int) (token, error) {
	prefix := lx.src[start]
	bodyOff := start + 2
	n := strings.IndexByte(lx.src[bodyOff:], '\'')
	if n < 0 {
		return token{}, lx.errorAt(start, "unterminated "+prefixName(prefix)+" literal")
	}
	body := lx.src[bodyOff : bodyOff+n]
	end := bodyOff + n + 1
	lx.pos = end
	lit := Literal{Offset: start}
	var bad int
	var msg string
	switch prefix {
	case 't':
		lit.Kind = Timestamp
		lit.Time, bad, msg = parseTimestamp(body)
	case 'h':
		lit.Kind = Hex
		lit.Bytes, bad, msg = decodeHex(body)
	default:
		lit.Kind = Binary
		lit.Bytes, bad, msg = decodeBase64(body)
	}
	if msg != "" {
		return token{}, lx.errorAt(bodyOff+bad, msg)
	}
	return token{kind: tokLiteral, off: start, end: end, lit: lit}, nil
}

func prefixName(prefix byte) string {
	switch prefix {
	case 't':
		return "timestamp"
	case 'h':
		return "hex"
	}
	return "binary"
}

// tsLayout is the fixed part of a STIX timestamp: 'd' is any digit, other
// bytes must match exactly (STIX 2.1 section 3.2; RFC 3339 in UTC).
const tsLayout = "dddd-dd-ddTdd:dd:dd"

// parseTimestamp parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z`. The fraction may
// have any length; digits past nanoseconds are dropped. On failure it
// returns the byte index of the problem in s and a message.
func parseTimestamp(s string) (time.Time, int, string) {
	for i := 0; i < len(tsLayout); i++ {
		if i >= len(s) {
			return time.Time{}, i, "timestamp " + quoteCut(s) + " is incomplete"
		}
		want := tsLayout[i]
		if want == 'd' && !isDigit(s[i]) || want != 'd' && s[i] != want {
			return time.Time{}, i, "invalid timestamp " + quoteCut(s) +
				": want form YYYY-MM-DDTHH:MM:SS[.fff]Z"
		}
	}
	nanos, i, msg := parseFraction(s, len(tsLayout))
	if msg != "" {
		return time.Time{}, i, msg
	}
	return timestampFields(s, nanos)
}

// parseFraction parses the optional fraction and the closing 'Z' from
// index i of s, returning nanoseconds.
func parseFraction(s string, i int) (int, int, string) {
	nanos := 0
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for ; i < len(s) && isDigit(s[i]); i++ {
			if i-start < 9 {
				nanos = nanos*10 + int(s[i]-'0')
			}
		}
		if i == start {
			return 0, i, "invalid timestamp " + quoteCut(s) + ": missing fraction digits"
		}
		for n := i - start; n < 9; n++ {
			nanos *= 10
		}
	}
	if i >= len(s) || s[i] != 'Z' || i+1 != len(s) {
		return 0, i, "invalid timestamp " + quoteCut(s) + ": must end in 'Z' (UTC)"
	}
	return nanos, 0, ""
}

// timestampFields range-checks the fields of a layout-valid timestamp.
func timestampFields(s string, nanos int) (time.Time, int, string) {
	num := func(i, n int) int {
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	hour, minute, sec := num(11, 2), num(14, 2), num(17, 2)
	bad := func(i int, field string) (time.Time, int, string) {
		return time.Time{}, i, "invalid timestamp " + quoteCut(s) + ": " + field + " out of range"
	}
	switch {
	case month < 1 || month > 12:
		return bad(5, "month")
	case day < 1 || day > daysIn(year, month):
		return bad(8, "day")
	case hour > 23:
		return bad(11, "hour")
	case minute > 59:
		return bad(14, "minute")
	case sec > 60: // 60 is a leap second, which the grammar allows
		return bad(17, "second")
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nanos, time.UTC)
	if t.Year() > 9999 {
		return bad(17, "second")
	}
	return t, 0, ""
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// decodeHex decodes the body of h'…': pairs of hex digits, possibly none.
func decodeHex(s string) ([]byte, int, string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F') {
			return nil, i, "invalid hex literal: " + quoteCut(s[i:i+1]) + " is not a hex digit"
		}
	}
	if len(s)%2 != 0 {
		return nil, 0, "invalid hex literal: odd number of digits"
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, 0, "invalid hex literal"
	}
	return b, 0, ""
}

// decodeBase64 decodes the body of b'…': standard, padded base64 of at least
// one quantum, as the grammar's BinaryLiteral rule requires.
func decodeBase64(s string) ([]byte, int, string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isLetter(c) || isDigit(c) || c == '+' || c == '/' {
			continue
		}
		pad := c == '=' && (i == len(s)-1 || i == len(s)-2 && s[i+1] == '=')
		if !pad {
			return nil, i, "invalid binary literal: " + quoteCut(s[i:i+1]) +
				" is not allowed in base64"
		}
	}
	if len(s) == 0 || len(s)%4 != 0 {
		return nil, 0, "invalid binary literal: base64 length must be a non-zero multiple of 4"
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, 0, "invalid binary literal: bad base64"
	}
	return b, 0, ""
}
