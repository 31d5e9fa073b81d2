package etrep

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
)

func parse(t testing.TB, f Format, feed, src string) *feeds.Result {
	t.Helper()
	b := feeds.NewBuilder(feed, "etrep")
	if err := f.Parse(strings.NewReader(src), b); err != nil {
		t.Fatalf("Parse(%s): %v", feed, err)
	}
	return b.Result()
}

func readFile(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func date(s string) time.Time {
	d, _ := time.Parse(time.DateOnly, s)
	return d
}

func TestFormat_DetailedIPRep(t *testing.T) {
	t.Parallel()
	src := readFile(t, "detailed-iprepdata.txt")
	if !(Format{}).Sniff("detailed-iprepdata.txt", []byte(src)) {
		t.Error("Sniff = false")
	}
	res := parse(t, Format{}, "detailed-iprepdata", src)
	if len(res.Rejects) != 0 || len(res.Indicators) != 1 {
		t.Fatalf("got %d indicators, rejects %v; want 1 and none", len(res.Indicators),
			res.Rejects)
	}
	in := res.Indicators[0]
	if in.ID != "ipv4:5.5.5.5" || len(in.Sources) != 1 {
		t.Fatalf("indicator %s with %d sources, want ipv4:5.5.5.5 with one", in.ID,
			len(in.Sources))
	}
	s := in.Sources[0]
	// Four rows: Scanner 42, Blackhole 87, Compromised 92 and 122; the
	// neutral Blackhole does not count towards confidence.
	want := ioc.Source{Feed: "detailed-iprepdata", ID: "line 2", Confidence: 96,
		Severity: ioc.SeverityHigh, FirstSeen: date("2018-01-15"), Modified: date("2020-01-22")}
	if s.ID != want.ID || s.Confidence != want.Confidence || s.Severity != want.Severity ||
		!s.FirstSeen.Equal(want.FirstSeen) || !s.Modified.Equal(want.Modified) {
		t.Errorf("source = %+v, want %+v", s, want)
	}
	if !slices.Equal(s.ThreatTypes, []string{"Scanner", "Blackhole", "Compromised"}) {
		t.Errorf("threat types = %v", s.ThreatTypes)
	}
}

func TestFormat_DetailedDomainRep(t *testing.T) {
	t.Parallel()
	src := readFile(t, "detailed-domainrepdata.txt")
	if !(Format{}).Sniff("detailed-domainrepdata.txt", []byte(src)) {
		t.Error("Sniff = false")
	}
	res := parse(t, Format{}, "detailed-domainrepdata", src)
	if len(res.Indicators) != 1 {
		t.Fatalf("indicators = %v, want only domain.com", res.Indicators)
	}
	in := res.Indicators[0]
	s := in.Sources[0]
	if in.ID != "domain:domain.com" || s.Confidence != 100 || s.Severity != ioc.SeverityHigh ||
		!slices.Equal(s.ThreatTypes, []string{"VPN", "Drop", "CnC"}) {
		t.Errorf("indicator %s source %+v; want domain.com, 100, high, [VPN Drop CnC]", in.ID, s)
	}
	// The globs *domain.com and *.domain.com fold into domain.com, whose
	// last row is 2020-02-14.
	if !s.Modified.Equal(date("2020-02-14")) || !s.FirstSeen.Equal(date("2018-03-11")) {
		t.Errorf("first %v modified %v, want 2018-03-11 and 2020-02-14", s.FirstSeen, s.Modified)
	}
	if len(res.Rejects) != 1 || res.Rejects[0].Position != "line 13" ||
		res.Rejects[0].Value != "d*domain.com" || !strings.Contains(res.Rejects[0].Reason, "glob") {
		t.Errorf("rejects = %v, want d*domain.com at line 13", res.Rejects)
	}
}

func TestFormat_SuricataIPRep(t *testing.T) {
	t.Parallel()
	src := "# iprepdata\n" +
		"81.2.69.142,1,127\n" +
		"81.2.69.142,14,10\n" + // Utility: context only
		"1.1.1.1,14,127\n" + // only neutral: info severity
		"2a02:cf40:1::5,99,64\n" + // unknown category id
		"45.137.22.0/24,16,30\n" +
		"bogus,1,50\n" +
		"9.9.9.9,x,50\n" +
		"9.9.9.9,1,128\n" +
		"9.9.9.9,1\n" +
		"0.0.0.0/0,1,50\n"
	if !(Format{}).Sniff("rep.txt", []byte(src)) {
		t.Error("Sniff(rep.txt) = false for ip,category,score lines")
	}
	res := parse(t, Format{}, "iprepdata", src)
	got := map[string]string{}
	for _, in := range res.Indicators {
		s := in.Sources[0]
		got[in.ID] = s.Severity.String() + " " + strconv.Itoa(s.Confidence) + " " +
			strings.Join(s.ThreatTypes, "|")
	}
	want := map[string]string{
		"ipv4:81.2.69.142":    "high 100 CnC|Utility",
		"ipv4:1.1.1.1":        "info 100 Utility",
		"ipv6:2a02:cf40:1::5": "medium 50 category-99",
		"ipv4:45.137.22.0/24": "medium 24 Scanner",
	}
	if len(got) != len(want) {
		t.Errorf("indicators = %v, want %v", got, want)
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s = %q, want %q", id, got[id], w)
		}
	}
	wantRejects := map[string]string{
		"line 7":  "not an IP address",
		"line 8":  "category",
		"line 9":  "score",
		"line 10": "at least 3",
		"line 11": "/0",
	}
	if len(res.Rejects) != len(wantRejects) {
		t.Errorf("rejects = %v", res.Rejects)
	}
	for _, r := range res.Rejects {
		if !strings.Contains(r.Reason, wantRejects[r.Position]) {
			t.Errorf("reject %v: want reason containing %q", &r, wantRejects[r.Position])
		}
	}
}

