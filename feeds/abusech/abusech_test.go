package abusech

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
)

func readFile(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func parse(t testing.TB, f feeds.Format, src string) *feeds.Result {
	t.Helper()
	b := feeds.NewBuilder("test", f.Name())
	if err := f.Parse(strings.NewReader(src), b); err != nil {
		t.Fatalf("%s Parse: %v", f.Name(), err)
	}
	return b.Result()
}

func find(t testing.TB, res *feeds.Result, id string) *ioc.Indicator {
	t.Helper()
	for _, in := range res.Indicators {
		if in.ID == id {
			return in
		}
	}
	t.Fatalf("no indicator %s among %d", id, len(res.Indicators))
	return nil
}

func countTypes(res *feeds.Result) map[ioc.Type]int {
	n := map[ioc.Type]int{}
	for _, in := range res.Indicators {
		n[in.Type]++
	}
	return n
}

var formats = []feeds.Format{Feodo{}, URLhaus{}, ThreatFox{}, MalwareBazaar{}}

// sniffedBy returns the names of the formats that claim a file.
func sniffedBy(name, src string) []string {
	var out []string
	head := []byte(src)[:min(len(src), 4096)]
	for _, f := range formats {
		if f.Sniff(name, head) {
			out = append(out, f.Name())
		}
	}
	return out
}

func TestFormats_CorpusCounts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file   string
		format feeds.Format
		counts map[ioc.Type]int
	}{
		{"feodotracker/ipblocklist.csv", Feodo{}, map[ioc.Type]int{ioc.IPv4: 28}},
		{"feodotracker/ipblocklist.json", Feodo{}, map[ioc.Type]int{ioc.IPv4: 4}},
		{"feodotracker/ipblocklist.txt", Feodo{}, map[ioc.Type]int{ioc.IPv4: 4}},
		{"urlhaus/csv_recent.txt", URLhaus{}, map[ioc.Type]int{ioc.URL: 9}},
		{"urlhaus/csv_recent-2019-format.txt", URLhaus{}, map[ioc.Type]int{ioc.URL: 4}},
		{"urlhaus/csv_recent-2026-fixture-rows.txt", URLhaus{}, map[ioc.Type]int{ioc.URL: 2}},
		{"threatfox/threatfox-api-iocs.ndjson", ThreatFox{},
			map[ioc.Type]int{ioc.IPv4: 1, ioc.IPv6: 1, ioc.URL: 1}},
		{"threatfox/threatfox-export.csv", ThreatFox{},
			map[ioc.Type]int{ioc.IPv4: 1, ioc.IPv6: 1, ioc.URL: 1}},
		{"malwarebazaar/malwarebazaar-api-samples.ndjson", MalwareBazaar{},
			map[ioc.Type]int{ioc.SHA256: 4, ioc.SHA1: 4, ioc.MD5: 4, ioc.FileName: 3}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			src := readFile(t, c.file)
			if got := sniffedBy(filepath.Base(c.file), src); !slices.Equal(got,
				[]string{c.format.Name()}) {
				t.Errorf("sniffed by %v, want only %s", got, c.format.Name())
			}
			res := parse(t, c.format, src)
			if len(res.Rejects) != 0 || len(res.NotEnforced) != 0 {
				t.Errorf("rejects %v, not enforced %v; want none", res.Rejects, res.NotEnforced)
			}
			got := countTypes(res)
			if len(got) != len(c.counts) {
				t.Errorf("counts = %v, want %v", got, c.counts)
			}
			for typ, n := range c.counts {
				if got[typ] != n {
					t.Errorf("%s: %d indicators, want %d", typ, got[typ], n)
				}
			}
		})
	}
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateTime, s)
	if err != nil {
		t, _ = time.Parse(time.DateOnly, s)
	}
	return t
}

