package jsonscan

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// walk reads a whole value through the public API, as a decoder would.
func walk(s *Scanner) {
	switch s.Peek() {
	case '{':
		s.Object()
		for {
			if _, ok := s.Key(); !ok {
				return
			}
			walk(s)
		}
	case '[':
		s.Array()
		for s.Next() {
			walk(s)
		}
	case '"':
		s.Str()
	default:
		s.Skip()
	}
}

func valid(data []byte) bool {
	var s Scanner
	s.Reset(data)
	walk(&s)
	return s.End() && s.Err() == nil
}

func TestScanner_AgreesWithEncodingJSON(t *testing.T) {
	for _, in := range []string{`{}`, `[]`, `{"a":[1,2.5e-3,-0,"x\u00e9\ud83d\ude00"]}`, `"a\/b"`,
		`{"a":}`, `{"a" 1}`, `[1,]`, `01`, `1.`, `-`, `"\x"`, `{"a":1}}`, `tru`, `nul`, `[1 2]`,
		"\"a\tb\"", ` {"k":null} `, `{"a":{"b":{"c":[[],{}]}}}`} {
		if got, want := valid([]byte(in)), json.Valid([]byte(in)); got != want {
			t.Errorf("%q: scanner says valid=%v, encoding/json %v", in, got, want)
		}
	}
}

func TestScanner_Unescape(t *testing.T) {
	var s Scanner
	s.Reset([]byte(`"a\"b\\c\/d\n\u00e9\ud83d\ude00\ud800x"`))
	b, ok := s.Str()
	var want string
	_ = json.Unmarshal([]byte(`"a\"b\\c\/d\n\u00e9\ud83d\ude00\ud800x"`), &want)
	if !ok || string(b) != want {
		t.Errorf("got %q, want %q", b, want)
	}
}

// FuzzScanner uses encoding/json as the oracle for well-formedness and
// string values.
func FuzzScanner(f *testing.F) {
	for _, s := range []string{`{"a":[1,"b",{"c":null}]}`, `"\u00e9"`, `[1e5,-2,true,false]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, want := valid(data), json.Valid(data)
		if got != want {
			t.Fatalf("%q: scanner valid=%v, encoding/json %v", data, got, want)
		}
		var s Scanner
		s.Reset(data)
		if s.Peek() == '"' {
			b, ok := s.Str()
			var w string
			// Invalid UTF-8 passes through; encoding/json substitutes U+FFFD.
			if ok && utf8.Valid(b) && json.Unmarshal(data, &w) == nil && s.End() &&
				w != string(b) {
				t.Fatalf("%q: scanner %q, encoding/json %q", data, b, w)
			}
		}
	})
}
