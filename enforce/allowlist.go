package enforce

import (
	"bufio"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"

	"github.com/iocflow/iocflow/feeds/allowlist"
	"github.com/iocflow/iocflow/feeds/ioc"
)

// Narrowest limits on block width: an address block wider than these is
// never acted on, whatever the policy says. They keep a feed's "0.0.0.0/1"
// or a mistyped mask from cutting a site off, and they make sure no block
// can cover one of the protected private ranges whole.
const (
	MinPrefixIPv4 = 16
	MinPrefixIPv6 = 32
)

// Allowlist protects targets from every action. It reuses the feed
// allowlist (feeds/allowlist) for the syntax of entries and for the
// question "does an entry cover this value?", and adds what enforcement
// needs beyond it: a target is also protected when it would cover an
// entry (blocking 203.0.113.0/24 when 203.0.113.7 is listed, or
// example.com when www.example.com is), and entries for users, hosts and
// mailboxes. An Allowlist is immutable once built and safe for concurrent
// use.
type Allowlist struct {
	feed *allowlist.List
	// blocks and names are the operator's network entries, kept for the
	// reverse question (does the target cover an entry?).
	blocks []netip.Prefix
	names  []string
	// accounts maps "user alice", "host dc01", "mailbox a@b" to a reason.
	accounts map[string]string
}

// accountTypes are the entry prefixes enforcement adds to the feed
// allowlist's syntax.
var accountTypes = []string{"user", "host", "mailbox"}

// NewAllowlist builds an allowlist from entries; with defaults it also
// protects the feed allowlist's shipped ranges and names. Every invalid
// entry is reported, joined.
func NewAllowlist(entries []string, defaults bool) (*Allowlist, error) {
	a := &Allowlist{feed: allowlist.New(), accounts: map[string]string{}}
	if defaults {
		a.feed = allowlist.Default()
	}
	var errs []error
	for i, e := range entries {
		if err := a.add(e, fmt.Sprintf("enforcement allowlist entry %d", i+1)); err != nil {
			errs = append(errs, fmt.Errorf("entry %d: %w", i+1, err))
		}
	}
	return a, errors.Join(errs...)
}

// LoadAllowlistFile adds the entries of a file, one per line; blank lines
// and '#' comments (whole lines, or after " #") are skipped.
func (a *Allowlist) LoadAllowlistFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read allowlist: %w", err)
	}
	defer f.Close()
	var errs []error
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), " #")
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := a.add(line, fmt.Sprintf("allowlist %s line %d", path, n)); err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: %w", path, n, err))
		}
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("read allowlist %s: %w", path, err))
	}
	return errors.Join(errs...)
}

func (a *Allowlist) add(entry, reason string) error {
	s := strings.TrimSpace(entry)
	if typ, v, ok := strings.Cut(s, " "); ok {
		for _, at := range accountTypes {
			if strings.EqualFold(typ, at) && strings.TrimSpace(v) != "" {
				a.accounts[at+" "+strings.ToLower(strings.TrimSpace(v))] = reason
				return nil
			}
		}
	}
	if err := a.feed.Add(s, reason); err != nil {
		return err
	}
	if p, ok := entryBlock(s); ok {
		a.blocks = append(a.blocks, p)
	} else if d, ok := entryName(s); ok {
		a.names = append(a.names, d)
	}
	return nil
}

// entryBlock returns the block of an address entry the feed allowlist has
// accepted ("192.0.2.1", "ipv4 192.0.2.0/24").
func entryBlock(s string) (netip.Prefix, bool) {
	if _, v, ok := strings.Cut(s, " "); ok {
		s = strings.TrimSpace(v)
	}
	p, err := ioc.ParsePrefix(s)
	return p, err == nil
}

// entryName returns the domain an accepted entry protects: the name of a
// domain or suffix entry, or the host of a URL entry.
func entryName(s string) (string, bool) {
	if _, v, ok := strings.Cut(s, " "); ok {
		s = strings.TrimSpace(v)
	}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "*"), ".")
	if t, v, err := ioc.Detect(s); err == nil && t == ioc.URL {
		s = ioc.URLHost(v)
	}
	d, err := ioc.CanonicalDomain(s)
	return d, err == nil
}

// Protects reports whether t must not be acted on, and why.
func (a *Allowlist) Protects(t Target) (reason string, ok bool) {
	switch t.Kind {
	case BlockIP, BlockCIDR:
		return a.protectsBlock(t)
	case BlockDomain:
		// Targets restored from state or typed by an operator may not be
		// canonical; "BANK.example." must meet the entry "bank.example".
		d, err := ioc.CanonicalDomain(t.Value)
		if err != nil {
			return "not a valid domain", true
		}
		return a.protectsDomain(d)
	case BlockURL:
		u, err := ioc.CanonicalURL(t.Value)
		if err != nil {
			return "not a valid URL", true
		}
		if r, ok := a.feed.Allows(ioc.URL, u); ok {
			return r, true
		}
		return a.protectsHost(ioc.URLHost(u))
	case RestrictUser:
		return a.account("user", t.Value)
	case IsolateHost:
		return a.account("host", t.Value)
	case QuarantineMessage:
		return a.account("mailbox", t.Mailbox)
	}
	return "not an action kind", true
}

func (a *Allowlist) account(typ, v string) (string, bool) {
	r, ok := a.accounts[typ+" "+strings.ToLower(v)]
	return r, ok
}

func (a *Allowlist) protectsBlock(t Target) (string, bool) {
	p, ok := t.Prefix()
	if !ok {
		return "not an address or block", true
	}
	if (p.Addr().Is4() && p.Bits() < MinPrefixIPv4) ||
		(p.Addr().Is6() && p.Bits() < MinPrefixIPv6) {
		return fmt.Sprintf("block wider than /%d (IPv4) or /%d (IPv6)",
			MinPrefixIPv4, MinPrefixIPv6), true
	}
	if r, ok := a.feed.Allows(ioc.AddrType(p.Addr()), ioc.FormatPrefix(p)); ok {
		return r, true
	}
	for _, b := range a.blocks {
		if p.Overlaps(b) {
			return "covers allowlisted " + ioc.FormatPrefix(b), true
		}
	}
	return "", false
}

func (a *Allowlist) protectsDomain(d string) (string, bool) {
	if !strings.Contains(d, ".") {
		return "a top-level name is never blocked", true
	}
	if r, ok := a.feed.Allows(ioc.Domain, d); ok {
		return r, true
	}
	for _, n := range a.names {
		if strings.HasSuffix(n, "."+d) {
			return "covers allowlisted " + n, true
		}
	}
	return "", false
}

func (a *Allowlist) protectsHost(h string) (string, bool) {
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if addr, err := ioc.ParseAddr(h); err == nil {
		return a.protectsBlock(Target{Kind: BlockIP, Value: addr.String()})
	}
	return a.protectsDomain(h)
}
