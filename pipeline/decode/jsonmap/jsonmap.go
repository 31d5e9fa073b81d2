// Package jsonmap decodes any JSON object into an event through a mapping
// from field paths to observable types. It is the decoder for sources no
// dedicated decoder knows. DefaultMapping covers the Elastic Common Schema
// names and the usual flat spellings, so that most JSON telemetry works
// without configuration.
//
// A Decoder is immutable after New and safe for concurrent use.
package jsonmap

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/pipeline/decode/extract"
	"github.com/iocflow/iocflow/pipeline/event"
)

// FormatName is the name of the format.
const FormatName = "json"

// Kind says how a mapped field's value is typed. Besides the observable
// types there are three that decide by the value.
type Kind struct {
	Type ioc.Type
	// ByValue: "ip" types an address as ipv4 or ipv6, "hash" a hex digest
	// by its length, "auto" anything by its shape (ioc.Detect).
	ByValue string
}

// ParseKind reads a type name from a mapping: an observable type name or
// one of "ip", "hash" and "auto".
func ParseKind(s string) (Kind, error) {
	switch s {
	case "ip", "hash", "auto":
		return Kind{ByValue: s}, nil
	}
	t, ok := ioc.ParseType(s)
	if !ok || !t.IsValid() {
		return Kind{}, fmt.Errorf("unknown observable type %q", s)
	}
	return Kind{Type: t}, nil
}

// Mapping says which fields of a record hold observables, and where its id
// and time are. Paths are dotted; each step is first tried as a whole key,
// so flattened keys ("source.ip") and nested objects both work, and a path
// through an array applies to every element.
type Mapping struct {
	Fields map[string]Kind
	// IDFields are tried in order for the event id; the first string or
	// number found is used. With none, the id is a hash of the record.
	IDFields []string
	// TimeFields are tried in order for the event time: RFC 3339 text, or
	// Unix seconds or milliseconds as a number.
	TimeFields []string
	// HostFields and UserFields are tried in order for the host the
	// record is about and the user acting on it.
	HostFields []string
	UserFields []string
}

// DefaultMapping returns the built-in mapping.
func DefaultMapping() Mapping {
	m := Mapping{
		Fields:     map[string]Kind{},
		IDFields:   []string{"event.id", "id", "uuid", "_id"},
		TimeFields: []string{"@timestamp", "timestamp", "time", "event.created"},
		HostFields: []string{"host.name", "host.hostname", "hostname", "computer_name"},
		UserFields: []string{"user.name", "source.user.name", "username", "user"},
	}
	for kind, paths := range defaultFields {
		k, _ := ParseKind(kind)
		for _, p := range paths {
			m.Fields[p] = k
		}
	}
	return m
}

var defaultFields = map[string][]string{
	"ip": {"source.ip", "destination.ip", "client.ip", "server.ip", "src_ip", "dst_ip",
		"dest_ip", "dns.resolved_ip", "ip"},
	"domain": {"source.domain", "destination.domain", "url.domain", "dns.question.name",
		"domain", "query"},
	"url":          {"url.full", "url.original", "url"},
	"email":        {"email.from.address", "email.sender.address", "email.to.address", "sender"},
	"md5":          {"file.hash.md5", "process.hash.md5", "md5"},
	"sha1":         {"file.hash.sha1", "process.hash.sha1", "sha1"},
	"sha256":       {"file.hash.sha256", "process.hash.sha256", "sha256"},
	"sha512":       {"file.hash.sha512", "process.hash.sha512", "sha512"},
	"hash":         {"hash"},
	"file_name":    {"file.name", "filename"},
	"file_path":    {"file.path", "process.executable"},
	"process_name": {"process.name"},
	"registry_key": {"registry.path", "registry.key"},
	"user_agent":   {"user_agent.original", "user_agent"},
	"text":         {"process.command_line", "command_line", "email.subject"},
}

// Decoder decodes JSON records through a Mapping.
type Decoder struct {
	m     Mapping
	paths []string // sorted, for a stable observable order
	prog  *program // the mapping compiled for the scanner
}

// New returns a decoder for m.
func New(m Mapping) *Decoder {
	d := &Decoder{m: m}
	for p := range m.Fields {
		d.paths = append(d.paths, p)
	}
	slices.Sort(d.paths)
	d.prog = compile(&d.m, d.paths)
	return d
}

// Format implements decode.Decoder.
func (d *Decoder) Format() string { return FormatName }

// Decode implements decode.Decoder. The record must be a JSON object. Hot
// path: one pass of the zero-allocation scanner over the record, then the
// compiled lookups over what it kept (see fast.go). Records the scanner
// does not take go through decodeGeneric, with the same result.
func (d *Decoder) Decode(data []byte, ev *event.Event) error {
	st := statePool.Get().(*state)
	err := st.decode(d, data, ev)
	statePool.Put(st)
	if err == errFallback {
		return d.decodeGeneric(data, ev)
	}
	return err
}

var errTimeKind = errors.New("time is neither text nor a number")

// timeText reads an RFC 3339 event time.
func timeText(x string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, x)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q is not RFC 3339", x)
	}
	return t.UTC(), nil
}

// timeNumber reads Unix seconds, or milliseconds beyond 1e11.
func timeNumber(x float64) time.Time {
	if x > 1e11 { // milliseconds: 1e11 s is in the year 5138
		x /= 1000
	}
	sec, frac := math.Modf(x)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

func addValue(ev *event.Event, k Kind, s, field string) {
	var err error
	switch k.ByValue {
	case "ip":
		err = ev.AddIP(s, field)
	case "hash":
		t := ioc.HashType(len(strings.TrimSpace(s)))
		if t == ioc.TypeInvalid {
			err = fmt.Errorf("%d characters is no hash length", len(s))
		} else {
			err = ev.Add(t, s, field)
		}
	case "auto":
		var t ioc.Type
		var v string
		if t, v, err = ioc.Detect(s); err == nil {
			ev.AddCanonical(t, v, field)
		}
	case "":
		if k.Type == ioc.Text {
			// Free text keeps the indicators written inside it too.
			extract.Text(ev, s, field)
			return
		}
		err = ev.Add(k.Type, s, field)
	}
	if err != nil && s != "" {
		ev.Skip(field, err)
	}
}
