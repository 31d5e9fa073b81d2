package stix

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/iocflow/iocflow/feeds"
)

// object holds the properties of any STIX object that iocflow reads.
type object struct {
	Type             string      `json:"type"`
	ID               string      `json:"id"`
	SpecVersion      string      `json:"spec_version"`
	Created          string      `json:"created"`
	Modified         string      `json:"modified"`
	Revoked          bool        `json:"revoked"`
	Confidence       *int        `json:"confidence"`
	Labels           []string    `json:"labels"`
	Name             string      `json:"name"`
	Pattern          string      `json:"pattern"`
	PatternType      string      `json:"pattern_type"`
	IndicatorTypes   []string    `json:"indicator_types"`
	ValidFrom        string      `json:"valid_from"`
	ValidUntil       string      `json:"valid_until"`
	KillChainPhases  []killChain `json:"kill_chain_phases"`
	RelationshipType string      `json:"relationship_type"`
	SourceRef        string      `json:"source_ref"`
	TargetRef        string      `json:"target_ref"`
	FirstObserved    string      `json:"first_observed"`

	version  string    // spec_version in force: the object's, else the bundle's, else "2.0"
	modified time.Time // modified, else created; zero when neither is given
	pos      string
	raw      json.RawMessage
}

type killChain struct {
	KillChainName string `json:"kill_chain_name"`
	PhaseName     string `json:"phase_name"`
}

// keptTypes are the object types a Store keeps: indicators and what gives
// them context. Everything else (identities, markings, cyber observables,
// custom objects) is read, versioned nowhere and dropped.
var keptTypes = map[string]bool{
	"indicator": true, "relationship": true, "observed-data": true,
	"malware": true, "tool": true, "campaign": true, "threat-actor": true,
	"intrusion-set": true, "attack-pattern": true,
}

// ChangeKind says what an object version did to a Store.
type ChangeKind uint8

// Change kinds. The zero value is not used.
const (
	// Added is the first version of an id the store sees.
	Added ChangeKind = iota + 1
	// Replaced is a newer version of a kept id.
	Replaced
	// Revoked is a newer version that revokes a kept, unrevoked id (or the
	// first version of an id, already revoked).
	Revoked
)

// String returns the kind's lower-case name.
func (k ChangeKind) String() string {
	switch k {
	case Added:
		return "added"
	case Replaced:
		return "replaced"
	case Revoked:
		return "revoked"
	}
	return "ChangeKind(" + strconv.Itoa(int(k)) + ")"
}

// Change is one object version that changed a Store.
type Change struct {
	ID   string
	Type string
	Kind ChangeKind
	// Modified is the new version's modified time (created when it has no
	// modified), UTC.
	Modified time.Time
}

// Store keeps the newest version of every STIX object that matters for
// indicators, across any number of Add calls: a bundle read in one go, or
// the pages of TAXII polls. Build turns the current versions into
// indicators, so that a relationship on one page and its malware on a later
// one still meet, and a newer indicator version with another pattern drops
// the older values.
//
// The zero value is not usable; call NewStore. A Store is not safe for
// concurrent use. It holds the raw JSON of each kept object: memory grows
// with the collection (about the size of its indicator, relationship and
// named objects), never with the number of polls.
type Store struct {
	objs  map[string]*object
	order []string // ids in the order first seen
}

// NewStore returns an empty store.
func NewStore() *Store { return &Store{objs: map[string]*object{}} }

// Len returns the number of objects kept.
func (s *Store) Len() int { return len(s.order) }

// Add decodes objects and keeps each one that is newer than the version
// already kept for its id (equal or older versions change nothing, so a
// poll that repeats objects is harmless). bundleVersion is the
// spec_version of the enclosing 2.0 bundle, or "". It returns the changes
// in input order and the objects that could not be read, which are left
// out; the rest is kept. The raw messages are copied.
func (s *Store) Add(raw []json.RawMessage, bundleVersion string) ([]Change, []feeds.Reject) {
	var changes []Change
	var rejects []feeds.Reject
	for i, rm := range raw {
		o, reason := decodeObject(rm, i, bundleVersion)
		if reason != "" {
			rejects = append(rejects, feeds.Reject{Position: o.pos, Reason: reason})
			continue
		}
		if !keptTypes[o.Type] {
			continue
		}
		if c, ok := s.keep(o); ok {
			changes = append(changes, c)
		}
	}
	return changes, rejects
}

// keep stores o if it is newer than what the store holds for its id.
func (s *Store) keep(o *object) (Change, bool) {
	c := Change{ID: o.ID, Type: o.Type, Modified: o.modified, Kind: Added}
	old, ok := s.objs[o.ID]
	switch {
	case !ok:
		s.order = append(s.order, o.ID)
	case !o.modified.After(old.modified):
		return Change{}, false
	default:
		c.Kind = Replaced
	}
	if o.Revoked && (old == nil || !old.Revoked) {
		c.Kind = Revoked
	}
	o.raw = append(json.RawMessage(nil), o.raw...)
	s.objs[o.ID] = o
	return c, true
}

// decodeObject reads one object. It returns the object (with its position
// set even on failure) and a reason when the object cannot be used.
func decodeObject(rm json.RawMessage, i int, bundleVersion string) (*object, string) {
	o := &object{pos: "object " + strconv.Itoa(i), raw: rm}
	if err := json.Unmarshal(rm, o); err != nil {
		return o, "not a STIX object: " + jsonError(rm, err).Error()
	}
	if o.ID != "" {
		o.pos = o.ID
	}
	if o.Type == "" || o.ID == "" {
		return o, "object without type or id"
	}
	o.version = o.SpecVersion
	if o.version == "" {
		o.version = bundleVersion
	}
	if o.version == "" {
		o.version = "2.0" // FORMATS.md 1.2: no spec_version on an SDO/SRO means 2.0
	}
	stamp, name := o.Modified, "modified"
	if stamp == "" {
		stamp, name = o.Created, "created"
	}
	if stamp != "" {
		t, err := parseTimestamp(stamp)
		if err != nil {
			return o, name + ": " + err.Error()
		}
		o.modified = t
	}
	return o, ""
}

// Objects returns the raw JSON of the kept objects in the order their ids
// were first seen, for saving the store (a bundle of them, added to a new
// store, restores it). The slice is new; the messages are the store's and
// must not be modified.
func (s *Store) Objects() []json.RawMessage {
	out := make([]json.RawMessage, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.objs[id].raw)
	}
	return out
}

// Build adds the indicators of the current object versions to b, with
// rejects and not-enforced patterns, in the order the indicators were first
// seen.
func (s *Store) Build(b *feeds.Builder) {
	objs := make([]*object, 0, len(s.order))
	for _, id := range s.order {
		objs = append(objs, s.objs[id])
	}
	ctx := relatedContext(objs)
	for _, o := range objs {
		if o.Type == "indicator" {
			addIndicator(o, ctx[o.ID], b)
		}
	}
}

// parseTimestamp reads a STIX timestamp. The spec wants RFC 3339 in UTC
// with a "Z"; producers write anywhere from zero to nine fraction digits,
// which time.RFC3339Nano accepts.
func parseTimestamp(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, &timestampError{s}
	}
	return t.UTC(), nil
}

type timestampError struct{ s string }

func (e *timestampError) Error() string {
	return "timestamp " + quote(e.s) + " is not RFC 3339"
}
