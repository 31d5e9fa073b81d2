package suricata

import (
	"net/netip"

	"github.com/iocflow/iocflow/pipeline/decode/extract"
	"github.com/iocflow/iocflow/pipeline/event"
)

// dhcp reads the lease a DHCP record states into ev.Binding: the address
// a server acknowledged (assigned_ip of an ack reply) or the one a client
// already holds (client_ip of a request or inform, set when it renews),
// with the host name the client gave (option 12, "hostname", which EVE
// logs in extended mode). Offers, naks and releases bind nothing, nor does
// a record without a host name. Hot path: no allocation beyond the arena.
func (st *state) dhcp(ev *event.Event) {
	sc := &st.sc
	if !sc.Enter() {
		return
	}
	var assigned, client netip.Addr
	var host string
	reply, kindOK := false, true
	for {
		key, ok := sc.Key()
		if !ok {
			break
		}
		switch string(key) {
		case "type":
			b, _ := sc.Str()
			reply = string(b) == "reply"
		case "dhcp_type":
			b, _ := sc.Str()
			kindOK = string(b) == "ack" || string(b) == "request" || string(b) == "inform"
		case "assigned_ip":
			assigned = st.addr()
		case "client_ip":
			client = st.addr()
		case "hostname":
			if b, _ := sc.Str(); !extract.IsMissing(b) {
				host = st.ar.String(b)
			}
		default:
			sc.Skip()
		}
	}
	a := client
	if reply {
		a = assigned
	}
	if !kindOK || host == "" || !a.IsValid() || a.IsUnspecified() {
		return
	}
	ev.Binding = event.Binding{IP: a.Unmap(), Host: host}
}

// addr reads a string value as an address; the zero Addr when it is not
// one.
func (st *state) addr() netip.Addr {
	b, _ := st.sc.Str()
	if len(b) == 0 {
		return netip.Addr{}
	}
	a, err := netip.ParseAddr(st.ar.String(b))
	if err != nil {
		return netip.Addr{}
	}
	return a
}
