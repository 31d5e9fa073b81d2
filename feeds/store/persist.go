package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
)

// fileVersion is the version of the durable feed file layout.
const fileVersion = 1

// feedFile is the layout of a durable feed's file, <dir>/<feed>.json.
type feedFile struct {
	Version    int              `json:"version"`
	Feed       string           `json:"feed"`
	Indicators []*ioc.Indicator `json:"indicators"`
}

// checkFeedName refuses a durable feed name that cannot be a file name of
// its own in the store's folder.
func checkFeedName(name string) error {
	if name == "" || strings.HasPrefix(name, ".") || len(name) > 64 {
		return fmt.Errorf("durable feed %q: name must be 1 to 64 bytes, not starting with '.'",
			name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("durable feed %q: name may hold only a-z, 0-9, '-', '_' and '.'",
				name)
		}
	}
	return nil
}

func (s *Store) path(feed string) string { return filepath.Join(s.dir, feed+".json") }

// load reads a durable feed's file; a missing file is an empty feed.
func (s *Store) load(feed string) ([]*ioc.Indicator, error) {
	b, err := os.ReadFile(s.path(feed))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load durable feed: %w", err)
	}
	var ff feedFile
	if err := json.Unmarshal(b, &ff); err != nil {
		return nil, fmt.Errorf("load durable feed %s: %w", s.path(feed), err)
	}
	if err := checkFile(feed, &ff); err != nil {
		return nil, fmt.Errorf("load durable feed %s: %w", s.path(feed), err)
	}
	return ff.Indicators, nil
}

// checkFile refuses a file that is not what save writes, so that a file
// edited by hand cannot put a malformed indicator in force.
func checkFile(feed string, ff *feedFile) error {
	if ff.Version != fileVersion {
		return fmt.Errorf("version %d, want %d", ff.Version, fileVersion)
	}
	if ff.Feed != feed {
		return fmt.Errorf("file is of feed %q", ff.Feed)
	}
	for i, in := range ff.Indicators {
		switch {
		case in == nil:
			return fmt.Errorf("indicator %d: null", i)
		case !in.Type.IsValid() || in.ID != ioc.MakeID(in.Type, in.Value):
			return fmt.Errorf("indicator %d: id %q does not match its type and value", i, in.ID)
		case len(in.Sources) == 0:
			return fmt.Errorf("indicator %d: no source", i)
		}
		for _, src := range in.Sources {
			if src.Feed != feed {
				return fmt.Errorf("indicator %d: source of feed %q", i, src.Feed)
			}
		}
	}
	return nil
}

// save writes set as feed's file atomically: to a temporary file in the
// same folder, synced, then renamed over the old one, so that a crash
// leaves either the old file or the new one.
func (s *Store) save(feed string, set *feeds.Set) error {
	ff := feedFile{Version: fileVersion, Feed: feed, Indicators: set.Indicators()}
	if ff.Indicators == nil {
		ff.Indicators = []*ioc.Indicator{}
	}
	b, err := json.MarshalIndent(&ff, "", " ")
	if err != nil {
		return fmt.Errorf("save durable feed: %w", err)
	}
	if err := os.MkdirAll(s.dir, 0o750); err != nil {
		return fmt.Errorf("save durable feed: %w", err)
	}
	if err := writeAtomic(s.path(feed), b); err != nil {
		return fmt.Errorf("save durable feed: %w", err)
	}
	return nil
}

func writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	// The rename is durable only once the folder is synced.
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
