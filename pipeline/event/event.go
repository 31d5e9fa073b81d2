// Package event holds the normalised event that every decoder produces and
// every later stage reads: when it happened, where it came from, and the
// typed observables pulled out of it, each with the field it came from.
//
// An Event is owned by one worker at a time and is reused through Reset, so
// that steady-state decoding allocates nothing per event; it is not safe for
// concurrent use.
package event

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"time"

	"github.com/iocflow/iocflow/feeds/ioc"
)

// Observable is the shared observable model of package ioc.
type Observable = ioc.Observable

// Event is a decoded input record.
type Event struct {
	// ID identifies the event across retries: the source's own id where it
	// has one, otherwise a hash of the raw record, so that reprocessing the
	// same record gives the same id and sinks can stay idempotent.
	ID string
	// Time is when the event happened according to the source, in UTC; zero
	// when the record has no time.
	Time time.Time
	// Format is the input format that decoded it ("suricata", "json").
	Format string
	// Kind is the format's own record kind where it has one ("alert",
	// "dns"); empty otherwise.
	Kind string
	// Origin says where the record was read: "file:line" in embedded mode,
	// "topic/partition@offset" on Kafka.
	Origin string
	// Observables in the order the decoder found them; a (Type, Value,
	// Field) triple appears once.
	Observables []Observable
	// Skipped lists fields whose values were not valid for their type. The
	// event is still good; the values are left out rather than guessed at.
	Skipped []Skip

	// Host is the machine the event is about as the record names it (the
	// endpoint of Sysmon or osquery telemetry, the host of a HEC event);
	// empty when the record does not say. Not an observable: it is who is
	// affected, used by enrichment.
	Host string
	// User is the account the event is about as the record names it (the
	// Sysmon process user, a mail recipient, a clicking user); empty when
	// the record does not say.
	User string
	// Department, Groups and VIP are filled by pipeline/enrich from the
	// directory entry of User, Host or the event's internal address; zero
	// when unknown. Groups is shared with the directory snapshot and must
	// not be modified.
	Department string
	Groups     []string
	VIP        bool

	// Binding is what the record says about who held an address: a DHCP
	// lease (address and host name), a logon from an address (address,
	// account and client machine). Zero when the record says nothing of
	// the kind; pipeline/enrich learns from it.
	Binding Binding
	// MessageID is the Internet message id (RFC 5322 section 3.6.4) of the
	// mail message the record is about, as the source writes it, angle
	// brackets included; empty when the record names no message.
	MessageID string
	// Recipients are the mailboxes the message named by MessageID was
	// delivered to, canonical as email observables are (domain in lower
	// case), each once. Reset drops the slice rather than reusing it, so a
	// verdict may keep it after the event is reused.
	Recipients []string
}

// Binding says that at the event's time an address was held by an account
// (User, as "DOMAIN\name" or "name") or a machine (Host), or both. The
// zero value, with no valid IP, means no binding.
type Binding struct {
	IP   netip.Addr
	User string
	Host string
}

// IsZero reports whether b states nothing: no address, or nobody holding
// it.
func (b Binding) IsZero() bool { return !b.IP.IsValid() || b.User == "" && b.Host == "" }

// Skip is a field value a decoder left out, and why.
type Skip struct {
	Field  string
	Reason string
}

// Skip records that field held a value not valid for its type.
func (e *Event) Skip(field string, err error) {
	e.Skipped = append(e.Skipped, Skip{Field: field, Reason: err.Error()})
}

// Reset clears e for reuse and keeps the capacity of its slices.
func (e *Event) Reset() {
	*e = Event{Observables: e.Observables[:0], Skipped: e.Skipped[:0]}
}

// Add canonicalises raw as type t and appends it as an observable of field.
// An empty raw value is skipped silently, since optional fields are empty
// all the time; a value that is not valid for t is returned as an error and
// not added, and the caller decides whether that makes the record bad.
// Duplicates of an existing (type, value, field) are dropped.
func (e *Event) Add(t ioc.Type, raw, field string) error {
	if raw == "" {
		return nil
	}
	v, err := ioc.CanonicalObservable(t, raw)
	if err != nil {
		return err
	}
	e.AddCanonical(t, v, field)
	return nil
}

// AddIP adds an IP address observable, typed ipv4 or ipv6 by the address.
func (e *Event) AddIP(raw, field string) error {
	if raw == "" {
		return nil
	}
	a, err := ioc.ParseAddr(raw)
	if err != nil {
		return err
	}
	e.AddCanonical(ioc.AddrType(a), a.String(), field)
	return nil
}

// AddCanonical appends an observable whose value is already canonical.
func (e *Event) AddCanonical(t ioc.Type, v, field string) {
	for _, o := range e.Observables {
		if o.Type == t && o.Value == v && o.Field == field {
			return
		}
	}
	e.Observables = append(e.Observables, Observable{Type: t, Value: v, Field: field})
}

// HashID returns an event id derived from the raw record: the first 16
// bytes of its SHA-256 in hex. The same record always gets the same id.
func HashID(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:16])
}
