package enrich

import (
	"context"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/internal/logkey"
	"github.com/iocflow/iocflow/pipeline/event"
)

// Config configures an Enricher.
type Config struct {
	// Internal lists the address ranges of the organisation; an event's
	// first internal address is the one its user and host are looked up
	// by. Default: RFC 1918, RFC 4193 and loopback.
	Internal []netip.Prefix
	// CriticalGroups are directory groups whose members raise a verdict's
	// priority (compared without case).
	CriticalGroups []string
	// Reload is how often the directory source is checked for a change;
	// default 30s.
	Reload time.Duration
}

// Enricher fills in who an event is about and annotates verdicts.
type Enricher struct {
	cfg      Config
	src      Source
	dir      atomic.Pointer[Directory]
	version  string
	Bindings *Bindings
	Geo      *GeoDB
	log      *slog.Logger
}

// New returns an Enricher over a directory source (nil for none), IP
// bindings (nil for none) and a geo database (nil for none). It loads the
// directory once; a load error is returned and leaves the directory
// empty.
func New(cfg Config, src Source, b *Bindings, geo *GeoDB, log *slog.Logger) (*Enricher, error) {
	if len(cfg.Internal) == 0 {
		for _, p := range []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7",
			"127.0.0.0/8", "::1/128"} {
			cfg.Internal = append(cfg.Internal, netip.MustParsePrefix(p))
		}
	}
	if cfg.Reload == 0 {
		cfg.Reload = 30 * time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Enricher{cfg: cfg, src: src, Bindings: b, Geo: geo, log: log}
	if src == nil {
		return e, nil
	}
	return e, e.reload()
}

func (e *Enricher) reload() error {
	d, v, err := e.src.Load()
	if err != nil {
		return err
	}
	e.dir.Store(d)
	e.version = v
	return nil
}

// Run reloads the directory when its source changes, until ctx ends. A
// failed reload keeps the directory in force and is logged.
func (e *Enricher) Run(ctx context.Context) error {
	if e.src == nil {
		return nil
	}
	t := time.NewTicker(e.cfg.Reload)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		v, err := e.src.Version()
		if err == nil && v == e.version {
			continue
		}
		if err == nil {
			err = e.reload()
		}
		if err != nil {
			e.log.Warn("directory reload failed; keeping the one in force", logkey.Err, err)
			continue
		}
		e.log.Info("directory reloaded")
	}
}

// Directory returns the directory in force (nil when none is loaded).
func (e *Enricher) Directory() *Directory { return e.dir.Load() }

// Event fills ev's User and Host when the record did not name them (from
// the binding of its first internal address), and its Department, Groups
// and VIP from the directory entry of the user, else the host, else the
// internal address. now is the batch time; it decides binding expiry.
func (e *Enricher) Event(ev *event.Event, now time.Time) {
	at := ev.Time
	if at.IsZero() {
		at = now
	}
	addr, hasAddr := e.internalAddr(ev)
	if hasAddr && e.Bindings != nil && (ev.User == "" || ev.Host == "") {
		if u, h, ok := e.Bindings.Lookup(addr, at); ok {
			ev.User = firstNonEmpty(ev.User, u)
			ev.Host = firstNonEmpty(ev.Host, h)
		}
	}
	d := e.dir.Load()
	ent := d.User(ev.User)
	if ent == nil {
		ent = d.Host(ev.Host)
	}
	if ent == nil && hasAddr {
		ent = d.IP(addr)
		// A static address found in the directory is the entry's machine
		// when it has only one.
		if ent != nil && ev.Host == "" && len(ent.Hosts) == 1 {
			ev.Host = ent.Hosts[0]
		}
	}
	if ent == nil {
		return
	}
	ev.User = firstNonEmpty(ev.User, ent.User)
	ev.Department, ev.Groups, ev.VIP = ent.Department, ent.Groups, ent.VIP
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Learn records the address binding ev states (ev.Binding: a DHCP lease,
// a logon from an address), if any, as of the event's time, or at (the
// batch time) when it has none. Only addresses in the internal ranges are
// kept, since only those are looked up. Call it for every decoded event,
// before Event. Hot path: an event without a binding returns at once and
// allocates nothing; one with a binding costs one small allocation.
func (e *Enricher) Learn(ev *event.Event, at time.Time) {
	b := &ev.Binding
	if e.Bindings == nil || !b.IP.IsValid() || b.User == "" && b.Host == "" ||
		!e.isInternal(b.IP) {
		return
	}
	if !ev.Time.IsZero() {
		at = ev.Time
	}
	e.Bindings.Learn(b.IP, b.User, b.Host, at)
}

// internalAddr returns the first address observable of ev inside the
// internal ranges.
func (e *Enricher) internalAddr(ev *event.Event) (netip.Addr, bool) {
	for _, o := range ev.Observables {
		if !o.Type.IsIP() {
			continue
		}
		a, err := netip.ParseAddr(o.Value)
		if err != nil {
			continue
		}
		if e.isInternal(a) {
			return a, true
		}
	}
	return netip.Addr{}, false
}

func (e *Enricher) isInternal(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range e.cfg.Internal {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Annotation is what a verdict carries about who is affected and where
// the matched value lives.
type Annotation struct {
	User       string   `json:"user,omitempty"`
	Host       string   `json:"host,omitempty"`
	Department string   `json:"department,omitempty"`
	Groups     []string `json:"groups,omitempty"`
	VIP        bool     `json:"vip,omitempty"`
	// Geo is the country and AS of the matched observable when it is an
	// address (or a URL whose host is one).
	Geo Geo `json:"geo,omitzero"`
	// Priority is the verdict's base priority raised by one for a VIP and
	// by one for membership of a critical group.
	Priority int `json:"priority"`
}

// Annotate returns the annotation of a verdict on ev whose matched
// observable is o and whose priority before enrichment is base (for
// example its severity). Call Event on ev first.
func (e *Enricher) Annotate(ev *event.Event, o ioc.Observable, base int) Annotation {
	a := Annotation{User: ev.User, Host: ev.Host, Department: ev.Department,
		Groups: ev.Groups, VIP: ev.VIP, Priority: base}
	if ev.VIP {
		a.Priority++
	}
	if e.critical(ev.Groups) {
		a.Priority++
	}
	if e.Geo != nil {
		if addr, ok := observableAddr(o); ok {
			a.Geo = e.Geo.Lookup(addr)
		}
	}
	return a
}

func (e *Enricher) critical(groups []string) bool {
	for _, g := range groups {
		if slices.ContainsFunc(e.cfg.CriticalGroups, func(c string) bool {
			return strings.EqualFold(c, g)
		}) {
			return true
		}
	}
	return false
}

func observableAddr(o ioc.Observable) (netip.Addr, bool) {
	v := o.Value
	switch {
	case o.Type.IsIP():
	case o.Type == ioc.URL:
		v = strings.Trim(ioc.URLHost(v), "[]")
	default:
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(v)
	return a, err == nil
}
