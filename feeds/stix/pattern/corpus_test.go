package pattern

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

var filepathGlob = filepath.Glob

// jsonPatterns returns every "pattern" string found anywhere in a JSON file.
func jsonPatterns(tb testing.TB, name string) []string {
	tb.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		tb.Fatalf("read %s: %v", name, err)
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		tb.Fatalf("decode %s: %v", name, err)
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if s, ok := e.(string); ok && k == "pattern" {
					out = append(out, s)
				}
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(doc)
	return out
}
