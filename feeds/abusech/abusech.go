// Package abusech reads the abuse.ch feeds: Feodo Tracker's botnet C2 block
// list (ipblocklist.csv, .json and .txt), URLhaus's CSV dumps, ThreatFox IOC
// records (API JSON or JSON lines, and the CSV export) and MalwareBazaar
// sample records (API JSON or JSON lines). Each is its own Format, since
// each has its own shape; the four share the readers in this file.
//
// CSV columns are mapped by the header's names, never by position: the
// header is the first row or sits inside a '#' banner line, and old and new
// column sets are read alike. JSON feeds may be JSON lines, an array of
// records, or an API response whose records are under "data". A record that
// cannot be read is rejected with its line or record number; the others
// load. A JSON document whose syntax is broken cannot be split into
// records and fails as a whole, so that a truncated download never replaces
// the indicators in force.
//
// Format values are stateless and safe for concurrent use.
package abusech

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/internal/clip"
	"github.com/iocflow/iocflow/internal/lines"
)

// maxLine bounds one CSV row or JSON line.
const maxLine = 256 << 10

// missing reports whether a field value means "no value": abuse.ch writes
// "", "None", "null", "N/A" or "-" for it.
func missing(s string) bool {
	switch strings.TrimSpace(s) {
	case "", "None", "none", "null", "N/A", "n/a", "-":
		return true
	}
	return false
}

// parseTime reads the abuse.ch timestamps, all UTC: "2006-01-02 15:04:05",
// the same with " UTC", and a date alone. A missing value is the zero time.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if missing(s) {
		return time.Time{}, nil
	}
	s = strings.TrimSuffix(s, " UTC")
	for _, layout := range []string{time.DateTime, time.DateOnly, time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("time " + clip.Quote(s) +
		" is not YYYY-MM-DD[ HH:MM:SS[ UTC]]")
}

// hasKey reports whether head holds the JSON object key `"key":`, spaces
// allowed before the colon.
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

// firstByte returns the first byte of head that is not white space or a
// byte order mark, or 0.
func firstByte(head []byte) byte {
	t := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\uFEFF")), " \t\r\n")
	if len(t) == 0 {
		return 0
	}
	return t[0]
}

// row gives the fields of one CSV record by column name.
type row struct {
	cols   map[string]int
	fields []string
}

// get returns the named field trimmed, or "" when the column is absent or
// the value means missing.
func (r row) get(name string) string {
	i, ok := r.cols[name]
	if !ok || i >= len(r.fields) {
		return ""
	}
	v := strings.TrimSpace(r.fields[i])
	if missing(v) {
		return ""
	}
	return v
}

// readCSV reads an abuse.ch CSV export and calls fn for each record. The
// header is the first line, commented or not, that names the column want;
// before it, '#' lines are banner and anything else is an error. After it,
// '#' lines (such as "# END 28 entries") are skipped and each line is one
// record.
func readCSV(r io.Reader, b *feeds.Builder, want string, fn func(pos string, rec row)) error {
	var cols map[string]int
	err := feeds.EachLine(r, b, maxLine, func(pos, text string) error {
		if cols == nil {
			cols = header(text, want)
			if cols == nil && text[0] != '#' {
				return fmt.Errorf("%s: record before a header row naming a %s column", pos, want)
			}
			return nil
		}
		if text[0] == '#' {
			return nil
		}
		fields, err := splitCSV(text)
		if err != nil {
			b.Reject(pos, text, "invalid CSV: "+err.Error())
			return nil
		}
		fn(pos, row{cols: cols, fields: fields})
		return nil
	})
	if err == nil && cols == nil {
		return fmt.Errorf("no header row naming a %s column", want)
	}
	return err
}

