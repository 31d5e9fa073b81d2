package pipeline

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iocflow/iocflow/enforce"
	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/pipeline/decode/jsonmap"
	"github.com/iocflow/iocflow/pipeline/decode/proofpoint"
	"github.com/iocflow/iocflow/pipeline/decode/suricata"
	"github.com/iocflow/iocflow/pipeline/decode/sysmon"
	"github.com/iocflow/iocflow/pipeline/enrich"
	"github.com/iocflow/iocflow/pipeline/event"
)

// TestEmbedded_LearnsBindings runs a DHCP lease and a Windows logon
// through the embedded runner, then alerts from the two addresses: their
// verdicts name the host and the user that held them, until the bindings
// expire an hour later.
func TestEmbedded_LearnsBindings(t *testing.T) {
	e := engineOf(t, indicator(t, ioc.IPv4, "198.51.100.7",
		ioc.Source{Confidence: 90, Severity: ioc.SeverityHigh}))
	en, err := enrich.New(enrich.Config{}, nil, enrich.NewBindings(time.Hour), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	alert := func(at, src string) string {
		return `{"timestamp":"2026-11-30T` + at + `.000000+0000","event_type":"alert",` +
			`"src_ip":"` + src + `","dest_ip":"198.51.100.7","alert":{"signature_id":1}}`
	}
	in := strings.Join([]string{
		`{"timestamp":"2026-11-30T08:00:00.000000+0000","event_type":"dhcp",` +
			`"src_ip":"10.0.0.1","dest_ip":"10.1.2.3","dhcp":{"type":"reply",` +
			`"assigned_ip":"10.1.2.3","dhcp_type":"ack","hostname":"WS-17"}}`,
		`{"@timestamp":"2026-11-30T08:05:00Z","winlog":{"channel":"Security",` +
			`"provider_name":"Microsoft-Windows-Security-Auditing","event_id":"4624",` +
			`"computer_name":"FS-01","event_data":{"TargetUserName":"bob",` +
			`"TargetDomainName":"CORP","LogonType":"3","WorkstationName":"WS-BOB",` +
			`"IpAddress":"10.1.2.4","IpPort":"50211"}}}`,
		alert("08:30:00", "10.1.2.3"),
		alert("08:31:00", "10.1.2.4"),
		alert("09:00:00", "10.1.2.3"), // the lease was learned an hour before
	}, "\n")
	sink := &memSink{}
	r := newRunner(e, sink)
	r.Enrich = en
	r.Decoder = AutoDecoder{
		Routes: []Route{{Marker: []byte("Microsoft-Windows-Security-Auditing"),
			Decoder: sysmon.Decoder{}}},
		EVE: suricata.Decoder{}, Generic: jsonmap.New(jsonmap.DefaultMapping())}
	if _, err := r.Run(context.Background(), []Input{{"in", strings.NewReader(in)}}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range sink.all() {
		got = append(got, v.Origin+" "+v.User+"@"+v.Host)
	}
	want := []string{"in:3 @WS-17", `in:4 CORP\bob@WS-BOB`, "in:5 @"}
	if !slices.Equal(got, want) {
		t.Errorf("verdicts (origin user@host) %q, want %q", got, want)
	}
}

// TestMatch_QuarantinePerRecipient takes a delivered Proofpoint message
// whose URL threat is an indicator to verdicts and on to enforcement: one
// quarantine target per recipient mailbox, each with the message id.
func TestMatch_QuarantinePerRecipient(t *testing.T) {
	rec := `{"messageTime":"2026-11-30T08:00:00Z","GUID":"g1",` +
		`"messageID":"<a1b2@mail.evil.example>","sender":"eve@evil.example",` +
		`"recipient":["bob@corp.example","carol@corp.example"],` +
		`"toAddresses":["team@corp.example"],` +
		`"threatsInfoMap":[{"threatType":"url","threat":"http://evil.example/x"}]}`
	var ev event.Event
	if err := proofpoint.DecodeKind([]byte(rec), proofpoint.MessageDelivered, &ev); err != nil {
		t.Fatal(err)
	}
	e := engineOf(t, indicator(t, ioc.Domain, "evil.example", ioc.Source{Confidence: 80}))
	var m Match
	vs := m.Verdicts(e.Load(), &ev, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), nil)
	if len(vs) != 1 {
		t.Fatalf("%d verdicts, want 1", len(vs))
	}
	var fs []enforce.Finding
	for i := range vs {
		fs = enforce.AppendFindings(fs, &vs[i])
	}
	var got []string
	for i := range fs {
		tg, ok := enforce.TargetOf(enforce.QuarantineMessage, &fs[i])
		if !ok {
			t.Fatalf("finding %+v gives no quarantine target", fs[i])
		}
		got = append(got, tg.Key())
	}
	want := []string{"quarantine_message:<a1b2@mail.evil.example>@bob@corp.example",
		"quarantine_message:<a1b2@mail.evil.example>@carol@corp.example"}
	if !slices.Equal(got, want) {
		t.Errorf("quarantine targets %q, want %q", got, want)
	}
	if f := enforce.FromVerdict(&vs[0]); f.MessageID != "<a1b2@mail.evil.example>" ||
		f.Mailbox != "bob@corp.example" {
		t.Errorf("FromVerdict: message %q mailbox %q, want the first recipient", f.MessageID,
			f.Mailbox)
	}
}
