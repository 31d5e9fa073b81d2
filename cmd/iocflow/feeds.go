package main

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/abusech"
	"github.com/iocflow/iocflow/feeds/allowlist"
	"github.com/iocflow/iocflow/feeds/et"
	"github.com/iocflow/iocflow/feeds/etrep"
	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/feeds/list"
	"github.com/iocflow/iocflow/feeds/misp"
	"github.com/iocflow/iocflow/feeds/spamhaus"
	"github.com/iocflow/iocflow/feeds/stix"
	"github.com/iocflow/iocflow/feeds/stix1"
	"github.com/iocflow/iocflow/feeds/upload"
	"github.com/iocflow/iocflow/matcher"
)

// feedFormats is the one list of feed formats, tried in this order on each
// file: the specific ones before the catch-all plain list.
var feedFormats = []feeds.Format{
	stix.Format{},
	stix1.Format{},
	et.Format{},
	etrep.Format{},
	spamhaus.Format{},
	abusech.Feodo{},
	abusech.URLhaus{},
	abusech.ThreatFox{},
	abusech.MalwareBazaar{},
	misp.Format{},
	upload.JSON{},
	list.CSV{},
	list.Plain{},
}

// feedFolderFormats are the formats whose feeds are whole folders; a folder
// one of them recognises is read as one feed.
var feedFolderFormats = []feeds.DirFormat{
	misp.Feed{},
}

// loaded is the outcome of loading the feeds of a run.
type loaded struct {
	results    []*feeds.Result
	skipped    []error
	indicators []*ioc.Indicator
	suppressed []allowlist.Suppressed
}

// allowOptions says which values the allowlist keeps out of the feeds: the
// shipped defaults unless turned off, and the entries of each file.
type allowOptions struct {
	files    listFlag
	defaults bool
}

func (o *allowOptions) register(fs *flag.FlagSet) {
	fs.Var(&o.files, "allowlist", "allowlist `file` of values never to treat as indicators "+
		"(addresses, blocks, .domain suffixes, exact values); repeatable")
	fs.BoolVar(&o.defaults, "allowlist-defaults", true, "suppress indicators in reserved, "+
		"private and documentation address ranges and names (localhost, .example, ...)")
}

func (o *allowOptions) list() (*allowlist.List, error) {
	l := allowlist.New()
	if o.defaults {
		l = allowlist.Default()
	}
	for _, path := range o.files {
		user, err := allowlist.Load(path)
		if err != nil {
			return nil, err
		}
		l.Merge(user)
	}
	return l, nil
}

func loadFeeds(paths []string) (*loaded, error) {
	return loadFeedsAllowing(paths, allowOptions{defaults: true})
}

func loadFeedsAllowing(paths []string, allow allowOptions) (*loaded, error) {
	al, err := allow.list()
	if err != nil {
		return nil, err
	}
	res, skipped, err := feeds.LoadPaths(paths, feedFormats, feedFolderFormats...)
	if err != nil {
		return nil, err
	}
	res, suppressed := al.Filter(res)
	return &loaded{results: res, skipped: skipped, indicators: feeds.Merge(res),
		suppressed: suppressed}, nil
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
	suppressed := 0
	for _, s := range l.suppressed {
		suppressed += s.Count
	}
	perTypeText := ""
	if len(parts) > 0 {
		perTypeText = " (" + strings.Join(parts, ", ") + ")"
	}
	fmt.Fprintf(w, "iocflow: indicators: %d loaded%s from %d %s; %d rejected; "+
		"%d not enforced; %d suppressed by allowlist\n", len(l.indicators), perTypeText,
		len(l.results), plural(len(l.results), "feed", "feeds"), l.rejected(), notEnforced,
		suppressed)
	listed := 0
	for _, s := range l.suppressed {
		if listed++; listed <= maxListed {
			fmt.Fprintf(w, "iocflow:   suppressed: feed %q: %d %s (e.g. %s): %s\n",
				s.Feed, s.Count, plural(s.Count, "indicator", "indicators"), s.Example, s.Reason)
		}
	}
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

// noteSuppressed tells a person on standard error how many indicators the
// allowlist kept out, so that a value that matches nothing is not taken for
// a value no feed lists.
func (l *loaded) noteSuppressed(w io.Writer) {
	n := 0
	for _, s := range l.suppressed {
		n += s.Count
	}
	if n > 0 {
		fmt.Fprintf(w, "iocflow: %d %s suppressed by the allowlist; "+
			"--allowlist-defaults=false keeps those the shipped defaults drop\n", n,
			plural(n, "indicator", "indicators"))
	}
}

// plural picks the word for n things.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
