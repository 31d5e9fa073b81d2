package list

import (
	"strings"
	"testing"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
)

func parse(t *testing.T, f feeds.Format, in string) *feeds.Result {
	t.Helper()
	b := feeds.NewBuilder("mine", f.Name())
	if err := f.Parse(strings.NewReader(in), b); err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return b.Result()
}

func TestPlain_TypesByShapeAndRejects(t *testing.T) {
	in := strings.Join([]string{
		"# my list",
		"evil[.]example  # seen in case 12",
		"hxxp://evil.example/a",
		"198.51.100.0/24",
		"d41d8cd98f00b204e9800998ecf8427e",
		"; old style comment",
		"abc123", // no recognisable type
		"999.1.1.1",
		"com", // single label
		"EVIL.example",
	}, "\n")
	res := parse(t, Plain{}, in)
	var got []string
	for _, in := range res.Indicators {
		got = append(got, in.ID)
	}
	want := "domain:evil.example url:http://evil.example/a ipv4:198.51.100.0/24 " +
		"md5:d41d8cd98f00b204e9800998ecf8427e"
	if strings.Join(got, " ") != want {
		t.Errorf("indicators = %v\nwant %s", got, want)
	}
	if s := res.Indicators[0].Sources; len(s) != 2 || s[0].Original != "evil[.]example" {
		t.Errorf("evil.example sources = %+v, want lines 2 and 10 with the defanged original", s)
	}
	var pos []string
	for _, r := range res.Rejects {
		pos = append(pos, r.Position)
	}
	if strings.Join(pos, ",") != "line 7,line 8,line 9" {
		t.Errorf("rejects at %v, want lines 7, 8 and 9", pos)
	}
}

func TestCSV_ColumnsAndValidation(t *testing.T) {
	in := strings.Join([]string{
		"# comment",
		"Indicator,Type,Confidence,Severity,Threat,valid_until,ID",
		"evil.example,domain,90,critical,c2;botnet,2030-01-01,r1",
		"Global\\Mtx,mutex,,,,,",
		"x.example,domain,101,,,,",
		"x.example,nosuchtype,,,,,",
		"x.example,domain,,extreme,,,",
		"x.example,domain,,,,yesterday,",
		",domain,,,,,",
		`"quoted, value",text,,,,,`,
	}, "\n")
	res := parse(t, CSV{}, in)
	if len(res.Indicators) != 3 {
		t.Fatalf("indicators = %d, want 3", len(res.Indicators))
	}
	s := res.Indicators[0].Sources[0]
	if s.ID != "r1" || s.Confidence != 90 || s.Severity != ioc.SeverityCritical ||
		strings.Join(s.ThreatTypes, "|") != "c2|botnet" || s.ValidUntil.Year() != 2030 {
		t.Errorf("first source = %+v", s)
	}
	if m := res.Indicators[1]; m.Type != ioc.Mutex || m.Value != `Global\Mtx` {
		t.Errorf("second indicator = %s", m.ID)
	}
	if txt := res.Indicators[2]; txt.ID != "text:quoted, value" {
		t.Errorf("third indicator = %s", txt.ID)
	}
	wantLines := []string{"line 5", "line 6", "line 7", "line 8", "line 9"}
	if len(res.Rejects) != len(wantLines) {
		t.Fatalf("rejects = %+v, want %d", res.Rejects, len(wantLines))
	}
	for i, r := range res.Rejects {
		if r.Position != wantLines[i] {
			t.Errorf("reject %d at %s, want %s (%s)", i, r.Position, wantLines[i], r.Reason)
		}
	}
}

func TestSniff_PicksFormat(t *testing.T) {
	cases := []struct {
		head      string
		csv, list bool
	}{
		{"value,type\nx.example,domain\n", true, true},
		{"# banner\nioc\nx.example\n", true, true},
		{"x.example\n", false, true},
		{`{"type":"bundle"}`, false, false},
		{"<stix:STIX_Package>", false, false},
		{"\x00\x01binary", false, false},
		{"\uFEFFvalue,type\nx.example,domain\n", true, true},
	}
	for _, c := range cases {
		if got := (CSV{}).Sniff("f", []byte(c.head)); got != c.csv {
			t.Errorf("CSV.Sniff(%q) = %v, want %v", c.head, got, c.csv)
		}
		if got := (Plain{}).Sniff("f", []byte(c.head)); got != c.list {
			t.Errorf("Plain.Sniff(%q) = %v, want %v", c.head, got, c.list)
		}
	}
}

func FuzzPlain(f *testing.F) {
	f.Add("evil[.]example\n198.51.100.0/24 # c\nhxxp://a.example/\n")
	f.Add("\xff\xfe\r\n#\n;;\n// x\n")
	f.Fuzz(func(t *testing.T, in string) {
		b := feeds.NewBuilder("fuzz", "list")
		if err := (Plain{}).Parse(strings.NewReader(in), b); err != nil {
			t.Fatalf("Parse: %v", err)
		}
	})
}

func FuzzCSV(f *testing.F) {
	f.Add("value,type,confidence\nevil.example,domain,50\n\"a\"\"b\",text,\n")
	f.Add("ioc\n\"unterminated\nx.example\n")
	f.Fuzz(func(t *testing.T, in string) {
		b := feeds.NewBuilder("fuzz", "csv")
		_ = (CSV{}).Parse(strings.NewReader(in), b)
	})
}

func TestCSV_ByteOrderMark(t *testing.T) {
	res := parse(t, CSV{}, "\uFEFFvalue,type\nevil.example,domain\n")
	if len(res.Indicators) != 1 || len(res.Rejects) != 0 {
		t.Fatalf("CSV with a byte order mark: %d indicators, rejects %+v; want 1, none",
			len(res.Indicators), res.Rejects)
	}
}
