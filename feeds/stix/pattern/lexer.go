package pattern

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind is the lexical class of a token.
type tokKind uint8

const (
	tokEOF tokKind = iota
	tokInvalid
	tokLBrack
	tokRBrack
	tokLParen
	tokRParen
	tokColon
	tokDot
	tokComma
	tokStar
	tokOp      // =, ==, !=, <>, <, <=, >, >=
	tokIdent   // [A-Za-z_][A-Za-z0-9_-]*, not a keyword or boolean
	tokKeyword // an upper-case reserved word
	tokLiteral // string, number, boolean, t'', h'' or b''
)

// keyword identifies a reserved word.
type keyword uint8

const (
	kwNone keyword = iota
	kwAnd
	kwOr
	kwNot
	kwFollowedBy
	kwLike
	kwMatches
	kwIsSuperset
	kwIsSubset
	kwExists
	kwLast
	kwIn
	kwStart
	kwStop
	kwSeconds
	kwWithin
	kwRepeats
	kwTimes
)

// keywords are the reserved words of the STIX 2.1 grammar. They are
// case-sensitive; LAST is reserved although no rule uses it.
var keywords = map[string]keyword{
	"AND": kwAnd, "OR": kwOr, "NOT": kwNot, "FOLLOWEDBY": kwFollowedBy,
	"LIKE": kwLike, "MATCHES": kwMatches, "ISSUPERSET": kwIsSuperset,
	"ISSUBSET": kwIsSubset, "EXISTS": kwExists, "LAST": kwLast, "IN": kwIn,
	"START": kwStart, "STOP": kwStop, "SECONDS": kwSeconds,
	"WITHIN": kwWithin, "REPEATS": kwRepeats, "TIMES": kwTimes,
}

// token is one lexical token. Text is src[off:end].
type token struct {
	kind tokKind
	kw   keyword
	op   Operator
	off  int
	end  int
	lit  Literal
}

// lexer splits a pattern into tokens on demand.
type lexer struct {
	src string
	pos int
}

func (lx *lexer) byteAt(i int) byte {
	if i < len(lx.src) {
		return lx.src[i]
	}
	return 0
}

func (lx *lexer) errorAt(off int, msg string) error {
	return newSyntaxError(lx.src, off, msg)
}

// next returns the next token. Malformed literals and comments are errors;
// a stray character is a tokInvalid token so the parser can say what it
// expected instead.
func (lx *lexer) next() (token, error) {
	if err := lx.skipSpace(); err != nil {
		return token{}, err
	}
	start := lx.pos
	if start == len(lx.src) {
		return token{kind: tokEOF, off: start, end: start}, nil
	}
	c := lx.src[start]
	switch {
	case c == '\'':
		return lx.lexString(start)
	case isLetter(c) || c == '_':
		return lx.lexWord(start)
	case isDigit(c), c == '.' && isDigit(lx.byteAt(start+1)), c == '+' || c == '-':
		if lx.numberAt(start) {
			return lx.lexNumber(start)
		}
	}
	return lx.lexPunct(start), nil
}

// skipSpace skips the grammar's whitespace set and /* */ and // comments.
func (lx *lexer) skipSpace() error {
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(lx.src[lx.pos:])
			if !isUnicodeSpace(r) {
				return nil
			}
			lx.pos += n
			continue
		}
		switch {
		case c == ' ' || c >= '\t' && c <= '\r':
			lx.pos++
		case c == '/' && lx.byteAt(lx.pos+1) == '*':
			i := strings.Index(lx.src[lx.pos+2:], "*/")
			if i < 0 {
				return lx.errorAt(lx.pos, "unterminated comment")
			}
			lx.pos += 2 + i + 2
		case c == '/' && lx.byteAt(lx.pos+1) == '/':
			i := strings.IndexAny(lx.src[lx.pos:], "\r\n")
			if i < 0 {
				i = len(lx.src) - lx.pos
			}
			lx.pos += i
		default:
			return nil
		}
	}
	return nil
}

