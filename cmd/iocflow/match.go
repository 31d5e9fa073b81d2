package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/matcher"
)

// matchAnswer is what `iocflow match --json` prints for one value.
type matchAnswer struct {
	Query      string           `json:"query"`
	Type       string           `json:"type,omitempty"`
	Value      string           `json:"value,omitempty"`
	Error      string           `json:"error,omitempty"`
	Indicators []matchIndicator `json:"indicators"`
}

type matchIndicator struct {
	*ioc.Indicator
	ActiveNow bool `json:"active_now"`
}

// cmdMatch prints what the feeds say about each value. It exits with
// status 1 when a value could not be read as any type.
func cmdMatch(args []string, stdout, stderr io.Writer) (int, error) {
	var feedPaths listFlag
	var typeName string
	var asJSON bool
	fs := flag.NewFlagSet("iocflow match", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(&feedPaths, "feeds", "feed `file or folder`; repeatable")
	var allow allowOptions
	allow.register(fs)
	fs.StringVar(&typeName, "type", "",
		"read every value as this observable `type` instead of guessing")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object per value")
	if err := fs.Parse(args); err != nil {
		return exitUsage, err
	}
	if len(feedPaths) == 0 || fs.NArg() == 0 {
		return exitUsage, &usageError{msg: "match: usage: iocflow match --feeds PATH VALUE..."}
	}
	t := ioc.TypeInvalid
	if typeName != "" {
		var ok bool
		if t, ok = ioc.ParseType(typeName); !ok || !t.IsValid() {
			return exitUsage, &usageError{msg: fmt.Sprintf("match: unknown --type %q", typeName)}
		}
	}
	l, err := loadFeedsAllowing(feedPaths, allow)
	if err != nil {
		return exitUsage, err
	}
	l.noteSuppressed(stderr)
	snap := l.snapshot(1)
	now := time.Now()
	enc := json.NewEncoder(stdout)
	code := exitOK
	for _, q := range fs.Args() {
		a := answer(snap, t, q, now)
		if a.Error != "" {
			code = exitRejected
		}
		if asJSON {
			if err := enc.Encode(a); err != nil {
				return exitUsage, err
			}
			continue
		}
		printAnswer(stdout, a, now)
	}
	return code, nil
}

func answer(snap *matcher.Snapshot, t ioc.Type, q string, now time.Time) matchAnswer {
	var m matcher.ValueMatch
	var err error
	if t == ioc.TypeInvalid {
		m, err = snap.MatchValue(q)
	} else {
		m, err = snap.MatchTyped(t, q)
	}
	a := matchAnswer{Query: q, Indicators: []matchIndicator{}}
	if err != nil {
		a.Error = err.Error()
		return a
	}
	a.Type, a.Value = m.Type.String(), m.Canonical
	for _, in := range m.Indicators {
		a.Indicators = append(a.Indicators, matchIndicator{in, in.IsActive(now)})
	}
	return a
}

// printAnswer writes one value's answer for a person at a terminal: the
// value as iocflow reads it, then each indicator with every feed's word on
// it.
func printAnswer(w io.Writer, a matchAnswer, now time.Time) {
	if a.Error != "" {
		fmt.Fprintf(w, "%s\n  %s\n", a.Query, a.Error)
		return
	}
	fmt.Fprintf(w, "%s  (%s %s)\n", a.Query, a.Type, a.Value)
	if len(a.Indicators) == 0 {
		fmt.Fprintln(w, "  no indicator")
	}
	for _, in := range a.Indicators {
		state := "active now"
		if !in.ActiveNow {
			state = "not active now"
		}
		fmt.Fprintf(w, "  %s  %s\n", in.ID, state)
		for _, s := range in.Sources {
			fmt.Fprintf(w, "    %s\n", describeSource(&s, now))
		}
	}
}

func describeSource(s *ioc.Source, now time.Time) string {
	parts := []string{s.Feed, s.ID, fmt.Sprintf("confidence %d", s.Confidence),
		"severity " + s.Severity.String()}
	switch {
	case s.Revoked:
		parts = append(parts, "revoked")
	case !s.IsActive(now) && !s.ValidFrom.IsZero() && now.Before(s.ValidFrom):
		parts = append(parts, "valid from "+s.ValidFrom.Format(time.RFC3339))
	case !s.IsActive(now):
		parts = append(parts, "expired "+s.ValidUntil.Format(time.RFC3339))
	case !s.ValidUntil.IsZero():
		parts = append(parts, "valid until "+s.ValidUntil.Format(time.RFC3339))
	}
	for _, list := range [][]string{s.ThreatTypes, s.Malware, s.Campaigns, s.Actors} {
		if len(list) > 0 {
			parts = append(parts, strings.Join(list, ", "))
		}
	}
	return strings.Join(parts, "  ")
}
