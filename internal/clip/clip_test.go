package clip

import (
	"strings"
	"testing"
)

func TestQuote_Cuts(t *testing.T) {
	cases := []struct{ in, want string }{
		{"abc", `"abc"`},
		{"a\nb", `"a\nb"`},
		{strings.Repeat("x", 200), `"` + strings.Repeat("x", 128) + `"...`},
		// A three-byte rune straddling the limit is dropped whole.
		{strings.Repeat("x", 127) + "€", `"` + strings.Repeat("x", 127) + `"...`},
	}
	for _, c := range cases {
		if got := Quote(c.in); got != c.want {
			t.Errorf("Quote(%.20q...) = %s, want %s", c.in, got, c.want)
		}
	}
}