// isUnicodeSpace reports whether r is one of the non-ASCII whitespace runes
// the STIX grammar skips.
func isUnicodeSpace(r rune) bool {
	switch r {
	case 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// isIdentByte reports whether c may continue an identifier. Hyphens are
// allowed here as in the grammar's IdentifierWithHyphen; the parser rejects
// them in property names.
func isIdentByte(c byte) bool { return isLetter(c) || isDigit(c) || c == '_' || c == '-' }

// isBareKey reports whether a property name can be written unquoted.
func isBareKey(s string) bool {
	if s == "" || !(isLetter(s[0]) || s[0] == '_') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isLetter(c) && !isDigit(c) && c != '_' {
			return false
		}
	}
	_, reserved := keywords[s]
	return !reserved && s != "true" && s != "false"
}

// lexPunct lexes an operator or punctuation mark, or one invalid rune.
func (lx *lexer) lexPunct(start int) token {
	kind, op, n := tokInvalid, Operator(0), 1
	switch lx.src[start] {
	case '[':
		kind = tokLBrack
	case ']':
		kind = tokRBrack
	case '(':
		kind = tokLParen
	case ')':
		kind = tokRParen
	case ':':
		kind = tokColon
	case '.':
		kind = tokDot
	case ',':
		kind = tokComma
	case '*':
		kind = tokStar
	default:
		kind, op, n = lx.lexOperator(start)
	}
	lx.pos = start + n
	return token{kind: kind, op: op, off: start, end: start + n}
}

// lexOperator lexes a comparison operator at start, or one invalid rune.
func (lx *lexer) lexOperator(start int) (tokKind, Operator, int) {
	next := lx.byteAt(start + 1)
	switch lx.src[start] {
	case '=':
		if next == '=' {
			return tokOp, Equal, 2
		}
		return tokOp, Equal, 1
	case '!':
		if next == '=' {
			return tokOp, NotEqual, 2
		}
	case '<':
		switch next {
		case '=':
			return tokOp, LessEqual, 2
		case '>':
			return tokOp, NotEqual, 2
		}
		return tokOp, Less, 1
	case '>':
		if next == '=' {
			return tokOp, GreaterEqual, 2
		}
		return tokOp, Greater, 1
	}
	_, n := utf8.DecodeRuneInString(lx.src[start:])
	return tokInvalid, 0, n
}

// lexWord lexes an identifier, keyword, boolean or prefixed literal.
func (lx *lexer) lexWord(start int) (token, error) {
	c := lx.src[start]
	if lx.byteAt(start+1) == '\'' && (c == 't' || c == 'h' || c == 'b') {
		return lx.lexPrefixed(start)
	}
	end := start + 1
	for end < len(lx.src) && isIdentByte(lx.src[end]) {
		end++
	}
	lx.pos = end
	word := lx.src[start:end]
	tok := token{kind: tokIdent, off: start, end: end}
	if kw, ok := keywords[word]; ok {
		tok.kind, tok.kw = tokKeyword, kw
		return tok, nil
	}
	if word == "true" || word == "false" {
		tok.kind = tokLiteral
		tok.lit = Literal{Offset: start, Kind: Bool, Bool: word == "true"}
	}
	return tok, nil
}

// numberAt reports whether a number literal starts at start: digits, or a
// sign or '.' followed by what the grammar's number rules accept.
func (lx *lexer) numberAt(start int) bool {
	i := start
	if c := lx.src[i]; c == '+' || c == '-' {
		i++
	}
	if lx.byteAt(i) == '.' {
		i++
	}
	return isDigit(lx.byteAt(i))
}

// lexNumber lexes `[+-]? digits ('.' digits)?` or `[+-]? '.' digits`.
func (lx *lexer) lexNumber(start int) (token, error) {
	i := start
	if c := lx.src[i]; c == '+' || c == '-' {
		i++
	}
	digits := i
	for isDigit(lx.byteAt(i)) {
		i++
	}
	intEnd := i
	isFloat := lx.byteAt(i) == '.' && isDigit(lx.byteAt(i+1))
	if isFloat {
		for i++; isDigit(lx.byteAt(i)); i++ {
		}
	}
	lx.pos = i
	text := lx.src[start:i]
	tok := token{kind: tokLiteral, off: start, end: i}
	if isFloat {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return tok, lx.errorAt(start, "number "+quoteCut(text)+" is out of range")
		}
		tok.lit = Literal{Offset: start, Kind: Float, Float: f}
		return tok, nil
	}
	if intEnd-digits > 1 && lx.src[digits] == '0' {
		return tok, lx.errorAt(start, "integer "+quoteCut(text)+" has a leading zero")
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return tok, lx.errorAt(start, "integer "+quoteCut(text)+" is out of range")
	}
	tok.lit = Literal{Offset: start, Kind: Int, Int: n}
	return tok, nil
}

// lexString lexes a quoted string literal starting at the quote.
func (lx *lexer) lexString(start int) (token, error) {
	s, end, err := lx.scanQuoted(start)
	if err != nil {
		return token{}, err
	}
	lx.pos = end
	lit := Literal{Offset: start, Kind: String, Str: s}
	return token{kind: tokLiteral, off: start, end: end, lit: lit}, nil
}

// scanQuoted decodes the string literal whose opening quote is at start and
// returns it with the offset just past the closing quote. Only \' and \\
// are escapes (STIX 2.1 section 9.2); without escapes the result shares
// memory with the source.
func (lx *lexer) scanQuoted(start int) (string, int, error) {
	var buf []byte
	seg := start + 1
	for i := seg; i < len(lx.src); i++ {
		switch lx.src[i] {
		case '\'':
			if buf == nil {
				return lx.src[seg:i], i + 1, nil
			}
			return string(append(buf, lx.src[seg:i]...)), i + 1, nil
		case '\\':
			next := lx.byteAt(i + 1)
			if next != '\'' && next != '\\' {
				return "", 0, lx.badEscape(start, i)
			}
			buf = append(buf, lx.src[seg:i]...)
			buf = append(buf, next)
			i++
			seg = i + 1
		}
	}
	return "", 0, lx.errorAt(start, "unterminated string literal")
}

// badEscape reports the backslash at i inside the string starting at start.
func (lx *lexer) badEscape(start, i int) error {
	if i+1 >= len(lx.src) {
		return lx.errorAt(start, "unterminated string literal")
	}
	r, n := utf8.DecodeRuneInString(lx.src[i+1:])
	esc := `\` + string(r)
	if r == utf8.RuneError || !unicode.IsPrint(r) {
		esc = strconv.Quote(lx.src[i : i+1+n])
	}
	return lx.errorAt(i, "invalid escape "+esc+
		` in string literal; only \' and \\ are allowed`)
}
