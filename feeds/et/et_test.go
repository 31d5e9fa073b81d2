package et

import (
	"os"
	"strings"
	"testing"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
)

func load(t *testing.T, name string) *feeds.Result {
	t.Helper()
	res, err := feeds.LoadFile("testdata/"+name, []feeds.Format{Format{}})
	if err != nil {
		t.Fatalf("LoadFile(%s): %v", name, err)
	}
	return res
}

func TestParse_BlockListSections(t *testing.T) {
	res := load(t, "emerging-Block-IPs.txt")
	if len(res.Rejects) != 0 {
		t.Fatalf("rejects = %v, want none", res.Rejects)
	}
	perSection := map[string]int{}
	cidrs := 0
	for _, in := range res.Indicators {
		if in.Type != ioc.IPv4 {
			t.Fatalf("indicator %s has type %v, want ipv4", in.ID, in.Type)
		}
		s := in.Sources[0]
		perSection[strings.Join(s.ThreatTypes, ",")]++
		if strings.Contains(in.Value, "/") {
			cidrs++
		}
		if s.Feed != "emerging-Block-IPs" || s.Confidence != blockConfidence ||
			s.Severity != ioc.SeverityHigh {
			t.Fatalf("source of %s = %+v", in.ID, s)
		}
	}
	// Counted by hand from Rev 5793: the Abuse.ch, Spyeye and Palevo
	// sections are empty.
	want := map[string]int{"Feodo": 1151, "Spamhaus DROP Nets": 945, "Dshield Top Attackers": 20}
	for sec, n := range want {
		if perSection[sec] != n {
			t.Errorf("section %q has %d entries, want %d", sec, perSection[sec], n)
		}
	}
	if len(res.Indicators) != 2116 || cidrs != 965 {
		t.Errorf("loaded %d indicators with %d CIDR blocks, want 2116 and 965",
			len(res.Indicators), cidrs)
	}
	first := res.Indicators[0]
	if first.ID != "ipv4:222.222.222.222" || first.Sources[0].ID != "line 43" {
		t.Errorf("first indicator = %s from %s, want ipv4:222.222.222.222 from line 43",
			first.ID, first.Sources[0].ID)
	}
}

func TestParse_CompromisedList(t *testing.T) {
	res := load(t, "compromised-ips.txt")
	if len(res.Indicators) != 539 || len(res.Rejects) != 0 {
		t.Fatalf("loaded %d, rejected %d; want 539 and 0", len(res.Indicators), len(res.Rejects))
	}
	s := res.Indicators[0].Sources[0]
	if s.Severity != ioc.SeverityMedium || s.ThreatTypes[0] != "compromised" {
		t.Errorf("source = %+v, want medium severity and threat type compromised", s)
	}
}

func TestParse_RejectsBadLinesAndGoesOn(t *testing.T) {
	in := "# Rev 1\n# Feodo\n198.51.100.1\n300.1.1.1\n10.0.0.0/33\nnot-an-ip\n203.0.113.0/24\n"
	b := feeds.NewBuilder("et-test", "et")
	if err := (Format{}).Parse(strings.NewReader(in), b); err != nil {
		t.Fatal(err)
	}
	res := b.Result()
	if len(res.Indicators) != 2 {
		t.Errorf("loaded %d indicators, want 2", len(res.Indicators))
	}
	wantPos := []string{"line 4", "line 5", "line 6"}
	if len(res.Rejects) != len(wantPos) {
		t.Fatalf("rejects = %v, want %d", res.Rejects, len(wantPos))
	}
	for i, r := range res.Rejects {
		if r.Position != wantPos[i] || r.Reason == "" {
			t.Errorf("reject %d = %+v, want position %s with a reason", i, r, wantPos[i])
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"emerging-Block-IPs.txt", "compromised-ips.txt"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data[:min(len(data), 4096)])
	}
	f.Add([]byte("# Rev 1\n#x\n1.2.3.4/99\n\x00\n::ffff:1.2.3.4\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b := feeds.NewBuilder("fuzz", "et")
		if err := (Format{}).Parse(strings.NewReader(string(data)), b); err != nil {
			t.Fatalf("Parse returned %v; only I/O errors may stop it", err)
		}
		for _, in := range b.Result().Indicators {
			if !in.Type.IsIP() {
				t.Fatalf("indicator %s is not an address", in.ID)
			}
		}
	})
}
