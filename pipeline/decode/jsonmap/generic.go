package jsonmap

import (
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/iocflow/iocflow/pipeline/decode"
	"github.com/iocflow/iocflow/pipeline/event"
)

// decodeGeneric is the first implementation of Decode: encoding/json into
// a map[string]any, then a lookup per mapped path. It is the reference for
// what Decode does: the fast path falls back to it for the records it does
// not take (malformed ones, numbers beyond float64, nesting deeper than
// the scanner's limit), and the tests hold the fast path to it.
func (d *Decoder) decodeGeneric(data []byte, ev *event.Event) error {
	var rec map[string]any
	if err := json.Unmarshal(data, &rec); err != nil {
		off := decode.NoOffset
		var se *json.SyntaxError
		if errors.As(err, &se) {
			off = int(se.Offset)
		}
		return decode.NewError(FormatName, off, err.Error())
	}
	if rec == nil {
		return decode.NewError(FormatName, decode.NoOffset, "not a JSON object")
	}
	ev.Format = FormatName
	ev.ID = d.id(rec, data)
	if err := d.setTime(rec, ev); err != nil {
		return err
	}
	ev.Host = firstString(rec, d.m.HostFields)
	ev.User = firstString(rec, d.m.UserFields)
	for _, p := range d.paths {
		k := d.m.Fields[p]
		for _, v := range lookup(rec, p, nil) {
			if s, ok := v.(string); ok {
				addValue(ev, k, s, p)
			}
		}
	}
	return nil
}

// firstString returns the first non-empty string found at any of paths.
func firstString(rec map[string]any, paths []string) string {
	for _, p := range paths {
		for _, v := range lookup(rec, p, nil) {
			if s, ok := v.(string); ok && s != "" {
				return s
			}
		}
	}
	return ""
}

func (d *Decoder) id(rec map[string]any, data []byte) string {
	for _, p := range d.m.IDFields {
		for _, v := range lookup(rec, p, nil) {
			switch x := v.(type) {
			case string:
				if x != "" {
					return x
				}
			case float64:
				return strconv.FormatFloat(x, 'f', -1, 64)
			}
		}
	}
	return event.HashID(data)
}

func (d *Decoder) setTime(rec map[string]any, ev *event.Event) error {
	for _, p := range d.m.TimeFields {
		vals := lookup(rec, p, nil)
		if len(vals) == 0 {
			continue
		}
		t, err := parseTime(vals[0])
		if err != nil {
			return decode.NewError(FormatName, decode.NoOffset, p+": "+err.Error())
		}
		ev.Time = t
		return nil
	}
	return nil
}

func parseTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case string:
		return timeText(x)
	case float64:
		return timeNumber(x), nil
	}
	return time.Time{}, errTimeKind
}

// lookup appends to out every value at path in v.
func lookup(v any, path string, out []any) []any {
	if arr, ok := v.([]any); ok {
		for _, e := range arr {
			out = lookup(e, path, out)
		}
		return out
	}
	if path == "" {
		return append(out, v)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return out
	}
	// A flattened key and a nested path to the same field are both read:
	// taking only one would let a record hide a value behind the other.
	if x, ok := m[path]; ok {
		out = lookup(x, "", out)
	}
	for i := 0; i < len(path); i++ {
		if path[i] != '.' {
			continue
		}
		if x, ok := m[path[:i]]; ok {
			out = lookup(x, path[i+1:], out)
		}
	}
	return out
}
