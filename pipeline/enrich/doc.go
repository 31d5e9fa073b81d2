// Package enrich tells who and what an event is about: the user, host,
// department, groups and VIP flag from a directory (a file, or LDAP
// through LDAPSource), an IP-to-user binding learned from logon and DHCP
// telemetry (Learn, fed by event.Binding), and the country and
// autonomous system of addresses from MaxMind databases. Annotate turns
// that into the fields a verdict carries, with a priority that rises for
// VIPs and critical groups.
//
// Concurrency: an Enricher is safe for concurrent use. The directory is an
// immutable snapshot behind an atomic pointer, swapped whole on reload;
// bindings live in a sync.Map; geo lookups go through a ristretto cache.
// Readers take no lock.
package enrich
