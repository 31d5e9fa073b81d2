package pattern

import "strings"

// parsePath parses `type:first(.key | [n] | [*])*`.
func (p *parser) parsePath() (Path, error) {
	if p.tok.kind != tokIdent {
		return Path{}, p.unexpected("object path")
	}
	path := Path{Offset: p.tok.off, ObjectType: p.lx.src[p.tok.off:p.tok.end]}
	if err := p.advance(); err != nil {
		return Path{}, err
	}
	if err := p.expect(tokColon, "':' after object type"); err != nil {
		return Path{}, err
	}
	key, err := p.parseKey()
	if err != nil {
		return Path{}, err
	}
	path.Steps = append(make([]Step, 0, 2), Step{Kind: KeyStep, Key: key})
	for {
		var step Step
		switch p.tok.kind {
		case tokDot:
			step, err = p.parseDotStep()
		case tokLBrack:
			step, err = p.parseIndexStep()
		default:
			return path, nil
		}
		if err != nil {
			return Path{}, err
		}
		path.Steps = append(path.Steps, step)
	}
}

// parseKey parses a property name: a hyphen-free identifier or a string.
func (p *parser) parseKey() (string, error) {
	switch {
	case p.tok.kind == tokLiteral && p.tok.lit.Kind == String:
		key := p.tok.lit.Str
		return key, p.advance()
	case p.tok.kind == tokIdent:
		key := p.lx.src[p.tok.off:p.tok.end]
		if i := strings.IndexByte(key, '-'); i >= 0 {
			return "", p.errorAt(p.tok.off+i, "property name "+quoteCut(key)+
				" contains '-'; quote it as '"+key+"'")
		}
		return key, p.advance()
	}
	return "", p.unexpected("property name")
}

func (p *parser) parseDotStep() (Step, error) {
	if err := p.advance(); err != nil {
		return Step{}, err
	}
	key, err := p.parseKey()
	return Step{Kind: KeyStep, Key: key}, err
}

// parseIndexStep parses `[n]` or `[*]`.
func (p *parser) parseIndexStep() (Step, error) {
	if err := p.advance(); err != nil {
		return Step{}, err
	}
	var step Step
	switch {
	case p.tok.kind == tokStar:
		step.Kind = AnyIndexStep
	case p.tok.kind == tokLiteral && p.tok.lit.Kind == Int && fitsInt32(p.tok.lit.Int):
		step.Kind, step.Index = IndexStep, int(p.tok.lit.Int)
	default:
		return Step{}, p.unexpected("list index or '*'")
	}
	if err := p.advance(); err != nil {
		return Step{}, err
	}
	return step, p.expect(tokRBrack, "']' after list index")
}

func fitsInt32(n int64) bool { return n >= -1<<31 && n < 1<<31 }
