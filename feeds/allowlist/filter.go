package allowlist

import (
	"cmp"
	"slices"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
)

// Suppressed counts the indicators of one feed that one allowlist entry
// kept out.
type Suppressed struct {
	Feed   string `json:"feed"`
	Reason string `json:"reason"`
	Count  int    `json:"count"`
	// Example is the id of the first indicator suppressed
	// ("ipv4:127.0.0.1"), so that a report can show what was meant.
	Example string `json:"example"`
}

// Filter returns results like the given ones but without the indicators
// the list covers, and what was suppressed, grouped by feed and reason in
// the order of the results and then of reasons. Rejects and records not
// enforced are kept. The given results are not modified; the returned ones
// share their indicators.
func (l *List) Filter(results []*feeds.Result) (kept []*feeds.Result, suppressed []Suppressed) {
	kept = make([]*feeds.Result, 0, len(results))
	for _, r := range results {
		c := *r
		c.Indicators = make([]*ioc.Indicator, 0, len(r.Indicators))
		byReason := map[string]*Suppressed{}
		var order []*Suppressed
		for _, in := range r.Indicators {
			reason, ok := l.Allows(in.Type, in.Value)
			if !ok {
				c.Indicators = append(c.Indicators, in)
				continue
			}
			s := byReason[reason]
			if s == nil {
				s = &Suppressed{Feed: r.Feed, Reason: reason, Example: in.ID}
				byReason[reason] = s
				order = append(order, s)
			}
			s.Count++
		}
		slices.SortStableFunc(order, func(a, b *Suppressed) int {
			return cmp.Compare(a.Reason, b.Reason)
		})
		for _, s := range order {
			suppressed = append(suppressed, *s)
		}
		kept = append(kept, &c)
	}
	return kept, suppressed
}
