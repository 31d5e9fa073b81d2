package taxii

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Cursor is where a poll of one collection resumes.
type Cursor struct {
	// AddedAfter is the X-TAXII-Date-Added-Last of the newest page read,
	// as the server wrote it; "" means from the beginning.
	AddedAfter string `json:"added_after"`
	// Polled is when the poll that set it ended, UTC.
	Polled time.Time `json:"polled,omitzero"`
}

// CursorStore keeps one Cursor per key (a collection) across restarts.
// Implementations must be safe for concurrent use.
type CursorStore interface {
	// Load returns the cursor saved under key, or the zero Cursor.
	Load(ctx context.Context, key string) (Cursor, error)
	// Save stores c under key, durably, before it returns.
	Save(ctx context.Context, key string, c Cursor) error
}

// FileCursorStore keeps cursors in one JSON file, an object from key to
// cursor, rewritten whole and atomically (written beside, synced, renamed)
// on every Save. It is safe for concurrent use within one process; two
// processes must not share a file.
type FileCursorStore struct {
	Path string
	mu   sync.Mutex
}

// Load implements CursorStore. A missing file holds no cursors.
func (f *FileCursorStore) Load(_ context.Context, key string) (Cursor, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	all, err := f.read()
	return all[key], err
}

// Save implements CursorStore.
func (f *FileCursorStore) Save(_ context.Context, key string, c Cursor) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	all, err := f.read()
	if err != nil {
		return err
	}
	all[key] = c
	data, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(f.Path, append(data, '\n'))
}

func (f *FileCursorStore) read() (map[string]Cursor, error) {
	all := map[string]Cursor{}
	data, err := os.ReadFile(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return all, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read cursors: %w", err)
	}
	if err := json.Unmarshal(data, &all); err != nil {
		return nil, fmt.Errorf("read cursors %s: %w", f.Path, err)
	}
	return all, nil
}

// WriteFileAtomic replaces path with data so that a crash leaves either
// the old file or the new one: it writes a temporary file in the same
// folder, syncs it, renames it over path and syncs the folder.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("write %s: sync folder: %w", path, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("write %s: sync folder: %w", path, err)
	}
	return nil
}
