package allowlist

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
)

func TestDefault_Allows(t *testing.T) {
	t.Parallel()
	l := Default()
	cases := []struct {
		typ    ioc.Type
		value  string
		want   bool
		reason string
	}{
		{ioc.IPv4, "127.0.0.1", true, "loopback"},
		{ioc.IPv4, "127.0.0.0/8", true, "loopback"},
		{ioc.IPv4, "10.0.0.0", true, "RFC 1918"},
		{ioc.IPv4, "192.168.1.101", true, "RFC 1918"},
		{ioc.IPv4, "198.51.100.23", true, "TEST-NET-2"},
		{ioc.IPv4, "203.0.113.0/25", true, "TEST-NET-3"},
		{ioc.IPv4, "192.0.2.66", true, "TEST-NET-1"},
		{ioc.IPv4, "224.0.0.251", true, "multicast"},
		{ioc.IPv4, "255.255.255.255", true, "broadcast"},
		{ioc.IPv4, "169.254.169.254", true, "link-local"},
		{ioc.IPv4, "0.0.0.0", true, "unspecified"},
		{ioc.IPv6, "::1", true, "loopback"},
		{ioc.IPv6, "2001:db8::5", true, "RFC 3849"},
		{ioc.IPv6, "fe80::1", true, "link-local"},
		{ioc.IPv6, "ff02::1", true, "multicast"},
		{ioc.Domain, "localhost", true, "RFC 6761"},
		{ioc.Domain, "printer.local", true, "RFC 6762"},
		{ioc.Domain, "files.cdn-sync.example", true, "RFC 6761"},
		{ioc.Domain, "www.example.com", true, "RFC 2606"},
		{ioc.Domain, "1.2.0.192.in-addr.arpa", true, "RFC 3172"},
		{ioc.Email, "billing@mail-relay.example", true, "RFC 6761"},
		{ioc.URL, "http://files.cdn-sync.example/invoice.zip", true, "RFC 6761"},
		{ioc.URL, "http://127.0.0.1:8080/x", true, "loopback"},
		{ioc.URL, "http://[::1]/x", true, "loopback"},
		// Not covered: public values, partial overlaps, look-alike names.
		{ioc.IPv4, "81.2.69.142", false, ""},
		{ioc.IPv4, "192.0.0.0/16", false, ""},
		{ioc.IPv4, "0.0.0.0/1", false, ""},
		{ioc.IPv6, "2a02:cf40:1::5", false, ""},
		{ioc.Domain, "badexample.com", false, ""},
		{ioc.Domain, "example.com.evil.ru", false, ""},
		{ioc.Domain, "notlocal", false, ""},
		{ioc.URL, "http://117.209.87.242:60905/bin.sh", false, ""},
		{ioc.SHA256, strings.Repeat("a", 64), false, ""},
	}
	for _, c := range cases {
		reason, ok := l.Allows(c.typ, c.value)
		if ok != c.want || !strings.Contains(reason, c.reason) {
			t.Errorf("Allows(%s, %q) = %q, %v; want %v with reason containing %q",
				c.typ, c.value, reason, ok, c.want, c.reason)
		}
	}
}

