package enrich

import (
	"fmt"
	"net/netip"

	"github.com/dgraph-io/ristretto/v2"
	"github.com/oschwald/maxminddb-golang/v2"
)

// Geo is what the databases say about an address; zero fields are
// unknown.
type Geo struct {
	Country string `json:"country,omitempty"` // ISO 3166-1 alpha-2
	ASN     uint32 `json:"asn,omitempty"`
	ASOrg   string `json:"as_org,omitempty"`
}

// GeoDB looks addresses up in a MaxMind (or compatible) country database
// and an ASN database, either of which may be absent, through a cache.
type GeoDB struct {
	country, asn *maxminddb.Reader
	cache        *ristretto.Cache[[]byte, Geo]
}

// OpenGeo opens the databases at countryPath and asnPath ("" for none)
// with a cache of about cacheEntries addresses.
func OpenGeo(countryPath, asnPath string, cacheEntries int64) (*GeoDB, error) {
	g := &GeoDB{}
	var err error
	if countryPath != "" {
		if g.country, err = maxminddb.Open(countryPath); err != nil {
			return nil, fmt.Errorf("open country database: %w", err)
		}
	}
	if asnPath != "" {
		if g.asn, err = maxminddb.Open(asnPath); err != nil {
			g.Close()
			return nil, fmt.Errorf("open ASN database: %w", err)
		}
	}
	g.cache, err = ristretto.NewCache(&ristretto.Config[[]byte, Geo]{
		NumCounters: max(10*cacheEntries, 1000), MaxCost: max(cacheEntries, 100),
		BufferItems: 64, Metrics: true,
	})
	if err != nil {
		g.Close()
		return nil, fmt.Errorf("geo cache: %w", err)
	}
	return g, nil
}

// Close releases the databases and the cache.
func (g *GeoDB) Close() {
	if g.country != nil {
		g.country.Close()
	}
	if g.asn != nil {
		g.asn.Close()
	}
	if g.cache != nil {
		g.cache.Close()
	}
}

type countryRecord struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	RegisteredCountry struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"registered_country"`
}

type asnRecord struct {
	Number uint32 `maxminddb:"autonomous_system_number"`
	Org    string `maxminddb:"autonomous_system_organization"`
}

// Lookup returns what the databases know about a. Private and special
// addresses simply have no record.
func (g *GeoDB) Lookup(a netip.Addr) Geo {
	a = a.Unmap()
	key := a.As16()
	if v, ok := g.cache.Get(key[:]); ok {
		return v
	}
	var out Geo
	if g.country != nil {
		var r countryRecord
		if err := g.country.Lookup(a).Decode(&r); err == nil {
			out.Country = r.Country.ISOCode
			if out.Country == "" {
				out.Country = r.RegisteredCountry.ISOCode
			}
		}
	}
	if g.asn != nil {
		var r asnRecord
		if err := g.asn.Lookup(a).Decode(&r); err == nil {
			out.ASN, out.ASOrg = r.Number, r.Org
		}
	}
	g.cache.Set(key[:], out, 1)
	return out
}

// HitRatio returns the share of lookups the cache answered, 0 to 1.
func (g *GeoDB) HitRatio() float64 { return g.cache.Metrics.Ratio() }

// Wait blocks until cache writes in flight are applied; for tests.
func (g *GeoDB) Wait() { g.cache.Wait() }
