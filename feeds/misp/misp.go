// Package misp reads MISP threat-sharing data: event JSON ({"Event":…}),
// REST search answers ({"response":[{"Event":…}]} and the attribute search
// {"response":{"Attribute":[…]}}), and MISP feed folders (manifest.json,
// hashes.csv and one <uuid>.json per event).
//
// Only attributes flagged to_ids become indicators; the others are context
// and are counted as informational, never rejected. Deleted attributes and
// attributes of deleted objects are skipped. Attribute types map to
// observable types (see attributeTypes), composite types such as
// "domain|ip" or "filename|md5" give one indicator per part, and to_ids
// attributes of types iocflow cannot match are reported as not enforced.
// Galaxy clusters and misp-galaxy tags on the event or the attribute name
// the malware and threat actors; threat_level_id sets the severity.
//
// A Format or Feed value is stateless and safe for concurrent use.
package misp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"

	"github.com/iocflow/iocflow/feeds"
)

// Format reads one MISP JSON file: an event, a REST search answer, or a
// feed's manifest.json or hashes.csv, which on their own hold no
// indicators (the events of a feed folder are read from their own files,
// or through Feed).
type Format struct{}

// Name implements feeds.Format.
func (Format) Name() string { return "misp" }

// Stats counts what a MISP read found besides indicators.
type Stats struct {
	Events int
	// Attributes counts the attributes read, in objects too.
	Attributes int
	// Informational counts attributes without to_ids: context, not
	// indicators.
	Informational int
	// Deleted counts deleted attributes and the attributes of deleted
	// objects.
	Deleted int
}

func (s *Stats) add(o Stats) {
	s.Events += o.Events
	s.Attributes += o.Attributes
	s.Informational += o.Informational
	s.Deleted += o.Deleted
}

var (
	uuidPattern = regexp.MustCompile(
		`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	hashLine = regexp.MustCompile(`^[0-9a-fA-F]{32},[0-9a-fA-F-]{36}\s*$`)
)

// Sniff recognises MISP JSON by its "Event" key, or a "response" key with
// "Attribute", and a feed's manifest.json and hashes.csv by name and
// shape.
func (Format) Sniff(name string, head []byte) bool {
	c := firstByte(head)
	switch name {
	case "manifest.json":
		return c == '{' && hasKey(head, "info") && hasKey(head, "Orgc")
	case "hashes.csv":
		line, _, _ := bytes.Cut(bytes.TrimPrefix(head, []byte("\uFEFF")), []byte("\n"))
		return hashLine.Match(bytes.TrimSpace(line))
	}
	if c != '{' && c != '[' {
		return false
	}
	return hasKey(head, "Event") || hasKey(head, "response") && hasKey(head, "Attribute")
}

// Parse implements feeds.Format.
func (f Format) Parse(r io.Reader, b *feeds.Builder) error {
	_, err := f.Read(r, b)
	return err
}

// Read is Parse that also returns what it counted. A document that is not
// valid JSON, or not in any MISP shape, is an error; an event or attribute
// that cannot be read is rejected and the rest loads.
func (Format) Read(r io.Reader, b *feeds.Builder) (Stats, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Stats{}, err
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	if c := firstByte(data); c != '{' && c != '[' {
		return Stats{}, checkHashes(data, b)
	}
	var top json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return Stats{}, fmt.Errorf("read MISP JSON: %w", err)
	}
	return readTop(top, b)
}

// top is every top-level shape.
type top struct {
	Event    json.RawMessage `json:"Event"`
	Response json.RawMessage `json:"response"`
}

func readTop(raw json.RawMessage, b *feeds.Builder) (Stats, error) {
	if firstByte(raw) == '[' {
		return readEventList(raw, b)
	}
	var t top
	if err := json.Unmarshal(raw, &t); err != nil {
		return Stats{}, fmt.Errorf("read MISP JSON: %s", decodeReason(err))
	}
	switch {
	case t.Event != nil:
		return readEvent("event 1", t.Event, b), nil
	case firstByte(t.Response) == '[':
		return readEventList(t.Response, b)
	case firstByte(t.Response) == '{':
		var resp struct {
			Attribute []json.RawMessage `json:"Attribute"`
		}
		if err := json.Unmarshal(t.Response, &resp); err != nil {
			return Stats{}, fmt.Errorf("read MISP attribute search: %s", decodeReason(err))
		}
		var st Stats
		ctx := eventContext{}
		for i, a := range resp.Attribute {
			st.add(ctx.attribute("attribute "+itoa(i+1), a, b))
		}
		return st, nil
	}
	return Stats{}, checkManifest(raw, b)
}

// readEventList reads an array of {"Event":…} wrappers.
func readEventList(raw json.RawMessage, b *feeds.Builder) (Stats, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return Stats{}, fmt.Errorf("read MISP event list: %s", decodeReason(err))
	}
	var st Stats
	for i, item := range list {
		pos := "event " + itoa(i+1)
		var w struct {
			Event json.RawMessage `json:"Event"`
		}
		if err := json.Unmarshal(item, &w); err != nil || w.Event == nil {
			b.Reject(pos, "", "list item is not an {\"Event\": …} object")
			continue
		}
		st.add(readEvent(pos, w.Event, b))
	}
	return st, nil
}

// checkManifest accepts a feed's manifest.json, rejecting entries whose key
// is not an event uuid; it adds no indicators. Anything else is not MISP.
func checkManifest(raw json.RawMessage, b *feeds.Builder) error {
	m, err := parseManifest(raw)
	if err != nil {
		return err
	}
	for _, id := range m.order {
		if !uuidPattern.MatchString(id) {
			b.Reject("manifest event "+clipID(id), "", "manifest key is not an event uuid")
		}
	}
	return nil
}

// checkHashes accepts a feed's hashes.csv ("<md5 of a value>,<event
// uuid>" lines), which serves cheap membership tests and holds no
// indicators, and rejects lines of any other shape.
func checkHashes(data []byte, b *feeds.Builder) error {
	for i, line := range bytes.Split(data, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if len(t) > 0 && !hashLine.Match(t) {
			b.Reject("line "+itoa(i+1), string(t), "hashes.csv line is not <md5>,<event uuid>")
		}
	}
	return nil
}

func firstByte(b []byte) byte {
	t := bytes.TrimLeft(bytes.TrimPrefix(b, []byte("\uFEFF")), " \t\r\n")
	if len(t) == 0 {
		return 0
	}
	return t[0]
}

// hasKey reports whether head holds the JSON object key `"key":`.
func hasKey(head []byte, key string) bool {
	k := []byte(`"` + key + `"`)
	for {
		i := bytes.Index(head, k)
		if i < 0 {
			return false
		}
		head = head[i+len(k):]
		if t := bytes.TrimLeft(head, " \t\r\n"); len(t) > 0 && t[0] == ':' {
			return true
		}
	}
}

var errNotMISP = errors.New("not a MISP event, search answer or feed manifest")
