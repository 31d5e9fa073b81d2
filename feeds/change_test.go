package feeds

import (
	"strings"
	"testing"
	"time"

	"github.com/iocflow/iocflow/feeds/ioc"
)

func testIndicator(value string, src ioc.Source) *ioc.Indicator {
	t, v, err := ioc.Detect(value)
	if err != nil {
		panic("test value " + value + ": " + err.Error())
	}
	if src.Feed == "" {
		src.Feed = "f"
	}
	return ioc.NewIndicator(t, v, src)
}

func renderChanges(cs []Change) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, c.Op.String()+" "+c.ID)
	}
	return strings.Join(parts, ", ")
}

func TestDiff_Cases(t *testing.T) {
	t.Parallel()
	day := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	base := ioc.Source{ID: "x1", Confidence: 50, ThreatTypes: []string{"c2"}}
	with := func(f func(*ioc.Source)) ioc.Source {
		s := base
		s.ThreatTypes = append([]string(nil), base.ThreatTypes...)
		f(&s)
		return s
	}
	line := func(id string) *ioc.Indicator {
		return testIndicator("line.example", ioc.Source{ID: id})
	}
	a, b := testIndicator("a.example", base), testIndicator("b.example", base)
	aWith := func(f func(*ioc.Source)) *ioc.Indicator { return testIndicator("a.example", with(f)) }
	old := NewSet([]*ioc.Indicator{a, b, line("line 7")})
	cases := []struct {
		name string
		new  []*ioc.Indicator
		want string
	}{
		{"same", []*ioc.Indicator{a, b, line("line 7")}, ""},
		{"line moved only", []*ioc.Indicator{a, b, line("line 9")}, ""},
		{"one removed, one added", []*ioc.Indicator{a, testIndicator("c.example", base),
			line("line 7")}, "added domain:c.example, removed domain:b.example"},
		{"confidence", []*ioc.Indicator{aWith(func(s *ioc.Source) { s.Confidence = 51 }),
			b, line("line 7")}, "updated domain:a.example"},
		{"threat type", []*ioc.Indicator{aWith(func(s *ioc.Source) {
			s.ThreatTypes[0] = "phishing"
		}), b, line("line 7")}, "updated domain:a.example"},
		{"valid until", []*ioc.Indicator{aWith(func(s *ioc.Source) { s.ValidUntil = day }),
			b, line("line 7")}, "updated domain:a.example"},
		{"record id", []*ioc.Indicator{aWith(func(s *ioc.Source) { s.ID = "x2" }),
			b, line("line 7")}, "updated domain:a.example"},
		{"positional id becomes own id", []*ioc.Indicator{a, b, line("L-7")},
			"updated domain:line.example"},
		{"empty", nil, "removed domain:a.example, removed domain:b.example, " +
			"removed domain:line.example"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := renderChanges(Diff(old, NewSet(c.new)))
			if got != c.want {
				t.Errorf("Diff = %q, want %q", got, c.want)
			}
		})
	}
}

func TestDiff_FromNothing(t *testing.T) {
	t.Parallel()
	in := testIndicator("a.example", ioc.Source{})
	cs := Diff(nil, NewSet([]*ioc.Indicator{in}))
	if len(cs) != 1 || cs[0].Op != Added || cs[0].Indicator != in {
		t.Errorf("Diff(nil, {a}) = %+v, want one Added carrying the indicator", cs)
	}
}

func TestNewSet_MergesDuplicatesWithoutTouchingInput(t *testing.T) {
	t.Parallel()
	a := testIndicator("a.example", ioc.Source{ID: "1"})
	b := testIndicator("b.example", ioc.Source{ID: "1"})
	a2 := testIndicator("a.example", ioc.Source{ID: "2"})
	x := NewSet([]*ioc.Indicator{a, b, a2})
	got, _ := x.Get("domain:a.example")
	if x.Len() != 2 || len(got.Sources) != 2 || x.Indicators()[0] != got {
		t.Errorf("set = %+v, want 2 indicators, the first merged with 2 sources", x.Indicators())
	}
	if len(a.Sources) != 1 || len(a2.Sources) != 1 {
		t.Error("NewSet modified its input")
	}
}

func TestSet_With(t *testing.T) {
	t.Parallel()
	a := testIndicator("a.example", ioc.Source{ID: "1"})
	b := testIndicator("b.example", ioc.Source{ID: "1"})
	a2 := testIndicator("a.example", ioc.Source{ID: "2"})
	z := testIndicator("z.example", ioc.Source{ID: "1"})
	c := testIndicator("c.example", ioc.Source{ID: "1"})
	s := NewSet([]*ioc.Indicator{a, b})
	n := s.With(map[string]*ioc.Indicator{a.ID: a2, b.ID: nil, z.ID: z, c.ID: c})
	var ids []string
	for _, in := range n.Indicators() {
		ids = append(ids, in.ID)
	}
	if got := strings.Join(ids, " "); got != "domain:a.example domain:c.example domain:z.example" {
		t.Errorf("With gave %s", got)
	}
	if got, _ := n.Get(a.ID); got != a2 {
		t.Error("With did not replace a.example")
	}
	if _, ok := n.Get(b.ID); ok || s.Len() != 2 {
		t.Error("With did not remove b.example, or changed the original set")
	}
	if (*Set)(nil).Len() != 0 || (*Set)(nil).With(nil).Len() != 0 {
		t.Error("nil set is not empty")
	}
}

func TestIsPositionalID_Cases(t *testing.T) {
	t.Parallel()
	cases := map[string]bool{
		"line 1": true, "line 1234567": true, "line ": false, "line x": false,
		"line 1a": false, "Line 1": false, "indicator--1": false, "": false,
	}
	for id, want := range cases {
		if got := IsPositionalID(id); got != want {
			t.Errorf("IsPositionalID(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestChangeOp_String(t *testing.T) {
	t.Parallel()
	cases := map[ChangeOp]string{0: "invalid", Added: "added", Updated: "updated",
		Removed: "removed", 9: "invalid"}
	for op, want := range cases {
		if got := op.String(); got != want {
			t.Errorf("ChangeOp(%d).String() = %q, want %q", op, got, want)
		}
	}
}
