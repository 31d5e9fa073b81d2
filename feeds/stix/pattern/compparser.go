package pattern

import "time"

// compLevels lists the comparison-expression operators from the loosest
// binding: inside brackets AND binds tighter than OR.
var compLevels = [...]struct {
	kw keyword
	op CompOp
}{{kwOr, CompOr}, {kwAnd, CompAnd}}

// parseCompLevel parses a left-associative chain of the operator at level.
func (p *parser) parseCompLevel(level int) (CompExpr, error) {
	if level == len(compLevels) {
		return p.parseCompPrimary()
	}
	left, err := p.parseCompLevel(level + 1)
	if err != nil {
		return nil, err
	}
	for p.isKeyword(compLevels[level].kw) {
		opOff := p.tok.off
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := p.parseCompLevel(level + 1)
		if err != nil {
			return nil, err
		}
		left = &CompBinary{
			Offset: left.Pos(), OpOffset: opOff, Op: compLevels[level].op,
			Left: left, Right: right,
		}
	}
	return left, nil
}

// parseCompPrimary parses a comparison, `EXISTS path` or a parenthesised
// comparison expression.
func (p *parser) parseCompPrimary() (CompExpr, error) {
	switch {
	case p.tok.kind == tokLParen:
		return p.parseCompParen()
	case p.isKeyword(kwExists):
		off := p.tok.off
		if err := p.advance(); err != nil {
			return nil, err
		}
		path, err := p.parsePath()
		if err != nil {
			return nil, err
		}
		return &Exists{Offset: off, Path: path}, nil
	case p.tok.kind == tokIdent:
		return p.parseComparison()
	case p.isKeyword(kwNot):
		return nil, p.unexpected("object path, '(' or EXISTS (NOT goes after the path)")
	}
	return nil, p.unexpected("object path, '(' or EXISTS")
}

func (p *parser) parseCompParen() (CompExpr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	if err := p.advance(); err != nil {
		return nil, err
	}
	c, err := p.parseCompLevel(0)
	if err != nil {
		return nil, err
	}
	return c, p.expect(tokRParen, "')' after comparison expression")
}

// operatorKeywords maps keyword operators to Operators.
var operatorKeywords = map[keyword]Operator{
	kwIn: In, kwLike: Like, kwMatches: Matches, kwIsSubset: IsSubset, kwIsSuperset: IsSuperset,
}

// parseComparison parses `path [NOT] op value`.
func (p *parser) parseComparison() (CompExpr, error) {
	path, err := p.parsePath()
	if err != nil {
		return nil, err
	}
	c := &Comparison{Offset: path.Offset, Path: path}
	if p.isKeyword(kwNot) {
		c.Negated = true
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	c.OpOffset = p.tok.off
	switch {
	case p.tok.kind == tokOp:
		c.Op = p.tok.op
	case p.tok.kind == tokKeyword:
		c.Op = operatorKeywords[p.tok.kw]
	}
	if c.Op == 0 {
		return nil, p.unexpected("comparison operator after object path")
	}
	opText := p.lx.src[p.tok.off:p.tok.end]
	if err := p.advance(); err != nil {
		return nil, err
	}
	if c.Op == In {
		c.Set, err = p.parseSet()
		return c, err
	}
	c.Value, err = p.parseOperand(c.Op, opText)
	return c, err
}

// parseOperand parses the literal after op, checking the kinds the grammar
// allows: any literal for = and !=, no boolean for ordering, strings only
// for LIKE, MATCHES, ISSUBSET and ISSUPERSET.
func (p *parser) parseOperand(op Operator, opText string) (Literal, error) {
	lit := p.tok.lit
	ok := p.tok.kind == tokLiteral
	want := "literal"
	switch op {
	case Less, LessEqual, Greater, GreaterEqual:
		ok = ok && lit.Kind != Bool
		want = "orderable literal"
	case Like, Matches, IsSubset, IsSuperset:
		ok = ok && lit.Kind == String
		want = "string literal"
	}
	if !ok {
		return Literal{}, p.unexpected(want + " after " + quoteOp(opText))
	}
	return lit, p.advance()
}

// quoteOp renders an operator for messages: symbols in single quotes,
// keywords bare.
func quoteOp(text string) string {
	if isLetter(text[0]) {
		return text
	}
	return "'" + text + "'"
}

// parseSet parses `( [literal {, literal}] )` after IN.
func (p *parser) parseSet() ([]Literal, error) {
	if err := p.expect(tokLParen, "'(' after IN"); err != nil {
		return nil, err
	}
	set := []Literal{}
	if p.tok.kind == tokRParen {
		return set, p.advance()
	}
	for {
		if p.tok.kind != tokLiteral {
			return nil, p.unexpected("literal in IN set")
		}
		set = append(set, p.tok.lit)
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind == tokRParen {
			return set, p.advance()
		}
		if err := p.expect(tokComma, "',' or ')' in IN set"); err != nil {
			return nil, err
		}
	}
}

// parseQualifierTime parses a START or STOP timestamp: t'…' in STIX 2.1,
// or a plain string holding the same form in STIX 2.0.
func (p *parser) parseQualifierTime(after string) (time.Time, error) {
	lit := p.tok.lit
	if p.tok.kind == tokLiteral && lit.Kind == Timestamp {
		return lit.Time, p.advance()
	}
	if p.tok.kind != tokLiteral || lit.Kind != String {
		return time.Time{}, p.unexpected("timestamp after " + after)
	}
	t, bad, msg := parseTimestamp(lit.Str)
	if msg != "" {
		off := p.tok.off
		if p.tok.end-p.tok.off == len(lit.Str)+2 {
			off += 1 + bad // no escapes, so the index maps onto the source
		}
		return time.Time{}, p.errorAt(off, msg)
	}
	return t, p.advance()
}
