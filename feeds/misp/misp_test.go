package misp

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
)

const circlEvent = "57c4445b-c548-4654-af0b-4be3950d210f"

func readFile(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func read(t testing.TB, src string) (*feeds.Result, Stats) {
	t.Helper()
	b := feeds.NewBuilder("misp", "misp")
	st, err := Format{}.Read(strings.NewReader(src), b)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return b.Result(), st
}

func ids(res *feeds.Result) []string {
	var out []string
	for _, in := range res.Indicators {
		out = append(out, in.ID)
	}
	return out
}

func find(t testing.TB, res *feeds.Result, id string) *ioc.Indicator {
	t.Helper()
	for _, in := range res.Indicators {
		if in.ID == id {
			return in
		}
	}
	t.Fatalf("no indicator %s in %v", id, ids(res))
	return nil
}

func TestFormat_Corpus(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file        string
		stats       Stats
		indicators  []string
		notEnforced int
	}{
		{circlEvent + ".json", Stats{Events: 1, Attributes: 9, Informational: 4},
			[]string{"file_name:3z4wng9603it23y.exe", "md5:0749bae92ca336a02c83d126e04ec628",
				"sha1:77b0c41b7d340b8a3d903f21347bbf06aa766b5b",
				"sha256:b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68"}, 1},
		{"misp-event-with-objects-galaxy.json", Stats{Events: 1, Attributes: 14, Informational: 5},
			[]string{"domain:movieultimate.com", "domain:meteost.com",
				"domain:faststoragefiles.org", "file_name:bulletin.doc",
				"sha1:68064fc152e23d56e541714af52651cb4ba81aaf",
				"sha1:6f0fc0ebba3e4c8b26a69cdf519edf8d1aa2f4bb",
				"sha1:e19f753e514f6adec8f81bcdefb9117979e69627",
				"ipv4:87.236.211.182", "domain:servicecdp.com"}, 0},
		{"misp-restsearch-events-response.json", Stats{Events: 2, Attributes: 2, Informational: 1},
			[]string{"domain:circl.lu"}, 0},
		{"misp-restsearch-attributes-response.json", Stats{Attributes: 2, Informational: 1},
			[]string{"domain:circl.lu"}, 0},
		{"manifest.json", Stats{}, nil, 0},
		{"hashes.csv", Stats{}, nil, 0},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			src := readFile(t, c.file)
			if !(Format{}).Sniff(c.file, []byte(src)) {
				t.Errorf("Sniff(%s) = false", c.file)
			}
			res, st := read(t, src)
			if st != c.stats {
				t.Errorf("stats = %+v, want %+v", st, c.stats)
			}
			if !slices.Equal(ids(res), c.indicators) {
				t.Errorf("indicators = %v, want %v", ids(res), c.indicators)
			}
			if len(res.Rejects) != 0 || len(res.NotEnforced) != c.notEnforced {
				t.Errorf("rejects %v, not enforced %v; want none and %d", res.Rejects,
					res.NotEnforced, c.notEnforced)
			}
		})
	}
}

func TestFormat_EventValues(t *testing.T) {
	t.Parallel()
	res, _ := read(t, readFile(t, circlEvent+".json"))
	s := find(t, res, "md5:0749bae92ca336a02c83d126e04ec628").Sources[0]
	want := ioc.Source{Feed: "misp", ID: "57c4448b-454c-4d17-90d1-4d2f950d210f",
		Confidence: DefaultConfidence, Severity: ioc.SeverityLow,
		ThreatTypes: []string{"Payload delivery"}, Modified: time.Unix(1472480395, 0).UTC()}
	if s.ID != want.ID || s.Confidence != want.Confidence || s.Severity != want.Severity ||
		!slices.Equal(s.ThreatTypes, want.ThreatTypes) || !s.Modified.Equal(want.Modified) {
		t.Errorf("source = %+v, want %+v", s, want)
	}
	ne := res.NotEnforced[0]
	if ne.Position != "event "+circlEvent+" attribute 57c54b0f-27a4-458b-8e63-4455950d210f" ||
		!strings.HasPrefix(ne.Pattern, "regkey|value Software") {
		t.Errorf("not enforced = %+v", ne)
	}
}

func TestFormat_GalaxiesAndObjects(t *testing.T) {
	t.Parallel()
	res, _ := read(t, readFile(t, "misp-event-with-objects-galaxy.json"))
	s := find(t, res, "ipv4:87.236.211.182").Sources[0]
	if !slices.Equal(s.Actors, []string{"Sofacy"}) {
		t.Errorf("actors = %v, want [Sofacy]", s.Actors)
	}
	wantMalware := []string{"Sednit EK", "GAMEFISH", "JHUHUGIT", "X-Tunnel", "XTunnel",
		"ADVSTORESHELL", "EVILTOSS", "USBStealer", "X-Agent", "XAgentOSX", "CHOPSTICK",
		"DealersChoice", "Downdelph"}
	if !slices.Equal(s.Malware, wantMalware) {
		t.Errorf("malware = %v, want %v", s.Malware, wantMalware)
	}
	if s.ID != "5a3ce58a-fcd8-48d5-8b4a-4fd9950d210f" || s.Severity != ioc.SeverityLow {
		t.Errorf("object attribute source = %+v", s)
	}
}