func TestFeodo_Values(t *testing.T) {
	t.Parallel()
	res := parse(t, Feodo{}, readFile(t, "feodotracker/ipblocklist.csv"))
	s := find(t, res, "ipv4:192.9.135.73").Sources[0]
	if s.ID != "192.9.135.73" || s.Confidence != feodoOnline || s.Severity != ioc.SeverityHigh ||
		!slices.Equal(s.Malware, []string{"Pikabot"}) ||
		!s.FirstSeen.Equal(day("2023-05-23 17:51:44")) || !s.Modified.Equal(day("2024-04-01")) {
		t.Errorf("online row source = %+v", s)
	}
	s = find(t, res, "ipv4:85.239.243.155").Sources[0]
	if s.Confidence != feodoOffline || s.Severity != ioc.SeverityMedium {
		t.Errorf("offline row source = %+v, want confidence %d medium", s, feodoOffline)
	}

	res = parse(t, Feodo{}, readFile(t, "feodotracker/ipblocklist.json"))
	s = find(t, res, "ipv4:1.234.21.73").Sources[0]
	if !s.FirstSeen.IsZero() || !slices.Equal(s.Malware, []string{"Dridex"}) ||
		!s.Modified.Equal(day("2022-11-15")) {
		t.Errorf("record without first_seen: source = %+v", s)
	}
	if res.Indicators[0].Sources[0].Feed != "test" {
		t.Errorf("feed = %q, want test", res.Indicators[0].Sources[0].Feed)
	}
}

func TestURLhaus_Values(t *testing.T) {
	t.Parallel()
	res := parse(t, URLhaus{}, readFile(t, "urlhaus/csv_recent.txt"))
	in := find(t, res, "url:http://117.209.87.242:60905/bin.sh")
	s := in.Sources[0]
	if s.ID != "3520667" || s.Confidence != urlhausOnline ||
		!slices.Equal(s.ThreatTypes, []string{"malware_download"}) ||
		!s.Modified.Equal(day("2025-04-21 12:35:06")) {
		t.Errorf("source = %+v", s)
	}
	res = parse(t, URLhaus{}, readFile(t, "urlhaus/csv_recent-2019-format.txt"))
	s = find(t, res, "url:http://192.119.106.235/officeupd.tmp").Sources[0]
	if s.ID != "260691" || !s.FirstSeen.Equal(day("2019-11-27")) || !s.Modified.Equal(s.FirstSeen) {
		t.Errorf("2019 layout source = %+v", s)
	}
	res = parse(t, URLhaus{}, readFile(t, "urlhaus/csv_recent-2026-fixture-rows.txt"))
	s = find(t, res,
		"url:https://reoen.webgondozas.hu/a44f43f1-dc49-4a45-b725-33106ce13f94").Sources[0]
	if s.Confidence != urlhausOffline || s.Severity != ioc.SeverityMedium {
		t.Errorf("offline URL source = %+v", s)
	}
}

func TestThreatFox_Values(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"threatfox/threatfox-api-iocs.ndjson",
		"threatfox/threatfox-export.csv"} {
		res := parse(t, ThreatFox{}, readFile(t, file))
		v6 := find(t, res, "ipv6:2a02:cf40:1::5").Sources[0]
		if v6.ID != "841508" || v6.Original != "2a02:cf40:1::5:40669" || v6.Confidence != 100 ||
			!slices.Equal(v6.Malware, []string{"RedLine Stealer"}) ||
			v6.Severity != ioc.SeverityHigh || !v6.FirstSeen.Equal(day("2022-08-05 11:40:15")) {
			t.Errorf("%s: ipv6 source = %+v", file, v6)
		}
		v4 := find(t, res, "ipv4:81.2.69.142")
		var ids []string
		for _, s := range v4.Sources {
			ids = append(ids, s.ID+" "+strings.Join(s.Malware, ","))
		}
		want := []string{"841505 AsyncRAT", "841500 Cobalt Strike", "841498 Cobalt Strike"}
		if !slices.Equal(ids, want) {
			t.Errorf("%s: 81.2.69.142 sources = %v, want %v", file, ids, want)
		}
		find(t, res, "url:http://malaikahlowry33.top/")
	}
}

