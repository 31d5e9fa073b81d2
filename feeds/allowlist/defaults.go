package allowlist

import (
	"net/netip"
	"sync"
)

// defaultBlocks are the address ranges that are never a remote attacker:
// a feed that lists them is wrong, and a verdict on them would fire on a
// host's own or internal traffic. Private ranges are included on purpose: a
// public feed that lists 192.168.1.101 (emerging-Block-IPs Rev 5793 does)
// would otherwise flag an internal host. A deployment that keeps indicators
// of its own internal hosts turns the defaults off.
var defaultBlocks = []struct{ block, reason string }{
	{"0.0.0.0/8", "unspecified and this-network addresses (RFC 1122)"},
	{"10.0.0.0/8", "private range (RFC 1918)"},
	{"100.64.0.0/10", "shared address space for carrier-grade NAT (RFC 6598)"},
	{"127.0.0.0/8", "loopback (RFC 1122)"},
	{"169.254.0.0/16", "link-local (RFC 3927)"},
	{"172.16.0.0/12", "private range (RFC 1918)"},
	{"192.0.2.0/24", "documentation range TEST-NET-1 (RFC 5737)"},
	{"192.168.0.0/16", "private range (RFC 1918)"},
	{"198.51.100.0/24", "documentation range TEST-NET-2 (RFC 5737)"},
	{"203.0.113.0/24", "documentation range TEST-NET-3 (RFC 5737)"},
	{"224.0.0.0/4", "multicast (RFC 5771)"},
	{"255.255.255.255/32", "limited broadcast (RFC 919)"},
	{"::/128", "unspecified address (RFC 4291)"},
	{"::1/128", "loopback (RFC 4291)"},
	{"fc00::/7", "unique local addresses (RFC 4193)"},
	{"fe80::/10", "link-local (RFC 4291)"},
	{"ff00::/8", "multicast (RFC 4291)"},
	{"2001:db8::/32", "documentation range (RFC 3849)"},
}

// defaultSuffixes are names reserved so that they never resolve on the
// public internet; each covers itself and every name under it. Names a
// feed lists under them are test data or mistakes.
var defaultSuffixes = []struct{ name, reason string }{
	{"localhost", "loopback name (RFC 6761)"},
	{"local", "multicast DNS names (RFC 6762)"},
	{"arpa", "infrastructure domain: reverse lookups and home.arpa (RFC 3172, RFC 8375)"},
	{"test", "reserved for testing (RFC 6761)"},
	{"example", "reserved for documentation (RFC 6761)"},
	{"invalid", "reserved as never valid (RFC 6761)"},
	{"example.com", "reserved for documentation (RFC 2606)"},
	{"example.net", "reserved for documentation (RFC 2606)"},
	{"example.org", "reserved for documentation (RFC 2606)"},
}

var (
	defaultOnce sync.Once
	defaultList *List
)

// Default returns a new list holding the shipped defaults: loopback,
// unspecified, link-local, private, carrier-grade NAT, multicast, broadcast
// and documentation address ranges, and the reserved names localhost,
// .local, .arpa, .test, .example, .invalid and example.com/.net/.org with
// everything under them. The caller owns the list and may add to it.
func Default() *List {
	defaultOnce.Do(func() {
		defaultList = New()
		for _, b := range defaultBlocks {
			defaultList.AddBlock(netip.MustParsePrefix(b.block), "default: "+b.reason)
		}
		for _, s := range defaultSuffixes {
			defaultList.AddSuffix(s.name, "default: "+s.reason)
		}
	})
	l := New()
	l.Merge(defaultList)
	return l
}
