package suricata

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/iocflow/iocflow/pipeline/event"
)

// TestDecoder_DHCPBinding: an acknowledged lease with the client's host
// name binds the assigned address to the host, and so does a renewal
// request from the address the client holds; an offer, a nak, a lease
// without a host name and the unspecified address bind nothing.
func TestDecoder_DHCPBinding(t *testing.T) {
	const head = `{"timestamp":"2026-03-02T08:00:00.000000+0000","event_type":"dhcp",` +
		`"src_ip":"10.0.0.1","dest_ip":"255.255.255.255","dhcp":`
	cases := []struct {
		name, dhcp string
		want       event.Binding
	}{
		{"ack", `{"type":"reply","id":1,"client_mac":"0e:c6:39:2c:e9:b3",` +
			`"assigned_ip":"10.1.2.3","dhcp_type":"ack","hostname":"WS-17","lease_time":86400}`,
			event.Binding{IP: netip.MustParseAddr("10.1.2.3"), Host: "WS-17"}},
		{"renewal", `{"type":"request","client_ip":"10.1.2.4","dhcp_type":"request",` +
			`"hostname":"ws-18.corp.example"}`,
			event.Binding{IP: netip.MustParseAddr("10.1.2.4"), Host: "ws-18.corp.example"}},
		{"offer", `{"type":"reply","assigned_ip":"10.1.2.3","dhcp_type":"offer",` +
			`"hostname":"WS-17"}`, event.Binding{}},
		{"nak", `{"type":"reply","assigned_ip":"10.1.2.3","dhcp_type":"nak","hostname":"WS-17"}`,
			event.Binding{}},
		{"no host name", `{"type":"reply","assigned_ip":"172.17.0.153","dhcp_type":"ack"}`,
			event.Binding{}},
		{"discover", `{"type":"request","client_ip":"0.0.0.0","dhcp_type":"discover",` +
			`"hostname":"WS-17"}`, event.Binding{}},
	}
	for _, c := range cases {
		var ev event.Event
		rec := head + c.dhcp + "}"
		if err := (Decoder{}).Decode([]byte(rec), &ev); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if ev.Binding != c.want || ev.Kind != "dhcp" {
			t.Errorf("%s: kind %q binding %+v, want dhcp %+v", c.name, ev.Kind, ev.Binding, c.want)
		}
	}
}

// TestDecoder_MailMessage: the email object's Message-ID names the
// message, and its recipients are the envelope's RCPT TO, else the To and
// Cc headers; without a Message-ID there are none.
func TestDecoder_MailMessage(t *testing.T) {
	cases := []struct {
		name, rec, wantID string
		want              []string
	}{
		{"envelope", `{"event_type":"smtp","smtp":{"rcpt_to":["<B@corp.example>",` +
			`"<c@corp.example>"]},"email":{"to":["b@corp.example","list@corp.example"],` +
			`"message_id":"<4f2a@mail.evil.example>"}}`,
			"<4f2a@mail.evil.example>", []string{"B@corp.example", "c@corp.example"}},
		{"headers", `{"event_type":"smtp","email":{"message_id":"<x1@evil.example>",` +
			`"to":["d@corp.example"],"cc":["e@corp.example","d@corp.example"]}}`,
			"<x1@evil.example>", []string{"d@corp.example", "e@corp.example"}},
		{"no message id", `{"event_type":"smtp","smtp":{"rcpt_to":["<b@corp.example>"]}}`,
			"", nil},
	}
	for _, c := range cases {
		var ev event.Event
		if err := (Decoder{}).Decode([]byte(c.rec), &ev); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if ev.MessageID != c.wantID || !slices.Equal(ev.Recipients, c.want) {
			t.Errorf("%s: message %q recipients %q, want %q %q", c.name, ev.MessageID,
				ev.Recipients, c.wantID, c.want)
		}
	}
}

// TestDecoder_DHCPNoAllocs pins a DHCP lease record, binding included, at
// zero allocations in the steady state.
func TestDecoder_DHCPNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts do not hold under the race detector")
	}
	rec := []byte(`{"timestamp":"2026-03-02T08:00:00.000000+0000","event_type":"dhcp",` +
		`"src_ip":"10.0.0.1","dest_ip":"10.1.2.3","dhcp":{"type":"reply",` +
		`"assigned_ip":"10.1.2.3","dhcp_type":"ack","hostname":"WS-17"}}`)
	var ev event.Event
	allocs := testing.AllocsPerRun(500, func() {
		ev.Reset()
		_ = (Decoder{}).Decode(rec, &ev)
	})
	if allocs > 0 || !ev.Binding.IP.IsValid() {
		t.Errorf("Decode allocates %.2f times per record (binding %+v), want 0", allocs,
			ev.Binding)
	}
}
