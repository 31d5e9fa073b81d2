package upload

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/feeds/list"
	"github.com/iocflow/iocflow/internal/clip"
)

// MaxJSON bounds the size of a JSON upload read by JSON.Parse, which holds
// it in memory; the HTTP API's max_body is usually far smaller.
const MaxJSON = 256 << 20

// JSON is the upload format for indicators as JSON: an array of objects,
// one per indicator, or a single such object for a single indicator, with
// these members (only value is required):
//
//	value        string   the indicator, defanged or not
//	type         string   its type (see ioc.ParseType); absent: by shape
//	confidence   integer  0-100, default 50
//	severity     string   info, low, medium, high or critical; default medium
//	threat_type  string or array of strings; a string may hold several
//	             separated by ';' or '|'
//	valid_until  string   RFC 3339 or YYYY-MM-DD (UTC)
//	id           string   the uploader's own id for the record
//
// An object with another member, a member given twice (names compare
// without regard to case, as encoding/json matches them), a member of the
// wrong JSON type or a value that is not valid is rejected on its own,
// with its item number and line, and a reason in plain words; a document
// that is neither a JSON array of objects nor one object is an error as a
// whole.
//
// JSON is stateless and safe for concurrent use.
type JSON struct{}

// Name implements feeds.Format.
func (JSON) Name() string { return "json" }

// Sniff accepts text that opens with '[', or with '{' unless the head
// names a STIX bundle (which opens with '{' too).
func (JSON) Sniff(_ string, head []byte) bool {
	t := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(t) == 0 {
		return false
	}
	return t[0] == '[' || t[0] == '{' && !bytes.Contains(t, []byte(`"bundle"`))
}

// item is one object of a JSON upload.
type item struct {
	Value *string `json:"value"`
	Type  string  `json:"type"`
	// Confidence is read as raw JSON so that a number out of range is
	// reported in words rather than as a Go type error.
	Confidence json.RawMessage `json:"confidence"`
	Severity   string          `json:"severity"`
	ThreatType stringList      `json:"threat_type"`
	ValidUntil string          `json:"valid_until"`
	ID         string          `json:"id"`
}

// stringList reads a JSON string or an array of strings.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '[' {
		var s []string
		if err := json.Unmarshal(b, &s); err != nil {
			return errors.New("threat_type: want a string or an array of strings")
		}
		*l = s
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("threat_type: want a string or an array of strings")
	}
	*l = strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '|' })
	return nil
}

// SyntaxError is a JSON upload that is not a JSON array: where and why.
type SyntaxError struct {
	Line   int
	Offset int64
	Reason string
}

func (e *SyntaxError) Error() string {
	return "line " + strconv.Itoa(e.Line) + " (byte " + strconv.FormatInt(e.Offset, 10) + "): " +
		e.Reason
}

// Parse implements feeds.Format.
func (JSON) Parse(r io.Reader, b *feeds.Builder) error {
	data, err := io.ReadAll(io.LimitReader(r, MaxJSON+1))
	if err != nil {
		return err
	}
	if len(data) > MaxJSON {
		return errors.New("JSON upload larger than 256 MiB")
	}
	p := &jsonParser{data: data, dec: json.NewDecoder(bytes.NewReader(data)), line: 1}
	return p.run(b)
}

type jsonParser struct {
	data []byte
	dec  *json.Decoder
	// line is the line number at byte offset at.
	line int
	at   int64
}

// lineAt returns the line of byte offset off, which never goes backwards.
func (p *jsonParser) lineAt(off int64) int {
	off = min(off, int64(len(p.data)))
	if off > p.at {
		p.line += bytes.Count(p.data[p.at:off], []byte("\n"))
		p.at = off
	}
	return p.line
}

func (p *jsonParser) fail(off int64, reason string) error {
	return &SyntaxError{Line: p.lineAt(off), Offset: off, Reason: reason}
}

func (p *jsonParser) run(b *feeds.Builder) error {
	if t := bytes.TrimLeft(p.data, " \t\r\n\ufeff"); len(t) > 0 && t[0] == '{' {
		return p.single(b, int64(len(p.data)-len(t)))
	}
	tok, err := p.dec.Token()
	if err != nil || tok != json.Delim('[') {
		return p.fail(p.dec.InputOffset(), "want a JSON array of indicator objects, "+
			"or one object")
	}
	for n := 1; p.dec.More(); n++ {
		start := p.elementStart()
		var raw json.RawMessage
		if err := p.dec.Decode(&raw); err != nil {
			reason := strings.TrimPrefix(err.Error(), "json: ")
			return p.fail(start, "item "+strconv.Itoa(n)+": "+reason)
		}
		pos := "item " + strconv.Itoa(n) + " (line " + strconv.Itoa(p.lineAt(start)) + ")"
		addItem(b, pos, "item "+strconv.Itoa(n), raw)
	}
	if _, err := p.dec.Token(); err != nil {
		return p.fail(p.dec.InputOffset(), strings.TrimPrefix(err.Error(), "json: "))
	}
	if _, err := p.dec.Token(); !errors.Is(err, io.EOF) {
		return p.fail(p.dec.InputOffset(), "data after the closing ']'")
	}
	return nil
}

