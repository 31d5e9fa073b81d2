package extract

import (
	"net/netip"
	"strconv"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/pipeline/event"
)

// Adder adds observables to an event from raw bytes. Values are copied
// into the arena, so they stay valid after the record's buffer is reused.
// A value that is not valid for its type is recorded in ev.Skipped and
// left out; a missing value ("", "-", "N/A", "None", "null") is ignored.
type Adder struct {
	Ev  *event.Event
	Ar  *Arena
	tmp []byte
	raw []byte
}

// Reset points the adder at ev and ar, keeping its scratch buffers.
func (a *Adder) Reset(ev *event.Event, ar *Arena) { a.Ev, a.Ar = ev, ar }

// IsMissing reports whether b is one of the spellings sources use for
// "no value": empty, "-", "N/A", "None", "null" (FORMATS.md rule 4).
func IsMissing(b []byte) bool {
	switch string(b) {
	case "", "-", "N/A", "n/a", "None", "none", "null", "NULL":
		return true
	}
	return false
}

// Add adds raw as a value of type t. Hot path for ip, domain, hashes, url,
// file and process names, user agents, mutexes and text: no allocation
// for canonical or ASCII-lower-case-able values beyond the amortised
// arena chunk. Other types go through ioc.CanonicalObservable.
func (a *Adder) Add(t ioc.Type, raw []byte, field string) {
	if IsMissing(raw) {
		return
	}
	switch t {
	case ioc.IPv4, ioc.IPv6:
		a.IP(raw, field)
	case ioc.Domain:
		a.Domain(raw, field)
	case ioc.MD5, ioc.SHA1, ioc.SHA256, ioc.SHA512:
		a.Hash(t, raw, field)
	case ioc.URL:
		a.URL(raw, field)
	case ioc.FileName, ioc.ProcessName:
		a.lower(t, raw, field)
	case ioc.UserAgent, ioc.Mutex, ioc.Text:
		a.exact(t, raw, field)
	default:
		a.slow(t, raw, field)
	}
}

// slow canonicalises through package ioc; it allocates.
func (a *Adder) slow(t ioc.Type, raw []byte, field string) {
	s := string(raw)
	var err error
	if t == ioc.IPv4 || t == ioc.IPv6 {
		err = a.Ev.AddIP(s, field)
	} else {
		err = a.Ev.Add(t, s, field)
	}
	if err != nil {
		a.Ev.Skip(field, err)
	}
}

// IP adds an address, typed ipv4 or ipv6 by its value.
func (a *Adder) IP(raw []byte, field string) {
	if IsMissing(raw) {
		return
	}
	s := a.Ar.String(raw)
	addr, err := netip.ParseAddr(s)
	if err != nil {
		a.slow(ioc.IPv4, raw, field)
		return
	}
	addr = addr.Unmap().WithZone("")
	a.tmp = addr.AppendTo(a.tmp[:0])
	if string(a.tmp) != s {
		s = a.Ar.String(a.tmp)
	}
	a.Ev.AddCanonical(ioc.AddrType(addr), s, field)
}

// Host adds a host name or an address, whichever raw is.
func (a *Adder) Host(raw []byte, field string) {
	if isIPShape(raw) {
		a.IP(raw, field)
		return
	}
	a.Domain(raw, field)
}

func isIPShape(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	colon, hexOnly := false, true
	for _, c := range b {
		switch {
		case c == ':':
			colon = true
		case c >= '0' && c <= '9', c == '.', c == '%':
		case c|0x20 >= 'a' && c|0x20 <= 'f':
		default:
			hexOnly = false
		}
	}
	if colon {
		return hexOnly
	}
	for _, c := range b {
		if c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// Domain adds a domain name.
func (a *Adder) Domain(raw []byte, field string) {
	if IsMissing(raw) {
		return
	}
	var ok bool
	if a.tmp, ok = fastDomain(a.tmp[:0], raw); !ok {
		a.slow(ioc.Domain, raw, field)
		return
	}
	a.Ev.AddCanonical(ioc.Domain, a.Ar.String(a.tmp), field)
}

// fastDomain appends the canonical form of an ASCII host name to dst and
// reports true, or reports false when raw needs package ioc (non-ASCII,
// surrounding space) or is no valid name (bad characters or label sizes,
// or an all-numeric top-level label, which ioc rejects as an address).
func fastDomain(dst, raw []byte) ([]byte, bool) {
	if len(raw) > 0 && raw[len(raw)-1] == '.' {
		raw = raw[:len(raw)-1]
	}
	if len(raw) == 0 || len(raw) > 253 {
		return dst, false
	}
	label, digitsOnly := 0, true // digitsOnly: of the current label
	for _, c := range raw {
		switch {
		case c == '.':
			if label == 0 {
				return dst, false
			}
			label, digitsOnly = 0, true
			dst = append(dst, c)
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
			digitsOnly = false
		case c >= 'a' && c <= 'z', c == '-', c == '_':
			digitsOnly = false
		case c >= '0' && c <= '9':
		default:
			return dst, false
		}
		label++
		if label > 63 {
			return dst, false
		}
		dst = append(dst, c)
	}
	return dst, label > 0 && !digitsOnly
}

// Hash adds a digest of type t; with t TypeInvalid the type follows from
// the length (32, 40, 64 or 128 hex digits).
func (a *Adder) Hash(t ioc.Type, raw []byte, field string) {
	if IsMissing(raw) {
		return
	}
	if t == ioc.TypeInvalid {
		if t = ioc.HashType(len(raw)); t == ioc.TypeInvalid {
			a.Ev.Skip(field, &ioc.ValueError{Type: ioc.SHA256, Value: string(raw),
				Reason: "no hash has " + strconv.Itoa(len(raw)) + " hex digits"})
			return
		}
	}
	if len(raw) != 2*t.HashLen() {
		a.slow(t, raw, field)
		return
	}
	b := a.tmp[:0]
	for _, c := range raw {
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		case c >= 'A' && c <= 'F':
			c += 'a' - 'A'
		default:
			a.tmp = b
			a.slow(t, raw, field)
			return
		}
		b = append(b, c)
	}
	a.tmp = b
	a.Ev.AddCanonical(t, a.Ar.String(b), field)
}

// trimmed reports whether raw has no white space at either end and ends
// in ASCII, so that strings.TrimSpace would leave it alone.
func trimmed(raw []byte) bool {
	if len(raw) == 0 {
		return false
	}
	f, l := raw[0], raw[len(raw)-1]
	return f > ' ' && f < 0x80 && l > ' ' && l < 0x80
}

func (a *Adder) exact(t ioc.Type, raw []byte, field string) {
	if !trimmed(raw) {
		a.slow(t, raw, field)
		return
	}
	a.Ev.AddCanonical(t, a.Ar.String(raw), field)
}

func (a *Adder) lower(t ioc.Type, raw []byte, field string) {
	if !trimmed(raw) {
		a.slow(t, raw, field)
		return
	}
	b := a.tmp[:0]
	for _, c := range raw {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	a.tmp = b
	a.Ev.AddCanonical(t, a.Ar.String(b), field)
}
