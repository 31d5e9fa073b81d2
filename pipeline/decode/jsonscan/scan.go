// Package jsonscan is a pull scanner for JSON that allocates nothing in
// steady state. A decoder walks a record with it key by key, reads the
// values it wants as byte slices and skips the rest, so that the cost is
// one pass over the input with no reflection and no per-field allocation.
// It validates what it reads and what it skips: a record that is not
// well-formed JSON stops the scan with a *SyntaxError carrying the byte
// offset.
//
// A Scanner is used by one goroutine at a time; reuse it with Reset.
package jsonscan

import (
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of arrays and objects a Scanner accepts.
const MaxDepth = 512

// SyntaxError says where and why a record is not well-formed JSON.
type SyntaxError struct {
	Offset int
	Reason string
}

func (e *SyntaxError) Error() string { return e.Reason }

// Scanner reads one JSON text. The zero value is ready after Reset.
type Scanner struct {
	data  []byte
	pos   int
	err   *SyntaxError
	first bool // just after '{' or '[': no ',' expected
	depth int
	buf   []byte // unescaped string values
	kbuf  []byte // unescaped keys
	serr  SyntaxError
}

// Reset starts a scan of data. The scanner keeps its scratch buffers.
func (s *Scanner) Reset(data []byte) {
	s.data, s.pos, s.err, s.first, s.depth = data, 0, nil, false, 0
}

// Err returns the first syntax error met, or nil. The error is owned by
// the scanner and valid until the next Reset.
func (s *Scanner) Err() error {
	if s.err == nil {
		return nil
	}
	return s.err
}

// SyntaxErr is Err with its concrete type; nil when there was none.
func (s *Scanner) SyntaxErr() *SyntaxError { return s.err }

// Pos returns the offset of the next unread byte.
func (s *Scanner) Pos() int { return s.pos }

// Fail records a syntax error at off unless one is already recorded. The
// reason must be a constant or otherwise long-lived string.
func (s *Scanner) Fail(off int, reason string) {
	if s.err != nil {
		return
	}
	s.serr = SyntaxError{Offset: off, Reason: reason}
	s.err = &s.serr
	s.pos = len(s.data)
}

func (s *Scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// Peek returns the first byte of the next value after white space: '{',
// '[', '"', 'n', 't', 'f', '-' or a digit; 0 at the end or after an error.
func (s *Scanner) Peek() byte {
	s.ws()
	if s.err != nil || s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

// Object consumes the '{' that opens an object. It reports false, with an
// error recorded, when the next value is not an object.
func (s *Scanner) Object() bool {
	if s.Peek() != '{' {
		s.Fail(s.pos, "want a JSON object")
		return false
	}
	return s.open()
}

// Enter consumes the '{' that opens an object and reports true. When the
// next value is not an object it skips it and reports false, recording an
// error only if the value is malformed.
func (s *Scanner) Enter() bool {
	if s.Peek() != '{' {
		s.Skip()
		return false
	}
	return s.open()
}

// Array consumes the '[' that opens an array. It reports false, with no
// error, when the next value is not an array; the value is then unread.
func (s *Scanner) Array() bool {
	if s.Peek() != '[' {
		return false
	}
	return s.open()
}

func (s *Scanner) open() bool {
	s.depth++
	if s.depth > MaxDepth {
		s.Fail(s.pos, "nested deeper than 512 levels")
		return false
	}
	s.pos++
	s.first = true
	return true
}

// Key returns the next key of the object being read, with the scanner
// placed on its value, which the caller must read or Skip. It returns
// false at the closing '}' (which it consumes) or on an error. The key is
// valid until the next call of Key.
func (s *Scanner) Key() ([]byte, bool) {
	if !s.more('}') {
		return nil, false
	}
	if s.Peek() != '"' {
		s.Fail(s.pos, "want a string as object key")
		return nil, false
	}
	k, ok := s.str(&s.kbuf)
	if !ok {
		return nil, false
	}
	s.ws()
	if s.pos >= len(s.data) || s.data[s.pos] != ':' {
		s.Fail(s.pos, "want ':' after object key")
		return nil, false
	}
	s.pos++
	return k, true
}

// Next reports whether the array being read has another element, placing
// the scanner on it; the caller must read or Skip it. At the closing ']'
// it consumes it and returns false.
func (s *Scanner) Next() bool { return s.more(']') }

// more handles the separator before the next member of an object or array
// closed by end.
func (s *Scanner) more(end byte) bool {
	s.ws()
	if s.err != nil {
		return false
	}
	if s.pos >= len(s.data) {
		s.Fail(s.pos, "unexpected end of record")
		return false
	}
	c := s.data[s.pos]
	if c == end {
		s.pos++
		s.depth--
		s.first = false
		return false
	}
	if s.first {
		s.first = false
		return true
	}
	if c != ',' {
		s.Fail(s.pos, "want ',' or closing bracket")
		return false
	}
	s.pos++
	s.ws()
	if s.pos < len(s.data) && s.data[s.pos] == end {
		s.Fail(s.pos, "trailing comma")
		return false
	}
	return true
}

// Str reads a string value and returns it unescaped. A null reads as
// (nil, true). Any other value is skipped and reported as (nil, false)
// without an error: the caller decides whether a number where a string
// was expected matters. The slice is valid until the next Str or Key.
// Bytes that are not valid UTF-8 pass through unchanged (encoding/json
// would substitute U+FFFD); package ioc rejects them where a type forbids
// them.
func (s *Scanner) Str() ([]byte, bool) {
	switch s.Peek() {
	case '"':
		return s.str(&s.buf)
	case 'n':
		s.Skip()
		return nil, s.err == nil
	}
	s.Skip()
	return nil, false
}

// Raw skips the next value and returns its bytes as they appear in the
// record; the slice aliases the record.
func (s *Scanner) Raw() []byte {
	s.ws()
	start := s.pos
	s.Skip()
	if s.err != nil {
		return nil
	}
	return s.data[start:s.pos]
}

// Int reads an integer value (or a string holding one, as some producers
// write counters). Anything else is skipped and reported as false.
func (s *Scanner) Int() (int64, bool) {
	var b []byte
	switch c := s.Peek(); {
	case c == '-' || c >= '0' && c <= '9':
		b = s.Raw()
	case c == '"':
		b, _ = s.str(&s.buf)
	default:
		s.Skip()
		return 0, false
	}
	return parseInt(b)
}

func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// End checks that nothing but white space follows the value read.
func (s *Scanner) End() bool {
	s.ws()
	if s.err == nil && s.pos < len(s.data) {
		s.Fail(s.pos, "data after the end of the JSON value")
	}
	return s.err == nil
}

// Skip reads over the next value, checking that it is well formed.
func (s *Scanner) Skip() {
	switch c := s.Peek(); {
	case c == 0:
		if s.err == nil {
			s.Fail(s.pos, "unexpected end of record")
		}
	case c == '{':
		if !s.open() {
			return
		}
		for {
			if _, ok := s.Key(); !ok {
				return
			}
			s.Skip()
		}
	case c == '[':
		if !s.open() {
			return
		}
		for s.Next() {
			s.Skip()
		}
	case c == '"':
		s.skipStr()
	case c == 't':
		s.lit("true")
	case c == 'f':
		s.lit("false")
	case c == 'n':
		s.lit("null")
	case c == '-' || c >= '0' && c <= '9':
		s.number()
	default:
		s.Fail(s.pos, "invalid character at start of value")
	}
}

func (s *Scanner) lit(w string) {
	if len(s.data)-s.pos < len(w) || string(s.data[s.pos:s.pos+len(w)]) != w {
		s.Fail(s.pos, "invalid literal")
		return
	}
	s.pos += len(w)
}

// number reads a number per RFC 8259 section 6.
func (s *Scanner) number() {
	d, i := s.data, s.pos
	if d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		i = digits(d, i)
	default:
		s.Fail(i, "invalid number")
		return
	}
	if i < len(d) && d[i] == '.' {
		j := digits(d, i+1)
		if j == i+1 {
			s.Fail(j, "invalid number: no digit after '.'")
			return
		}
		i = j
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := digits(d, i)
		if j == i {
			s.Fail(j, "invalid number: no digit in exponent")
			return
		}
		i = j
	}
	s.pos = i
}

func digits(d []byte, i int) int {
	for i < len(d) && d[i] >= '0' && d[i] <= '9' {
		i++
	}
	return i
}

// skipStr reads over a string without unescaping it.
func (s *Scanner) skipStr() {
	d := s.data
	for i := s.pos + 1; i < len(d); i++ {
		switch c := d[i]; {
		case c == '"':
			s.pos = i + 1
			return
		case c == '\\':
			n := escLen(d, i)
			if n == 0 {
				s.Fail(i, "invalid escape in string")
				return
			}
			i += n - 1
		case c < 0x20:
			s.Fail(i, "control character in string")
			return
		}
	}
	s.Fail(len(d), "unterminated string")
}

// escLen returns the length of the escape at d[i] ('\\'), or 0 if invalid.
func escLen(d []byte, i int) int {
	if i+1 >= len(d) {
		return 0
	}
	switch d[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2
	case 'u':
		if i+6 > len(d) {
			return 0
		}
		for _, c := range d[i+2 : i+6] {
			if hexVal(c) < 0 {
				return 0
			}
		}
		return 6
	}
	return 0
}

// str reads a string at s.pos. Without escapes it returns a slice of the
// record; with them it unescapes into *buf.
func (s *Scanner) str(buf *[]byte) ([]byte, bool) {
	d := s.data
	start := s.pos + 1
	for i := start; i < len(d); i++ {
		c := d[i]
		if c == '"' {
			s.pos = i + 1
			return d[start:i], true
		}
		if c == '\\' {
			return s.unescape(buf, start, i)
		}
		if c < 0x20 {
			s.Fail(i, "control character in string")
			return nil, false
		}
	}
	s.Fail(len(d), "unterminated string")
	return nil, false
}

func (s *Scanner) unescape(buf *[]byte, start, i int) ([]byte, bool) {
	d := s.data
	b := append((*buf)[:0], d[start:i]...)
	for i < len(d) {
		c := d[i]
		switch {
		case c == '"':
			s.pos = i + 1
			*buf = b
			return b, true
		case c < 0x20:
			s.Fail(i, "control character in string")
			return nil, false
		case c != '\\':
			b = append(b, c)
			i++
			continue
		}
		n := escLen(d, i)
		if n == 0 {
			s.Fail(i, "invalid escape in string")
			return nil, false
		}
		if n == 6 {
			var r rune
			r, n = decodeU(d, i)
			b = utf8.AppendRune(b, r)
		} else {
			b = append(b, unesc(d[i+1]))
		}
		i += n
	}
	*buf = b
	s.Fail(len(d), "unterminated string")
	return nil, false
}

// decodeU decodes the \u escape (four hex digits) at d[i], joining a surrogate pair,
// and returns the rune and the bytes used. A lone surrogate becomes
// U+FFFD, as encoding/json does.
func decodeU(d []byte, i int) (rune, int) {
	r := hex4(d[i+2 : i+6])
	if r < 0xD800 || r > 0xDFFF {
		return r, 6
	}
	if r <= 0xDBFF && i+12 <= len(d) && d[i+6] == '\\' && d[i+7] == 'u' && escLen(d, i+6) == 6 {
		lo := hex4(d[i+8 : i+12])
		if lo >= 0xDC00 && lo <= 0xDFFF {
			return 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00), 12
		}
	}
	return utf8.RuneError, 6
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		r = r<<4 | rune(hexVal(c))
	}
	return r
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func unesc(c byte) byte {
	switch c {
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	}
	return c
}
