package enforce

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Event names what happened in an audit record.
type Event string

// The audit events.
const (
	// EventSuppressed: a guard stopped a proposal or an approval.
	EventSuppressed Event = "suppressed"
	// EventProposed: a rule created an action (pending, queued or dry-run).
	EventProposed Event = "proposed"
	// EventHeld: the blast-radius limit turned an automatic action into a
	// pending one.
	EventHeld  Event = "held"
	EventAlert Event = "alert"
	// EventApproved, EventDenied: a person decided on a pending action.
	EventApproved Event = "approved"
	EventDenied   Event = "denied"
	// EventTried: a device call is about to be made; written before it.
	EventTried Event = "tried"
	// EventApplied, EventFailed: the device's answer to an apply or a
	// removal (Op says which).
	EventApplied Event = "applied"
	EventFailed  Event = "failed"
	// EventExpired, EventReleased, EventRolledBack: an action was undone.
	EventExpired    Event = "expired"
	EventReleased   Event = "released"
	EventRolledBack Event = "rolled_back"
	// EventDrift: reconciliation found the device differing from the
	// desired state.
	EventDrift Event = "drift"
	// EventPolicy: an admin changed the policy.
	EventPolicy Event = "policy_changed"
)

// Record is one line of the audit trail: what happened to which action,
// who or which rule did it, why (the finding), when, and the device's
// answer.
type Record struct {
	Time     time.Time `json:"time"`
	Event    Event     `json:"event"`
	ActionID string    `json:"action_id,omitempty"`
	// Op is "apply" or "remove" for device calls.
	Op      string `json:"op,omitempty"`
	Target  Target `json:"target,omitzero"`
	Adapter string `json:"adapter,omitempty"`
	Rule    string `json:"rule,omitempty"`
	// Actor is who did it: "rule:NAME", "user:NAME" or "system".
	Actor  string `json:"actor"`
	Mode   string `json:"mode,omitempty"`
	DryRun bool   `json:"dry_run,omitempty"`
	State  State  `json:"state,omitempty"`
	// TTL, Lapses, Applied and Expires are the action's (see Action) when
	// the record was written.
	TTL     Duration  `json:"ttl,omitempty"`
	Lapses  time.Time `json:"lapses,omitzero"`
	Applied time.Time `json:"applied,omitzero"`
	Expires time.Time `json:"expires,omitzero"`
	Attempt int       `json:"attempt,omitempty"`
	Answer  string    `json:"answer,omitempty"`
	Error   string    `json:"error,omitempty"`
	// Note is the guard or the operator's comment.
	Note string `json:"note,omitempty"`
	// Finding is the verdict behind the action, when there is one. Every
	// record of an action carries it (not only the proposal), so that each
	// can be traced and counted on its own: the containment KPIs join an
	// applied record to its verdict's event, department and time.
	Finding *Finding `json:"finding,omitempty"`
}

// AuditSink stores audit records. Write returns only once the records are
// durable; an error means none of them may be assumed written. A sink is
// safe for concurrent use.
type AuditSink interface {
	Write(ctx context.Context, recs []Record) error
	Close() error
}

// FileAudit appends audit records to a JSON-lines file. The file is opened
// for appending only and synced after each Write, so the trail survives a
// crash. Safe for concurrent use.
type FileAudit struct {
	mu   sync.Mutex
	f    *os.File
	path string
	buf  bytes.Buffer
}

// OpenFileAudit opens (or creates, mode 0600) the audit file at path.
func OpenFileAudit(path string) (*FileAudit, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open audit file: %w", err)
	}
	return &FileAudit{f: f, path: path}, nil
}

// TailReader is an audit sink that can measure its trail and read back
// what was written after a point. The service records the trail's length
// with every state it saves, and on start recovers from the tail the
// actions a crash recorded in the trail but not in the state.
type TailReader interface {
	// AuditLen returns the length of the trail, in bytes.
	AuditLen() (int64, error)
	// ReadTail returns the records written at or after offset off.
	ReadTail(off int64) ([]Record, error)
}

// AuditLen implements TailReader.
func (a *FileAudit) AuditLen() (int64, error) {
	fi, err := a.f.Stat()
	if err != nil {
		return 0, fmt.Errorf("stat audit file: %w", err)
	}
	return fi.Size(), nil
}

// ReadTail implements TailReader. A line that is not a record (the end of
// a write a crash cut short) is skipped.
func (a *FileAudit) ReadTail(off int64) ([]Record, error) {
	f, err := os.Open(a.path)
	if err != nil {
		return nil, fmt.Errorf("read audit file: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return nil, fmt.Errorf("read audit file: %w", err)
	}
	var out []Record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var r Record
		if json.Unmarshal(sc.Bytes(), &r) == nil {
			out = append(out, r)
		}
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("read audit file: %w", err)
	}
	return out, nil
}

// Write appends recs as one write and syncs the file.
func (a *FileAudit) Write(_ context.Context, recs []Record) error {
	if len(recs) == 0 {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.buf.Reset()
	enc := json.NewEncoder(&a.buf)
	for i := range recs {
		if err := enc.Encode(&recs[i]); err != nil {
			return fmt.Errorf("encode audit record: %w", err)
		}
	}
	if _, err := a.f.Write(a.buf.Bytes()); err != nil {
		return fmt.Errorf("write audit file: %w", err)
	}
	if err := a.f.Sync(); err != nil {
		return fmt.Errorf("sync audit file: %w", err)
	}
	return nil
}

// Close closes the file.
func (a *FileAudit) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.f.Close()
}

// TeeAudit writes every record to Primary, which must succeed, and then to
// each of Copies (ClickHouse, for example), whose failures are handed to
// OnCopyError and do not fail the write: the primary file is the complete
// trail, a copy is for queries.
type TeeAudit struct {
	Primary     AuditSink
	Copies      []AuditSink
	OnCopyError func(error)
}

// Write implements AuditSink.
func (t *TeeAudit) Write(ctx context.Context, recs []Record) error {
	if err := t.Primary.Write(ctx, recs); err != nil {
		return err
	}
	for _, c := range t.Copies {
		if err := c.Write(ctx, recs); err != nil && t.OnCopyError != nil {
			t.OnCopyError(err)
		}
	}
	return nil
}

// AuditLen implements TailReader when Primary does; otherwise it returns
// ErrNoTail.
func (t *TeeAudit) AuditLen() (int64, error) {
	if tr, ok := t.Primary.(TailReader); ok {
		return tr.AuditLen()
	}
	return 0, ErrNoTail
}

// ReadTail implements TailReader when Primary does; otherwise it returns
// ErrNoTail.
func (t *TeeAudit) ReadTail(off int64) ([]Record, error) {
	if tr, ok := t.Primary.(TailReader); ok {
		return tr.ReadTail(off)
	}
	return nil, ErrNoTail
}

// ErrNoTail is returned by a TeeAudit whose primary sink cannot be read
// back.
var ErrNoTail = errors.New("audit sink cannot be read back")

// Close closes every sink.
func (t *TeeAudit) Close() error {
	errs := []error{t.Primary.Close()}
	for _, c := range t.Copies {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}
