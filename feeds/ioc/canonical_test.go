package ioc

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestCanonical_Values(t *testing.T) {
	cases := []struct {
		typ  Type
		in   string
		want string
	}{
		{IPv4, " 192.0.2.1 ", "192.0.2.1"},
		{IPv4, "::ffff:192.0.2.1", "192.0.2.1"},
		{IPv6, "2001:DB8::0001", "2001:db8::1"},
		{IPv6, "fe80::1%eth0", "fe80::1"},
		{Domain, "WWW.Example.COM.", "www.example.com"},
		{Domain, "bücher.example", "xn--bcher-kva.example"},
		{Domain, "_ldap._tcp.dc._msdcs.example.org", "_ldap._tcp.dc._msdcs.example.org"},
		{URL, "HTTP://Example.COM", "http://example.com/"},
		{URL, "https://example.com:443/a/./b/../c?x=1#frag", "https://example.com/a/c?x=1"},
		{URL, "http://example.com:8080/%7euser/%2f%41", "http://example.com:8080/~user/%2FA"},
		{URL, "example.com/path", "http://example.com/path"},
		{URL, "http://[::ffff:192.0.2.7]:80/x", "http://192.0.2.7/x"},
		{URL, "http://user@Bücher.example/", "http://xn--bcher-kva.example/"},
		// User information and an empty query would let a link dodge a URL
		// indicator, and a password must not reach a verdict.
		{URL, "http://user:secret@evil.example/a", "http://evil.example/a"},
		{URL, "http://bank.example@evil.example/a?", "http://evil.example/a"},
		{URL, "http://a@b@evil.example:8080/?#x", "http://evil.example:8080/"},
		{URL, "http://evil.example/a??", "http://evil.example/a??"},
		{Email, "Jane.Doe@Example.COM", "Jane.Doe@example.com"},
		{Email, "Jane Doe <jane@MAIL.example>", "jane@mail.example"},
		{MD5, "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"},
		{FileName, "Invoice.SCR", "invoice.scr"},
		{FilePath, "C:/Windows/System32/CMD.exe", `c:\windows\system32\cmd.exe`},
		{FilePath, "/usr/bin/Python3", "/usr/bin/python3"},
		{RegistryKey, `HKLM\Software\Run`, `hkey_local_machine\software\run`},
		{RegistryKey, `\REGISTRY\MACHINE\SOFTWARE`, `hkey_local_machine\software`},
		{Mutex, " Global\\MyMutex ", `Global\MyMutex`},
		{UserAgent, "Mozilla/5.0 (X)", "Mozilla/5.0 (X)"},
		{Text, "-ENC JAB", "-enc jab"},
	}
	for _, c := range cases {
		got, err := Canonical(c.typ, c.in)
		if err != nil || got != c.want {
			t.Errorf("Canonical(%v, %q) = %q, %v; want %q", c.typ, c.in, got, err, c.want)
		}
	}
}

func TestCanonical_Rejects(t *testing.T) {
	cases := []struct {
		typ Type
		in  string
	}{
		{IPv4, "999.1.1.1"},
		{IPv4, "2001:db8::1"},
		{IPv6, "192.0.2.1"},
		{Domain, "a..b"},
		{Domain, "exa mple.com"},
		{Domain, "192.0.2.1"},
		{Domain, ""},
		{URL, "http://"},
		{URL, "http://example.com:port/"},
		{Email, "no-at-sign"},
		{Email, "@example.com"},
		{SHA256, "abc"},
		{SHA1, "zz39a3ee5e6b4b0d3255bfef95601890afd80709"},
	}
	for _, c := range cases {
		_, err := Canonical(c.typ, c.in)
		var ve *ValueError
		if !errors.As(err, &ve) {
			t.Errorf("Canonical(%v, %q) error = %v, want a *ValueError", c.typ, c.in, err)
		}
	}
}

