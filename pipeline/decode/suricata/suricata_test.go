package suricata

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/pipeline/decode"
	dt "github.com/iocflow/iocflow/pipeline/decode/internal/decodetest"
	"github.com/iocflow/iocflow/pipeline/event"
)

type obs = dt.Obs

// corpus holds, per testdata line, the kind and observables an analyst
// would pull out of it.
var corpus = []struct {
	file string
	line int
	kind string
	time string
	want []obs
	skip []string
}{
	{"eve-doc-examples.json", 1, "alert", "2023-09-18T06:13:41.53214Z", []obs{
		{Field: "src_ip", Type: ioc.IPv4, Value: "142.11.240.191"},
		{Field: "dest_ip", Type: ioc.IPv4, Value: "192.168.100.237"},
		{Field: "http.hostname", Type: ioc.IPv4, Value: "142.11.240.191"},
		{Field: "http.url", Type: ioc.URL, Value: "http://142.11.240.191:35361/"},
	}, nil},
	{"eve-doc-examples.json", 2, "fileinfo", "2023-09-18T06:13:33.903924Z", []obs{
		{Field: "src_ip", Type: ioc.IPv4, Value: "192.168.100.237"},
		{Field: "dest_ip", Type: ioc.IPv4, Value: "142.11.240.191"},
		{Field: "http.hostname", Type: ioc.IPv4, Value: "142.11.240.191"},
		{Field: "http.url", Type: ioc.URL, Value: "http://142.11.240.191:35361/"},
	}, nil},
	{"eve-doc-examples.json", 3, "http", "2023-09-18T06:13:33.903924Z", []obs{
		{Field: "src_ip", Type: ioc.IPv4, Value: "192.168.100.237"},
		{Field: "dest_ip", Type: ioc.IPv4, Value: "142.11.240.191"},
		{Field: "http.hostname", Type: ioc.IPv4, Value: "142.11.240.191"},
		{Field: "http.url", Type: ioc.URL, Value: "http://142.11.240.191:35361/"},
	}, nil},
	{"eve-doc-examples.json", 4, "anomaly", "2023-09-18T06:13:58.882971Z", []obs{
		{Field: "src_ip", Type: ioc.IPv4, Value: "192.168.100.237"},
		{Field: "dest_ip", Type: ioc.IPv4, Value: "142.11.240.191"},
	}, nil},
	{"eve-doc-examples.json", 5, "flow", "2023-09-18T06:13:21.21646Z", []obs{
		{Field: "src_ip", Type: ioc.IPv4, Value: "192.168.100.237"},
		{Field: "dest_ip", Type: ioc.IPv4, Value: "142.11.240.191"},
	}, nil},
	// DNS v2 query: the name only.
	{"eve-doc-fragments-dns-tls.json", 1, "dns", "", []obs{
		{Field: "dns.rrname", Type: ioc.Domain, Value: "www.suricata.io"},
	}, nil},
	// DNS v2 answer: the query name, each answer's name and data by type.
	{"eve-doc-fragments-dns-tls.json", 2, "dns", "", []obs{
		{Field: "dns.rrname", Type: ioc.Domain, Value: "www.suricata.io"},
		{Field: "dns.answers.rrname", Type: ioc.Domain, Value: "www.suricata.io"},
		{Field: "dns.answers.rdata", Type: ioc.Domain, Value: "suricata.io"},
		{Field: "dns.answers.rrname", Type: ioc.Domain, Value: "suricata.io"},
		{Field: "dns.answers.rdata", Type: ioc.IPv4, Value: "35.212.0.44"},
	}, nil},
	// DNS v3 request and response.
	{"eve-doc-fragments-dns-tls.json", 3, "dns", "", []obs{
		{Field: "dns.queries.rrname", Type: ioc.Domain, Value: "www.suricata.io"},
	}, nil},
	{"eve-doc-fragments-dns-tls.json", 4, "dns", "", []obs{
		{Field: "dns.queries.rrname", Type: ioc.Domain, Value: "www.suricata.io"},
		{Field: "dns.answers.rrname", Type: ioc.Domain, Value: "www.suricata.io"},
		{Field: "dns.answers.rdata", Type: ioc.Domain, Value: "suricata.io"},
		{Field: "dns.answers.rrname", Type: ioc.Domain, Value: "suricata.io"},
		{Field: "dns.answers.rdata", Type: ioc.IPv4, Value: "35.212.0.44"},
	}, nil},
	// Grouped answers.
	{"eve-doc-fragments-dns-tls.json", 5, "dns", "", []obs{
		{Field: "dns.grouped.A", Type: ioc.IPv4, Value: "192.0.78.24"},
		{Field: "dns.grouped.A", Type: ioc.IPv4, Value: "192.0.78.25"},
		{Field: "dns.grouped.CNAME", Type: ioc.Domain, Value: "suricata.io"},
	}, nil},
	{"eve-doc-fragments-dns-tls.json", 6, "tls", "", []obs{
		{Field: "tls.fingerprint", Type: ioc.SHA1, Value: "8f511206a0cc4ecde8a38b38f88759e5af95cacd"},
		{Field: "tls.sni", Type: ioc.Domain, Value: "calendar.google.com"},
	}, nil},
	{"eve-doc-fragments-dns-tls.json", 7, "tls", "", nil, nil},
	// The oldest documented alert: no zone, and a placeholder address that
	// is skipped, not guessed at.
	{"eve-doc-fragments-dns-tls.json", 8, "alert", "2009-11-24T21:27:09.534255Z", []obs{
		{Field: "src_ip", Type: ioc.IPv4, Value: "192.168.2.7"},
	}, []string{"dest_ip"}},
	{"eve-real-excerpt-suricata6.json", 1, "dns", "2022-11-17T23:15:50.936753Z", []obs{
		{Field: "src_ip", Type: ioc.IPv4, Value: "172.17.0.153"},
		{Field: "dest_ip", Type: ioc.IPv4, Value: "172.17.0.7"},
		{Field: "dns.rrname", Type: ioc.Domain, Value: "win-g2ybxe8xmcg.alwaysopen.studio"},
	}, nil},
	{"eve-real-excerpt-suricata6.json", 2, "dhcp", "2022-11-17T23:15:50.68857Z", []obs{
		{Field: "src_ip", Type: ioc.IPv4, Value: "172.17.0.7"},
		{Field: "dest_ip", Type: ioc.IPv4, Value: "255.255.255.255"},
	}, nil},
	// NXDOMAIN with an SOA authority: the zone and its primary server.
	{"eve-real-excerpt-suricata6.json", 3, "dns", "2022-11-17T23:15:51.053076Z", []obs{
		{Field: "src_ip", Type: ioc.IPv4, Value: "172.17.0.153"},
		{Field: "dest_ip", Type: ioc.IPv4, Value: "172.17.0.7"},
		{Field: "dns.rrname", Type: ioc.Domain, Value: "wpad.alwaysopen.studio"},
		{Field: "dns.authorities.rrname", Type: ioc.Domain, Value: "alwaysopen.studio"},
		{Field: "dns.authorities.soa.mname", Type: ioc.Domain,
			Value: "win-g2ybxe8xmcg.alwaysopen.studio"},
	}, nil},
	// SRV answers are objects, in answers and in grouped.
	{"eve-real-excerpt-suricata6.json", 4, "dns", "2022-11-17T23:15:50.927817Z", []obs{
		{Field: "src_ip", Type: ioc.IPv4, Value: "172.17.0.153"},
		{Field: "dest_ip", Type: ioc.IPv4, Value: "172.17.0.7"},
		{Field: "dns.rrname", Type: ioc.Domain, Value: "_ldap._tcp.dc._msdcs.alwaysopen.studio"},
		{Field: "dns.answers.rrname", Type: ioc.Domain, Value: "_ldap._tcp.dc._msdcs.alwaysopen.studio"},
		{Field: "dns.answers.srv.name", Type: ioc.Domain, Value: "win-g2ybxe8xmcg.alwaysopen.studio"},
		{Field: "dns.grouped.SRV", Type: ioc.Domain, Value: "win-g2ybxe8xmcg.alwaysopen.studio"},
	}, nil},
	{"eve-real-excerpt-suricata6.json", 5, "dns", "2022-11-17T23:15:50.937156Z", []obs{
		{Field: "src_ip", Type: ioc.IPv4, Value: "172.17.0.153"},
		{Field: "dest_ip", Type: ioc.IPv4, Value: "172.17.0.7"},
		{Field: "dns.rrname", Type: ioc.Domain, Value: "win-g2ybxe8xmcg.alwaysopen.studio"},
		{Field: "dns.answers.rrname", Type: ioc.Domain, Value: "win-g2ybxe8xmcg.alwaysopen.studio"},
		{Field: "dns.answers.rdata", Type: ioc.IPv4, Value: "172.17.0.7"},
		{Field: "dns.grouped.A", Type: ioc.IPv4, Value: "172.17.0.7"},
	}, nil},
	{"eve-real-excerpt-suricata6.json", 6, "krb5", "2022-11-17T23:15:51.552021Z", []obs{
		{Field: "src_ip", Type: ioc.IPv4, Value: "172.17.0.153"},
		{Field: "dest_ip", Type: ioc.IPv4, Value: "172.17.0.7"},
	}, nil},
}

