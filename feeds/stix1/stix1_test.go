package stix1

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iocflow/iocflow/feeds"
)

func load(t *testing.T, path string) *feeds.Result {
	t.Helper()
	res, err := feeds.LoadFile(path, []feeds.Format{Format{}})
	if err != nil {
		t.Fatalf("LoadFile(%s): %v", path, err)
	}
	return res
}

func ids(res *feeds.Result) []string {
	var out []string
	for _, in := range res.Indicators {
		out = append(out, in.ID)
	}
	return out
}

func TestFormat_Corpus(t *testing.T) {
	t.Parallel()
	ip := load(t, "testdata/IP_Watchlist-1.2.xml")
	want := []string{"ipv4:10.0.0.0", "ipv4:10.0.0.1", "ipv4:10.0.0.2"}
	if got := ids(ip); !slices.Equal(got, want) {
		t.Errorf("IP watchlist: indicators %q, want %q", got, want)
	}
	s := ip.Indicators[1].Sources[0]
	if s.ID != "example:Indicator-33fe3b22-0201-47cf-85d0-97c02164528d" ||
		s.Pattern != "[ipv4-addr:value IN ('10.0.0.0', '10.0.0.1', '10.0.0.2')]" ||
		!slices.Equal(s.ThreatTypes, []string{"IP Watchlist"}) {
		t.Errorf("IP watchlist source: id %q pattern %q types %q", s.ID, s.Pattern, s.ThreatTypes)
	}

	hash := load(t, "testdata/malware-indicator-for-file-hash.xml")
	want = []string{"sha256:ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c"}
	if got := ids(hash); !slices.Equal(got, want) {
		t.Errorf("file hash: indicators %q, want %q", got, want)
	}
	s = hash.Indicators[0].Sources[0]
	if !slices.Equal(s.Malware, []string{"Poison Ivy"}) ||
		!s.Modified.Equal(time.Date(2014, 5, 8, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("file hash source: malware %q (via TTP idref) modified %v", s.Malware, s.Modified)
	}
	for _, r := range []*feeds.Result{ip, hash} {
		if len(r.Rejects)+len(r.NotEnforced) != 0 {
			t.Errorf("%s: rejects %v not enforced %v, want none", r.Feed, r.Rejects, r.NotEnforced)
		}
	}
}

const head = `<stix:STIX_Package xmlns:stix="http://stix.mitre.org/stix-1"
 xmlns:indicator="http://stix.mitre.org/Indicator-2"
 xmlns:cybox="http://cybox.mitre.org/cybox-2"
 xmlns:cyboxCommon="http://cybox.mitre.org/common-2"
 xmlns:stixCommon="http://stix.mitre.org/common-1"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 xmlns:A="http://cybox.mitre.org/objects#AddressObject-2"
 xmlns:D="http://cybox.mitre.org/objects#DomainNameObject-1"
 xmlns:U="http://cybox.mitre.org/objects#URIObject-2"
 xmlns:F="http://cybox.mitre.org/objects#FileObject-2"
 xmlns:E="http://cybox.mitre.org/objects#EmailMessageObject-2"
 xmlns:M="http://cybox.mitre.org/objects#MutexObject-2"
 xmlns:ex="http://example.com/">
<stix:Observables>
 <cybox:Observable id="ex:obs-shared"><cybox:Object>
  <cybox:Properties xsi:type="D:DomainNameObjectType">
   <D:Value condition="Equals">shared.example</D:Value>
  </cybox:Properties>
 </cybox:Object></cybox:Observable>
</stix:Observables>
<stix:Indicators>
`

const md5Empty = "d41d8cd98f00b204e9800998ecf8427e"

const tail = `</stix:Indicators></stix:STIX_Package>`

func indicator(id, body string) string {
	return `<stix:Indicator id="` + id + `" xsi:type="indicator:IndicatorType">` + body +
		`</stix:Indicator>`
}

func props(typ, inner string) string {
	return `<indicator:Observable><cybox:Object><cybox:Properties xsi:type="` + typ + `">` +
		inner + `</cybox:Properties></cybox:Object></indicator:Observable>`
}

func TestFormat_Objects(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body  string
		ids         []string
		pattern     string
		notEnforced string
		rejects     int
	}{
		// Without a category the default is ipv4-addr; the builder types an
		// address by its value.
		{name: "ipv6 without category", body: props("A:AddressObjectType",
			`<A:Address_Value>2001:db8::1</A:Address_Value>`), ids: []string{"ipv6:2001:db8::1"}},
		{name: "ipv6 category", body: `<indicator:Observable><cybox:Object>` +
			`<cybox:Properties xsi:type="A:AddressObjectType" category="ipv6-addr">` +
			`<A:Address_Value>2001:db8::1</A:Address_Value></cybox:Properties></cybox:Object>` +
			`</indicator:Observable>`,
			ids: []string{"ipv6:2001:db8::1"}},
		{name: "email address", body: `<indicator:Observable><cybox:Object>` +
			`<cybox:Properties xsi:type="A:AddressObjectType" category="e-mail">` +
			`<A:Address_Value condition="Equals">bad@evil.example</A:Address_Value>` +
			`</cybox:Properties></cybox:Object></indicator:Observable>`,
			ids: []string{"email:bad@evil.example"}},
		{name: "url", body: props("U:URIObjectType",
			`<U:Value condition="Equals">http://evil.example/a?b='c'</U:Value>`),
			ids:     []string{"url:http://evil.example/a?b='c'"},
			pattern: `[url:value = 'http://evil.example/a?b=\'c\'']`},
		{name: "file name and hash is a conjunction", body: props("F:FileObjectType",
			`<F:File_Name>evil.exe</F:File_Name><F:Hashes><cyboxCommon:Hash>`+
				`<cyboxCommon:Type>MD5</cyboxCommon:Type>`+
				`<cyboxCommon:Simple_Hash_Value condition="Equals">`+md5Empty+
				`</cyboxCommon:Simple_Hash_Value>`+
				`</cyboxCommon:Hash></F:Hashes>`),
			ids:     []string{"md5:" + md5Empty},
			pattern: "[file:name = 'evil.exe' AND file:hashes.MD5 = '" + md5Empty + "']"},
		{name: "email from", body: props("E:EmailMessageObjectType",
			`<E:Header><E:From category="e-mail">`+
				`<A:Address_Value condition="Equals">x@phish.example</A:Address_Value></E:From>`+
				`</E:Header>`),
			ids: []string{"email:x@phish.example"}},
		{name: "contains", body: props("D:DomainNameObjectType",
			`<D:Value condition="Contains">evil</D:Value>`),
			notEnforced: `condition "Contains" on domain-name:value not enforced`},
		{name: "all list", body: props("D:DomainNameObjectType",
			`<D:Value condition="Equals" apply_condition="ALL">a.example##comma##b.example`+
				`</D:Value>`),
			notEnforced: `apply_condition "ALL" on a list not enforced`},
		{name: "unknown object", body: props("M:MutexObjectType", `<M:Name>x</M:Name>`),
			notEnforced: `CybOX object type "MutexObjectType" not read`},
		{name: "unread property", body: props("F:FileObjectType",
			`<F:File_Name>a.exe</F:File_Name>`+
				`<F:Size_In_Bytes>10</F:Size_In_Bytes>`),
			notEnforced: `CybOX property "Size_In_Bytes" not read`},
		{name: "idref observable", body: `<indicator:Observable idref="ex:obs-shared"/>`,
			ids: []string{"domain:shared.example"}},
		{name: "dangling idref", body: `<indicator:Observable idref="ex:nowhere"/>`,
			notEnforced: `idref "ex:nowhere" not found in the package`},
		{name: "or composition", body: `<indicator:Observable>` +
			`<cybox:Observable_Composition operator="OR">` +
			`<cybox:Observable idref="ex:obs-shared"/><cybox:Observable><cybox:Object>` +
			`<cybox:Properties xsi:type="D:DomainNameObjectType">` +
			`<D:Value>two.example</D:Value></cybox:Properties></cybox:Object>` +
			`</cybox:Observable>` +
			`</cybox:Observable_Composition></indicator:Observable>`,
			ids: []string{"domain:shared.example", "domain:two.example"}},
		{name: "and composition", body: `<indicator:Observable>` +
			`<cybox:Observable_Composition operator="AND">` +
			`<cybox:Observable idref="ex:obs-shared"/><cybox:Observable><cybox:Object>` +
			`<cybox:Properties xsi:type="D:DomainNameObjectType">` +
			`<D:Value>two.example</D:Value></cybox:Properties></cybox:Object>` +
			`</cybox:Observable>` +
			`</cybox:Observable_Composition></indicator:Observable>`,
			notEnforced: "2 observations joined by AND need state across events"},
		{name: "self-referring composition", body: `<indicator:Observable id="ex:loop">` +
			`<cybox:Observable_Composition operator="OR">` +
			`<cybox:Observable idref="ex:loop"/><cybox:Observable idref="ex:loop"/>` +
			`<cybox:Observable idref="ex:loop"/>` +
			`</cybox:Observable_Composition></indicator:Observable>`,
			notEnforced: "observable compositions nested too deeply or cyclic"},
		{name: "no observable", body: `<indicator:Title>x</indicator:Title>`,
			notEnforced: "indicator without an observable (test mechanisms are not read)"},
		{name: "validity", body: `<indicator:Valid_Time_Position>` +
			`<indicator:Start_Time>2020-01-02T00:00:00Z</indicator:Start_Time>` +
			`<indicator:End_Time>2020-01-01T00:00:00Z</indicator:End_Time>` +
			`</indicator:Valid_Time_Position>` +
			props("D:DomainNameObjectType", `<D:Value>a.example</D:Value>`), rejects: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := feeds.NewBuilder("t", "stix1")
			doc := head + indicator("ex:ind-1", c.body) + tail
			if err := (Format{}).Parse(strings.NewReader(doc), b); err != nil {
				t.Fatalf("Parse: %v", err)
			}
			res := b.Result()
			if got := ids(res); !slices.Equal(got, c.ids) {
				t.Errorf("indicators %q, want %q (rejects %v, not enforced %v)", got, c.ids,
					res.Rejects, res.NotEnforced)
			}
			var ne []string
			for _, n := range res.NotEnforced {
				ne = append(ne, n.Reason)
			}
			var want []string
			if c.notEnforced != "" {
				want = []string{c.notEnforced}
			}
			if !slices.Equal(ne, want) {
				t.Errorf("not enforced %q, want %q", ne, want)
			}
			if len(res.Rejects) != c.rejects {
				t.Errorf("rejects %v, want %d", res.Rejects, c.rejects)
			}
			if c.pattern == "" || len(res.Indicators) == 0 {
				return
			}
			if got := res.Indicators[0].Sources[0].Pattern; got != c.pattern {
				t.Errorf("pattern %q, want %q", got, c.pattern)
			}
		})
	}
}

