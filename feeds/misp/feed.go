package misp

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/iocflow/iocflow/feeds"
)

// Feed reads a MISP feed folder as one feed: manifest.json lists the
// events, and only those are read, each from <uuid>.json. An event the
// manifest lists whose file is missing, unreadable or holds another event
// is rejected at "manifest event <uuid>"; files the manifest does not list
// are ignored, as a MISP instance pulling the feed would. hashes.csv is
// not needed.
type Feed struct{}

// Name is the format name of a feed folder.
func (Feed) Name() string { return "misp-feed" }

// SniffDir reports whether fsys holds a MISP feed: a manifest.json that
// reads as one.
func (Feed) SniffDir(fsys fs.FS) bool {
	data, err := fs.ReadFile(fsys, "manifest.json")
	if err != nil {
		return false
	}
	_, err = parseManifest(data)
	return err == nil
}

// ParseDir reads the feed in fsys into b. Only a manifest that cannot be
// read is an error.
func (f Feed) ParseDir(fsys fs.FS, b *feeds.Builder) error {
	_, err := f.ReadDir(fsys, b)
	return err
}

// ReadDir is ParseDir that also returns what it counted.
func (Feed) ReadDir(fsys fs.FS, b *feeds.Builder) (Stats, error) {
	data, err := fs.ReadFile(fsys, "manifest.json")
	if err != nil {
		return Stats{}, fmt.Errorf("read MISP feed: %w", err)
	}
	m, err := parseManifest(data)
	if err != nil {
		return Stats{}, fmt.Errorf("read MISP feed: manifest.json: %w", err)
	}
	var st Stats
	for _, id := range m.order {
		pos := "manifest event " + clipID(id)
		if !uuidPattern.MatchString(id) {
			b.Reject(pos, "", "manifest key is not an event uuid")
			continue
		}
		s, reason := readFeedEvent(fsys, id, b)
		if reason != "" {
			b.Reject(pos, "", reason)
			continue
		}
		st.add(s)
	}
	return st, nil
}

func readFeedEvent(fsys fs.FS, id string, b *feeds.Builder) (Stats, string) {
	data, err := fs.ReadFile(fsys, id+".json")
	if errors.Is(err, fs.ErrNotExist) {
		return Stats{}, "event file " + id + ".json is missing"
	}
	if err != nil {
		return Stats{}, "read event file: " + err.Error()
	}
	var w struct {
		Event json.RawMessage `json:"Event"`
	}
	if err := json.Unmarshal(data, &w); err != nil || w.Event == nil {
		return Stats{}, "event file " + id + ".json is not an {\"Event\": …} object"
	}
	var head struct {
		UUID string `json:"uuid"`
	}
	if err := json.Unmarshal(w.Event, &head); err != nil || head.UUID != id {
		return Stats{}, "event file " + id + ".json holds event " + clipID(head.UUID)
	}
	return readEvent("event "+id, w.Event, b), ""
}

// manifest is a parsed manifest.json, with its keys in sorted order.
type manifest struct {
	entries map[string]manifestEntry
	order   []string
}

func parseManifest(data []byte) (manifest, error) {
	var m manifest
	if err := json.Unmarshal(data, &m.entries); err != nil {
		return m, errNotMISP
	}
	if len(m.entries) == 0 {
		return m, errNotMISP
	}
	for id := range m.entries {
		m.order = append(m.order, id)
	}
	slices.Sort(m.order)
	return m, nil
}