// single reads a document that is one indicator object, starting at
// offset start.
func (p *jsonParser) single(b *feeds.Builder, start int64) error {
	dec := json.NewDecoder(bytes.NewReader(p.data[start:]))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return p.fail(start+dec.InputOffset(), strings.TrimPrefix(err.Error(), "json: "))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return p.fail(start+dec.InputOffset(), "data after the closing '}'")
	}
	addItem(b, "item 1 (line "+strconv.Itoa(p.lineAt(start))+")", "item 1", raw)
	return nil
}

// elementStart returns the offset of the next element: past the last
// token, any white space and the ',' between elements.
func (p *jsonParser) elementStart() int64 {
	off := p.dec.InputOffset()
	for off < int64(len(p.data)) {
		switch p.data[off] {
		case ' ', '\t', '\r', '\n', ',':
			off++
			continue
		}
		break
	}
	return off
}

func addItem(b *feeds.Builder, pos, id string, raw json.RawMessage) {
	if len(raw) == 0 || raw[0] != '{' {
		b.Reject(pos, "", "not a JSON object")
		return
	}
	if k := duplicateKey(raw); k != "" {
		b.Reject(pos, "", "member "+clip.Quote(k)+" given twice")
		return
	}
	var it item
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&it); err != nil {
		b.Reject(pos, "", plainError(err))
		return
	}
	if it.Value == nil || strings.TrimSpace(*it.Value) == "" {
		b.Reject(pos, "", "no value")
		return
	}
	value := *it.Value
	src, t, reason := it.source(id)
	if reason != "" {
		b.Reject(pos, value, reason)
		return
	}
	b.Add(pos, t, value, src)
}

// source returns the source item describes and the declared type, or why
// it is not valid.
func (it *item) source(id string) (ioc.Source, ioc.Type, string) {
	src := ioc.Source{ID: it.ID, Confidence: list.DefaultConfidence, Severity: list.DefaultSeverity,
		ThreatTypes: trimAll(it.ThreatType)}
	if src.ID == "" {
		src.ID = id
	}
	t := ioc.TypeInvalid
	if it.Type != "" {
		var ok bool
		if t, ok = ioc.ParseType(it.Type); !ok {
			return src, t, "unknown type " + clip.Quote(it.Type)
		}
	}
	if it.Confidence != nil && string(it.Confidence) != "null" {
		c, ok := confidence(it.Confidence)
		if !ok {
			return src, t, "confidence " + cut(string(it.Confidence)) +
				" is not a whole number from 0 to 100"
		}
		src.Confidence = c
	}
	if it.Severity != "" {
		sev, ok := ioc.ParseSeverity(it.Severity)
		if !ok {
			return src, t, "unknown severity " + clip.Quote(it.Severity)
		}
		src.Severity = sev
	}
	if it.ValidUntil != "" {
		u, err := parseTime(it.ValidUntil)
		if err != nil {
			return src, t, "valid_until " + clip.Quote(it.ValidUntil) +
				" is neither RFC 3339 nor YYYY-MM-DD"
		}
		src.ValidUntil = u
	}
	return src, t, ""
}

// confidence reads a JSON number that is a whole number from 0 to 100.
func confidence(raw json.RawMessage) (int, bool) {
	n, err := strconv.Atoi(string(raw))
	if err != nil || n < 0 || n > 100 {
		return 0, false
	}
	return n, true
}

// duplicateKey returns a member name that raw, a JSON object, holds more
// than once (without regard to case, as encoding/json matches names), or
// "" for none. encoding/json itself keeps the last silently.
func duplicateKey(raw []byte) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return ""
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		k, _ := tok.(string)
		if seen[strings.ToLower(k)] {
			return k
		}
		seen[strings.ToLower(k)] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return ""
		}
	}
	return ""
}

// plainError says why an object did not decode without naming Go types.
func plainError(err error) string {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	want := "a string"
	if te.Field == "threat_type" {
		want = "a string or an array of strings"
	}
	return te.Field + ": want " + want + ", got " + article(te.Value)
}

// article puts "a" or "an" before a JSON kind as encoding/json names it.
func article(kind string) string {
	switch kind {
	case "array", "object":
		return "an " + kind
	case "":
		return "another kind of value"
	}
	return "a " + kind
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	return time.Parse(time.DateOnly, s)
}

func trimAll(l []string) []string {
	var out []string
	for _, s := range l {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
