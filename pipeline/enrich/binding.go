package enrich

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Bindings remembers which user and host held an address, learned from
// logon and DHCP-like telemetry, for a limited time. Safe for concurrent
// use; Lookup takes no lock.
type Bindings struct {
	ttl   time.Duration
	m     sync.Map // netip.Addr -> *binding
	learn atomic.Int64
}

type binding struct {
	user, host string
	expires    time.Time
}

// NewBindings returns bindings that expire ttl after they were learned.
func NewBindings(ttl time.Duration) *Bindings { return &Bindings{ttl: ttl} }

// Learn records that user and host (either may be empty) held a at time
// at. A later binding of the same address replaces it, but keeps what the
// live one knows and the new one does not when the two agree: a DHCP
// renewal naming the same machine keeps the user a logon named, a logon
// that names no machine keeps the host a lease named. Every 1024 calls
// expired bindings are purged. It allocates one small record.
func (b *Bindings) Learn(a netip.Addr, user, host string, at time.Time) {
	if !a.IsValid() || user == "" && host == "" {
		return
	}
	a = a.Unmap()
	if v, ok := b.m.Load(a); ok && (user == "" || host == "") {
		if old := v.(*binding); at.Before(old.expires) && agree(old, user, host) {
			user, host = firstNonEmpty(user, old.user), firstNonEmpty(host, old.host)
		}
	}
	b.m.Store(a, &binding{user: user, host: host, expires: at.Add(b.ttl)})
	if b.learn.Add(1)%1024 == 0 {
		b.Purge(at)
	}
}

// Lookup returns the user and host bound to a at now.
func (b *Bindings) Lookup(a netip.Addr, now time.Time) (user, host string, ok bool) {
	v, ok := b.m.Load(a.Unmap())
	if !ok {
		return "", "", false
	}
	x := v.(*binding)
	if !now.Before(x.expires) {
		return "", "", false
	}
	return x.user, x.host, true
}

// Purge drops the bindings expired at now.
func (b *Bindings) Purge(now time.Time) {
	b.m.Range(func(k, v any) bool {
		if !now.Before(v.(*binding).expires) {
			b.m.CompareAndDelete(k, v)
		}
		return true
	})
}

// agree reports whether a new binding of user and host names no other
// user or machine than old does.
func agree(old *binding, user, host string) bool {
	return (user == "" || old.user == "" || userKey(user) == userKey(old.user)) &&
		(host == "" || old.host == "" || hostKey(host) == hostKey(old.host))
}
