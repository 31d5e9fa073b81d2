package enforce

import (
	"context"
	"time"
)

// Adapter carries out actions on one device. It is the interface every
// folder under enforce/ implements, the same one an outside adapter would.
// The Service calls an adapter from one goroutine at a time.
type Adapter interface {
	// Name is the adapter's configured name, used in rules and audit
	// records.
	Name() string
	// Supports reports whether the adapter can carry out actions of kind k.
	Supports(k Kind) bool
	// Apply puts the action in force. It must be idempotent: applying what
	// the device already holds succeeds. The receipt's Answer is kept in
	// the audit trail; its Ref is handed back to Remove.
	Apply(ctx context.Context, r Request) (Receipt, error)
	// Remove undoes what Apply did. It must be idempotent: removing what
	// the device does not hold succeeds.
	Remove(ctx context.Context, r Request) (Receipt, error)
}

// Lister is implemented by adapters whose device can be read back. Held
// returns every target the device holds under iocflow's marker (its tag,
// group, list or folder); reconciliation re-applies desired targets that
// are missing and removes held ones that are not desired.
type Lister interface {
	Held(ctx context.Context) ([]Target, error)
}

// Readier is implemented by adapters that serve their state to devices
// (enforce/edl). Ready is called once the service has restored the
// desired state after a start (its first reconciliation and tick are
// done); until then such an adapter must not serve a list that would be
// empty only because the process restarted.
type Readier interface {
	Ready()
}

// Request is one action as an adapter sees it.
type Request struct {
	// ID is the action's id; adapters use it as an idempotency key.
	ID     string
	Target Target
	// Expires is when the action will be undone; zero for removals.
	Expires time.Time
	// Ref is what the device answered when the action was applied (a
	// moved message's new id); empty for Apply.
	Ref string
	// Rule names the rule or person behind the action.
	Rule string
}

// Receipt is a device's answer to one call.
type Receipt struct {
	// Ref is a device handle the adapter needs to undo the action.
	Ref string
	// Answer is the device's answer in short ("HTTP 200", "success"), for
	// the audit trail. It never holds secrets.
	Answer string
}

// DeviceError is a device's refusal, with its answer. Adapters return it
// (wrapped or not) so that the audit trail records what the device said.
type DeviceError struct {
	Answer string
	// Permanent is true when retrying cannot help (the device rejected the
	// request as invalid); the action then fails at once.
	Permanent bool
}

func (e *DeviceError) Error() string { return "device answered " + e.Answer }
