package enforce

import (
	"testing"

	"github.com/iocflow/iocflow/feeds/ioc"
)

// Verdicts read from a topic, restored state and operators' requests may
// carry values iocflow would never write; none of the spellings of a
// protected name may get past the allowlist.
func TestAllowlist_NonCanonicalTargetsProtected(t *testing.T) {
	t.Parallel()
	a, err := NewAllowlist([]string{"www.example.com", "bank.zz"}, true)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		kind Kind
		typ  ioc.Type
		v    string
	}{
		{BlockDomain, ioc.Domain, "com."},
		{BlockDomain, ioc.Domain, "COM."},
		{BlockDomain, ioc.Domain, "BANK.ZZ"},
		{BlockDomain, ioc.Domain, "bank.zz."},
		{BlockDomain, ioc.Domain, "Bank.Zz."},
		{BlockDomain, ioc.Domain, "example.com."},
		{BlockDomain, ioc.Domain, "EXAMPLE.COM"},
		{BlockDomain, ioc.Domain, "*.bank.zz"},
		{BlockURL, ioc.URL, "http://BANK.ZZ/x"},
		{BlockURL, ioc.URL, "http://bank.zz./x"},
		{BlockURL, ioc.URL, "HTTP://bank.zz:80/x"},
	}
	for _, c := range cases {
		f := &Finding{Type: c.typ, Value: c.v}
		if tg, ok := TargetOf(c.kind, f); ok {
			if r, ok := a.Protects(tg); !ok {
				t.Errorf("TargetOf(%v, %q) = %q: not protected, want protected", c.kind, c.v, tg.Value)
			} else if r == "" {
				t.Errorf("TargetOf(%v, %q): protected without a reason", c.kind, c.v)
			}
		}
		// The same value restored from state or typed by an operator.
		if _, ok := a.Protects(Target{Kind: c.kind, Value: c.v}); !ok {
			t.Errorf("Protects(%v %q) = false, want true", c.kind, c.v)
		}
	}
}

func TestTargetOf_Canonical(t *testing.T) {
	t.Parallel()
	cases := []struct {
		kind      Kind
		typ       ioc.Type
		v, want   string
		wantFound bool
	}{
		{BlockDomain, ioc.Domain, "Evil.ZZ.", "evil.zz", true},
		{BlockDomain, ioc.Domain, "bad domain", "", false},
		{BlockDomain, ioc.URL, "http://EVIL.zz./a", "evil.zz", true},
		{BlockURL, ioc.URL, "HTTP://Evil.zz:80/a/../b", "http://evil.zz/b", true},
		{BlockURL, ioc.URL, "http://[", "", false},
	}
	for _, c := range cases {
		got, ok := TargetOf(c.kind, &Finding{Type: c.typ, Value: c.v})
		if ok != c.wantFound || got.Value != c.want {
			t.Errorf("TargetOf(%v, %q) = %q, %v; want %q, %v",
				c.kind, c.v, got.Value, ok, c.want, c.wantFound)
		}
	}
}
