package matcher

import (
	"net/netip"
	"testing"

	"github.com/iocflow/iocflow/feeds/ioc"
)

func TestSnapshot_LookupAllocatesNothing(t *testing.T) {
	inds := []*ioc.Indicator{
		ind(ioc.IPv4, "10.0.0.0/8"), ind(ioc.IPv4, "10.1.2.3"), ind(ioc.IPv6, "2001:db8::/32"),
		ind(ioc.IPv6, "2001:db8::1"), ind(ioc.Domain, "evil.example"),
		ind(ioc.URL, "http://evil.example/x"), ind(ioc.Email, "a@evil.example"),
		ind(ioc.MD5, "0123456789abcdef0123456789abcdef"),
		ind(ioc.SHA1, "0123456789abcdef0123456789abcdef01234567"),
		ind(ioc.SHA256, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
		ind(ioc.SHA512, "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"+
			"47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"),
		ind(ioc.FileName, "evil.exe"), ind(ioc.FilePath, `c:\evil.exe`),
		ind(ioc.RegistryKey, `hkey_local_machine\run`), ind(ioc.Mutex, "M"),
		ind(ioc.ProcessName, "evil.exe"), ind(ioc.UserAgent, "UA/1"), ind(ioc.Text, "mimikatz"),
	}
	var e Engine
	e.Store(Build(1, inds))
	cases := []struct {
		t ioc.Type
		v string
	}{
		{ioc.IPv4, "10.1.2.3"}, {ioc.IPv4, "10.1.2.300"}, {ioc.IPv6, "2001:db8::1"},
		{ioc.IPv6, "zz"}, {ioc.Domain, "a.b.evil.example"}, {ioc.Domain, "miss.example"},
		{ioc.URL, "http://a.evil.example/x"}, {ioc.URL, "http://10.1.2.3/"},
		{ioc.URL, "http://[2001:db8::1]/"}, {ioc.Email, "a@evil.example"},
		{ioc.MD5, "0123456789abcdef0123456789abcdef"},
		{ioc.SHA1, "0123456789abcdef0123456789abcdef01234567"},
		{ioc.SHA256, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		{ioc.SHA256, "not hex"},
		{ioc.SHA512, inds[10].Value}, {ioc.FileName, "evil.exe"}, {ioc.FilePath, `c:\evil.exe`},
		{ioc.RegistryKey, `hkey_local_machine\run`}, {ioc.Mutex, "M"},
		{ioc.ProcessName, "evil.exe"}, {ioc.UserAgent, "UA/1"},
		{ioc.Text, "cmd /c MIMIKATZ.exe sekurlsa::logonpasswords mimikatz"},
	}
	dst := make([]Ref, 0, 16)
	for _, c := range cases {
		n := testing.AllocsPerRun(100, func() {
			dst = e.Load().Lookup(c.t, c.v, dst[:0])
		})
		if n != 0 {
			t.Errorf("Lookup(%v, %q): %v allocations per run, want 0", c.t, c.v, n)
		}
	}
	a := netip.MustParseAddr("::ffff:10.1.2.3")
	if n := testing.AllocsPerRun(100, func() { dst = e.Load().LookupAddr(a, dst[:0]) }); n != 0 {
		t.Errorf("LookupAddr: %v allocations per run, want 0", n)
	}
}