func TestMalwareBazaar_Values(t *testing.T) {
	t.Parallel()
	res := parse(t, MalwareBazaar{}, readFile(t, "malwarebazaar/malwarebazaar-api-samples.ndjson"))
	const sha256 = "84f983067868de50e5b1553782c056c1f5b5118bb2084473ca4b6908f221cd3b"
	for _, id := range []string{"sha256:" + sha256, "sha1:00b52e8ca1785d5086703ad8cff1d28fc3354934",
		"md5:2759c73c986c6a757bf9d25621c5595a"} {
		s := find(t, res, id).Sources[0]
		if s.ID != sha256 || !slices.Equal(s.Malware, []string{"SnakeKeylogger"}) ||
			s.Severity != ioc.SeverityHigh || !s.FirstSeen.Equal(day("2021-04-06 19:52:32")) {
			t.Errorf("%s source = %+v", id, s)
		}
	}
	name := find(t, res, "file_name:purchase order.8000.scan.pdf...exe").Sources[0]
	if name.Severity != ioc.SeverityInfo || name.Confidence != bazaarNameConfidence ||
		name.ID != sha256 {
		t.Errorf("file name source = %+v", name)
	}
	s := find(t, res, "md5:0af07660056a692b7cb82fa329221ddd").Sources[0]
	if s.Malware != nil {
		t.Errorf("sample with null signature has malware %v", s.Malware)
	}
}

func TestFormats_BadRecordsRejected(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		format feeds.Format
		src    string
		want   map[string]string // position -> reason part
		loaded int
	}{
		{"feodo csv", Feodo{}, "#\n\"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\"\n" +
			"\"2024-01-01 00:00:00\",\"1.2.3.4\",\"80\",\"online\"\n" +
			"\"yesterday\",\"1.2.3.5\",\"80\",\"online\"\n" +
			"\"2024-01-01\",\"\",\"80\",\"online\"\n" +
			"\"2024-01-01\",\"1.2.3\",\"80\",\"online\"\n" +
			"\"2024-01-01\",\"1.2.3.6\"x\"\n# END 4 entries",
			map[string]string{"line 4": "first_seen_utc", "line 5": "no dst_ip",
				"line 6": "not an IP address", "line 7": "not an IP address"}, 1},
		{"feodo json", Feodo{}, `[{"ip_address":"1.2.3.4","port":1},` +
			`{"ip_address":5},{"port":1},{"ip_address":"1.2.3.5","first_seen":"x"}]`,
			map[string]string{"record 2": "field \"ip_address\"", "record 3": "no ip_address",
				"record 4": "first_seen"}, 1},
		{"threatfox ndjson", ThreatFox{},
			`{"id":"1","ioc":"1.2.3.4:80","ioc_type":"ip:port","confidence_level":50}` + "\n" +
				`{"id":"2","ioc":"1.2.3.4","ioc_type":"ip:port"}` + "\n" +
				`{"id":"3","ioc":"1.2.3.4:99999","ioc_type":"ip:port"}` + "\n" +
				`{"id":"4","ioc":"` + strings.Repeat("a", 96) + `","ioc_type":"sha3_384_hash"}` +
				"\n" + `{"id":"5","ioc":"x.example","ioc_type":"weird"}` + "\n" +
				`{"id":"6","ioc":"x.example","ioc_type":"domain","confidence_level":101}` + "\n" +
				`{"id":"7","ioc":` + "\n" +
				`{"id":8,"ioc":"[2001:db8::1]:443","ioc_type":"ip:port"}` + "\n" +
				`{"id":"9","ioc":null,"ioc_type":"domain"}`,
			map[string]string{"line 2": "ip:port", "line 3": "ip:port",
				"line 5": "unknown ioc_type", "line 6": "confidence_level",
				"line 7": "invalid JSON", "line 9": "no ioc value"}, 2},
		{"bazaar", MalwareBazaar{},
			`{"query_status":"ok","data":[{"sha256_hash":"` + strings.Repeat("a", 64) +
				`","md5_hash":"xyz","file_name":"a.exe"},{"file_name":"b.exe"},` +
				`{"sha1_hash":"` + strings.Repeat("b", 40) + `","first_seen":"bad"}]}`,
			map[string]string{"record 1": "md5", "record 2": "no sha256_hash",
				"record 3": "first_seen"}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			res := parse(t, c.format, c.src)
			if len(res.Rejects) != len(c.want) {
				t.Errorf("rejects = %v, want %d", res.Rejects, len(c.want))
			}
			for _, r := range res.Rejects {
				if w, ok := c.want[r.Position]; !ok || !strings.Contains(r.Reason, w) {
					t.Errorf("reject %v: want a reason containing %q", &r, w)
				}
			}
			if len(res.Indicators) != c.loaded {
				t.Errorf("loaded %d indicators %v, want %d", len(res.Indicators),
					res.Indicators, c.loaded)
			}
		})
	}
}

