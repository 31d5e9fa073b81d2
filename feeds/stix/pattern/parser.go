package pattern

import "strings"

// maxDepth bounds bracket and parenthesis nesting so hostile input cannot
// exhaust the stack.
const maxDepth = 200

// parser is a recursive-descent parser with one token of lookahead.
type parser struct {
	lx    lexer
	tok   token
	depth int
}

// Parse parses a STIX 2.1 pattern; STIX 2.0 patterns parse too (2.0 wrote
// START/STOP times as plain strings). On failure the error is a
// *SyntaxError. Parse is safe for concurrent use.
func Parse(src string) (*Pattern, error) {
	p := &parser{lx: lexer{src: src}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tokEOF {
		return nil, p.errorAt(p.tok.off, "empty pattern")
	}
	e, err := p.parseObsLevel(0)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		return nil, p.unexpected("AND, OR, FOLLOWEDBY, a qualifier or end of pattern")
	}
	return &Pattern{Expr: e}, nil
}

// MustParse is like Parse but panics on error. It is for tests and
// package-level variables holding constant patterns.
func MustParse(src string) *Pattern {
	p, err := Parse(src)
	if err != nil {
		panic(err)
	}
	return p
}

func (p *parser) advance() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) errorAt(off int, msg string) error {
	return newSyntaxError(p.lx.src, off, msg)
}

// unexpected reports the current token where `what` was expected.
func (p *parser) unexpected(what string) error {
	return p.errorAt(p.tok.off, "expected "+what+", found "+p.describe())
}

// describe quotes the current token for an error message and adds a hint
// for the usual case mistakes.
func (p *parser) describe() string {
	if p.tok.kind == tokEOF {
		return "end of input"
	}
	text := p.lx.src[p.tok.off:p.tok.end]
	s := quoteCut(text)
	if p.tok.kind != tokIdent {
		return s
	}
	upper := strings.ToUpper(text)
	if _, ok := keywords[upper]; ok {
		return s + "; keywords are upper-case (" + upper + ")"
	}
	if upper == "TRUE" || upper == "FALSE" {
		return s + "; booleans are lower-case (" + strings.ToLower(text) + ")"
	}
	return s
}

func (p *parser) isKeyword(kw keyword) bool {
	return p.tok.kind == tokKeyword && p.tok.kw == kw
}

// expect consumes a token of the given kind or reports `what` as expected.
func (p *parser) expect(kind tokKind, what string) error {
	if p.tok.kind != kind {
		return p.unexpected(what)
	}
	return p.advance()
}

// enter and leave track nesting depth around '[' and '('.
func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errorAt(p.tok.off, "expression is nested too deeply")
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// obsLevels lists the observation operators from the loosest binding
// (STIX 2.1 section 9.8: AND > OR > FOLLOWEDBY).
var obsLevels = [...]struct {
	kw keyword
	op ObsOp
}{{kwFollowedBy, ObsFollowedBy}, {kwOr, ObsOr}, {kwAnd, ObsAnd}}

// parseObsLevel parses a left-associative chain of the operator at level,
// whose operands are the next tighter level.
func (p *parser) parseObsLevel(level int) (ObservationExpr, error) {
	if level == len(obsLevels) {
		return p.parseQualified()
	}
	left, err := p.parseObsLevel(level + 1)
	if err != nil {
		return nil, err
	}
	for p.isKeyword(obsLevels[level].kw) {
		opOff := p.tok.off
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := p.parseObsLevel(level + 1)
		if err != nil {
			return nil, err
		}
		left = &ObservationBinary{
			Offset: left.Pos(), OpOffset: opOff, Op: obsLevels[level].op,
			Left: left, Right: right,
		}
	}
	return left, nil
}

// parseQualified parses an observation primary and any qualifiers after it.
func (p *parser) parseQualified() (ObservationExpr, error) {
	e, err := p.parseObsPrimary()
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tokKeyword {
		qOff := p.tok.off
		var q Qualifier
		switch p.tok.kw {
		case kwWithin:
			q, err = p.parseWithin()
		case kwRepeats:
			q, err = p.parseRepeats()
		case kwStart:
			q, err = p.parseStartStop()
		default:
			return e, nil
		}
		if err != nil {
			return nil, err
		}
		e = &Qualified{Offset: e.Pos(), QualifierOffset: qOff, Expr: e, Qualifier: q}
	}
	return e, nil
}

// parseObsPrimary parses `[ comparison ]` or `( observation expression )`.
func (p *parser) parseObsPrimary() (ObservationExpr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	off := p.tok.off
	switch p.tok.kind {
	case tokLBrack:
		if err := p.advance(); err != nil {
			return nil, err
		}
		c, err := p.parseCompLevel(0)
		if err != nil {
			return nil, err
		}
		if err := p.expect(tokRBrack, "']' after comparison expression"); err != nil {
			return nil, err
		}
		return &Observation{Offset: off, Comparison: c}, nil
	case tokLParen:
		if err := p.advance(); err != nil {
			return nil, err
		}
		e, err := p.parseObsLevel(0)
		if err != nil {
			return nil, err
		}
		return e, p.expect(tokRParen, "')' after observation expression")
	}
	return nil, p.unexpected("'[' or '(' to start an observation expression")
}

// parseWithin parses `WITHIN n SECONDS` with a positive int or float n.
func (p *parser) parseWithin() (Qualifier, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	var secs float64
	switch {
	case p.tok.kind != tokLiteral:
	case p.tok.lit.Kind == Int:
		secs = float64(p.tok.lit.Int)
	case p.tok.lit.Kind == Float:
		secs = p.tok.lit.Float
	}
	if !(secs > 0) {
		return nil, p.unexpected("positive number of seconds after WITHIN")
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if !p.isKeyword(kwSeconds) {
		return nil, p.unexpected("SECONDS after WITHIN value")
	}
	return Within{Seconds: secs}, p.advance()
}

// parseRepeats parses `REPEATS n TIMES` with a positive integer n.
func (p *parser) parseRepeats() (Qualifier, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	lit := p.tok.lit
	if p.tok.kind != tokLiteral || lit.Kind != Int || lit.Int <= 0 || lit.Int > maxRepeats {
		return nil, p.unexpected("positive integer after REPEATS")
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if !p.isKeyword(kwTimes) {
		return nil, p.unexpected("TIMES after REPEATS count")
	}
	return Repeats{Times: int(lit.Int)}, p.advance()
}

// maxRepeats keeps REPEATS counts within a 32-bit int.
const maxRepeats = 1<<31 - 1

// parseStartStop parses `START ts STOP ts`.
func (p *parser) parseStartStop() (Qualifier, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	start, err := p.parseQualifierTime("START")
	if err != nil {
		return nil, err
	}
	if !p.isKeyword(kwStop) {
		return nil, p.unexpected("STOP after START timestamp")
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	stop, err := p.parseQualifierTime("STOP")
	if err != nil {
		return nil, err
	}
	return StartStop{Start: start, Stop: stop}, nil
}
