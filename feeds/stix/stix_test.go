package stix

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
)

func load(t *testing.T, path string) *feeds.Result {
	t.Helper()
	res, err := feeds.LoadFile(path, []feeds.Format{Format{}})
	if err != nil {
		t.Fatalf("LoadFile(%s): %v", path, err)
	}
	return res
}

func parseString(t *testing.T, doc string) *feeds.Result {
	t.Helper()
	b := feeds.NewBuilder("test", "stix")
	if err := (Format{}).Parse(strings.NewReader(doc), b); err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return b.Result()
}

func ids(res *feeds.Result) []string {
	var out []string
	for _, in := range res.Indicators {
		out = append(out, in.ID)
	}
	return out
}

func reasons(res *feeds.Result) []string {
	var out []string
	for _, ne := range res.NotEnforced {
		out = append(out, ne.Reason)
	}
	return out
}

func TestFormat_CorpusCounts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file        string
		ids         []string
		notEnforced []string
		malware     []string // of the first indicator's first source
	}{
		{file: "indicator-for-c2-ip-address.json", ids: []string{"ipv4:10.0.0.0"}},
		{
			file: "malicious-email-indicator-with-attachment.json",
			notEnforced: []string{"MATCHES needs per-event evaluation",
				"MATCHES needs per-event evaluation"},
		},
		{file: "sighting-of-an-indicator.json", ids: []string{"url:http://paypa1.banking.com/"}},
		{
			// The domain|ip conjunction is anchored on its address.
			file: "misp-export-attributes-collection-stix21.json",
			ids: []string{"domain:circl.lu", "ipv4:149.13.33.14",
				"file_name:test_file_name"},
		},
		{
			file: "opencti-test-data-subset.json",
			ids: []string{"domain:www.xolod-teplo.ru", "domain:www.one-clap.jp",
				"sha256:2a0169c72c84e6d3fa49af701fd46ee7aaf1d1d9e107798d93a6ca8df5d25957"},
		},
		{
			file:    "stix20-indicator-for-malicious-url.json",
			ids:     []string{"url:http://x4z9arb.cn/4712/"},
			malware: []string{"x4z9arb backdoor"},
		},
		{
			file: "stix20-malware-indicator-for-file-hash.json",
			ids: []string{
				"sha256:ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c"},
			malware: []string{"Poison Ivy"},
		},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			res := load(t, "testdata/"+c.file)
			if got := ids(res); !slices.Equal(got, c.ids) {
				t.Errorf("indicators = %q, want %q", got, c.ids)
			}
			if got := reasons(res); !slices.Equal(got, c.notEnforced) {
				t.Errorf("not enforced = %q, want %q", got, c.notEnforced)
			}
			if len(res.Rejects) != 0 {
				t.Errorf("rejects = %v, want none", res.Rejects)
			}
			if c.malware != nil {
				if got := res.Indicators[0].Sources[0].Malware; !slices.Equal(got, c.malware) {
					t.Errorf("malware = %q, want %q", got, c.malware)
				}
			}
		})
	}
}

func TestFormat_CorpusContext(t *testing.T) {
	t.Parallel()
	misp := load(t, "testdata/misp-export-attributes-collection-stix21.json")
	s := misp.Indicators[0].Sources[0]
	want := time.Date(2020, 10, 25, 16, 22, 0, 0, time.UTC)
	if !s.FirstSeen.Equal(want) {
		t.Errorf("MISP based-on first seen = %v, want %v", s.FirstSeen, want)
	}
	if len(s.ThreatTypes) != 0 {
		t.Errorf("MISP 2.1 labels became threat types %q; 2.1 labels are free text", s.ThreatTypes)
	}
	if !slices.Equal(s.KillChain, []string{"misp-category:Network activity"}) {
		t.Errorf("kill chain = %q", s.KillChain)
	}

	url := load(t, "testdata/stix20-indicator-for-malicious-url.json")
	s = url.Indicators[0].Sources[0]
	if !slices.Equal(s.ThreatTypes, []string{"malicious-activity"}) ||
		s.Severity != ioc.SeverityHigh {
		t.Errorf("2.0 labels: threat types %q severity %v, want malicious-activity high",
			s.ThreatTypes, s.Severity)
	}

	cti := load(t, "testdata/opencti-test-data-subset.json")
	for _, in := range cti.Indicators {
		if in.IsActive(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("%s active in 2026; its valid_until is in the past", in.ID)
		}
	}
	if !cti.Indicators[0].IsActive(time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("%s not active inside its validity window", cti.Indicators[0].ID)
	}
}

