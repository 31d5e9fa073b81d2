package main

import (
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/iocflow/iocflow/pipeline/enrich"
)

// enrichFlags are the embedded mode's enrichment sources; all optional.
type enrichFlags struct {
	directory, geoCountry, geoASN string
	critical                      listFlag
	bindingTTL                    time.Duration
}

// defaultBindingTTL is how long an address stays bound to the user or
// host a DHCP lease or a logon named: a working day.
const defaultBindingTTL = 8 * time.Hour

func (f *enrichFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.directory, "directory", "", "directory `file` (CSV or JSON) mapping users, "+
		"hosts and addresses to department, groups and VIP")
	fs.StringVar(&f.geoCountry, "geoip-country", "", "MaxMind country database `file`")
	fs.StringVar(&f.geoASN, "geoip-asn", "", "MaxMind ASN database `file`")
	fs.Var(&f.critical, "critical-group", "directory `group` whose members' verdicts get a "+
		"higher priority; repeatable")
	fs.DurationVar(&f.bindingTTL, "binding-ttl", defaultBindingTTL, "how long an address "+
		"learned from a DHCP lease or a Windows logon stays bound to its host and user; "+
		"0 learns none")
}

// build returns the enricher the flags describe, or nil when none is asked
// for. Bindings are learned by default, since the input itself teaches
// them.
func (f *enrichFlags) build(logger *slog.Logger) (*enrich.Enricher, error) {
	if f.directory == "" && f.geoCountry == "" && f.geoASN == "" && f.bindingTTL <= 0 {
		return nil, nil
	}
	var bindings *enrich.Bindings
	if f.bindingTTL > 0 {
		bindings = enrich.NewBindings(f.bindingTTL)
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
	e, err := enrich.New(enrich.Config{CriticalGroups: f.critical}, src, bindings, geo, logger)
	if err != nil {
		return nil, fmt.Errorf("load directory: %w", err)
	}
	return e, nil
}
