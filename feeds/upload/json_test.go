package upload

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
)

func parseJSON(t testing.TB, text string) (*feeds.Result, error) {
	t.Helper()
	b := feeds.NewBuilder("uploads", "json")
	err := JSON{}.Parse(strings.NewReader(text), b)
	return b.Result(), err
}

func TestJSON_Golden(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/upload.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := parseJSON(t, string(data))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	wantIDs := []string{"url:http://evil.example/payload.exe", "domain:c2.example",
		"ipv4:203.0.113.7", "email:analyst@phish.example"}
	if len(res.Indicators) != len(wantIDs) {
		t.Fatalf("got %d indicators, want %d", len(res.Indicators), len(wantIDs))
	}
	for i, want := range wantIDs {
		if got := res.Indicators[i].ID; got != want {
			t.Errorf("indicator %d = %s, want %s", i, got, want)
		}
	}
	first := res.Indicators[0].Sources[0]
	if first.Original != "hxxp://evil[.]example/payload.exe" || first.ID != "TICKET-17" ||
		first.Confidence != 90 || first.Severity != ioc.SeverityHigh {
		t.Errorf("first source = %+v", first)
	}
	if got := res.Indicators[1].Sources[0].ThreatTypes; len(got) != 2 || got[1] != "botnet" {
		t.Errorf("threat types of a ';' string = %q, want [c2 botnet]", got)
	}
	wantRejects := []struct{ pos, reason string }{
		{"item 5 (line 7)", "no recognisable type"},
		{"item 6 (line 8)", "confidence 101"},
		{"item 7 (line 9)", `unknown field "colour"`},
		{"item 8 (line 10)", `unknown severity "urgent"`},
		{"item 9 (line 11)", "valid_until"},
		{"item 10 (line 12)", "no value"},
		{"item 11 (line 13)", "not a JSON object"},
	}
	if len(res.Rejects) != len(wantRejects) {
		t.Fatalf("rejects = %+v, want %d", res.Rejects, len(wantRejects))
	}
	for i, w := range wantRejects {
		r := res.Rejects[i]
		if r.Position != w.pos || !strings.Contains(r.Reason, w.reason) {
			t.Errorf("reject %d = %q %q, want %q containing %q",
				i, r.Position, r.Reason, w.pos, w.reason)
		}
	}
}

func TestJSON_SyntaxErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, text string
		line       int
	}{
		{"two objects", "{\"value\": \"a.example\"}\n{}", 2},
		{"a string", `"a.example"`, 1},
		{"truncated", "[\n{\"value\": \"a.example\"},\n{\"value\": ", 3},
		{"trailing data", "[]\n[]", 2},
		{"garbage", "[\n\n  nope]", 3},
		{"empty", "", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseJSON(t, c.text)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error = %v, want a SyntaxError", c.text, err)
			}
			if se.Line != c.line {
				t.Errorf("Parse(%q) error at line %d, want %d (%v)", c.text, se.Line, c.line, se)
			}
		})
	}
}

func TestJSON_Sniff(t *testing.T) {
	t.Parallel()
	cases := map[string]bool{"[]": true, "\n  [{": true, "\ufeff[": true,
		`{"type":"bundle"}`: false, "value,type": false, "": false, ` {"value"`: true}
	for head, want := range cases {
		if got := (JSON{}).Sniff("", []byte(head)); got != want {
			t.Errorf("Sniff(%q) = %v, want %v", head, got, want)
		}
	}
}

func FuzzJSON(f *testing.F) {
	seeds := []string{"testdata/upload.json", "testdata/upload.csv", "testdata/upload.txt"}
	for _, name := range seeds {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`[{"value":"a.example","threat_type":[1]}]`))
	f.Add([]byte(`[{"value":"a.example","confidence":1e400}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b := feeds.NewBuilder("uploads", "json")
		err := JSON{}.Parse(strings.NewReader(string(data)), b)
		res := b.Result()
		if err != nil {
			return
		}
		for _, in := range res.Indicators {
			if !in.Type.IsValid() || in.ID != ioc.MakeID(in.Type, in.Value) {
				t.Fatalf("invalid indicator %+v from %q", in, data)
			}
			for _, s := range in.Sources {
				if s.Confidence < 0 || s.Confidence > 100 {
					t.Fatalf("confidence %d from %q", s.Confidence, data)
				}
			}
		}
	})
}

// One object is one indicator; duplicate members, numbers out of range and
// members of the wrong kind are rejected in plain words.
func TestJSON_Strictness(t *testing.T) {
	t.Parallel()
	res, err := parseJSON(t, `{"value": "a.example", "severity": "high"}`)
	if err != nil || len(res.Indicators) != 1 || res.Indicators[0].ID != "domain:a.example" {
		t.Fatalf("one object: %+v, %v; want one indicator", res, err)
	}
	cases := []struct{ name, item, reason string }{
		{"duplicate value", `{"value":"a.example","value":"b.example"}`,
			`member "value" given twice`},
		{"duplicate in another case", `{"value":"a.example","Value":"b.example"}`,
			`member "Value" given twice`},
		{"confidence too large", `{"value":"a.example","confidence":1e400}`,
			`confidence 1e400 is not a whole number from 0 to 100`},
		{"confidence beyond int", `{"value":"a.example","confidence":99999999999999999999}`,
			"is not a whole number from 0 to 100"},
		{"confidence fraction", `{"value":"a.example","confidence":50.5}`,
			"is not a whole number from 0 to 100"},
		{"confidence as text", `{"value":"a.example","confidence":"90"}`,
			"is not a whole number from 0 to 100"},
		{"severity as number", `{"value":"a.example","severity":5}`,
			"severity: want a string, got a number"},
		{"value as object", `{"value":{}}`, "value: want a string, got an object"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			res, err := parseJSON(t, "["+c.item+"]")
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Indicators) != 0 || len(res.Rejects) != 1 ||
				!strings.Contains(res.Rejects[0].Reason, c.reason) {
				t.Fatalf("%s: indicators %d, rejects %+v; want one reject saying %q",
					c.item, len(res.Indicators), res.Rejects, c.reason)
			}
			if r := res.Rejects[0].Reason; strings.Contains(r, "Go ") ||
				strings.Contains(r, "int") && !strings.Contains(r, "interval") {
				t.Errorf("reason %q names a Go type", r)
			}
		})
	}
	res, err = parseJSON(t, `[{"value":"a.example","confidence":null}]`)
	if err != nil || len(res.Indicators) != 1 || res.Indicators[0].Sources[0].Confidence != 50 {
		t.Errorf("null confidence: %+v, %v; want the default", res, err)
	}
}
