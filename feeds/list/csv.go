package list

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
)

// CSV is a list with a header row. The header names the columns, in any
// order and case; only the value column is required:
//
//	value (or indicator, ioc)     the indicator
//	type (or ioc_type)            its type; empty means typed by shape
//	id                            the list's own id for the row
//	confidence                    0-100, default 50
//	severity                      info, low, medium, high or critical
//	threat_type (or threat)       ';'- or '|'-separated threat types
//	malware                       ';'- or '|'-separated family names
//	valid_from, valid_until       RFC 3339 or YYYY-MM-DD, UTC
//
// Other columns are ignored. Lines starting with '#' are comments.
type CSV struct{}

// Name implements feeds.Format.
func (CSV) Name() string { return "csv" }

var columnNames = map[string]string{
	"value": "value", "indicator": "value", "ioc": "value", "observable": "value",
	"type": "type", "ioc_type": "type", "indicator_type": "type",
	"id": "id", "confidence": "confidence", "severity": "severity",
	"threat_type": "threat_type", "threat": "threat_type",
	"malware": "malware", "valid_from": "valid_from", "valid_until": "valid_until",
}

// Sniff accepts text whose first line that is not a comment is a header
// with a value column.
func (CSV) Sniff(_ string, head []byte) bool {
	for _, line := range bytes.Split(head, []byte("\n")) {
		t := strings.TrimSpace(string(line))
		if t == "" || t[0] == '#' {
			continue
		}
		for _, f := range strings.Split(t, ",") {
			if columnNames[normaliseColumn(f)] == "value" {
				return true
			}
		}
		return false
	}
	return false
}

func normaliseColumn(s string) string {
	// Spreadsheets save "CSV UTF-8" with a byte order mark, which then
	// sticks to the first column's name.
	s = strings.TrimPrefix(s, "\uFEFF")
	s = strings.ToLower(strings.Trim(strings.TrimSpace(s), `"`))
	return strings.NewReplacer(" ", "_", "-", "_").Replace(s)
}

// Parse implements feeds.Format.
func (CSV) Parse(r io.Reader, b *feeds.Builder) error {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return err
	}
	cols := map[string]int{}
	for i, h := range header {
		if name, ok := columnNames[normaliseColumn(h)]; ok {
			cols[name] = i
		}
	}
	if _, ok := cols["value"]; !ok {
		return errors.New("header has no value column")
	}
	return readRows(cr, cols, b)
}

func readRows(cr *csv.Reader, cols map[string]int, b *feeds.Builder) error {
	for {
		rec, err := cr.Read()
		line, _ := cr.FieldPos(0)
		pos := "line " + strconv.Itoa(line)
		var pe *csv.ParseError
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case errors.As(err, &pe):
			b.Reject("line "+strconv.Itoa(pe.Line), "", pe.Err.Error())
			continue
		case err != nil:
			return err
		}
		addRow(pos, rec, cols, b)
	}
}

func addRow(pos string, rec []string, cols map[string]int, b *feeds.Builder) {
	get := func(name string) string {
		i, ok := cols[name]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	value := get("value")
	if value == "" {
		b.Reject(pos, "", "empty value")
		return
	}
	src := ioc.Source{ID: get("id"), Confidence: DefaultConfidence, Severity: DefaultSeverity}
	if src.ID == "" {
		src.ID = pos
	}
	if reason := fillSource(&src, get); reason != "" {
		b.Reject(pos, value, reason)
		return
	}
	t := ioc.TypeInvalid
	if name := get("type"); name != "" {
		var ok bool
		if t, ok = ioc.ParseType(name); !ok {
			b.Reject(pos, value, "unknown type "+strconv.Quote(name))
			return
		}
	}
	b.Add(pos, t, value, src)
}

// fillSource reads the optional columns into src and returns why one is
// invalid, or "".
func fillSource(src *ioc.Source, get func(string) string) string {
	if c := get("confidence"); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 0 || n > 100 {
			return "confidence " + strconv.Quote(c) + " is not an integer from 0 to 100"
		}
		src.Confidence = n
	}
	if s := get("severity"); s != "" {
		sev, ok := ioc.ParseSeverity(s)
		if !ok {
			return "unknown severity " + strconv.Quote(s)
		}
		src.Severity = sev
	}
	src.ThreatTypes = splitList(get("threat_type"))
	src.Malware = splitList(get("malware"))
	var err error
	if src.ValidFrom, err = parseTime(get("valid_from")); err != nil {
		return "valid_from: " + err.Error()
	}
	if src.ValidUntil, err = parseTime(get("valid_until")); err != nil {
		return "valid_until: " + err.Error()
	}
	if !src.ValidUntil.IsZero() && !src.ValidUntil.After(src.ValidFrom) {
		return "valid_until is not after valid_from"
	}
	return ""
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '|' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, errors.New(strconv.Quote(s) + " is neither RFC 3339 nor YYYY-MM-DD")
	}
	return t, nil
}
