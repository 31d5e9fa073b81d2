// Package stix reads STIX 2.1 and 2.0 bundles (and TAXII envelopes, which
// hold the same objects) into indicators. Patterns are parsed with
// feeds/stix/pattern; a pattern that is one comparison, or an OR of
// comparisons, on one object type becomes one matcher entry per compared
// value. Patterns the streaming matcher cannot honour yet are kept and
// reported as not enforced. Relationships of type "indicates" attach the
// names of malware, tools, campaigns, threat actors and intrusion sets to
// the indicator.
//
// A Format value is stateless and safe for concurrent use.
package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/iocflow/iocflow/feeds"
)

// Format is the STIX 2.x JSON format.
type Format struct{}

// Name implements feeds.Format.
func (Format) Name() string { return "stix" }

// Sniff accepts a JSON object that has an "objects" array and, near the
// top, a STIX type or id.
func (Format) Sniff(_ string, head []byte) bool {
	t := bytes.TrimSpace(head)
	if len(t) == 0 || t[0] != '{' {
		return false
	}
	return bytes.Contains(t, []byte(`"objects"`)) &&
		(bytes.Contains(t, []byte(`"bundle`)) || bytes.Contains(t, []byte(`"spec_version"`)) ||
			bytes.Contains(t, []byte(`--`)))
}

// maxBundle bounds the size of a bundle read whole.
const maxBundle = 1 << 30

type bundle struct {
	Type        string            `json:"type"`
	SpecVersion string            `json:"spec_version"`
	Objects     []json.RawMessage `json:"objects"`
}

// object holds the properties of any STIX object that iocflow reads.
type object struct {
	Type             string      `json:"type"`
	ID               string      `json:"id"`
	SpecVersion      string      `json:"spec_version"`
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

	modified time.Time
	pos      string
}

type killChain struct {
	KillChainName string `json:"kill_chain_name"`
	PhaseName     string `json:"phase_name"`
}

// Parse implements feeds.Format. Objects that cannot be read are rejected
// one by one; only a file that is not a JSON bundle at all is an error.
func (Format) Parse(r io.Reader, b *feeds.Builder) error {
	data, err := io.ReadAll(io.LimitReader(r, maxBundle+1))
	if err != nil {
		return err
	}
	if len(data) > maxBundle {
		return fmt.Errorf("bundle larger than %d bytes", maxBundle)
	}
	var bu bundle
	if err := json.Unmarshal(data, &bu); err != nil {
		return fmt.Errorf("decode bundle: %w", jsonError(data, err))
	}
	if bu.Objects == nil {
		return errors.New("decode bundle: no \"objects\" array")
	}
	objs := newestVersions(bu.Objects, b)
	ctx := relatedNames(objs)
	for _, o := range objs {
		if o.Type == "indicator" {
			addIndicator(o, ctx[o.ID], b)
		}
	}
	return nil
}

// newestVersions decodes the objects and keeps the newest version of each
// id, in the order ids first appear (STIX 2.1 section 3.6: the version is
// told by "modified").
func newestVersions(raw []json.RawMessage, b *feeds.Builder) []*object {
	index := map[string]int{}
	var out []*object
	for i, rm := range raw {
		pos := "object " + strconv.Itoa(i)
		o := &object{}
		if err := json.Unmarshal(rm, o); err != nil {
			b.Reject(pos, "", "not a STIX object: "+jsonError(rm, err).Error())
			continue
		}
		if o.ID != "" {
			pos = o.ID
		}
		o.pos = pos
		if o.Modified != "" {
			o.modified, _ = parseTimestamp(o.Modified)
		}
		if j, ok := index[o.ID]; ok && o.ID != "" {
			if !o.modified.Before(out[j].modified) {
				out[j] = o
			}
			continue
		}
		index[o.ID] = len(out)
		out = append(out, o)
	}
	return out
}

// jsonError adds the line and column of a syntax error.
func jsonError(data []byte, err error) error {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return err
	}
	off := int(min(se.Offset, int64(len(data))))
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Errorf("line %d column %d: %w", line, col, err)
}

// parseTimestamp reads a STIX timestamp. The spec wants RFC 3339 in UTC
// with a "Z"; producers write anywhere from zero to nine fraction digits,
// which time.RFC3339Nano accepts.
func parseTimestamp(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp %q is not RFC 3339", s)
	}
	return t.UTC(), nil
}
