package pattern

import (
	"strings"
	"testing"
)

func TestParse_EdgeLiterals(t *testing.T) {
	t.Parallel()
	cases := []struct{ src, want string }{
		{`[x:a = t'2016-12-31T23:59:60Z']`, `[x:a = t'2017-01-01T00:00:00Z']`},
		{`[x:a = -0.0]`, `[x:a = -0.0]`},
		{`[x:a = .000000000000000000000000000001]`, `[x:a = 0.000000000000000000000000000001]`},
		{`[x:a = ` + strings.Repeat("9", 30) + `.5]`, `[x:a = 1000000000000000000000000000000.0]`},
		{`[x:a = -9223372036854775808]`, `[x:a = -9223372036854775808]`},
		{`[x:a = 1] WITHIN 100000000000000000000.0 SECONDS`,
			`[x:a = 1] WITHIN 100000000000000000000.0 SECONDS`},
		{`[x:a=1]WITHIN 5SECONDS`, `[x:a = 1] WITHIN 5 SECONDS`},
		{"[x:'\x00é\xff' = '\xfe\n']", "[x:'\x00é\xff' = '\xfe\n']"},
		{`[t:b = 1 AND h:t[0] = b'AAAA']`, `[t:b = 1 AND h:t[0] = b'AAAA']`},
		{`[x:a = b'AB==']`, `[x:a = b'AA==']`},
	}
	for _, c := range cases {
		p, err := Parse(c.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.src, err)
			continue
		}
		if got := p.String(); got != c.want {
			t.Errorf("Parse(%q).String() = %q, want %q", c.src, got, c.want)
		}
		checkRoundTrip(t, c.src, p)
	}
	for _, src := range []string{
		`[x:a = t'9999-12-31T23:59:60Z']`,
		`[x:a.IN = 1]`,
		`[x:a = 1] WITHIN -5 SECONDS`,
	} {
		if _, err := Parse(src); err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", src)
		}
	}
}