func TestDecoder_Corpus(t *testing.T) {
	files := map[string][][]byte{}
	count := map[string]int{}
	for _, c := range corpus {
		if files[c.file] == nil {
			files[c.file] = dt.Lines(t, "testdata/"+c.file)
		}
		count[c.file]++
		name := c.file + ":" + strconv.Itoa(c.line)
		var ev event.Event
		if err := (Decoder{}).Decode(files[c.file][c.line-1], &ev); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if ev.Kind != c.kind || ev.Format != FormatName || len(ev.ID) != 32 {
			t.Errorf("%s: kind %q format %q id %q, want kind %q", name, ev.Kind, ev.Format,
				ev.ID, c.kind)
		}
		checkTime(t, name, ev.Time, c.time)
		dt.Check(t, name, &ev, c.want)
		var skipped []string
		for _, s := range ev.Skipped {
			skipped = append(skipped, s.Field)
		}
		if strings.Join(skipped, ",") != strings.Join(c.skip, ",") {
			t.Errorf("%s: skipped %v, want %v", name, skipped, c.skip)
		}
	}
	for f, lines := range files {
		if len(lines) != count[f] {
			t.Errorf("%s has %d records, the table covers %d", f, len(lines), count[f])
		}
	}
}

func checkTime(t *testing.T, name string, got time.Time, want string) {
	t.Helper()
	if want == "" {
		if !got.IsZero() {
			t.Errorf("%s: time %v, want none", name, got)
		}
		return
	}
	w, err := time.Parse(time.RFC3339Nano, want)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(w) || got.Location() != time.UTC {
		t.Errorf("%s: time %v, want %v", name, got, w)
	}
}

