package reference

import (
	"slices"
	"testing"

	"github.com/iocflow/iocflow/feeds/ioc"
)

func TestMatcher_Lookup(t *testing.T) {
	t.Parallel()
	ind := func(t ioc.Type, v string) *ioc.Indicator { return ioc.NewIndicator(t, v, ioc.Source{}) }
	m := New([]*ioc.Indicator{
		ind(ioc.Domain, "evil.example"), ind(ioc.IPv4, "10.0.0.0/8"), ind(ioc.Text, "katz"),
		ind(ioc.MD5, "0123456789abcdef0123456789abcdef"), nil, ind(ioc.Mutex, ""),
	})
	cases := []struct {
		t    ioc.Type
		v    string
		want []int
	}{
		{ioc.Domain, "a.evil.example.", []int{0}},
		{ioc.Domain, "notevil.example", nil},
		{ioc.IPv6, "::ffff:10.1.2.3", []int{1}},
		{ioc.URL, "http://10.0.0.1/", []int{1}},
		{ioc.URL, "http://x.evil.example:8080/", []int{0}},
		{ioc.Text, "MimiKATZ", []int{2}},
		{ioc.MD5, "0123456789ABCDEF0123456789ABCDEF", []int{3}},
		{ioc.Mutex, "", nil},
	}
	for _, c := range cases {
		if got := m.Lookup(c.t, c.v); !slices.Equal(got, c.want) {
			t.Errorf("Lookup(%v, %q) = %v, want %v", c.t, c.v, got, c.want)
		}
	}
}
