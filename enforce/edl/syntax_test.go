package edl

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The validators below restate each device's documented line syntax
// independently of the writer in format.go. Each is first checked against
// sample lists (the shared corpus for PAN and Fortinet, testdata for the
// rest), then used on the lists the adapter writes.

var (
	labelRE      = `[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?`
	domainRE     = regexp.MustCompile(`^(\*\.)?` + labelRE + `(\.` + labelRE + `)*$`)
	fortiDomRE   = regexp.MustCompile(`^[a-z0-9_*-]+(\.[a-z0-9_*-]+)+$`)
	urlNoSchemRE = regexp.MustCompile(`^[^\s/:]+(:\d+)?(/\S*)?$`)
)

// ipEntry accepts an address, a CIDR block (host bits allowed) or an
// a-b range of the same family.
func ipEntry(s string, ranges bool) error {
	if a, b, ok := strings.Cut(s, "-"); ok && ranges {
		x, err1 := netip.ParseAddr(a)
		y, err2 := netip.ParseAddr(b)
		if err1 != nil || err2 != nil || x.Is4() != y.Is4() || y.Less(x) {
			return fmt.Errorf("bad range %q", s)
		}
		return nil
	}
	if strings.Contains(s, "/") {
		_, err := netip.ParsePrefix(s)
		return err
	}
	_, err := netip.ParseAddr(s)
	return err
}

// validate checks one list body against device d's documented syntax for
// list type t.
func validate(d Device, t ListType, body []byte) error {
	switch d {
	case CheckPoint:
		return validateCheckPoint(body)
	case BlueCoat:
		return validateBlueCoat(body)
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if err := validateLine(d, t, l); err != nil {
			return fmt.Errorf("line %d %q: %w", n, l, err)
		}
	}
	return nil
}

func validateLine(d Device, t ListType, l string) error {
	switch t {
	case IPList:
		// PAN: "[IP, IP/mask or range] [space] [comment]".
		entry, _, _ := strings.Cut(l, " ")
		if d != PaloAlto && entry != l {
			return fmt.Errorf("text after the entry")
		}
		return ipEntry(entry, true)
	case DomainList:
		if d == Fortinet && fortiDomRE.MatchString(l) {
			return nil
		}
		if !domainRE.MatchString(l) {
			return fmt.Errorf("not a domain entry")
		}
	case URLList:
		if strings.Contains(l, "://") || !urlNoSchemRE.MatchString(l) {
			return fmt.Errorf("not host[/path] without scheme")
		}
	}
	return nil
}

func validateCheckPoint(body []byte) error {
	var data []string
	for _, l := range strings.Split(string(body), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, `"#`) {
			data = append(data, l)
		}
	}
	recs, err := csv.NewReader(strings.NewReader(strings.Join(data, "\n"))).ReadAll()
	if err != nil {
		return err
	}
	for _, r := range recs {
		if len(r) != 7 || r[0] == "" {
			return fmt.Errorf("record %q: want 7 fields and a name", r)
		}
		var err error
		switch r[2] {
		case "IP":
			var a netip.Addr
			if a, err = netip.ParseAddr(r[1]); err == nil && !a.Is4() {
				err = fmt.Errorf("IP type takes IPv4 only")
			}
		case "IP Range":
			if !strings.Contains(r[1], "-") || strings.Contains(r[1], ":") {
				err = fmt.Errorf("IP Range is IPv4 start-end")
			} else {
				err = ipEntry(r[1], true)
			}
		case "Domain":
			if !domainRE.MatchString(r[1]) {
				err = fmt.Errorf("bad domain")
			}
		case "URL":
			if strings.TrimSpace(r[1]) == "" {
				err = fmt.Errorf("empty URL")
			}
		default:
			err = fmt.Errorf("unknown TYPE %q", r[2])
		}
		if err != nil {
			return fmt.Errorf("record %q: %w", r, err)
		}
	}
	return nil
}

func validateBlueCoat(body []byte) error {
	lines := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
	if len(lines) < 2 || !regexp.MustCompile(`^define category \S+$`).MatchString(lines[0]) ||
		lines[len(lines)-1] != "end" {
		return fmt.Errorf("want define category NAME ... end")
	}
	for _, l := range lines[1 : len(lines)-1] {
		if strings.Contains(l, "://") || !urlNoSchemRE.MatchString(strings.Trim(l, "[]")) &&
			!strings.HasPrefix(l, "[") {
			return fmt.Errorf("line %q: not a URL pattern", l)
		}
	}
	return nil
}

// corpus is the shared sample folder, beside the repository in the
// development workspace (IOCFLOW_CORPUS names it elsewhere). A clone
// without it skips the tests that read it; the hand-written samples in
// testdata still run.
func corpus(t *testing.T) string {
	t.Helper()
	root := os.Getenv("IOCFLOW_CORPUS")
	if root == "" {
		root = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	dir := filepath.Join(root, "edl-threatfeed")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared corpus not found at %s (set IOCFLOW_CORPUS): %v", dir, err)
	}
	return dir
}

func TestValidators_AcceptVendorSamples(t *testing.T) {
	dir := corpus(t)
	cases := []struct {
		file string
		dev  Device
		typ  ListType
	}{
		{filepath.Join(dir, "pan-edl-ip.txt"), PaloAlto, IPList},
		{filepath.Join(dir, "pan-edl-domain.txt"), PaloAlto, DomainList},
		{filepath.Join(dir, "pan-edl-url.txt"), PaloAlto, URLList},
		{filepath.Join(dir, "fortinet-ip-threatfeed.txt"), Fortinet, IPList},
		{filepath.Join(dir, "fortinet-domain-threatfeed.txt"), Fortinet, DomainList},
		{"testdata/checkpoint-ioc.csv", CheckPoint, AllList},
		{"testdata/juniper-feed.txt", Juniper, IPList},
		{"testdata/bluecoat-category.txt", BlueCoat, AllList},
	}
	for _, c := range cases {
		b, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(c.dev, c.typ, b); err != nil {
			t.Errorf("%s: validator rejects the vendor-syntax sample: %v", c.file, err)
		}
	}
	// And the validators do reject what the devices reject.
	bad := []struct {
		dev  Device
		typ  ListType
		body string
	}{
		{PaloAlto, URLList, "http://example.com/x\n"},
		{PaloAlto, IPList, "example.com\n"},
		{Fortinet, IPList, "192.0.2.1 trailing comment\n"},
		{Juniper, IPList, "300.1.1.1\n"},
		{CheckPoint, AllList, "n,2001:db8::1,IP,high,high,AB,c\n"},
		{BlueCoat, AllList, "example.com\nend\n"},
	}
	for _, c := range bad {
		if validate(c.dev, c.typ, []byte(c.body)) == nil {
			t.Errorf("%s %s validator accepts %q", c.dev, c.typ, c.body)
		}
	}
}