func TestFormat_CustomCategories(t *testing.T) {
	t.Parallel()
	cats, err := ParseCategories(strings.NewReader("1,CnC,x\n40,NewThreat,y\n41,Utility,z\n"))
	if err != nil || cats.Len() != 3 {
		t.Fatalf("ParseCategories = %d, %v", cats.Len(), err)
	}
	res := parse(t, Format{Categories: cats}, "rep",
		"8.8.8.8,41,100\n81.2.69.142,40,100\n81.2.69.143,2,100\n")
	got := map[string]string{}
	for _, in := range res.Indicators {
		got[in.Value] = in.Sources[0].Severity.String() + " " + in.Sources[0].ThreatTypes[0]
	}
	want := map[string]string{"8.8.8.8": "info Utility", "81.2.69.142": "medium NewThreat",
		"81.2.69.143": "medium category-2"}
	for v, w := range want {
		if got[v] != w {
			t.Errorf("%s = %q, want %q", v, got[v], w)
		}
	}
	if _, err := ParseCategories(strings.NewReader("1,CnC,x\nzero,Bad,y\n,\n")); err == nil ||
		!strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("ParseCategories(bad) error = %v, want lines 2 and 3", err)
	}
}

func TestFormat_CategoriesFileGivesNoIndicators(t *testing.T) {
	t.Parallel()
	src := "1,CnC,Malware Command and Control Server\n2,Bot,Known Infected Bot\nbad line\n"
	if !(Format{}).Sniff("categories.txt", []byte(src)) {
		t.Error("Sniff(categories.txt) = false")
	}
	res := parse(t, Format{}, "categories", src)
	if len(res.Indicators) != 0 || len(res.Rejects) != 1 || res.Rejects[0].Position != "line 3" {
		t.Errorf("indicators %v rejects %v; want none and line 3", res.Indicators, res.Rejects)
	}
}

func TestDefaultCategories_Table(t *testing.T) {
	t.Parallel()
	c := DefaultCategories()
	if c.Len() != 33 {
		t.Errorf("Len() = %d, want 33", c.Len())
	}
	names := map[int]string{1: "CnC", 14: "Utility", 33: "DDoSAttacker", 34: "category-34"}
	for id, name := range names {
		if got := c.Name(id); got != name {
			t.Errorf("Name(%d) = %q, want %q", id, got, name)
		}
	}
	for id := 1; id <= 33; id++ {
		if _, ok := classes[strings.ToLower(c.Name(id))]; !ok {
			t.Errorf("category %d %s has no class", id, c.Name(id))
		}
	}
}

func TestConfidence_Scale(t *testing.T) {
	t.Parallel()
	for score, want := range map[int]int{0: 0, 1: 1, 42: 33, 64: 50, 100: 79, 127: 100, 200: 100,
		-3: 0} {
		if got := Confidence(score); got != want {
			t.Errorf("Confidence(%d) = %d, want %d", score, got, want)
		}
	}
}

func TestFormat_Sniff(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, head string
		want       bool
	}{
		{"detailed-iprepdata.txt", "", true},
		{"mirror.csv", "ip, category, score, first_seen, last_seen, ports (|)\n", true},
		{"mirror.csv", "\uFEFFdomain,category,score\r\n", true},
		{"rep.txt", "1.2.3.4,5,6\n", true},
		{"rep.txt", "1.2.3.4,5,600\n", false},
		{"list.txt", "1.2.3.4\n", false},
		{"list.csv", "value,type\n", false},
		{"categories.txt", "1,CnC,Command\n", true},
		{"categories.txt", "hello\n", false},
	}
	for _, c := range cases {
		if got := (Format{}).Sniff(c.name, []byte(c.head)); got != c.want {
			t.Errorf("Sniff(%q, %q) = %v, want %v", c.name, c.head, got, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(readFile(f, "detailed-iprepdata.txt"))
	f.Add(readFile(f, "detailed-domainrepdata.txt"))
	f.Add("1.2.3.4,1,127\n::1,14,0\n")
	f.Add("1,CnC,x\n2,Bot,y\n")
	f.Fuzz(func(t *testing.T, src string) {
		(Format{}).Sniff("x", []byte(src))
		res := parse(t, Format{}, "fuzz", src)
		for _, in := range res.Indicators {
			if c := in.Sources[0].Confidence; c < 0 || c > 100 {
				t.Fatalf("%s confidence %d out of 0-100", in.ID, c)
			}
		}
	})
}