func TestFormat_AttributeHandling(t *testing.T) {
	t.Parallel()
	attr := func(typ, value string, extra string) string {
		return `{"uuid":"` + typ + `-u","type":"` + typ + `","value":` + value +
			`,"to_ids":true` + extra + `}`
	}
	src := `{"Event":{"uuid":"e1","threat_level_id":"1",` +
		`"Tag":[{"name":"osint:certainty=\"50\""}],` +
		`"Attribute":[` + strings.Join([]string{
		attr("domain|ip", `"evil-c2.top|81.2.69.142"`, ""),
		attr("ip-dst|port", `"81.2.69.143|443"`, ""),
		attr("filename|sha256", `"a.exe|`+strings.Repeat("ab", 32)+`"`, ""),
		attr("hostname|port", `"c2.evil-c2.top|8080"`, ""),
		attr("email-src", `"Bad <bad@evil-c2.top>"`, ""),
		attr("mutex", `"Global\\Q"`, ""),
		attr("user-agent", `"EvilBot/1.0"`, `,"Tag":[{"name":"osint:certainty=\"90\""}]`),
		attr("url", `"hxxp://evil-c2[.]top/x"`, ""),
		attr("ip-src", `"81.2.69.0/24"`, `,"deleted":true`),
		attr("sha512", `"`+strings.Repeat("c", 128)+`"`, `,"to_ids":"0"`),
		attr("domain|ip", `"only-one.top"`, ""),
		attr("md5", `"nothex"`, ""),
		attr("yara", `"rule x {}"`, ""),
		attr("AS", `"AS174"`, ""),
		attr("domain", `7`, ""),
		attr("domain", `"ts.top"`, `,"timestamp":"soon"`),
		attr("", `"x.top"`, ""),
	}, ",") + `],"Object":[{"uuid":"o1","deleted":true,"Attribute":[` +
		attr("domain", `"gone.top"`, "") + `]}]}}`
	res, st := read(t, src)
	wantIDs := []string{"domain:evil-c2.top", "ipv4:81.2.69.142", "ipv4:81.2.69.143",
		"file_name:a.exe", "sha256:" + strings.Repeat("ab", 32), "domain:c2.evil-c2.top",
		"email:bad@evil-c2.top", `mutex:Global\Q`, "user_agent:EvilBot/1.0",
		"url:http://evil-c2.top/x"}
	if !slices.Equal(ids(res), wantIDs) {
		t.Errorf("indicators = %v\nwant %v", ids(res), wantIDs)
	}
	if st != (Stats{Events: 1, Attributes: 18, Informational: 1, Deleted: 2}) {
		t.Errorf("stats = %+v", st)
	}
	if s := find(t, res, "user_agent:EvilBot/1.0").Sources[0]; s.Confidence != 90 ||
		s.Severity != ioc.SeverityHigh {
		t.Errorf("attribute tag confidence: %+v, want 90 high", s)
	}
	if s := find(t, res, "domain:evil-c2.top").Sources[0]; s.Confidence != 50 {
		t.Errorf("event tag confidence = %d, want 50", s.Confidence)
	}
	wantRejects := map[string]string{
		"event e1 attribute domain|ip-u": "2",
		"event e1 attribute md5-u":       "hex digits",
		"event e1 attribute 15":          "field \"value\"",
		"event e1 attribute domain-u":    "timestamp",
		"event e1 attribute -u":          "no type",
	}
	for _, r := range res.Rejects {
		w, ok := wantRejects[r.Position]
		if !ok || !strings.Contains(r.Reason, w) {
			t.Errorf("unexpected reject %v", &r)
		}
	}
	if len(res.Rejects) != 5 {
		t.Errorf("rejects = %v, want 5", res.Rejects)
	}
	if len(res.NotEnforced) != 2 || res.NotEnforced[1].Pattern != "AS AS174" {
		t.Errorf("not enforced = %v, want yara and AS", res.NotEnforced)
	}
}

func TestFormat_NotMISP(t *testing.T) {
	t.Parallel()
	for _, src := range []string{`{"type":"bundle","objects":[]}`, `{"Event":`, `[1,2]`} {
		b := feeds.NewBuilder("x", "misp")
		err := Format{}.Parse(strings.NewReader(src), b)
		if src == `[1,2]` {
			if err != nil || len(b.Result().Rejects) != 2 {
				t.Errorf("Parse(%s): err %v, rejects %v; want two rejects", src, err,
					b.Result().Rejects)
			}
			continue
		}
		if err == nil {
			t.Errorf("Parse(%s) accepted it", src)
		}
	}
}