const versionsBundle = `{"type":"bundle","id":"bundle--1","objects":[
{"type":"indicator","spec_version":"2.1","id":"indicator--a","created":"2020-01-01T00:00:00Z",
 "modified":"2020-03-01T00:00:00.000Z","pattern":"[domain-name:value = 'new.example']",
 "pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"},
{"type":"indicator","spec_version":"2.1","id":"indicator--a","created":"2020-01-01T00:00:00Z",
 "modified":"2020-01-01T00:00:00Z","pattern":"[domain-name:value = 'old.example']",
 "pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"},
{"type":"indicator","spec_version":"2.1","id":"indicator--b","created":"2020-01-01T00:00:00Z",
 "modified":"2020-01-01T00:00:00Z","pattern":"[ipv4-addr:value = '198.51.100.7']",
 "pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"},
{"type":"indicator","spec_version":"2.1","id":"indicator--b","created":"2020-01-01T00:00:00Z",
 "modified":"2020-02-01T00:00:00Z","revoked":true,"pattern":"[ipv4-addr:value = '198.51.100.7']",
 "pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"}
]}`

func TestFormat_NewestVersionWins(t *testing.T) {
	t.Parallel()
	res := parseString(t, versionsBundle)
	want := []string{"domain:new.example", "ipv4:198.51.100.7"}
	if got := ids(res); !slices.Equal(got, want) {
		t.Fatalf("indicators = %q, want %q (older version's value must be gone)", got, want)
	}
	if !res.Indicators[1].Sources[0].Revoked {
		t.Errorf("indicator--b: newest version is revoked, source is not")
	}
	if res.Indicators[1].IsActive(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("revoked indicator is active")
	}
}

func TestStore_AcrossPolls(t *testing.T) {
	t.Parallel()
	page1 := raws(t, `[
{"type":"relationship","spec_version":"2.1","id":"relationship--r","created":"2020-01-01T00:00:00Z",
 "modified":"2020-01-01T00:00:00Z","relationship_type":"indicates","source_ref":"indicator--a",
 "target_ref":"malware--m"},
{"type":"indicator","spec_version":"2.1","id":"indicator--a","created":"2020-01-01T00:00:00Z",
 "modified":"2020-01-01T00:00:00Z","pattern":"[domain-name:value = 'old.example']",
 "pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"}]`)
	page2 := raws(t, `[
{"type":"malware","spec_version":"2.1","id":"malware--m","created":"2020-01-01T00:00:00Z",
 "modified":"2020-01-01T00:00:00Z","name":"Example RAT","is_family":true},
{"type":"indicator","spec_version":"2.1","id":"indicator--a","created":"2020-01-01T00:00:00Z",
 "modified":"2020-05-01T00:00:00Z","pattern":"[domain-name:value = 'new.example']",
 "pattern_type":"stix","valid_from":"2020-01-01T00:00:00Z"},
{"type":"identity","spec_version":"2.1","id":"identity--i","created":"2020-01-01T00:00:00Z",
 "modified":"2020-01-01T00:00:00Z","name":"Someone","identity_class":"organization"}]`)

	s := NewStore()
	c1, rj := s.Add(page1, "")
	if len(rj) != 0 || len(c1) != 2 || c1[0].Kind != Added || c1[1].Kind != Added {
		t.Fatalf("page 1: changes %v rejects %v, want 2 added", c1, rj)
	}
	c2, _ := s.Add(page2, "")
	if len(c2) != 2 || c2[0].Kind != Added || c2[1].Kind != Replaced || c2[1].ID != "indicator--a" {
		t.Fatalf("page 2: changes %v, want malware added and indicator replaced", c2)
	}
	if c3, _ := s.Add(page1, ""); len(c3) != 0 {
		t.Errorf("repeated older page changed the store: %v", c3)
	}
	b := feeds.NewBuilder("taxii", "stix")
	s.Build(b)
	res := b.Result()
	if got := ids(res); !slices.Equal(got, []string{"domain:new.example"}) {
		t.Fatalf("indicators = %q, want only the newest version's value", got)
	}
	if got := res.Indicators[0].Sources[0].Malware; !slices.Equal(got, []string{"Example RAT"}) {
		t.Errorf("malware from a later page = %q, want Example RAT", got)
	}

	// A store restored from Objects gives the same indicators.
	r := NewStore()
	r.Add(s.Objects(), "")
	b2 := feeds.NewBuilder("taxii", "stix")
	r.Build(b2)
	if got := ids(b2.Result()); !slices.Equal(got, ids(res)) {
		t.Errorf("restored store: indicators %q, want %q", got, ids(res))
	}
	if s.Len() != 3 {
		t.Errorf("Len = %d, want 3 (identity not kept)", s.Len())
	}
}

