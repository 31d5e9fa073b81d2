package enforce

import (
	"errors"

	"github.com/iocflow/iocflow/internal/clip"
)

// Sentinel errors that callers (the API, the command line) branch on.
var (
	// ErrNotFound: no action has that id.
	ErrNotFound = errors.New("no such action")
	// ErrState: the action is not in a state that allows the operation
	// (approving an applied action, releasing a denied one).
	ErrState = errors.New("action not in a state that allows this")
	// ErrForbidden: the principal's role does not allow the operation.
	ErrForbidden = errors.New("role does not allow this")
	// ErrProtected: a guard forbids acting on the target (allowlist, block
	// width).
	ErrProtected = errors.New("target is protected")
	// ErrAudit: the audit record could not be written, so the step was not
	// taken.
	ErrAudit = errors.New("audit record not written")
)

// ValueError says why a configured or submitted value is not valid.
type ValueError struct {
	What   string
	Value  string
	Reason string
}

func (e *ValueError) Error() string {
	return e.What + " " + clip.Quote(e.Value) + ": " + e.Reason
}
