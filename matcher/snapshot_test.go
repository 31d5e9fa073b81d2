package matcher

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/matcher/reference"
)

func TestSnapshot_AgreesWithReference(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(11, 12))
	for range 50 {
		inds := genIndicators(r, 1+r.IntN(300))
		s := Build(1, inds)
		ref := reference.New(inds)
		if s.Len() != len(inds) {
			t.Fatalf("Len() = %d, want %d", s.Len(), len(inds))
		}
		for range 200 {
			typ, v := genObservable(r)
			compare(t, s, ref, inds, typ, v)
		}
		// Every indicator finds itself.
		for _, in := range inds {
			if in.Type != ioc.Text {
				compare(t, s, ref, inds, in.Type, in.Value)
			}
		}
	}
}

func ind(t ioc.Type, v string) *ioc.Indicator {
	return ioc.NewIndicator(t, v, ioc.Source{Feed: "test"})
}

func TestSnapshot_LookupSemantics(t *testing.T) {
	t.Parallel()
	inds := []*ioc.Indicator{
		ind(ioc.Domain, "evil.example"),
		ind(ioc.Domain, "example"),
		ind(ioc.IPv4, "10.0.0.0/8"),
		ind(ioc.IPv4, "10.1.0.0/16"),
		ind(ioc.IPv4, "10.1.2.3"),
		ind(ioc.IPv6, "2001:db8::/32"),
		ind(ioc.URL, "http://evil.example/x"),
		ind(ioc.SHA256, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
		ind(ioc.Text, "mimikatz"),
		ind(ioc.Text, "katz"),
		ind(ioc.Mutex, "Global\\M"),
		ind(ioc.Domain, "xn--e1afmkfd.example"),
	}
	s := Build(7, inds)
	cases := []struct {
		t    ioc.Type
		v    string
		want []int
	}{
		{ioc.Domain, "a.b.evil.example", []int{0, 1}},
		{ioc.Domain, "evil.example.", []int{0, 1}},
		{ioc.Domain, "notevil.example", []int{1}},
		{ioc.Domain, "example.org", nil},
		{ioc.Domain, "xn--e1afmkfd.example", []int{1, 11}},
		{ioc.IPv4, "10.1.2.3", []int{2, 3, 4}},
		{ioc.IPv6, "::ffff:10.1.9.9", []int{2, 3}},
		{ioc.IPv6, "2001:db8::1", []int{5}},
		{ioc.IPv4, "11.0.0.1", nil},
		{ioc.URL, "http://evil.example/x", []int{0, 1, 6}},
		{ioc.URL, "http://10.1.2.3/", []int{2, 3, 4}},
		{ioc.URL, "https://[2001:db8::5]/", []int{5}},
		{ioc.SHA256, "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08", []int{7}},
		{ioc.SHA256, "9f86d0", nil},
		{ioc.Text, "cmd /c MimiKatz.exe & mimikatz", []int{8, 9}},
		{ioc.Mutex, "Global\\M", []int{10}},
		{ioc.Mutex, "global\\m", nil},
	}
	for _, c := range cases {
		got := s.Lookup(c.t, c.v, nil)
		var want []Ref
		for _, i := range c.want {
			want = append(want, Ref(i))
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("Lookup(%v, %q) = %v, want %v", c.t, c.v, got, want)
		}
	}
	if s.Version() != 7 {
		t.Errorf("Version() = %d, want 7", s.Version())
	}
}

func TestSnapshot_MatchValueDetectsType(t *testing.T) {
	t.Parallel()
	s := Build(1, []*ioc.Indicator{
		ind(ioc.Domain, "evil.example"), ind(ioc.IPv4, "10.0.0.0/8"),
	})
	m, err := s.MatchValue("hxxp://WWW.evil[.]example/a")
	if err != nil || m.Type != ioc.URL || len(m.Indicators) != 1 {
		t.Fatalf("MatchValue(url) = %+v, %v; want one domain hit", m, err)
	}
	m, err = s.MatchValue("10.2.0.0/16")
	if err != nil || len(m.Indicators) != 1 || m.Indicators[0].Value != "10.0.0.0/8" {
		t.Fatalf("MatchValue(cidr) = %+v, %v; want 10.0.0.0/8", m, err)
	}
	if _, err := s.MatchValue("???"); err == nil {
		t.Fatalf("MatchValue(???) gave no error")
	}
	m, err = s.MatchTyped(ioc.Domain, "A.EVIL.EXAMPLE.")
	if err != nil || len(m.Indicators) != 1 {
		t.Fatalf("MatchTyped(domain) = %+v, %v; want one hit", m, err)
	}
}

func TestEngine_ZeroValueIsEmpty(t *testing.T) {
	t.Parallel()
	var e Engine
	s := e.Load()
	if s.Len() != 0 || s.Version() != 0 {
		t.Fatalf("zero Engine: Len %d Version %d, want 0 and 0", s.Len(), s.Version())
	}
	if got := s.LookupAddr(netip.MustParseAddr("10.0.0.1"), nil); len(got) != 0 {
		t.Fatalf("empty snapshot matched %v", got)
	}
	e.Store(Build(3, nil))
	if e.Load().Version() != 3 {
		t.Fatalf("Store did not take")
	}
}

// TestSnapshot_IPv4HostsWithoutPrefixes covers the IPv4 path that settles
// a miss on the text's hash: no IPv4 prefix (an IPv6 one only), then one
// added by Apply.
// It is not parallel: it counts allocations.
func TestSnapshot_IPv4HostsWithoutPrefixes(t *testing.T) {
	s := Build(1, []*ioc.Indicator{
		ind(ioc.IPv4, "10.1.2.3"), ind(ioc.IPv4, "1.2.3.4"), ind(ioc.IPv4, "255.255.255.255"),
		ind(ioc.IPv6, "2001:db8::/32"),
	})
	check := func(s *Snapshot, v string, want ...Ref) {
		t.Helper()
		got := s.Lookup(ioc.IPv4, v, nil)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("Lookup(ipv4, %q) = %v, want %v", v, got, want)
		}
		if a, err := netip.ParseAddr(v); err == nil {
			got = s.LookupAddr(a, nil)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("LookupAddr(%v) = %v, want %v", a, got, want)
			}
		}
	}
	check(s, "10.1.2.3", 0)
	check(s, "1.2.3.4", 1)
	check(s, "255.255.255.255", 2)
	check(s, "::ffff:1.2.3.4", 1)
	check(s, "::ffff:10.1.2.3", 0)
	check(s, "010.1.2.3")
	check(s, "10.1.2.3.")
	check(s, "10.1.2.4")
	check(s, "2001:db8::1", 3)
	if s.cidr4 {
		t.Fatalf("cidr4 set with no IPv4 prefix")
	}
	dst := make([]Ref, 0, 4)
	for _, v := range []string{"10.1.2.3", "10.1.2.4", "::ffff:1.2.3.4"} {
		if n := testing.AllocsPerRun(100, func() { dst = s.Lookup(ioc.IPv4, v, dst[:0]) }); n != 0 {
			t.Errorf("Lookup(ipv4, %q): %v allocations per run, want 0", v, n)
		}
	}
	s = s.Apply(2, Delta{Upsert: []*ioc.Indicator{ind(ioc.IPv4, "10.0.0.0/8")}})
	check(s, "10.1.2.3", 0, 4)
	check(s, "10.9.9.9", 4)
	check(s, "::ffff:10.9.9.9", 4)
	check(s, "1.2.3.4", 1)
}
