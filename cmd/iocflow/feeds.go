package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/et"
	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/feeds/list"
	"github.com/iocflow/iocflow/feeds/stix"
	"github.com/iocflow/iocflow/matcher"
)

// feedFormats is the one list of feed formats, tried in this order on each
// file: the specific ones before the catch-all plain list.
var feedFormats = []feeds.Format{
	stix.Format{},
	et.Format{},
	list.CSV{},
	list.Plain{},
}

// loaded is the outcome of loading the feeds of a run.
type loaded struct {
	results    []*feeds.Result
	skipped    []error
	indicators []*ioc.Indicator
}

func loadFeeds(paths []string) (*loaded, error) {
	res, skipped, err := feeds.LoadPaths(paths, feedFormats)
	if err != nil {
		return nil, err
	}
	return &loaded{results: res, skipped: skipped, indicators: feeds.Merge(res)}, nil
}

func (l *loaded) snapshot(version uint64) *matcher.Snapshot {
	return matcher.Build(version, l.indicators)
}

func (l *loaded) rejected() int {
	n := len(l.skipped)
	for _, r := range l.results {
		n += len(r.Rejects)
	}
	return n
}

// maxListed bounds how many rejects the summary lists one by one.
const maxListed = 20

// report writes the feed part of the summary.
func (l *loaded) report(w io.Writer) {
	perType := map[ioc.Type]int{}
	for _, in := range l.indicators {
		perType[in.Type]++
	}
	var parts []string
	for _, t := range slices.Sorted(maps.Keys(perType)) {
		parts = append(parts, fmt.Sprintf("%s %d", t, perType[t]))
	}
	notEnforced := 0
	for _, r := range l.results {
		notEnforced += len(r.NotEnforced)
	}
	fmt.Fprintf(w, "iocflow: indicators: %d loaded (%s) from %d feeds; %d rejected; %d not enforced\n",
		len(l.indicators), strings.Join(parts, ", "), len(l.results), l.rejected(), notEnforced)
	listed := 0
	for _, err := range l.skipped {
		listed++
		fmt.Fprintf(w, "iocflow:   skipped: %v\n", err)
	}
	for _, r := range l.results {
		for i := range r.Rejects {
			if listed++; listed <= maxListed {
				fmt.Fprintf(w, "iocflow:   rejected: %v\n", &r.Rejects[i])
			}
		}
		for _, ne := range r.NotEnforced {
			if listed++; listed <= maxListed {
				fmt.Fprintf(w, "iocflow:   not enforced: feed %q: %s: %s\n",
					ne.Feed, ne.Position, ne.Reason)
			}
		}
	}
	if listed > maxListed {
		fmt.Fprintf(w, "iocflow:   ... and %d more not listed\n", listed-maxListed)
	}
}