func TestDecoder_AppLayers(t *testing.T) {
	cases := []struct {
		name, rec string
		want      []obs
	}{
		{"http with agent, referer, xff and port 80",
			`{"event_type":"http","http":{"hostname":"WWW.Example.COM","http_port":80,` +
				`"url":"/a/b.php?x=1","http_user_agent":"curl/8.0","http_refer":` +
				`"https://ref.example.net/p","xff":"10.1.1.1, 2001:DB8::1","redirect":"/rel"}}`,
			[]obs{
				{Field: "http.hostname", Type: ioc.Domain, Value: "www.example.com"},
				{Field: "http.http_user_agent", Type: ioc.UserAgent, Value: "curl/8.0"},
				{Field: "http.http_refer", Type: ioc.URL, Value: "https://ref.example.net/p"},
				{Field: "http.xff", Type: ioc.IPv4, Value: "10.1.1.1"},
				{Field: "http.xff", Type: ioc.IPv6, Value: "2001:db8::1"},
				{Field: "http.url", Type: ioc.URL, Value: "http://www.example.com/a/b.php?x=1"},
			}},
		{"proxy request with an absolute target",
			`{"event_type":"http","http":{"url":"http://evil.example/x"}}`,
			[]obs{{Field: "http.url", Type: ioc.URL, Value: "http://evil.example/x"}}},
		{"fully expanded IPv6 tuple as FireEye writes it",
			`{"event_type":"flow","src_ip":"fe80:0000:0000:0000:feec:daff:fe31:b706",` +
				`"dest_ip":"::ffff:10.0.0.1"}`,
			[]obs{{Field: "src_ip", Type: ioc.IPv6, Value: "fe80::feec:daff:fe31:b706"},
				{Field: "dest_ip", Type: ioc.IPv4, Value: "10.0.0.1"}}},
		{"dns v1 answer with AAAA and MX",
			`{"event_type":"dns","dns":{"type":"answer","rrname":"Mail.Example.org.",` +
				`"rrtype":"AAAA","rdata":"2001:db8::25"}}`,
			[]obs{{Field: "dns.rrname", Type: ioc.Domain, Value: "mail.example.org"},
				{Field: "dns.rdata", Type: ioc.IPv6, Value: "2001:db8::25"}}},
		{"dns TXT and MX answers",
			`{"event_type":"dns","dns":{"answers":[{"rrname":"example.org","rrtype":"TXT",` +
				`"rdata":"v=spf1 include:evil.example"},{"rrname":"example.org","rrtype":"MX",` +
				`"rdata":"mx.example.org"}]}}`,
			[]obs{{Field: "dns.answers.rrname", Type: ioc.Domain, Value: "example.org"},
				{Field: "dns.answers.rdata", Type: ioc.Domain, Value: "mx.example.org"}}},
		{"fileinfo with hashes and an upper-case name",
			`{"event_type":"fileinfo","fileinfo":{"filename":"/dl/Setup.EXE?id=1",` +
				`"md5":"44D88612FEA8A8F36DE82E1278ABB02F","sha1":` +
				`"3395856ce81f2b7382dee72602f798b642f14140","sha256":` +
				`"275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"}}`,
			[]obs{{Field: "fileinfo.filename", Type: ioc.FileName, Value: "setup.exe"},
				{Field: "fileinfo.md5", Type: ioc.MD5, Value: "44d88612fea8a8f36de82e1278abb02f"},
				{Field: "fileinfo.sha1", Type: ioc.SHA1, Value: "3395856ce81f2b7382dee72602f798b642f14140"},
				{Field: "fileinfo.sha256", Type: ioc.SHA256,
					Value: "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"}}},
		{"smtp envelope and email headers",
			`{"event_type":"smtp","smtp":{"helo":"[192.0.2.5]","mail_from":"<a@Evil.example>",` +
				`"rcpt_to":["<b@corp.example>"]},"email":{"from":"Eve <eve@evil.example>",` +
				`"to":["b@corp.example"],"attachment":["Invoice.PDF"]}}`,
			[]obs{{Field: "smtp.helo", Type: ioc.IPv4, Value: "192.0.2.5"},
				{Field: "smtp.mail_from", Type: ioc.Email, Value: "a@evil.example"},
				{Field: "smtp.rcpt_to", Type: ioc.Email, Value: "b@corp.example"},
				{Field: "email.from", Type: ioc.Email, Value: "eve@evil.example"},
				{Field: "email.to", Type: ioc.Email, Value: "b@corp.example"},
				{Field: "email.attachment", Type: ioc.FileName, Value: "invoice.pdf"}}},
		{"escaped strings and missing values",
			`{"event_type":"http","src_ip":"-","http":{"hostname":"ex\u0061mple.com",` +
				`"url":"\/a\/b"}}`,
			[]obs{{Field: "http.hostname", Type: ioc.Domain, Value: "example.com"},
				{Field: "http.url", Type: ioc.URL, Value: "http://example.com/a/b"}}},
	}
	for _, c := range cases {
		var ev event.Event
		if err := (Decoder{}).Decode([]byte(c.rec), &ev); err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		dt.Check(t, c.name, &ev, c.want)
		dt.Invariants(t, &ev)
	}
}

