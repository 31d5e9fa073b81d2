package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/matcher"
)

// matchAnswer is what `iocflow match` prints for one value.
type matchAnswer struct {
	Query      string           `json:"query"`
	Type       string           `json:"type,omitempty"`
	Value      string           `json:"value,omitempty"`
	Error      string           `json:"error,omitempty"`
	Indicators []*ioc.Indicator `json:"indicators"`
	Active     []bool           `json:"active"`
}

func cmdMatch(args []string, stdout, stderr io.Writer) (int, error) {
	var feedPaths listFlag
	var typeName string
	fs := flag.NewFlagSet("iocflow match", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(&feedPaths, "feeds", "feed `file or folder`; repeatable")
	var allow allowOptions
	allow.register(fs)
	fs.StringVar(&typeName, "type", "", "read every value as this observable `type` instead of guessing")
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
	snap := l.snapshot(1)
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	for _, q := range fs.Args() {
		if err := enc.Encode(answer(snap, t, q, time.Now())); err != nil {
			return exitUsage, err
		}
	}
	return exitOK, nil
}

func answer(snap *matcher.Snapshot, t ioc.Type, q string, now time.Time) matchAnswer {
	a := matchAnswer{Query: q, Indicators: []*ioc.Indicator{}, Active: []bool{}}
	typ, v, err := detectObservable(t, q)
	if err != nil {
		a.Error = err.Error()
		return a
	}
	a.Type, a.Value = typ.String(), v
	for _, r := range snap.Lookup(typ, v, nil) {
		in := snap.Indicator(r)
		a.Indicators = append(a.Indicators, in)
		a.Active = append(a.Active, in.IsActive(now))
	}
	return a
}

func detectObservable(t ioc.Type, q string) (ioc.Type, string, error) {
	if t == ioc.TypeInvalid {
		return ioc.Detect(q)
	}
	if t.IsIP() {
		a, err := ioc.ParseAddr(q)
		if err != nil {
			return t, "", err
		}
		return ioc.AddrType(a), a.String(), nil
	}
	v, err := ioc.CanonicalObservable(t, q)
	return t, v, err
}
