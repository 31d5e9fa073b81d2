package main

import (
	"flag"
	"fmt"
	"log/slog"

	"github.com/iocflow/iocflow/pipeline/enrich"
)

// enrichFlags are the embedded mode's enrichment sources; all optional.
type enrichFlags struct {
	directory, geoCountry, geoASN string
	critical                      listFlag
}

func (f *enrichFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.directory, "directory", "", "directory `file` (CSV or JSON) mapping users, "+
		"hosts and addresses to department, groups and VIP")
	fs.StringVar(&f.geoCountry, "geoip-country", "", "MaxMind country database `file`")
	fs.StringVar(&f.geoASN, "geoip-asn", "", "MaxMind ASN database `file`")
	fs.Var(&f.critical, "critical-group", "directory `group` whose members' verdicts get a "+
		"higher priority; repeatable")
}

// build returns the enricher the flags describe, or nil when none is asked
// for.
func (f *enrichFlags) build(logger *slog.Logger) (*enrich.Enricher, error) {
	if f.directory == "" && f.geoCountry == "" && f.geoASN == "" {
		return nil, nil
	}
	var src enrich.Source
	if f.directory != "" {
		src = enrich.FileSource{Path: f.directory}
	}
	var geo *enrich.GeoDB
	if f.geoCountry != "" || f.geoASN != "" {
		var err error
		if geo, err = enrich.OpenGeo(f.geoCountry, f.geoASN, 1<<16); err != nil {
			return nil, fmt.Errorf("open geoip databases: %w", err)
		}
	}
	e, err := enrich.New(enrich.Config{CriticalGroups: f.critical}, src, nil, geo, logger)
	if err != nil {
		return nil, fmt.Errorf("load directory: %w", err)
	}
	return e, nil
}
