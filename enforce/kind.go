package enforce

import (
	"net/netip"
	"strings"

	"github.com/iocflow/iocflow/feeds/ioc"
)

// Kind is what an action does to its target. The zero value is
// KindInvalid.
type Kind uint8

// The kinds of action.
const (
	KindInvalid Kind = iota
	// BlockIP blocks one address (the observable that matched).
	BlockIP
	// BlockCIDR blocks the address block the indicator names (a single
	// address when the indicator is one).
	BlockCIDR
	// BlockDomain blocks a domain and, on most devices, the names under it.
	BlockDomain
	// BlockURL blocks one URL.
	BlockURL
	// QuarantineMessage moves a mail message out of the user's reach.
	QuarantineMessage
	// RestrictUser puts a user account under restriction (a directory
	// group that policy denies).
	RestrictUser
	// IsolateHost cuts a host off the network (through the EDR, for example
	// by the webhook adapter).
	IsolateHost
	numKinds
)

var kindNames = [numKinds]string{
	KindInvalid:       "invalid",
	BlockIP:           "block_ip",
	BlockCIDR:         "block_cidr",
	BlockDomain:       "block_domain",
	BlockURL:          "block_url",
	QuarantineMessage: "quarantine_message",
	RestrictUser:      "restrict_user",
	IsolateHost:       "isolate_host",
}

// String returns the kind's name as written in configs and audit records.
func (k Kind) String() string {
	if k >= numKinds {
		return "invalid"
	}
	return kindNames[k]
}

// IsValid reports whether k is one of the defined kinds.
func (k Kind) IsValid() bool { return k > KindInvalid && k < numKinds }

// IsNetwork reports whether k blocks an address, block, domain or URL.
func (k Kind) IsNetwork() bool { return k >= BlockIP && k <= BlockURL }

// ParseKind returns the kind named s.
func ParseKind(s string) (Kind, bool) {
	for k := BlockIP; k < numKinds; k++ {
		if kindNames[k] == s {
			return k, true
		}
	}
	return KindInvalid, false
}

// MarshalText implements encoding.TextMarshaler.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *Kind) UnmarshalText(b []byte) error {
	v, ok := ParseKind(string(b))
	if !ok {
		return &ValueError{What: "action", Value: string(b),
			Reason: "want block_ip, block_cidr, block_domain, block_url, " +
				"quarantine_message, restrict_user or isolate_host"}
	}
	*k = v
	return nil
}

// Target is what an action acts on. Value is canonical for the kind: an
// address or a block in ioc.FormatPrefix form, a canonical domain or URL, a
// user or host name as the directory or EDR knows it, or for a message
// its Internet message id (with Mailbox, the address of the mailbox that
// holds it). A Target is a plain value, safe to copy.
type Target struct {
	Kind    Kind   `json:"kind"`
	Value   string `json:"value"`
	Mailbox string `json:"mailbox,omitempty"`
}

// Key returns the identity of the target: two targets with the same key
// are the same thing to block. A block_cidr target of one address has the
// key of the block_ip target of that address.
func (t Target) Key() string {
	kind := t.Kind
	if kind == BlockCIDR && !strings.Contains(t.Value, "/") {
		kind = BlockIP // a one-address block is that address
	}
	k := kind.String() + ":" + t.Value
	if t.Mailbox != "" {
		k += "@" + t.Mailbox
	}
	return k
}

// String returns the target as shown to operators.
func (t Target) String() string { return t.Key() }

// Prefix returns the address block of a BlockIP or BlockCIDR target.
func (t Target) Prefix() (netip.Prefix, bool) {
	if t.Kind != BlockIP && t.Kind != BlockCIDR {
		return netip.Prefix{}, false
	}
	p, err := ioc.ParsePrefix(t.Value)
	return p, err == nil
}

// Host returns the host a BlockURL target names (a domain, an IPv4 address
// or a bracketed IPv6 address), or "" for other kinds.
func (t Target) Host() string {
	if t.Kind != BlockURL {
		return ""
	}
	return ioc.URLHost(t.Value)
}

// URLWithoutScheme returns a BlockURL target's value without "scheme://",
// the form block lists take.
func (t Target) URLWithoutScheme() string {
	if _, rest, ok := strings.Cut(t.Value, "://"); ok {
		return rest
	}
	return t.Value
}

// Mode says whether a rule's actions are applied at once or wait for an
// approver.
type Mode uint8

// Modes. The zero value is ModeApproval, the safe default.
const (
	ModeApproval Mode = iota
	ModeAutomatic
)

// String returns "approval" or "automatic".
func (m Mode) String() string {
	if m == ModeAutomatic {
		return "automatic"
	}
	return "approval"
}

// MarshalText implements encoding.TextMarshaler.
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; it accepts
// "automatic" and "approval" (or "pending").
func (m *Mode) UnmarshalText(b []byte) error {
	switch string(b) {
	case "automatic":
		*m = ModeAutomatic
	case "approval", "pending", "":
		*m = ModeApproval
	default:
		return &ValueError{What: "mode", Value: string(b), Reason: "want automatic or approval"}
	}
	return nil
}

// State is where an action is in its life.
type State string

// The states of an action. Pending, Queued, DryRun, Applied and Removing
// are live: the action counts for deduplication. The rest are final.
const (
	// StatePending waits for an approver (rule mode, or over the blast
	// radius).
	StatePending State = "pending"
	// StateQueued is approved (by a person or an automatic rule) and is
	// being applied, with retries.
	StateQueued State = "queued"
	// StateDryRun is what would have been applied: audited, never sent.
	StateDryRun State = "dry_run"
	// StateApplied is in force on the device.
	StateApplied State = "applied"
	// StateRemoving is being undone (expiry, release or rollback).
	StateRemoving State = "removing"
	// StateDenied was refused by an approver.
	StateDenied State = "denied"
	// StateFailed could not be applied within the retry budget.
	StateFailed State = "failed"
	// StateExpired was undone when its time to live ended.
	StateExpired State = "expired"
	// StateReleased was undone early by an approver.
	StateReleased State = "released"
	// StateRolledBack was undone because a guard now forbids it (its target
	// was allowlisted after it was applied).
	StateRolledBack State = "rolled_back"
)

// IsLive reports whether s is not final.
func (s State) IsLive() bool {
	switch s {
	case StatePending, StateQueued, StateDryRun, StateApplied, StateRemoving:
		return true
	}
	return false
}