func TestParse_Entries(t *testing.T) {
	t.Parallel()
	src := "\uFEFF# our own known-good values\r\n" +
		"\n" +
		"8.8.8.8 # resolver\n" +
		"93.184.0.0/16\n" +
		"*.corp-cdn.net\n" +
		".intranet.org\n" +
		"partner.org\n" +
		"HTTP://Update.Vendor.net/Agent.exe\n" +
		"D41D8CD98F00B204E9800998ECF8427E\n" +
		"file_name svchost.exe\n" +
		"user_agent Mozilla/5.0 (Windows NT 10.0)\n"
	l, err := Parse("ours.txt", strings.NewReader(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if l.Len() != 9 {
		t.Errorf("Len() = %d, want 9", l.Len())
	}
	cases := []struct {
		typ   ioc.Type
		value string
		want  bool
	}{
		{ioc.IPv4, "8.8.8.8", true},
		{ioc.IPv4, "8.8.4.4", false},
		{ioc.IPv4, "93.184.216.34", true},
		{ioc.IPv4, "93.184.216.0/24", true},
		{ioc.IPv4, "93.0.0.0/8", false},
		{ioc.Domain, "corp-cdn.net", true},
		{ioc.Domain, "a.b.corp-cdn.net", true},
		{ioc.Domain, "xcorp-cdn.net", false},
		{ioc.Domain, "intranet.org", true},
		{ioc.Domain, "partner.org", true},
		{ioc.Domain, "www.partner.org", false},
		{ioc.URL, "http://update.vendor.net/Agent.exe", true},
		{ioc.URL, "http://update.vendor.net/other.exe", false},
		{ioc.MD5, "d41d8cd98f00b204e9800998ecf8427e", true},
		{ioc.FileName, "svchost.exe", true},
		{ioc.UserAgent, "Mozilla/5.0 (Windows NT 10.0)", true},
	}
	for _, c := range cases {
		reason, ok := l.Allows(c.typ, c.value)
		if ok != c.want {
			t.Errorf("Allows(%s, %q) = %v, want %v", c.typ, c.value, ok, c.want)
		}
		if ok && !strings.HasPrefix(reason, "allowlist ours.txt line ") {
			t.Errorf("Allows(%s, %q) reason = %q, want the file and line", c.typ, c.value, reason)
		}
	}
	if r, _ := l.Allows(ioc.IPv4, "8.8.8.8"); r != "allowlist ours.txt line 3" {
		t.Errorf("reason for 8.8.8.8 = %q, want line 3", r)
	}
}

func TestParse_InvalidLinesReportedTogether(t *testing.T) {
	t.Parallel()
	src := "8.8.8.8\n" +
		"10.0.0.0/33\n" +
		"bad*.example.net\n" +
		"colour purple\n" +
		"ipv4 2001:db8::1\n" +
		"nodot\n"
	_, err := Parse("bad.txt", strings.NewReader(src))
	if err == nil {
		t.Fatal("Parse accepted invalid lines")
	}
	for _, want := range []string{"bad.txt:2:", "bad.txt:3:", "bad.txt:4:", "bad.txt:5:",
		"bad.txt:6:", "'*' is allowed only", "unknown type"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	var le *LineError
	if !errors.As(err, &le) || le.Line != 2 {
		t.Errorf("errors.As(*LineError) = %v, line %v; want line 2", le != nil, le)
	}
}

func TestLoad_MissingFile(t *testing.T) {
	t.Parallel()
	_, err := Load("testdata/does-not-exist.txt")
	if err == nil || !strings.Contains(err.Error(), "read allowlist") {
		t.Errorf("Load(missing) error = %v, want a read allowlist error", err)
	}
}

func TestDefault_ReturnsIndependentCopies(t *testing.T) {
	t.Parallel()
	a := Default()
	if err := a.Add("8.8.8.8", "test"); err != nil {
		t.Fatal(err)
	}
	b := Default()
	if _, ok := b.Allows(ioc.IPv4, "8.8.8.8"); ok {
		t.Error("an entry added to one Default list shows in another")
	}
	if a.Len() != b.Len()+1 {
		t.Errorf("Len = %d and %d, want them one apart", a.Len(), b.Len())
	}
}

func TestList_Filter(t *testing.T) {
	t.Parallel()
	build := func(feed string, values ...string) *feeds.Result {
		b := feeds.NewBuilder(feed, "list")
		for i, v := range values {
			pos := "line " + strconv.Itoa(i+1)
			if err := b.Add(pos, ioc.TypeInvalid, v, ioc.Source{}); err != nil {
				t.Fatalf("Add(%q): %v", v, err)
			}
		}
		b.Reject("line 9", "x", "kept reject")
		return b.Result()
	}
	in := []*feeds.Result{
		build("a", "127.0.0.1", "81.2.69.142", "127.0.0.2", "evil.example", "10.1.2.3"),
		build("b", "malaikahlowry33.top"),
	}
	kept, sup := Default().Filter(in)
	if len(kept) != 2 || len(kept[0].Indicators) != 1 ||
		kept[0].Indicators[0].Value != "81.2.69.142" {
		t.Fatalf("kept = %+v, want feed a with only 81.2.69.142", kept[0].Indicators)
	}
	if len(kept[1].Indicators) != 1 || len(kept[0].Rejects) != 1 {
		t.Errorf("feed b kept %d indicators, feed a %d rejects; want 1 and 1",
			len(kept[1].Indicators), len(kept[0].Rejects))
	}
	if len(in[0].Indicators) != 5 {
		t.Errorf("Filter modified its input: %d indicators left, want 5", len(in[0].Indicators))
	}
	want := []Suppressed{
		{Feed: "a", Reason: "default: loopback (RFC 1122)", Count: 2, Example: "ipv4:127.0.0.1"},
		{Feed: "a", Reason: "default: private range (RFC 1918)", Count: 1,
			Example: "ipv4:10.1.2.3"},
		{Feed: "a", Reason: "default: reserved for documentation (RFC 6761)", Count: 1,
			Example: "domain:evil.example"},
	}
	if len(sup) != len(want) {
		t.Fatalf("suppressed = %+v, want %+v", sup, want)
	}
	for i := range want {
		if sup[i] != want[i] {
			t.Errorf("suppressed[%d] = %+v, want %+v", i, sup[i], want[i])
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("8.8.8.8\n*.corp.net\n.x.org\nfile_name a.exe\n# c\n")
	f.Add("2001:db8::/32 # doc\nhttp://a.b/c\nd41d8cd98f00b204e9800998ecf8427e\n")
	f.Add("*\n.\n*.\n ipv6 ::ffff:1.2.3.4/120\nurl hxxp://a[.]b\n")
	f.Fuzz(func(t *testing.T, src string) {
		l, err := Parse("fuzz", strings.NewReader(src))
		if err != nil {
			return
		}
		for _, v := range []string{"8.8.8.8", "::1", "a.corp.net"} {
			typ, c, err := ioc.Detect(v)
			if err == nil {
				l.Allows(typ, c)
			}
		}
		Default().Merge(l)
	})
}
