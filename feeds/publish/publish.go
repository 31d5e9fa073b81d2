// Package publish works out what to publish to the indicator topic when
// feed files are loaded by hand (iocflow feeds publish): the new content of
// the loaded feeds replaces what those feeds said before, and what other
// feeds said stays. It is transport neutral: it reads and returns
// feeds.Index values and leaves the writing to a feeds.Publisher.
//
// Functions here are pure and safe for concurrent use; they never modify
// their arguments.
package publish

import (
	"slices"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
)

// Replace returns the indicator set after the feeds of results publish
// their content: in current, every source of a feed that results carries
// is dropped, and the indicators of results are merged in. An indicator
// left without sources is absent from the result, so feeds.Diff(current,
// Replace(current, results)) yields its removal. Indicators of current
// that change are copied; current is not modified.
func Replace(current *feeds.Set, results []*feeds.Result) *feeds.Set {
	loaded := map[string]bool{}
	for _, r := range results {
		loaded[r.Feed] = true
	}
	out := make([]*ioc.Indicator, 0, current.Len())
	at := make(map[string]int, current.Len())
	for _, in := range current.Indicators() {
		kept := slices.DeleteFunc(slices.Clone(in.Sources), func(s ioc.Source) bool {
			return loaded[s.Feed]
		})
		switch {
		case len(kept) == len(in.Sources):
		case len(kept) > 0:
			c := *in
			c.Sources = kept
			in = &c
		default:
			continue
		}
		at[in.ID] = len(out)
		out = append(out, in)
	}
	for _, in := range feeds.Merge(results) {
		i, ok := at[in.ID]
		if !ok {
			at[in.ID] = len(out)
			out = append(out, in)
			continue
		}
		c := *out[i]
		c.Sources = slices.Clone(c.Sources)
		c.Merge(in)
		out[i] = &c
	}
	return feeds.NewSet(out)
}
