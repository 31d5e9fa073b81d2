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

// DirFormat is a feed format whose unit is a whole folder rather than one
// file: a MISP feed, for example, is a manifest plus one file per event.
type DirFormat interface {
	Name() string
	// SniffDir reports whether the folder is a feed of this format.
	SniffDir(fsys fs.FS) bool
	// ParseDir reads the whole folder into b, with the same error rules as
	// Format.Parse.
	ParseDir(fsys fs.FS, b *Builder) error
}

// sniffBytes is how much of a file Sniff sees.
const sniffBytes = 4096

// ErrUnknownFormat is returned for a file that no format recognises.
var ErrUnknownFormat = errors.New("no feed format recognises the file")

// LoadPaths loads every feed named by paths, reading folders recursively in
// name order and skipping hidden entries. A folder that one of dirs
// recognises is read whole as one feed named after the folder; otherwise
// each file is a feed named after its base name without extension. In a
// folder, a file that no format recognises is reported in skipped and
// passed over; a file named directly that no format recognises is an
// error, as is any file that cannot be read.
func LoadPaths(paths []string, formats []Format, dirs ...DirFormat) (
	results []*Result, skipped []error, err error) {
	for _, p := range paths {
		files, err := listFiles(p, dirs)
		if err != nil {
			return nil, nil, err
		}
		for _, f := range files {
			if f.dir != nil {
				res, err := loadDir(f.path, f.dir)
				if err != nil {
					return nil, nil, err
				}
				results = append(results, res)
				continue
			}
			res, err := LoadFile(f.path, formats)
			switch {
			case errors.Is(err, ErrUnknownFormat) && f.path != p:
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

// feedPath is a feed to load: a file, or a folder with the format that
// recognised it.
type feedPath struct {
	path string
	dir  DirFormat
}

func listFiles(root string, dirs []DirFormat) ([]feedPath, error) {
	fi, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("read feeds: %w", err)
	}
	if !fi.IsDir() {
		return []feedPath{{path: root}}, nil
	}
	var files []feedPath
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
		if d.IsDir() {
			for _, df := range dirs {
				if df.SniffDir(os.DirFS(p)) {
					files = append(files, feedPath{path: p, dir: df})
					return filepath.SkipDir
				}
			}
		}
		if d.Type().IsRegular() {
			files = append(files, feedPath{path: p})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read feeds: %w", err)
	}
	slices.SortFunc(files, func(a, b feedPath) int { return strings.Compare(a.path, b.path) })
	return files, nil
}

func loadDir(path string, df DirFormat) (*Result, error) {
	b := NewBuilder(filepath.Base(filepath.Clean(path)), df.Name())
	if err := df.ParseDir(os.DirFS(path), b); err != nil {
		return nil, fmt.Errorf("read feed folder %s as %s: %w", path, df.Name(), err)
	}
	return b.Result(), nil
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
