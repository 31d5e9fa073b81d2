package spamhaus

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
)

func parse(t testing.TB, name, src string) *feeds.Result {
	t.Helper()
	b := feeds.NewBuilder(strings.TrimSuffix(name, filepath.Ext(name)), "spamhaus")
	if err := (Format{}).Parse(strings.NewReader(src), b); err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
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

func TestFormat_Corpus(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file        string
		indicators  []string // "type value source-id"
		notEnforced []string // "position pattern"
	}{
		{"drop.txt", []string{"ipv4 1.4.0.0/17 SBL256893", "ipv6 2a06:e480::/29 SBL301771"}, nil},
		{"drop_v4.json", []string{"ipv4 1.10.16.0/20 SBL256894",
			"ipv4 1.19.0.0/16 SBL434604"}, nil},
		{"drop_v6.json", []string{"ipv6 2001:678:254::/48 SBL697648"}, nil},
		{"asndrop.txt", nil, []string{"line 5 AS260", "line 6 AS10516"}},
		{"asndrop.json", nil, []string{"line 1 AS401696"}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			src := readFile(t, c.file)
			if !(Format{}).Sniff(c.file, []byte(src)) {
				t.Errorf("Sniff(%s) = false", c.file)
			}
			res := parse(t, c.file, src)
			if len(res.Rejects) != 0 {
				t.Errorf("rejects = %v, want none", res.Rejects)
			}
			var got []string
			for _, in := range res.Indicators {
				s := in.Sources[0]
				got = append(got, in.Type.String()+" "+in.Value+" "+s.ID)
				if s.Confidence != dropConfidence || s.Severity != ioc.SeverityHigh {
					t.Errorf("%s: confidence %d severity %s, want %d high",
						in.ID, s.Confidence, s.Severity, dropConfidence)
				}
			}
			if strings.Join(got, "\n") != strings.Join(c.indicators, "\n") {
				t.Errorf("indicators:\n%s\nwant:\n%s", strings.Join(got, "\n"),
					strings.Join(c.indicators, "\n"))
			}
			var ne []string
			for _, n := range res.NotEnforced {
				ne = append(ne, n.Position+" "+n.Pattern)
				if !strings.Contains(n.Reason, "not an observable type") {
					t.Errorf("not-enforced reason %q does not say why", n.Reason)
				}
			}
			if strings.Join(ne, "\n") != strings.Join(c.notEnforced, "\n") {
				t.Errorf("not enforced:\n%s\nwant:\n%s", strings.Join(ne, "\n"),
					strings.Join(c.notEnforced, "\n"))
			}
		})
	}
}

func TestFormat_BadLinesRejected(t *testing.T) {
	t.Parallel()
	src := "; Spamhaus DROP List\r\n" +
		"1.4.0.0/17 ; SBL1\r\n" +
		"1.4.0.0/33 ; SBL2\r\n" +
		"not-a-block ; SBL3\r\n" +
		`{"cidr":" ","sblid":"SBL4"}` + "\r\n" +
		"AS99999999999 ; XX | big\r\n" +
		`{"cidr":"5.8.0.0\/19","sblid":"SBL5","rir":"ripencc"}` + "\r\n" +
		`{"cidr":"5.8.0.0/19"` + "\r\n" +
		`{"asn":"x"}` + "\r\n" +
		`{"rir":"arin"}` + "\r\n" +
		`{"type":"metadata","timestamp":1,"records":2}`
	res := parse(t, "drop.txt", src)
	want := map[string]string{
		"line 3":  "not a CIDR block",
		"line 4":  "not an IP address",
		"line 5":  "no CIDR block",
		"line 6":  "AS number is not an integer",
		"line 8":  "invalid JSON",
		"line 9":  "asn is not an integer",
		"line 10": "neither cidr nor asn",
	}
	if len(res.Rejects) != len(want) {
		t.Errorf("rejects = %v, want %d", res.Rejects, len(want))
	}
	for _, r := range res.Rejects {
		if w, ok := want[r.Position]; !ok || !strings.Contains(r.Reason, w) {
			t.Errorf("reject %v: want reason containing %q", &r, w)
		}
		if r.Feed != "drop" {
			t.Errorf("reject feed = %q, want drop", r.Feed)
		}
	}
	if len(res.Indicators) != 2 || res.Indicators[1].Value != "5.8.0.0/19" ||
		res.Indicators[1].Sources[0].ID != "SBL5" {
		t.Errorf("indicators = %v, want 1.4.0.0/17 and 5.8.0.0/19 (escaped slash)",
			res.Indicators)
	}
}

func TestFormat_Sniff(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, head string
		want       bool
	}{
		{"drop.txt", "", true},
		{"EDROP.TXT", "", true},
		{"mirror-2026.txt", "; Spamhaus DROP List 2026\n", true},
		{"mirror.txt", "\n1.2.3.0/24 ; SBL123\n", true},
		{"mirror.txt", "AS260 ; AE | X\n", true},
		{"mirror.json", `{"cidr":"1.2.3.0/24","sblid":"SBL1"}`, true},
		{"mirror.json", `{"asn":1,"asname":"X"}`, true},
		{"list.txt", "1.2.3.4\nevil.example\n", false},
		{"list.txt", "a;b\n", false},
		{"bundle.json", `{"type":"bundle"}`, false},
	}
	for _, c := range cases {
		if got := (Format{}).Sniff(c.name, []byte(c.head)); got != c.want {
			t.Errorf("Sniff(%q, %q) = %v, want %v", c.name, c.head, got, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"drop.txt", "asndrop.txt", "drop_v4.json", "drop_v6.json",
		"asndrop.json"} {
		f.Add(readFile(f, name))
	}
	f.Fuzz(func(t *testing.T, src string) {
		(Format{}).Sniff("x", []byte(src))
		b := feeds.NewBuilder("fuzz", "spamhaus")
		if err := (Format{}).Parse(strings.NewReader(src), b); err != nil {
			t.Fatalf("Parse returned %v for in-memory input", err)
		}
		for _, in := range b.Result().Indicators {
			if !in.Type.IsIP() {
				t.Fatalf("indicator %s is not an address block", in.ID)
			}
		}
	})
}
