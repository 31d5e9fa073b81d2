// Package suricata decodes Suricata EVE JSON records (one JSON object per
// line) into events. It reads the flow tuple of every record and the
// observables of the alert, dns (EVE DNS layouts 1, 2 and 3, answers,
// authorities and grouped answers included), http, tls, fileinfo, files,
// smtp and email objects; flow, anomaly, stats and other records give
// their tuple only.
//
// Decoding is a single pass of a hand-written JSON scanner with no
// reflection: values are copied into a pooled arena and canonical values
// cost no allocation, so that the steady state allocates nothing per event
// (see the AllocsPerRun test). A Decoder is stateless and safe for
// concurrent use.
package suricata

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/pipeline/decode"
	"github.com/iocflow/iocflow/pipeline/decode/extract"
	"github.com/iocflow/iocflow/pipeline/decode/jsonscan"
	"github.com/iocflow/iocflow/pipeline/event"
)

// FormatName is the name of the format.
const FormatName = "suricata"

// Decoder decodes EVE records. The zero value is ready to use.
type Decoder struct{}

// Format implements decode.Decoder.
func (Decoder) Format() string { return FormatName }

// state is the per-call scratch of a decode, pooled so that a call
// allocates nothing once the pool is warm.
type state struct {
	sc   jsonscan.Scanner
	ad   extract.Adder
	ar   extract.Arena
	kind string
	// Buffers for values that must outlive the scanner's next read.
	host, target, rrtype, rdata, name []byte
	topType, topData                  []byte // v1 rrtype and rdata
}

var statePool = sync.Pool{New: func() any { return new(state) }}

// Decode implements decode.Decoder. Hot path. The event id is a hash of
// the record, since EVE has no per-record id (flow_id is shared by every
// record of a flow). A value that is not valid for its field (an
// "x.x.250.50" address in old documentation samples) is skipped and
// reported in ev.Skipped; a record that is not a JSON object, has no
// event_type or has a timestamp in no known layout is a *decode.Error.
func (Decoder) Decode(data []byte, ev *event.Event) error {
	st := statePool.Get().(*state)
	err := st.decode(data, ev)
	statePool.Put(st)
	return err
}

// DecodeWith is Decode for a caller that names the format itself, such as
// a decoder of a wrapper format that carries EVE records inside its own
// (FireEye NX, Splunk HEC). The event's Format is set to format.
func DecodeWith(format string, data []byte, ev *event.Event) error {
	if err := (Decoder{}).Decode(data, ev); err != nil {
		return err
	}
	ev.Format = format
	return nil
}

func (st *state) decode(data []byte, ev *event.Event) error {
	sc := &st.sc
	sc.Reset(data)
	st.ad.Reset(ev, &st.ar)
	st.kind = ""
	if !sc.Object() {
		return st.fail()
	}
	for {
		key, ok := sc.Key()
		if !ok {
			break
		}
		if err := st.top(key, ev); err != nil {
			return err
		}
	}
	if !sc.End() {
		return st.fail()
	}
	if st.kind == "" {
		return decode.NewError(FormatName, decode.NoOffset, "no event_type")
	}
	if ev.MessageID != "" {
		recipients(ev)
	}
	ev.Format = FormatName
	ev.Kind = st.kind
	ev.ID = st.hashID(data)
	return nil
}

func (st *state) fail() error {
	e := st.sc.SyntaxErr()
	return decode.NewError(FormatName, e.Offset, e.Reason)
}

func (st *state) top(key []byte, ev *event.Event) error {
	sc := &st.sc
	switch string(key) {
	case "timestamp":
		off := sc.Pos()
		b, _ := sc.Str()
		if b == nil {
			return nil
		}
		t, ok := extract.ParseTime(b)
		if !ok {
			return decode.NewError(FormatName, off, "timestamp in no known layout")
		}
		ev.Time = t
	case "event_type":
		if b, _ := sc.Str(); b != nil {
			st.kind = kindName(b, &st.ar)
		}
	case "src_ip":
		st.str(ioc.IPv4, "src_ip")
	case "dest_ip":
		st.str(ioc.IPv4, "dest_ip")
	case "dns":
		st.dns()
	case "http":
		st.http()
	case "tls":
		st.tls()
	case "fileinfo":
		st.file(fileFields)
	case "files":
		if sc.Array() {
			for sc.Next() {
				st.file(filesFields)
			}
		} else {
			sc.Skip()
		}
	case "smtp":
		st.smtp()
	case "email":
		st.email(ev)
	case "dhcp":
		st.dhcp(ev)
	default:
		sc.Skip()
	}
	if sc.Err() != nil {
		return st.fail()
	}
	return nil
}

// str reads a string value and adds it as t (an ip type means either).
func (st *state) str(t ioc.Type, field string) {
	b, _ := st.sc.Str()
	if b != nil {
		st.ad.Add(t, b, field)
	}
}

// strs reads a string or an array of strings and adds each as t.
func (st *state) strs(t ioc.Type, field string) {
	sc := &st.sc
	if !sc.Array() {
		st.str(t, field)
		return
	}
	for sc.Next() {
		st.str(t, field)
	}
}

// keep reads a string value into *dst, which survives later reads.
func (st *state) keep(dst *[]byte) {
	b, _ := st.sc.Str()
	*dst = append((*dst)[:0], b...)
}

func (st *state) hashID(data []byte) string {
	sum := sha256.Sum256(data)
	var h [32]byte
	hex.Encode(h[:], sum[:16])
	return st.ar.String(h[:])
}

// kindName returns event_type as a constant string for the types Suricata
// writes, and a copy for any other.
func kindName(b []byte, ar *extract.Arena) string {
	for _, k := range kinds {
		if string(b) == k {
			return k
		}
	}
	return ar.String(b)
}

var kinds = []string{"alert", "dns", "http", "tls", "fileinfo", "flow", "anomaly", "stats",
	"smb", "krb5", "dhcp", "dcerpc", "quic", "ssh", "netflow", "smtp", "ftp", "ftp_data",
	"rdp", "nfs", "snmp", "sip", "tftp", "ikev2", "mqtt", "http2", "pgsql", "drop", "frame",
	"bittorrent-dht", "rfb", "dnp3", "modbus", "enip", "websocket", "ldap", "arp", "pop3"}