func TestFormat_BadDocument(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, doc, want string }{
		{"not xml", "<stix:STIX_Package><a></b>", "read package: line 1"},
		{"wrong root", `<feed xmlns="http://www.w3.org/2005/Atom"></feed>`, "root element is feed"},
		{"empty", "", "no root element"},
	}
	for _, c := range cases {
		err := (Format{}).Parse(strings.NewReader(c.doc), feeds.NewBuilder("t", "stix1"))
		var se *SyntaxError
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
		if c.name == "not xml" && !errors.As(err, &se) {
			t.Errorf("%s: error %v is not a *SyntaxError", c.name, err)
		}
	}
}

func TestFormat_Sniff(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("testdata/*.xml")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !(Format{}).Sniff(f, data[:min(len(data), 4096)]) {
			t.Errorf("Sniff(%s) = false", f)
		}
	}
	if (Format{}).Sniff("x.xml", []byte("<rss></rss>")) || (Format{}).Sniff("x", []byte("{}")) {
		t.Errorf("Sniff accepted a non-STIX document")
	}
}

func FuzzFormatParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.xml")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(head + indicator("ex:i", `<indicator:Observable idref="ex:obs-shared"/>`) + tail))
	f.Fuzz(func(t *testing.T, data []byte) {
		b := feeds.NewBuilder("fuzz", "stix1")
		if err := (Format{}).Parse(bytes.NewReader(data), b); err != nil {
			return
		}
		for _, in := range b.Result().Indicators {
			if !in.Type.IsValid() || len(in.Sources) == 0 {
				t.Fatalf("malformed indicator %+v", in)
			}
		}
	})
}
