package feeds

import (
	"errors"
	"strconv"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/internal/clip"
)

// Reject is a feed record that did not become an indicator, with where it
// was and why.
type Reject struct {
	Feed     string `json:"feed"`
	Position string `json:"position"`
	Value    string `json:"value,omitempty"`
	Reason   string `json:"reason"`
}

func (r *Reject) Error() string {
	s := "feed " + strconv.Quote(r.Feed) + ": " + r.Position + ": "
	if r.Value != "" {
		s += clip.Quote(r.Value) + ": "
	}
	return s + r.Reason
}

// NotEnforced is a record that was read and kept but that the streaming
// matcher cannot honour yet (a STIX pattern needing state across events, for
// example). It is reported, never silently dropped.
type NotEnforced struct {
	Feed     string `json:"feed"`
	Position string `json:"position"`
	Pattern  string `json:"pattern"`
	Reason   string `json:"reason"`
}

// Result is what one feed file gave.
type Result struct {
	Feed   string
	Format string
	// Indicators holds one indicator per (type, value) of this feed.
	Indicators  []*ioc.Indicator
	Rejects     []Reject
	NotEnforced []NotEnforced
}

// Builder collects the indicators and rejects of one feed while a parser
// reads it.
type Builder struct {
	res   Result
	index map[string]*ioc.Indicator
}

// NewBuilder returns a builder for the named feed read in the named format.
func NewBuilder(feed, format string) *Builder {
	return &Builder{
		res:   Result{Feed: feed, Format: format},
		index: map[string]*ioc.Indicator{},
	}
}

// Feed returns the feed's name.
func (b *Builder) Feed() string { return b.res.Feed }

// Add refangs and canonicalises raw as type t (for ipv4 and ipv6, an
// address or a CIDR block; TypeInvalid means "detect from the value") and
// adds it with src, whose Feed is filled in. A value that is not valid is
// recorded as a reject at pos and returned as an error; the parser goes on.
func (b *Builder) Add(pos string, t ioc.Type, raw string, src ioc.Source) error {
	fixed, _ := ioc.Refang(raw)
	typ, v, err := canonicalIndicator(t, fixed)
	if err != nil {
		return b.reject(pos, raw, err)
	}
	if reason := unfitIndicator(typ, v); reason != "" {
		return b.Reject(pos, raw, reason)
	}
	src.Feed = b.res.Feed
	if v != raw && src.Original == "" {
		src.Original = raw
	}
	b.AddCanonical(typ, v, src)
	return nil
}

// AddCanonical adds a value that is already canonical for t.
func (b *Builder) AddCanonical(t ioc.Type, v string, src ioc.Source) {
	src.Feed = b.res.Feed
	id := ioc.MakeID(t, v)
	if in, ok := b.index[id]; ok {
		in.AddSource(src)
		return
	}
	in := ioc.NewIndicator(t, v, src)
	b.index[id] = in
	b.res.Indicators = append(b.res.Indicators, in)
}

// Reject records a record that is not an indicator and returns it as an
// error.
func (b *Builder) Reject(pos, value, reason string) error {
	r := Reject{Feed: b.res.Feed, Position: pos, Value: value, Reason: reason}
	b.res.Rejects = append(b.res.Rejects, r)
	return &r
}

func (b *Builder) reject(pos, value string, err error) error {
	var ve *ioc.ValueError
	if errors.As(err, &ve) {
		return b.Reject(pos, value, ve.Type.String()+": "+ve.Reason)
	}
	return b.Reject(pos, value, err.Error())
}

// NotEnforced records a pattern that is kept but not matched.
func (b *Builder) NotEnforced(pos, pattern, reason string) {
	b.res.NotEnforced = append(b.res.NotEnforced, NotEnforced{
		Feed: b.res.Feed, Position: pos, Pattern: pattern, Reason: reason,
	})
}

// Result returns what the builder collected. The builder must not be used
// afterwards.
func (b *Builder) Result() *Result { return &b.res }

func canonicalIndicator(t ioc.Type, raw string) (ioc.Type, string, error) {
	switch {
	case t == ioc.TypeInvalid:
		return ioc.Detect(raw)
	case t.IsIP():
		p, err := ioc.ParsePrefix(raw)
		if err != nil {
			return t, "", err
		}
		return ioc.AddrType(p.Addr()), ioc.FormatPrefix(p), nil
	}
	v, err := ioc.Canonical(t, raw)
	return t, v, err
}

// unfitIndicator returns why a valid value still cannot be an indicator, or
// "" when it can.
func unfitIndicator(t ioc.Type, v string) string {
	switch t {
	case ioc.Domain:
		if !containsByte(v, '.') {
			return "single-label domain would match a whole top-level domain"
		}
	case ioc.IPv4, ioc.IPv6:
		p, _ := ioc.IPKey(t, v)
		if p.Bits() == 0 {
			return "a /0 block would match every address"
		}
	case ioc.Text:
		if len(v) < 4 {
			return "substring pattern shorter than 4 bytes would match almost anything"
		}
	}
	return ""
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}
