// Package obj reads JSON records into generic values for the decoders of
// formats that are not on the zero-allocation hot path, and walks them by
// dotted paths. Numbers are kept as json.Number so that large integers
// (flow ids, record ids) keep every digit.
package obj

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/iocflow/iocflow/pipeline/decode"
	"github.com/iocflow/iocflow/pipeline/decode/extract"
	"github.com/iocflow/iocflow/pipeline/event"
)

// Map is a decoded JSON object.
type Map = map[string]any

// Parse decodes data, which must hold exactly one JSON object, and
// reports a bad record as a *decode.Error of format with the byte offset.
func Parse(format string, data []byte) (Map, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var m Map
	if err := d.Decode(&m); err != nil {
		return nil, syntaxError(format, err, d.InputOffset())
	}
	if m == nil {
		return nil, decode.NewError(format, 0, "want a JSON object")
	}
	if off := d.InputOffset(); d.More() {
		return nil, decode.NewError(format, int(off), "data after the end of the JSON object")
	}
	return m, nil
}

func syntaxError(format string, err error, off int64) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return decode.NewError(format, int(se.Offset), se.Error())
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return decode.NewError(format, int(te.Offset), "want a JSON object")
	}
	return decode.NewError(format, int(off), err.Error())
}

// Get returns the value at a dotted path; each step is first tried as a
// whole key, so flattened keys ("source.ip") work too.
func Get(v any, path string) any {
	m, ok := v.(Map)
	if !ok {
		return nil
	}
	if x, ok := m[path]; ok {
		return x
	}
	for i := 0; i < len(path); i++ {
		if path[i] == '.' {
			if x, ok := m[path[:i]]; ok {
				if r := Get(x, path[i+1:]); r != nil {
					return r
				}
			}
		}
	}
	return nil
}

// Str returns the text at path: a string as is, a number as written;
// anything else gives "".
func Str(v any, path string) string {
	return Text(Get(v, path))
}

// Text returns a string value as is and a number as written.
func Text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return ""
}

// List returns the value at path as a list: an array's elements, a
// single value as a list of one (producers write one-element collections
// as bare objects), nil as none.
func List(v any, path string) []any {
	switch x := Get(v, path).(type) {
	case nil:
		return nil
	case []any:
		return x
	default:
		return []any{x}
	}
}

// Strs returns the strings at path, whether a string or a list of them.
func Strs(v any, path string) []string {
	var out []string
	for _, x := range List(v, path) {
		if s := Text(x); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Has reports whether the object has a key.
func Has(m Map, key string) bool {
	_, ok := m[key]
	return ok
}

// Base returns the last element of a Windows or Unix path.
func Base(p string) string {
	if i := strings.LastIndexAny(p, `\/`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// FirstStr returns the first non-empty string found at any of paths, in
// order, or "".
func FirstStr(v any, paths ...string) string {
	for _, p := range paths {
		if s := Str(v, p); s != "" {
			return s
		}
	}
	return ""
}

// SetTime sets ev.Time from the first of paths that holds a value, read
// with extract.Time. A value that is there but not a time is a *decode.Error
// of format naming the path; no value at all leaves ev.Time as it is.
func SetTime(v any, format string, ev *event.Event, paths ...string) error {
	for _, p := range paths {
		s := Str(v, p)
		if s == "" {
			continue
		}
		t, err := extract.Time(s)
		if err != nil {
			return decode.NewError(format, decode.NoOffset, p+": "+err.Error())
		}
		ev.Time = t
		return nil
	}
	return nil
}