func TestDecoder_Timestamps(t *testing.T) {
	want := time.Date(2023, 9, 18, 4, 13, 41, 532140000, time.UTC)
	for _, ts := range []string{
		"2023-09-18T06:13:41.532140+0200", "2023-09-18T06:13:41.532140+02:00",
		"2023-09-18T04:13:41.532140Z", "2023-09-18T04:13:41.532140", "2023-09-18T06:13:41.53214+02",
		"2023-09-18T03:13:41.532140000-0100",
	} {
		var ev event.Event
		rec := `{"timestamp":"` + ts + `","event_type":"flow"}`
		if err := (Decoder{}).Decode([]byte(rec), &ev); err != nil {
			t.Errorf("%s: %v", ts, err)
			continue
		}
		if !ev.Time.Equal(want) {
			t.Errorf("%s: got %v, want %v", ts, ev.Time, want)
		}
	}
}

func TestDecoder_Rejects(t *testing.T) {
	cases := []struct {
		rec    string
		offset int
		reason string
	}{
		{`[1,2]`, 0, "want a JSON object"},
		{`{"event_type":"alert"`, 21, "unexpected end"},
		{`{"event_type":"alert",}`, 22, "trailing comma"},
		{`{"event_type":"alert"} x`, 23, "data after"},
		{`{"src_ip":"1.2.3.4"}`, decode.NoOffset, "no event_type"},
		{`{"event_type":"alert","timestamp":"yesterday"}`, 34, "timestamp"},
		{`{"event_type":"alert","x":[1,}`, 29, "invalid character"},
		{`{"event_type":"al` + "\x01" + `ert"}`, 17, "control character"},
		{`{"event_type":"alert","x":"\q"}`, 27, "invalid escape"},
		{strings.Repeat("[", 600), 0, "want a JSON object"},
		{`{"event_type":"dns","dns":` + strings.Repeat("[", 600), 537, "nested deeper"},
	}
	for _, c := range cases {
		var ev event.Event
		err := (Decoder{}).Decode([]byte(c.rec), &ev)
		var de *decode.Error
		if !errors.As(err, &de) {
			t.Errorf("%.40q: got %v, want a *decode.Error", c.rec, err)
			continue
		}
		if de.Format != FormatName || de.Offset != c.offset || !strings.Contains(de.Reason, c.reason) {
			t.Errorf("%.40q: got %q at %d, want %q at %d", c.rec, de.Reason, de.Offset, c.reason,
				c.offset)
		}
	}
}

// TestDecoder_NoAllocs pins the steady state at zero allocations for every
// corpus record whose values are all valid (a skipped value allocates its
// reason). Each record is measured on its own, so that no allocation on
// one kind of record hides in an average; the arena's chunk allocation,
// once per 32 KiB copied, stays below one per run.
func TestDecoder_NoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts do not hold under the race detector")
	}
	var ev event.Event
	for _, f := range []string{"eve-doc-examples.json", "eve-doc-fragments-dns-tls.json",
		"eve-real-excerpt-suricata6.json"} {
		for n, rec := range dt.Lines(t, "testdata/"+f) {
			ev.Reset()
			_ = (Decoder{}).Decode(rec, &ev)
			if len(ev.Skipped) > 0 {
				continue
			}
			allocs := testing.AllocsPerRun(500, func() {
				ev.Reset()
				_ = (Decoder{}).Decode(rec, &ev)
			})
			if allocs > 0 {
				t.Errorf("%s:%d: Decode allocates %.2f times per record, want 0", f, n+1, allocs)
			}
		}
	}
}
