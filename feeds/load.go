package feeds

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/iocflow/iocflow/feeds/ioc"
)

// Format is one feed format's parser.
type Format interface {
	// Name is the format's short name ("stix", "et", "list").
	Name() string
	// Sniff reports whether a file with this base name and these first
	// bytes is in the format. It must not panic on any input.
	Sniff(name string, head []byte) bool
	// Parse reads a whole feed into b. Bad records are rejected through b
	// and parsing goes on; an error means the feed as a whole could not be
	// read (I/O error, not the format at all) and its partial result must
	// not replace indicators in force.
	Parse(r io.Reader, b *Builder) error
}

// sniffBytes is how much of a file Sniff sees.
const sniffBytes = 4096

// ErrUnknownFormat is returned for a file that no format recognises.
var ErrUnknownFormat = errors.New("no feed format recognises the file")

// LoadPaths loads every feed file named by paths, reading folders
// recursively in name order and skipping hidden entries. The feed of a file
// is named after its base name without extension. In a folder, a file that
// no format recognises is reported in skipped and passed over; a file named
// directly that no format recognises is an error, as is any file that cannot
// be read.
func LoadPaths(paths []string, formats []Format) (results []*Result, skipped []error, err error) {
	for _, p := range paths {
		files, err := listFiles(p)
		if err != nil {
			return nil, nil, err
		}
		for _, f := range files {
			res, err := LoadFile(f, formats)
			switch {
			case errors.Is(err, ErrUnknownFormat) && f != p:
				skipped = append(skipped, err)
			case err != nil:
				return nil, nil, err
			default:
				results = append(results, res)
			}
		}
	}
	return results, skipped, nil
}

func listFiles(root string) ([]string, error) {
	fi, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("read feeds: %w", err)
	}
	if !fi.IsDir() {
		return []string{root}, nil
	}
	var files []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read feeds: %w", err)
	}
	slices.Sort(files)
	return files, nil
}

// LoadFile loads one feed file with the first format that recognises it.
func LoadFile(path string, formats []Format) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read feed: %w", err)
	}
	defer f.Close()
	head := make([]byte, sniffBytes)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read feed %s: %w", path, err)
	}
	head = head[:n]
	base := filepath.Base(path)
	for _, fm := range formats {
		if !fm.Sniff(base, head) {
			continue
		}
		name := strings.TrimSuffix(base, filepath.Ext(base))
		b := NewBuilder(name, fm.Name())
		r := io.MultiReader(bytes.NewReader(head), f)
		if err := fm.Parse(r, b); err != nil {
			return nil, fmt.Errorf("read feed %s as %s: %w", path, fm.Name(), err)
		}
		return b.Result(), nil
	}
	return nil, fmt.Errorf("read feed %s: %w", path, ErrUnknownFormat)
}

// Merge combines the results of several feeds into one indicator per
// (type, value), each with the sources of every feed that lists it, in the
// order the results are given. The indicators of the results are not
// modified.
func Merge(results []*Result) []*ioc.Indicator {
	index := map[string]*ioc.Indicator{}
	var out []*ioc.Indicator
	for _, r := range results {
		for _, in := range r.Indicators {
			if have, ok := index[in.ID]; ok {
				have.Merge(in)
				continue
			}
			c := *in
			c.Sources = slices.Clone(in.Sources)
			index[in.ID] = &c
			out = append(out, &c)
		}
	}
	return out
}
