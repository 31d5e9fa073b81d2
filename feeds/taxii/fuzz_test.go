package taxii

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// replay answers every request with one raw HTTP response.
type replay []byte

func (r replay) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(r)), req)
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// FuzzPoll feeds raw server answers (seeded with the recorded medallion
// session) through a whole poll: no answer may panic, and an error must
// carry text.
func FuzzPoll(f *testing.F) {
	files, err := filepath.Glob("testdata/medallion-session/*.http")
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		c := &Client{
			HTTPClient: &http.Client{Transport: replay(raw)},
			sleep:      func(context.Context, time.Duration) error { return nil },
			MaxRetries: 1,
		}
		pages := 0
		root := "http://taxii.invalid/root/"
		for p, err := range c.Poll(context.Background(), root, "c", Query{}) {
			if err != nil {
				if strings.TrimSpace(err.Error()) == "" {
					t.Fatal("error without text")
				}
				break
			}
			if pages++; pages > 5 || p == nil {
				break
			}
		}
		// Error bodies and timestamps are read by their own functions too.
		_ = newHTTPError("GET", "u", 500, "application/json", raw).Error()
		_, _ = ParseTimestamp(string(raw))
		_ = retryAfter(string(raw))
		_, _ = io.Copy(io.Discard, bytes.NewReader(raw))
	})
}
