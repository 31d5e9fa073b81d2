package matcher

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/matcher/reference"
)

// The generators below draw indicators and observables from small
// vocabularies, so that random sets collide often: parents and children
// of domains, nested prefixes, repeated digests and overlapping patterns.

var (
	labels   = []string{"a", "b", "ab", "x-y", "xn--p1ai", "c0"}
	hexBytes = "0af"
	textABC  = "abcAB-"
	words    = []string{"svc", "Svc", "run.exe", "c:\\w", "Mozilla/5.0", "hklm\\run"}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func genDomain(r *rand.Rand) string {
	n := 1 + r.IntN(4)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = pick(r, labels)
	}
	return strings.Join(parts, ".")
}

func genAddr(r *rand.Rand) string {
	if r.IntN(3) == 0 {
		return fmt.Sprintf("2001:db8::%x:%x", r.IntN(3), r.IntN(3))
	}
	return fmt.Sprintf("10.0.%d.%d", r.IntN(3), r.IntN(3))
}

func genHex(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = hexBytes[r.IntN(len(hexBytes))]
	}
	// Vary only the last digits so that digests collide often.
	for i := 0; i < n-3; i++ {
		b[i] = '0'
	}
	return string(b)
}

func genText(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = textABC[r.IntN(len(textABC))]
	}
	return string(b)
}

func genURL(r *rand.Rand) string {
	host := genDomain(r)
	switch r.IntN(4) {
	case 0:
		host = genAddr(r)
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
	case 1:
		host = "10.0.0." + fmt.Sprint(r.IntN(300)) // sometimes not an address
	}
	return "http://" + host + pick(r, []string{"/", "/x", "/a?b=1"})
}

// genValue returns a value of type t, canonical or nearly so.
func genValue(r *rand.Rand, t ioc.Type) string {
	switch t {
	case ioc.IPv4, ioc.IPv6:
		a := genAddr(r)
		if r.IntN(2) == 0 {
			if strings.Contains(a, ":") {
				return fmt.Sprintf("%s/%d", a, 100+r.IntN(29))
			}
			return fmt.Sprintf("%s/%d", a, 16+r.IntN(17))
		}
		return a
	case ioc.Domain:
		return genDomain(r)
	case ioc.URL:
		return genURL(r)
	case ioc.Email:
		return pick(r, []string{"x", "Y"}) + "@" + genDomain(r)
	case ioc.MD5, ioc.SHA1, ioc.SHA256, ioc.SHA512:
		return genHex(r, 2*t.HashLen())
	case ioc.Text:
		return strings.ToLower(genText(r, 1+r.IntN(3)))
	}
	return pick(r, words)
}

// genIndicators returns up to n indicators with distinct IDs.
func genIndicators(r *rand.Rand, n int) []*ioc.Indicator {
	seen := map[string]bool{}
	var out []*ioc.Indicator
	for range n {
		t := ioc.Type(1 + r.IntN(ioc.NumTypes-1))
		v := genValue(r, t)
		if t.IsIP() {
			if p, err := ioc.ParsePrefix(v); err == nil {
				v = ioc.FormatPrefix(p)
				t = ioc.AddrType(p.Addr())
			}
		}
		in := ioc.NewIndicator(t, v, ioc.Source{Feed: "gen"})
		if !seen[in.ID] {
			seen[in.ID] = true
			out = append(out, in)
		}
	}
	return out
}

// genObservable returns an observable of a random type.
func genObservable(r *rand.Rand) (ioc.Type, string) {
	t := ioc.Type(1 + r.IntN(ioc.NumTypes-1))
	switch t {
	case ioc.IPv4, ioc.IPv6:
		a := genAddr(r)
		if r.IntN(4) == 0 && !strings.Contains(a, ":") {
			a = "::ffff:" + a
		}
		return t, a
	case ioc.Domain:
		d := genDomain(r)
		if r.IntN(4) == 0 {
			d += "."
		}
		return t, d
	case ioc.MD5, ioc.SHA1, ioc.SHA256, ioc.SHA512:
		h := genHex(r, 2*t.HashLen())
		if r.IntN(4) == 0 {
			h = strings.ToUpper(h)
		}
		return t, h
	case ioc.Text:
		return t, genText(r, r.IntN(12))
	}
	return t, genValue(r, t)
}

// ids returns the sorted IDs of refs in s.
func ids(s *Snapshot, refs []Ref) []string {
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		out = append(out, s.Indicator(r).ID)
	}
	slices.Sort(out)
	return out
}

// refIDs returns the sorted IDs of the reference's answer.
func refIDs(inds []*ioc.Indicator, idx []int) []string {
	out := make([]string, 0, len(idx))
	for _, i := range idx {
		out = append(out, inds[i].ID)
	}
	slices.Sort(out)
	return out
}

// compare checks one observable against the reference.
func compare(t testing.TB, s *Snapshot, ref *reference.Matcher, inds []*ioc.Indicator,
	typ ioc.Type, v string) {
	t.Helper()
	got := ids(s, s.Lookup(typ, v, nil))
	want := refIDs(inds, ref.Lookup(typ, v))
	if !slices.Equal(got, want) {
		t.Fatalf("Lookup(%v, %q) = %q, want %q", typ, v, got, want)
	}
}