func TestThreatFox_NotEnforcedHashType(t *testing.T) {
	t.Parallel()
	res := parse(t, ThreatFox{}, `{"id":"4","ioc":"`+strings.Repeat("a", 96)+
		`","ioc_type":"sha3_384_hash"}`)
	if len(res.NotEnforced) != 1 || res.NotEnforced[0].Position != "line 1" {
		t.Errorf("not enforced = %v, want the sha3_384 record", res.NotEnforced)
	}
}

func TestReadJSON_Shapes(t *testing.T) {
	t.Parallel()
	rec := `{"id":"1","ioc":"evil-c2.top","ioc_type":"domain"}`
	cases := []struct {
		name, src string
		want      int
		err       string
	}{
		{"api answer", `{"query_status":"ok","data":[` + rec + `,` + rec + `]}`, 1, ""},
		{"pretty api answer",
			"{\n  \"query_status\": \"ok\",\n  \"data\": [\n" + rec + "]\n}", 1, ""},
		{"array", "\uFEFF[" + rec + "]", 1, ""},
		{"pretty single record",
			"{\n\"id\": \"1\", \"ioc\": \"a.top\", \"ioc_type\": \"domain\"\n}", 1, ""},
		{"no result",
			`{"query_status":"no_result","data":"Your search did not yield any results"}`, 0, ""},
		{"refused", `{"query_status":"unknown_auth_key"}`, 0, "unknown_auth_key"},
		{"truncated", "[" + rec + ",\n{\"id\":", 0, "read JSON at byte"},
		{"not records", `{"query_status":"ok","data":42}`, 0, "want an array"},
	}
	for _, c := range cases {
		b := feeds.NewBuilder("t", "threatfox")
		err := ThreatFox{}.Parse(strings.NewReader(c.src), b)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || len(b.Result().Indicators) != c.want {
			t.Errorf("%s: %d indicators, error %v; want %d", c.name,
				len(b.Result().Indicators), err, c.want)
		}
	}
}

func TestReadCSV_NoHeader(t *testing.T) {
	t.Parallel()
	for _, src := range []string{"# banner only\n", "\"1\",\"2019-01-01\",\"http://a.top/\"\n"} {
		err := URLhaus{}.Parse(strings.NewReader(src), feeds.NewBuilder("t", "urlhaus"))
		if err == nil || !strings.Contains(err.Error(), "header") {
			t.Errorf("Parse(%q) error = %v, want a header error", src, err)
		}
	}
}

func TestSplitHostPort(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"1.2.3.4:80": "1.2.3.4", "2a02:cf40:1::5:40669": "2a02:cf40:1::5",
		"[2001:db8::1]:443": "2001:db8::1", "1.2.3.4": "", ":80": "", "a.top:80": "",
		"1.2.3.4:+80": "", "1.2.3.4:65536": "",
	}
	for in, want := range cases {
		got, ok := splitHostPort(in)
		if got != want || ok != (want != "") {
			t.Errorf("splitHostPort(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func fuzzFormat(f *testing.F, format feeds.Format, files ...string) {
	for _, file := range files {
		f.Add(readFile(f, file))
	}
	f.Fuzz(func(t *testing.T, src string) {
		format.Sniff("x", []byte(src))
		b := feeds.NewBuilder("fuzz", format.Name())
		_ = format.Parse(strings.NewReader(src), b)
		for _, in := range b.Result().Indicators {
			if !in.Type.IsValid() || in.Value == "" || len(in.Sources) == 0 {
				t.Fatalf("bad indicator %+v", in)
			}
		}
	})
}

func FuzzFeodo(f *testing.F) {
	fuzzFormat(f, Feodo{}, "feodotracker/ipblocklist.csv", "feodotracker/ipblocklist.json",
		"feodotracker/ipblocklist.txt")
}

func FuzzURLhaus(f *testing.F) {
	fuzzFormat(f, URLhaus{}, "urlhaus/csv_recent.txt", "urlhaus/csv_recent-2019-format.txt")
}

func FuzzThreatFox(f *testing.F) {
	fuzzFormat(f, ThreatFox{}, "threatfox/threatfox-api-iocs.ndjson",
		"threatfox/threatfox-export.csv")
}

func FuzzMalwareBazaar(f *testing.F) {
	fuzzFormat(f, MalwareBazaar{}, "malwarebazaar/malwarebazaar-api-samples.ndjson")
}