// header returns the columns of a header line (with or without a leading
// '#') by normalised name, or nil when it does not name want.
func header(text, want string) map[string]int {
	fields, err := splitCSV(strings.TrimSpace(strings.TrimLeft(text, "#")))
	if err != nil {
		return nil
	}
	cols := map[string]int{}
	for i, f := range fields {
		name := strings.ToLower(strings.TrimSpace(f))
		if _, dup := cols[name]; !dup {
			cols[name] = i
		}
	}
	if _, ok := cols[want]; !ok {
		return nil
	}
	return cols
}

// splitCSV splits one CSV line; ThreatFox writes a space after each comma.
func splitCSV(line string) ([]string, error) {
	cr := csv.NewReader(strings.NewReader(line))
	cr.TrimLeadingSpace = true
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	rec, err := cr.Read()
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return nil, pe.Err
	}
	return rec, err
}

// readJSON calls fn for each record of a JSON feed: JSON lines (positions
// "line N"; a bad line is rejected and reading goes on), an array of
// records, or an object holding them under "data" as the abuse.ch APIs
// answer (positions "record N"). An API answer whose query_status is a
// "no results" status has no records; any other status but "ok" is an
// error.
func readJSON(r io.Reader, b *feeds.Builder, fn func(pos string, raw []byte)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	first, err := br.ReadBytes('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(first, []byte("\uFEFF")))
	if len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(trimmed) {
		var top map[string]json.RawMessage
		if json.Unmarshal(trimmed, &top) == nil && top["query_status"] == nil {
			return readJSONLines(trimmed, br, b, fn)
		}
	}
	first = bytes.TrimPrefix(first, []byte("\uFEFF"))
	return readJSONDocument(io.MultiReader(bytes.NewReader(first), br), fn)
}

func readJSONLines(first []byte, rest io.Reader, b *feeds.Builder,
	fn func(pos string, raw []byte)) error {
	fn("line 1", first)
	lr := lines.NewReader(rest, maxLine)
	for {
		line, err := lr.Next()
		pos := "line " + strconv.Itoa(lr.Line()+1)
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case errors.Is(err, lines.ErrTooLong):
			b.Reject(pos, "", "line longer than 256 KiB")
			continue
		case err != nil:
			return err
		}
		t := bytes.TrimSpace(line)
		if len(t) == 0 {
			continue
		}
		if !json.Valid(t) {
			b.Reject(pos, string(t), "invalid JSON")
			continue
		}
		fn(pos, bytes.Clone(t))
	}
}

// noResults are the query_status values of an answer without records.
var noResults = map[string]bool{"no_result": true, "no_results": true}

func readJSONDocument(r io.Reader, fn func(pos string, raw []byte)) error {
	dec := json.NewDecoder(r)
	var doc json.RawMessage
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("read JSON at byte %d: %w", dec.InputOffset(), err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("read JSON: more after the document at byte %d", dec.InputOffset())
	}
	doc = bytes.TrimSpace(doc)
	if doc[0] == '{' {
		var env struct {
			QueryStatus *string         `json:"query_status"`
			Data        json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(doc, &env); err != nil {
			return fmt.Errorf("read JSON: %w", err)
		}
		switch {
		case env.QueryStatus == nil:
			fn("record 1", doc)
			return nil
		case noResults[*env.QueryStatus]:
			return nil
		case *env.QueryStatus != "ok":
			return fmt.Errorf("API answered query_status %q", *env.QueryStatus)
		}
		doc = bytes.TrimSpace(env.Data)
	}
	var recs []json.RawMessage
	if err := json.Unmarshal(doc, &recs); err != nil {
		return errors.New("read JSON: want an array of records, an object, or JSON lines")
	}
	for i, rec := range recs {
		fn("record "+strconv.Itoa(i+1), rec)
	}
	return nil
}

// jsonReason turns a decoding error of one record into a reject reason.
func jsonReason(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "field " + clip.Quote(te.Field) + ": JSON " + te.Value + " where " +
			te.Type.String() + " was expected"
	}
	return "invalid record: " + err.Error()
}

// splitList splits a comma-joined list ("Agentemis,BEACON"), dropping empty
// and missing items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); !missing(f) {
			out = append(out, f)
		}
	}
	return out
}
