package enforce

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Action is one action on one adapter: the unit of desired state. The
// Service owns its actions; List hands out copies.
type Action struct {
	ID      string `json:"id"`
	Target  Target `json:"target"`
	Adapter string `json:"adapter"`
	Rule    string `json:"rule"`
	Mode    Mode   `json:"mode"`
	State   State  `json:"state"`
	// Undo is the final state the action takes once its removal is done
	// (expired, released, rolled_back); set while State is removing.
	Undo    State     `json:"undo,omitempty"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	// TTL is how long the action stays in force once applied: its rule's
	// TTL when it was proposed.
	TTL Duration `json:"ttl,omitempty"`
	// Lapses is when a pending action lapses unless approved: its
	// creation plus enforcement.approval_timeout. Zero once decided.
	Lapses time.Time `json:"lapses,omitzero"`
	// Applied is when the device first confirmed the action; zero until
	// then. Applying it again (after drift) keeps the first time.
	Applied time.Time `json:"applied,omitzero"`
	// Expires is when the action is undone: TTL after the device was
	// asked to apply it (for a dry run, after it was placed). Zero until
	// then: waiting for approval or for the device does not use up the
	// TTL.
	Expires time.Time `json:"expires,omitzero"`
	// Auto is when the action was approved automatically; it counts
	// against the blast radius.
	Auto time.Time `json:"auto,omitzero"`
	// Held says the blast-radius limit made the action wait.
	Held       bool      `json:"held,omitempty"`
	ApprovedBy string    `json:"approved_by,omitempty"`
	Attempts   int       `json:"attempts,omitempty"`
	NextTry    time.Time `json:"next_try,omitzero"`
	LastError  string    `json:"last_error,omitempty"`
	// Ref is the device handle from Apply.
	Ref string `json:"ref,omitempty"`
	// Hits counts the verdicts that pointed at the action.
	Hits    int     `json:"hits"`
	Finding Finding `json:"finding"`
}

// Snapshot is everything a Store keeps.
type Snapshot struct {
	Actions []Action `json:"actions"`
	// Policy is the policy an admin set through the API, nil if none.
	Policy *Policy `json:"policy,omitempty"`
	// PolicyBy and PolicyAt say who set it and when.
	PolicyBy string    `json:"policy_by,omitempty"`
	PolicyAt time.Time `json:"policy_at,omitzero"`
	// AuditLen is the length of the audit trail, in bytes, when the
	// snapshot was taken, if the audit sink is a TailReader: records past
	// it are newer than the snapshot.
	AuditLen int64 `json:"audit_len,omitempty"`
}

// Store keeps the Service's state across restarts. Load returns an empty
// snapshot when nothing was saved yet. Save must be atomic: after a crash,
// Load returns either the old or the new snapshot whole.
type Store interface {
	Load() (*Snapshot, error)
	Save(*Snapshot) error
}

// FileStore keeps the snapshot as one JSON document, replaced atomically
// (written to a temporary file beside it, synced, renamed over it, and the
// folder synced). It is used by one Service at a time.
type FileStore struct {
	Path string
}

// Load implements Store.
func (s *FileStore) Load() (*Snapshot, error) {
	b, err := os.ReadFile(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Snapshot{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	var snap Snapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		return nil, fmt.Errorf("read state %s: %w", s.Path, err)
	}
	return &snap, nil
}

// Save implements Store.
func (s *FileStore) Save(snap *Snapshot) error {
	b, err := json.Marshal(snap)
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	dir := filepath.Dir(s.Path)
	tmp, err := os.CreateTemp(dir, filepath.Base(s.Path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.Path); err != nil {
		return fmt.Errorf("replace state: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync state folder: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync state folder: %w", err)
	}
	return nil
}