func raws(t *testing.T, arr string) []json.RawMessage {
	t.Helper()
	var out []json.RawMessage
	if err := json.Unmarshal([]byte(arr), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFormat_Relationships(t *testing.T) {
	t.Parallel()
	doc := `{"type":"bundle","id":"bundle--1","objects":[
{"type":"indicator","spec_version":"2.1","id":"indicator--a","modified":"2020-01-01T00:00:00Z",
 "pattern":"[url:value = 'http://bad.example/x']","pattern_type":"stix",
 "valid_from":"2020-01-01T00:00:00Z","indicator_types":["malicious-activity"]},
{"type":"campaign","spec_version":"2.1","id":"campaign--c","modified":"2020-01-01T00:00:00Z",
  "name":"Op Example"},
{"type":"threat-actor","spec_version":"2.1","id":"threat-actor--t",
  "modified":"2020-01-01T00:00:00Z",
  "name":"Actor One"},
{"type":"tool","spec_version":"2.1","id":"tool--x","modified":"2020-01-01T00:00:00Z",
  "name":"Old Tool","revoked":true},
{"type":"attack-pattern","spec_version":"2.1","id":"attack-pattern--p",
  "modified":"2020-01-01T00:00:00Z",
  "name":"Phishing"},
{"type":"relationship","spec_version":"2.1","id":"relationship--1",
  "modified":"2020-01-01T00:00:00Z",
  
 "relationship_type":"indicates","source_ref":"indicator--a","target_ref":"campaign--c"},
{"type":"relationship","spec_version":"2.1","id":"relationship--2",
  "modified":"2020-01-01T00:00:00Z",
  
 "relationship_type":"attributed-to","source_ref":"campaign--c","target_ref":"threat-actor--t"},
{"type":"relationship","spec_version":"2.1","id":"relationship--3",
  "modified":"2020-01-01T00:00:00Z",
  
 "relationship_type":"indicates","source_ref":"indicator--a","target_ref":"tool--x"},
{"type":"relationship","spec_version":"2.1","id":"relationship--4",
  "modified":"2020-01-01T00:00:00Z",
  
 "relationship_type":"indicates","source_ref":"indicator--a","target_ref":"attack-pattern--p"},
{"type":"relationship","spec_version":"2.1","id":"relationship--5",
  "modified":"2020-01-01T00:00:00Z",
  
 "relationship_type":"indicates","source_ref":"indicator--a",
  "target_ref":"threat-actor--t","revoked":true}
]}`
	s := parseString(t, doc).Indicators[0].Sources[0]
	if !slices.Equal(s.Campaigns, []string{"Op Example"}) ||
		!slices.Equal(s.Actors, []string{"Actor One"}) || len(s.Malware) != 0 ||
		!slices.Equal(s.ThreatTypes, []string{"malicious-activity", "Phishing"}) {
		t.Errorf("context: campaigns %q actors %q malware %q threat types %q", s.Campaigns,
			s.Actors, s.Malware, s.ThreatTypes)
	}
}

const (
	md5Empty    = "d41d8cd98f00b204e9800998ecf8427e"
	sha256Empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

func TestAddPattern_Kinds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, pattern string
		ids           []string
		notEnforced   string
		rejects       int
	}{
		{name: "in", pattern: "[ipv4-addr:value IN ('198.51.100.1', '203.0.113.0/24')]",
			ids: []string{"ipv4:198.51.100.1", "ipv4:203.0.113.0/24"}},
		{name: "issubset", pattern: "[ipv6-addr:value ISSUBSET '2001:db8::/32']",
			ids: []string{"ipv6:2001:db8::/32"}},
		{name: "or", pattern: "[file:hashes.MD5 = 'D41D8CD98F00B204E9800998ECF8427E' OR " +
			"file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']",
			ids: []string{"md5:d41d8cd98f00b204e9800998ecf8427e",
				"sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709"}},
		{name: "or partly", pattern: "[file:name = 'a.exe' OR file:size = 10]",
			ids:         []string{"file_name:a.exe"},
			notEnforced: "partly enforced: file:size not indexed"},
		{name: "unindexed", pattern: "[file:size = 10]",
			notEnforced: "no property the matcher indexes"},
		{name: "conjunction hash anchor",
			pattern: "[file:name = 'foo.dll' AND file:hashes.MD5 = '" + md5Empty + "']",
			ids:     []string{"md5:d41d8cd98f00b204e9800998ecf8427e"}},
		{name: "conjunction two terms",
			pattern: "[file:name = 'a.dll' AND (file:hashes.MD5 = '" + md5Empty + "' OR " +
				"file:hashes.'SHA-256' = '" + sha256Empty + "')]",
			ids: []string{"md5:d41d8cd98f00b204e9800998ecf8427e",
				"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}},
		{name: "conjunction unindexed", pattern: "[file:name = 'a.dll' AND file:size = 10]",
			notEnforced: "file:size is not carried by any event observable"},
		{name: "conjunction bad value",
			pattern: "[file:name = 'a.dll' AND file:hashes.MD5 = 'xyz']", rejects: 1},
		{name: "followedby", pattern: "[ipv4-addr:value = '198.51.100.1'] FOLLOWEDBY " +
			"[domain-name:value = 'bad.example']",
			notEnforced: "FOLLOWEDBY needs state across events"},
		{name: "within", pattern: "[ipv4-addr:value = '198.51.100.1'] WITHIN 60 SECONDS",
			notEnforced: "WITHIN qualifier needs state across events"},
		{name: "repeats", pattern: "[ipv4-addr:value = '198.51.100.1'] REPEATS 5 TIMES",
			notEnforced: "REPEATS qualifier needs state across events"},
		{name: "two types",
			pattern:     "[ipv4-addr:value = '198.51.100.1' AND url:value = 'http://a.example/']",
			notEnforced: "comparisons on 2 object types"},
		{name: "syntax", pattern: "[ipv4-addr:value = ", rejects: 1},
		{name: "bad value", pattern: "[ipv4-addr:value = 'not-an-ip']", rejects: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := feeds.NewBuilder("test", "stix")
			AddPattern(b, "indicator--x", c.pattern, ioc.Source{ID: "indicator--x"})
			res := b.Result()
			if got := ids(res); !slices.Equal(got, c.ids) {
				t.Errorf("%s: indicators %q, want %q", c.pattern, got, c.ids)
			}
			var want []string
			if c.notEnforced != "" {
				want = []string{c.notEnforced}
			}
			if got := reasons(res); !slices.Equal(got, want) {
				t.Errorf("%s: not enforced %q, want %q", c.pattern, got, want)
			}
			if len(res.Rejects) != c.rejects {
				t.Errorf("%s: rejects %v, want %d", c.pattern, res.Rejects, c.rejects)
			}
			for _, in := range res.Indicators {
				if in.Sources[0].Pattern != c.pattern {
					t.Errorf("%s: source pattern %q", in.ID, in.Sources[0].Pattern)
				}
			}
		})
	}
}

func TestFormat_BadInput(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, doc, want string }{
		{"syntax", "{\n \"objects\": [,]}", "decode bundle: line 2 column 14"},
		{"no objects", `{"type":"bundle"}`, `no "objects" array`},
		{"not object", `[1,2]`, "decode bundle"},
	}
	for _, c := range cases {
		b := feeds.NewBuilder("test", "stix")
		err := (Format{}).Parse(strings.NewReader(c.doc), b)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}

	doc := `{"type":"bundle","id":"bundle--1","objects":[
 42,
 {"type":"indicator","id":"indicator--nopattern","modified":"2020-01-01T00:00:00Z"},
 {"type":"indicator","id":"indicator--badtime","modified":"yesterday",
  "pattern":"[url:value = 'http://a.example/']"},
 {"type":"indicator","id":"indicator--conf","confidence":300,
  "pattern":"[url:value = 'http://a.example/']"},
 {"type":"indicator","id":"indicator--until","valid_from":"2020-01-02T00:00:00Z",
  "valid_until":"2020-01-01T00:00:00Z","pattern":"[url:value = 'http://a.example/']"},
 {"type":"indicator","id":"indicator--sigma","pattern_type":"sigma","pattern":"title: x"},
 {"type":"indicator","id":"indicator--ok","pattern":"[url:value = 'hxxp://good[.]example/x']"}
]}`
	res := parseString(t, doc)
	if got := ids(res); !slices.Equal(got, []string{"url:http://good.example/x"}) {
		t.Errorf("indicators %q, want the one good (refanged) url", got)
	}
	var pos []string
	for _, r := range res.Rejects {
		pos = append(pos, r.Position)
	}
	wantPos := []string{"object 0", "indicator--badtime", "indicator--nopattern",
		"indicator--conf", "indicator--until"}
	if !slices.Equal(pos, wantPos) {
		t.Errorf("reject positions %q, want %q (%v)", pos, wantPos, res.Rejects)
	}
	if got := reasons(res); len(got) != 1 || !strings.Contains(got[0], "sigma") {
		t.Errorf("not enforced %q, want the sigma pattern", got)
	}
}

func TestFormat_Sniff(t *testing.T) {
	t.Parallel()
	for _, f := range []string{"testdata/sighting-of-an-indicator.json",
		"testdata/stix20-indicator-for-malicious-url.json"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !(Format{}).Sniff(f, data) {
			t.Errorf("Sniff(%s) = false", f)
		}
	}
	if (Format{}).Sniff("x.json", []byte(`{"events":[]}`)) {
		t.Errorf("Sniff accepted a non-STIX JSON object")
	}
}
