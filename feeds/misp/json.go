package misp

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/iocflow/iocflow/internal/clip"
)

// flexBool reads the booleans MISP writes as true/false, "1"/"0",
// "true"/"false" or 1/0, depending on version and export path.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	s := strings.ToLower(string(bytes.Trim(bytes.TrimSpace(b), `"`)))
	switch s {
	case "true", "1":
		*f = true
	case "false", "0", "", "null":
		*f = false
	default:
		return errors.New("boolean expected, have " + clip.Quote(string(b)))
	}
	return nil
}

// flexString reads a value MISP writes as a string in events and as a
// number in manifests ("3" or 3).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*f = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	if _, err := strconv.ParseFloat(string(b), 64); err != nil {
		return errors.New("string or number expected, have " + clip.Quote(string(b)))
	}
	*f = flexString(b)
	return nil
}

type tag struct {
	Name string `json:"name"`
}

type galaxy struct {
	Type    string `json:"type"`
	Cluster []struct {
		Value   string `json:"value"`
		TagName string `json:"tag_name"`
	} `json:"GalaxyCluster"`
}

// event is the part of a MISP event iocflow reads. Attributes and objects
// stay raw so that one bad attribute is rejected alone.
type event struct {
	UUID          string            `json:"uuid"`
	Info          string            `json:"info"`
	ThreatLevelID flexString        `json:"threat_level_id"`
	Tag           []tag             `json:"Tag"`
	Galaxy        []galaxy          `json:"Galaxy"`
	Attribute     []json.RawMessage `json:"Attribute"`
	Object        []json.RawMessage `json:"Object"`
}

type object struct {
	UUID      string            `json:"uuid"`
	Name      string            `json:"name"`
	Deleted   flexBool          `json:"deleted"`
	Attribute []json.RawMessage `json:"Attribute"`
}

type attribute struct {
	UUID      string     `json:"uuid"`
	Type      string     `json:"type"`
	Category  string     `json:"category"`
	Value     string     `json:"value"`
	ToIDs     flexBool   `json:"to_ids"`
	Deleted   flexBool   `json:"deleted"`
	Timestamp flexString `json:"timestamp"`
	FirstSeen string     `json:"first_seen"`
	Tag       []tag      `json:"Tag"`
	Galaxy    []galaxy   `json:"Galaxy"`
	// Event is the owning event's summary in attribute search answers.
	Event *struct {
		UUID string `json:"uuid"`
	} `json:"Event"`
}

// manifestEntry is one event of a feed's manifest.json.
type manifestEntry struct {
	Info          string     `json:"info"`
	ThreatLevelID flexString `json:"threat_level_id"`
	Timestamp     flexString `json:"timestamp"`
}

// decodeReason turns an unmarshalling error into a reject reason.
func decodeReason(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "field " + clip.Quote(te.Field) + ": JSON " + te.Value + " where " +
			te.Type.String() + " was expected"
	}
	return "invalid JSON: " + err.Error()
}
