package edl

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"fmt"
	"net/netip"
	"strings"

	"github.com/iocflow/iocflow/enforce"
)

// Device names a list format.
type Device string

// The devices whose list formats are written.
const (
	// PaloAlto: PAN-OS external dynamic lists ("Formatting Guidelines for
	// an External Dynamic List"): IP lists of addresses, IP/mask and
	// ranges, IPv4 and IPv6; domain lists of names; URL lists of
	// host[/path] without a scheme, where '*' and '^' are wildcard tokens.
	PaloAlto Device = "paloalto"
	// Fortinet: FortiGate external threat feeds (Security Fabric >
	// External Connectors): IP address feeds (addresses, CIDR, ranges,
	// IPv4 and IPv6), domain name feeds, and URL lists for the FortiGuard
	// category feed, one entry per line.
	Fortinet Device = "fortinet"
	// CheckPoint: Custom Intelligence Feeds in the Check Point CSV format
	// (sk132193): UNIQ-NAME,VALUE,TYPE,CONFIDENCE,SEVERITY,PRODUCT,COMMENT
	// with types IP (one IPv4 address), IP Range (IPv4 start-end), Domain
	// and URL; one file may mix them.
	CheckPoint Device = "checkpoint"
	// Juniper: SRX dynamic-address feed files (security dynamic-address
	// feed-server): IPv4 and IPv6 addresses and prefixes, one per line.
	Juniper Device = "juniper"
	// BlueCoat: ProxySG local database / category file: "define category
	// NAME", one URL pattern per line (a host or host/path, no scheme),
	// "end".
	BlueCoat Device = "bluecoat"
)

// Defaults per device: the documented entry limit per list, the list
// types the device takes.
var devices = map[Device]struct {
	maxEntries int
	types      []ListType
}{
	// PAN-OS counts 50,000 IP addresses and 50,000 domains and 50,000
	// URLs per firewall on most models (PAN-OS web interface help,
	// "External Dynamic Lists"); larger models allow more.
	PaloAlto: {50_000, []ListType{IPList, DomainList, URLList}},
	// FortiOS takes up to 131,072 (128 x 1024) lines per threat feed file.
	Fortinet: {131_072, []ListType{IPList, DomainList, URLList}},
	// Check Point R81.20 gateways take at least 2 million observables in
	// all; Infinity IoC exports cap a CSV at one million.
	CheckPoint: {1_000_000, []ListType{IPList, DomainList, URLList, AllList}},
	Juniper:    {100_000, []ListType{IPList}},
	BlueCoat:   {100_000, []ListType{DomainList, URLList, AllList}},
}

// ListType is what a list holds.
type ListType string

// List types. AllList mixes every kind the device can express.
const (
	IPList     ListType = "ip"
	DomainList ListType = "domain"
	URLList    ListType = "url"
	AllList    ListType = "all"
)

// takes reports whether a list of type t holds targets of kind k.
func (t ListType) takes(k enforce.Kind) bool {
	switch t {
	case IPList:
		return k == enforce.BlockIP || k == enforce.BlockCIDR
	case DomainList:
		return k == enforce.BlockDomain
	case URLList:
		return k == enforce.BlockURL
	case AllList:
		return k.IsNetwork()
	}
	return false
}

// line returns the entry of target t in device d's syntax, or "" when the
// device cannot express it (an IPv6 block in a Check Point feed, a URL
// holding a PAN wildcard token). The bool is false then.
func line(d Device, t enforce.Target) (string, bool) {
	switch t.Kind {
	case enforce.BlockIP, enforce.BlockCIDR:
		p, ok := t.Prefix()
		if !ok {
			return "", false
		}
		return ipLine(d, p)
	case enforce.BlockDomain:
		return t.Value, true
	case enforce.BlockURL:
		u := t.URLWithoutScheme()
		if d == PaloAlto && strings.ContainsAny(u, "*^") {
			return "", false
		}
		if strings.ContainsAny(u, " \t\r\n") {
			return "", false
		}
		return u, true
	}
	return "", false
}

func ipLine(d Device, p netip.Prefix) (string, bool) {
	switch d {
	case CheckPoint:
		if !p.Addr().Is4() {
			return "", false
		}
		if p.IsSingleIP() {
			return p.Addr().String(), true
		}
		return p.Addr().String() + "-" + lastAddr(p).String(), true
	case BlueCoat:
		if !p.IsSingleIP() {
			return "", false
		}
		if p.Addr().Is6() {
			return "[" + p.Addr().String() + "]", true
		}
		return p.Addr().String(), true
	}
	if p.IsSingleIP() {
		return p.Addr().String(), true
	}
	return p.String(), true
}

// lastAddr returns the highest address of a masked prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// checkPointType returns the TYPE column of a Check Point CSV record.
func checkPointType(t enforce.Target, entry string) string {
	switch t.Kind {
	case enforce.BlockDomain:
		return "Domain"
	case enforce.BlockURL:
		return "URL"
	}
	if strings.Contains(entry, "-") {
		return "IP Range"
	}
	return "IP"
}

// render writes the list body of entries (already in device syntax, in
// order) for device d.
func render(d Device, category string, entries []entry) []byte {
	var b bytes.Buffer
	switch d {
	case CheckPoint:
		b.WriteString("#! DESCRIPTION = iocflow enforcement\n")
		b.WriteString("# UNIQ-NAME,VALUE,TYPE,CONFIDENCE,SEVERITY,PRODUCT,COMMENT\n")
		w := csv.NewWriter(&b)
		for _, e := range entries {
			sum := sha256.Sum256([]byte(e.target.Key()))
			_ = w.Write([]string{fmt.Sprintf("iocflow-%x", sum[:8]), e.text,
				checkPointType(
					e.target,
					e.text,
				), "high", "high", "AB", "iocflow " + e.target.Kind.String()})
		}
		w.Flush()
	case BlueCoat:
		b.WriteString("define category " + category + "\n")
		for _, e := range entries {
			b.WriteString(e.text + "\n")
		}
		b.WriteString("end\n")
	default:
		for _, e := range entries {
			b.WriteString(e.text + "\n")
		}
	}
	return b.Bytes()
}