func TestCanonical_NoAllocWhenCanonical(t *testing.T) {
	for _, c := range []struct {
		typ Type
		v   string
	}{{Domain, "www.example.com"}, {SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{FileName, "invoice.scr"}} {
		allocs := testing.AllocsPerRun(100, func() { _, _ = Canonical(c.typ, c.v) })
		if allocs != 0 {
			t.Errorf("Canonical(%v, %q) allocates %.0f times, want 0", c.typ, c.v, allocs)
		}
	}
}

func TestParsePrefix_Canonical(t *testing.T) {
	cases := []struct{ in, want string }{
		{"10.1.2.3/8", "10.0.0.0/8"},
		{"192.0.2.1", "192.0.2.1/32"},
		{"::ffff:10.0.0.0/104", "10.0.0.0/8"},
		{"2001:db8::1/32", "2001:db8::/32"},
	}
	for _, c := range cases {
		got, err := ParsePrefix(c.in)
		if err != nil || got != netip.MustParsePrefix(c.want) {
			t.Errorf("ParsePrefix(%q) = %v, %v; want %s", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "10.0.0/8", "a.b.c.d/8", ""} {
		if _, err := ParsePrefix(bad); err == nil {
			t.Errorf("ParsePrefix(%q) accepted a broken block", bad)
		}
	}
}

func TestDetect_Types(t *testing.T) {
	cases := []struct {
		in   string
		typ  Type
		want string
	}{
		{"192.0.2.1", IPv4, "192.0.2.1"},
		{"192.0.2.0/24", IPv4, "192.0.2.0/24"},
		{"2001:db8::/32", IPv6, "2001:db8::/32"},
		{"d41d8cd98f00b204e9800998ecf8427e", MD5, "d41d8cd98f00b204e9800998ecf8427e"},
		{"https://Evil.example/x", URL, "https://evil.example/x"},
		{"a@b.example", Email, "a@b.example"},
		{"evil.example", Domain, "evil.example"},
		{"evil.example/path", URL, "http://evil.example/path"},
	}
	for _, c := range cases {
		typ, v, err := Detect(c.in)
		if err != nil || typ != c.typ || v != c.want {
			t.Errorf("Detect(%q) = %v, %q, %v; want %v, %q", c.in, typ, v, err, c.typ, c.want)
		}
	}
	for _, bad := range []string{"999.1.1.1", "10.0.0.0/40", "justaword", "  "} {
		if typ, v, err := Detect(bad); err == nil {
			t.Errorf("Detect(%q) = %v, %q; want an error", bad, typ, v)
		}
	}
}

func TestRefang_Forms(t *testing.T) {
	cases := []struct {
		in, want string
		changed  bool
	}{
		{"hxxp://evil[.]example/a", "http://evil.example/a", true},
		{"hXXps[://]evil(.)example", "https://evil.example", true},
		{"user[at]mail[dot]example", "user@mail.example", true},
		{"fxp://files.example", "ftp://files.example", true},
		{"fxpro.example", "fxpro.example", false},
		{"192.0.2[.]1", "192.0.2.1", true},
		{"plain.example", "plain.example", false},
	}
	for _, c := range cases {
		got, changed := Refang(c.in)
		if got != c.want || changed != c.changed {
			t.Errorf("Refang(%q) = %q, %v; want %q, %v", c.in, got, changed, c.want, c.changed)
		}
	}
}

// FuzzCanonical checks that no input panics and that canonical forms are
// fixed points: canonicalising a canonical value returns it unchanged.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{"192.0.2.1", "::ffff:1.2.3.4", "Example.COM.", "bücher.example",
		"HTTP://a.example:80/%7e/../x#y", "a@B.example", "D41D8CD98F00B204E9800998ECF8427E",
		`HKLM\Software`, "http://[::1]:8080", "xn--bcher-kva.example", "%zz", "http://a@b@c/"} {
		for typ := IPv4; typ < numTypes; typ++ {
			f.Add(uint8(typ), s)
		}
	}
	f.Fuzz(func(t *testing.T, typ uint8, raw string) {
		ty := Type(typ % uint8(numTypes))
		v, err := Canonical(ty, raw)
		if err != nil {
			return
		}
		again, err := Canonical(ty, v)
		if err != nil || again != v {
			t.Fatalf("Canonical(%v, %q) = %q, but again gives %q, %v", ty, raw, v, again, err)
		}
	})
}

func TestParseAddr_NamesTheMistake(t *testing.T) {
	cases := map[string]string{
		"010.0.0.1":    `octet "010" has a leading zero`,
		"10.0.0.256":   `octet "256" is above 255`,
		"10.0.0":       "not an IP address",
		"2001:db8::g1": "not an IP address",
	}
	for in, want := range cases {
		_, err := ParseAddr(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseAddr(%q) error = %v, want it to say %q", in, err, want)
		}
	}
	if _, _, err := Detect("010.0.0.1/8"); err == nil || !strings.Contains(err.Error(), "leading zero") {
		t.Errorf("Detect of a CIDR block with a leading zero: %v", err)
	}
}
