package main

import (
	"fmt"
	"log/slog"

	"github.com/iocflow/iocflow/internal/logkey"
	"github.com/iocflow/iocflow/pipeline/enrich"
)

// geoCacheEntries sizes the cache of geo lookups, as in embedded mode.
const geoCacheEntries = 1 << 16

// newEnricher builds the enricher of the "enrich" section; nil when the
// section names no source. The caller runs its Run for directory reloads.
func (e *enrichConfig) newEnricher(logger *slog.Logger) (*enrich.Enricher, error) {
	if !e.enabled() {
		return nil, nil
	}
	internal, err := e.internal()
	if err != nil {
		return nil, fmt.Errorf("enrich.internal: %w", err)
	}
	var src enrich.Source
	switch {
	case e.Directory != "":
		src = enrich.FileSource{Path: e.Directory}
	case e.LDAP != nil:
		ldapSrc, err := enrich.NewLDAPSource(*e.LDAP)
		if err != nil {
			return nil, fmt.Errorf("enrich.ldap: %w", err)
		}
		src = ldapSrc
	}
	var bindings *enrich.Bindings
	if e.BindingTTL != nil && e.BindingTTL.D() > 0 {
		bindings = enrich.NewBindings(e.BindingTTL.D())
	}
	var geo *enrich.GeoDB
	if e.GeoIPCountry != "" || e.GeoIPASN != "" {
		if geo, err = enrich.OpenGeo(e.GeoIPCountry, e.GeoIPASN, geoCacheEntries); err != nil {
			return nil, fmt.Errorf("open geoip databases: %w", err)
		}
	}
	cfg := enrich.Config{Internal: internal, CriticalGroups: e.CriticalGroups,
		Reload: e.Reload.D()}
	en, err := enrich.New(cfg, src, bindings, geo,
		logger.With(logkey.Component, "pipeline/enrich"))
	if err != nil {
		if geo != nil {
			geo.Close()
		}
		return nil, fmt.Errorf("load directory: %w", err)
	}
	return en, nil
}
