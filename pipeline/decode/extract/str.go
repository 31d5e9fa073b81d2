package extract

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/pipeline/event"
)

// Add adds the string s as a value of type t (either IP type means "an
// address"), ignoring missing values and recording invalid ones in
// ev.Skipped. It is for decoders off the hot path and may allocate.
func Add(ev *event.Event, t ioc.Type, s, field string) {
	s = strings.TrimSpace(s)
	if IsMissing([]byte(s)) {
		return
	}
	var err error
	switch t {
	case ioc.IPv4, ioc.IPv6:
		err = ev.AddIP(s, field)
	case ioc.Text:
		Text(ev, s, field)
	default:
		err = ev.Add(t, s, field)
	}
	if err != nil {
		ev.Skip(field, err)
	}
}

// AddIP adds an address unless it is a placeholder: unspecified (0.0.0.0,
// ::) or in 0.0.0.0/8, which no real peer has and which sources write for
// "none" (osquery "0", PAN-OS NAT fields "0.0.0.157").
func AddIP(ev *event.Event, s, field string) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return
	}
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.Unmap()
		if a.IsUnspecified() || a.Is4() && a.As4()[0] == 0 {
			return
		}
	}
	Add(ev, ioc.IPv4, s, field)
}

// AddHash adds a hex digest typed by its length.
func AddHash(ev *event.Event, s, field string) {
	s = strings.TrimSpace(s)
	if IsMissing([]byte(s)) {
		return
	}
	t := ioc.HashType(len(s))
	if t == ioc.TypeInvalid {
		ev.Skip(field, &ioc.ValueError{Type: ioc.SHA256, Value: s,
			Reason: "no hash has " + strconv.Itoa(len(s)) + " hex digits"})
		return
	}
	Add(ev, t, s, field)
}

// AddHost adds a host that may be a name or an address.
func AddHost(ev *event.Event, s, field string) {
	s = strings.TrimSpace(s)
	if isIPShape([]byte(s)) {
		AddIP(ev, s, field)
		return
	}
	Add(ev, ioc.Domain, s, field)
}

// AddURLOrHost adds a value that is a URL when it has a scheme or a path
// and a bare host otherwise (Proofpoint "threat", FireEye callbacks).
func AddURLOrHost(ev *event.Event, s, field string) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "://") || strings.ContainsAny(s, "/?") {
		Add(ev, ioc.URL, s, field)
		return
	}
	AddHost(ev, s, field)
}

// AddEmail adds a mailbox, with or without display name or angle
// brackets.
func AddEmail(ev *event.Event, s, field string) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") {
		s = s[1 : len(s)-1]
	}
	Add(ev, ioc.Email, s, field)
}