func TestFeed_ReadDir(t *testing.T) {
	t.Parallel()
	fsys := os.DirFS("testdata")
	if !(Feed{}).SniffDir(fsys) {
		t.Fatal("SniffDir(testdata) = false")
	}
	b := feeds.NewBuilder("circl", "misp-feed")
	st, err := Feed{}.ReadDir(fsys, b)
	if err != nil {
		t.Fatal(err)
	}
	res := b.Result()
	if st != (Stats{Events: 1, Attributes: 9, Informational: 4}) || len(res.Indicators) != 4 ||
		len(res.Rejects) != 0 {
		t.Errorf("stats %+v, %d indicators, rejects %v; want the one event's 4", st,
			len(res.Indicators), res.Rejects)
	}
}

func TestFeed_ManifestDrives(t *testing.T) {
	t.Parallel()
	ev := func(id, domain string) []byte {
		return []byte(`{"Event":{"uuid":"` + id + `","Attribute":[{"uuid":"a","type":"domain",` +
			`"value":"` + domain + `","to_ids":true}]}}`)
	}
	const (
		u1 = "11111111-1111-1111-1111-111111111111"
		u2 = "22222222-2222-2222-2222-222222222222"
		u3 = "33333333-3333-3333-3333-333333333333"
		u4 = "44444444-4444-4444-4444-444444444444"
	)
	fsys := fstest.MapFS{
		"manifest.json": {Data: []byte(`{"` + u1 + `":{"info":"a"},"` + u2 + `":{"info":"b"},"` +
			u3 + `":{"info":"c"},"../etc/passwd":{"info":"d"}}`)},
		u1 + ".json":   {Data: ev(u1, "listed.top")},
		u3 + ".json":   {Data: ev(u4, "other.top")},
		u4 + ".json":   {Data: ev(u4, "unlisted.top")},
		"hashes.csv":   {Data: []byte("")},
		"unrelated.md": {Data: []byte("x")},
	}
	b := feeds.NewBuilder("f", "misp-feed")
	if err := (Feed{}).ParseDir(fsys, b); err != nil {
		t.Fatal(err)
	}
	res := b.Result()
	if !slices.Equal(ids(res), []string{"domain:listed.top"}) {
		t.Errorf("indicators = %v, want only listed.top", ids(res))
	}
	want := map[string]string{
		"manifest event ../etc/passwd": "not an event uuid",
		"manifest event " + u2:         "missing",
		"manifest event " + u3:         "holds event " + u4,
	}
	if len(res.Rejects) != len(want) {
		t.Errorf("rejects = %v", res.Rejects)
	}
	for _, r := range res.Rejects {
		if !strings.Contains(r.Reason, want[r.Position]) || want[r.Position] == "" {
			t.Errorf("reject %v: want reason %q", &r, want[r.Position])
		}
	}
	if (Feed{}).SniffDir(fstest.MapFS{"a.json": {Data: ev(u1, "x.top")}}) {
		t.Error("SniffDir accepted a folder without manifest.json")
	}
}

func TestFormat_Sniff(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, head string
		want       bool
	}{
		{"e.json", `{"Event": {}}`, true},
		{"r.json", `{"response": {"Attribute": []}}`, true},
		{"r.json", `{"response": [{"Event": {}}]}`, true},
		{"manifest.json", `{"u": {"Orgc": {}, "info": "x"}}`, true},
		{"hashes.csv", "0123456789abcdef0123456789abcdef," + circlEvent + "\n", true},
		{"hashes.csv", "value,type\n", false},
		{"bundle.json", `{"type": "bundle", "objects": []}`, false},
		{"list.txt", "Event: 1", false},
	}
	for _, c := range cases {
		if got := (Format{}).Sniff(c.name, []byte(c.head)); got != c.want {
			t.Errorf("Sniff(%q, %q) = %v, want %v", c.name, c.head, got, c.want)
		}
	}
}

func FuzzRead(f *testing.F) {
	for _, name := range []string{circlEvent + ".json", "misp-event-with-objects-galaxy.json",
		"misp-restsearch-events-response.json", "misp-restsearch-attributes-response.json",
		"manifest.json", "hashes.csv"} {
		f.Add(readFile(f, name))
	}
	f.Fuzz(func(t *testing.T, src string) {
		(Format{}).Sniff("manifest.json", []byte(src))
		(Format{}).Sniff("x.json", []byte(src))
		b := feeds.NewBuilder("fuzz", "misp")
		st, err := Format{}.Read(strings.NewReader(src), b)
		if err != nil {
			return
		}
		if st.Informational+st.Deleted > st.Attributes {
			t.Fatalf("stats %+v count more skipped than read", st)
		}
	})
}

func FuzzFeedReadDir(f *testing.F) {
	f.Add(readFile(f, "manifest.json"), readFile(f, circlEvent+".json"))
	f.Fuzz(func(t *testing.T, manifest, event string) {
		fsys := fstest.MapFS{"manifest.json": {Data: []byte(manifest)},
			circlEvent + ".json": {Data: []byte(event)}}
		b := feeds.NewBuilder("fuzz", "misp-feed")
		_, _ = Feed{}.ReadDir(fsys, b)
	})
}
