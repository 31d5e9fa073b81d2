package feeds

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/iocflow/iocflow/feeds/ioc"
)

// lineFormat reads every line of a *.lst file as a domain.
type lineFormat struct{}

func (lineFormat) Name() string { return "lines" }

func (lineFormat) Sniff(name string, _ []byte) bool { return strings.HasSuffix(name, ".lst") }

func (lineFormat) Parse(r io.Reader, b *Builder) error {
	data, err := io.ReadAll(r)
	for i, l := range strings.Fields(string(data)) {
		b.Add("line "+strconv.Itoa(i+1), ioc.Domain, l, ioc.Source{})
	}
	return err
}

// bundleDir is a folder feed recognised by its index file.
type bundleDir struct{}

func (bundleDir) Name() string { return "bundle-dir" }

func (bundleDir) SniffDir(fsys fs.FS) bool {
	_, err := fs.Stat(fsys, "index")
	return err == nil
}

func (bundleDir) ParseDir(fsys fs.FS, b *Builder) error {
	data, err := fs.ReadFile(fsys, "index")
	for _, l := range strings.Fields(string(data)) {
		b.Add("index", ioc.Domain, l, ioc.Source{})
	}
	return err
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadPaths_FilesAndFolderFeeds(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "a.lst"), "one.zz two.zz")
	write(t, filepath.Join(root, "notes.txt"), "not a feed")
	write(t, filepath.Join(root, ".hidden", "h.lst"), "hidden.zz")
	write(t, filepath.Join(root, "misp", "index"), "three.zz")
	write(t, filepath.Join(root, "misp", "event.lst"), "inside.zz")
	res, skipped, err := LoadPaths([]string{root}, []Format{lineFormat{}}, bundleDir{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res {
		got = append(got, r.Feed+"/"+r.Format+"="+strconv.Itoa(len(r.Indicators)))
	}
	if strings.Join(got, " ") != "a/lines=2 misp/bundle-dir=1" {
		t.Errorf("feeds = %v, want a (2 from the file) and misp (1 from the folder only)", got)
	}
	if len(skipped) != 1 || !strings.Contains(skipped[0].Error(), "notes.txt") {
		t.Errorf("skipped = %v, want notes.txt", skipped)
	}
	if _, _, err := LoadPaths([]string{filepath.Join(root, "notes.txt")},
		[]Format{lineFormat{}}); err == nil {
		t.Error("a file named directly that no format reads was accepted")
	}
}
