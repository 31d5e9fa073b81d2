package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/iocflow/iocflow/feeds"
)

// Format is the STIX 2.x JSON format: a bundle, or a TAXII 2.1 envelope
// saved to a file. The zero value is ready to use.
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

// MaxBundle bounds the size in bytes of a bundle read whole: 1 GiB.
const MaxBundle = 1 << 30

type bundle struct {
	Type        string            `json:"type"`
	SpecVersion string            `json:"spec_version"`
	Objects     []json.RawMessage `json:"objects"`
}

// Parse implements feeds.Format. Objects that cannot be read are rejected
// one by one; only input that is not a JSON bundle or envelope at all is an
// error.
func (Format) Parse(r io.Reader, b *feeds.Builder) error {
	data, err := io.ReadAll(io.LimitReader(r, MaxBundle+1))
	if err != nil {
		return err
	}
	if len(data) > MaxBundle {
		return fmt.Errorf("bundle larger than %d bytes", MaxBundle)
	}
	objs, version, err := DecodeBundle(data)
	if err != nil {
		return err
	}
	s := NewStore()
	_, rejects := s.Add(objs, version)
	for _, rj := range rejects {
		b.Reject(rj.Position, rj.Value, rj.Reason)
	}
	s.Build(b)
	return nil
}

// DecodeBundle splits a STIX bundle or a TAXII envelope into its objects,
// undecoded, and returns the bundle's spec_version ("2.0" for a 2.0 bundle,
// "" otherwise). Only a document that is not a JSON object with an
// "objects" array is an error; the error gives the line and column of a
// syntax error.
func DecodeBundle(data []byte) ([]json.RawMessage, string, error) {
	var bu bundle
	if err := json.Unmarshal(data, &bu); err != nil {
		return nil, "", fmt.Errorf("decode bundle: %w", jsonError(data, err))
	}
	if bu.Objects == nil {
		return nil, "", errors.New("decode bundle: no \"objects\" array")
	}
	return bu.Objects, bu.SpecVersion, nil
}

// jsonError adds the line and column of a syntax error. encoding/json
// reports the offset just past the offending byte.
func jsonError(data []byte, err error) error {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return err
	}
	off := int(min(max(se.Offset-1, 0), int64(len(data))))
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Errorf("line %d column %d: %w", line, col, err)
}
