package schedule

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/list"
	"github.com/iocflow/iocflow/feeds/store"
	"github.com/iocflow/iocflow/internal/config"
)

var testFormats = []feeds.Format{list.CSV{}, list.Plain{}}

// feedServer serves one body with an ETag and a Last-Modified time, and
// answers conditional requests; tests change what it serves.
type feedServer struct {
	mu      sync.Mutex
	body    string
	status  int
	etag    string
	lastMod string
	hits    []string // "200" or "304" per request
}

func (fs *feedServer) set(status int, body, etag string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.status, fs.body, fs.etag = status, body, etag
	fs.lastMod = time.Date(2026, 1, 1, 0, 0, len(fs.hits), 0, time.UTC).Format(http.TimeFormat)
}

func (fs *feedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.status == http.StatusOK && fs.etag != "" && r.Header.Get("If-None-Match") == fs.etag {
		fs.hits = append(fs.hits, "304")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	fs.hits = append(fs.hits, fmt.Sprint(fs.status))
	if fs.etag != "" {
		w.Header().Set("ETag", fs.etag)
	}
	w.Header().Set("Last-Modified", fs.lastMod)
	w.WriteHeader(fs.status)
	w.Write([]byte(fs.body))
}

func ips(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "10.0.%d.%d\n", i/250, i%250+1)
	}
	return b.String()
}

func newTestScheduler(t *testing.T, fc FeedConfig) (*Scheduler, *store.Store, *bytes.Buffer) {
	t.Helper()
	st, err := store.New(store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if fc.Name == "" {
		fc.Name = "test"
	}
	return New(Config{Feeds: []FeedConfig{fc}}, testFormats, st, nil, logger), st, &logs
}

func TestScheduler_ConditionalRequests(t *testing.T) {
	t.Parallel()
	fs := &feedServer{}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	s, st, _ := newTestScheduler(t, FeedConfig{URL: srv.URL + "/list.txt"})
	ctx := context.Background()

	fs.set(http.StatusOK, ips(10), `"v1"`)
	rep, err := s.Refresh(ctx, "test")
	if err != nil || rep.Added != 10 {
		t.Fatalf("first refresh = %+v, %v; want 10 added", rep, err)
	}
	if _, err := s.Refresh(ctx, "test"); !errors.Is(err, ErrNotModified) {
		t.Fatalf("second refresh error = %v, want ErrNotModified", err)
	}
	fs.set(http.StatusOK, ips(11), `"v2"`)
	rep, err = s.Refresh(ctx, "test")
	if err != nil || rep.Added != 1 || rep.Updated != 0 || rep.Removed != 0 {
		t.Fatalf("third refresh = %+v, %v; want exactly 1 added", rep, err)
	}
	if got, want := strings.Join(fs.hits, ","), "200,304,200"; got != want {
		t.Errorf("server answered %s, want %s", got, want)
	}
	if st.Len("test") != 11 {
		t.Errorf("in force %d, want 11", st.Len("test"))
	}
}

func TestScheduler_IfModifiedSince(t *testing.T) {
	t.Parallel()
	var got []string
	var mu sync.Mutex
	lastMod := "Thu, 01 Jan 2026 00:00:00 GMT"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("If-Modified-Since"))
		mu.Unlock()
		if r.Header.Get("If-Modified-Since") == lastMod {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Last-Modified", lastMod)
		w.Write([]byte(ips(3)))
	}))
	defer srv.Close()
	s, _, _ := newTestScheduler(t, FeedConfig{URL: srv.URL})
	if _, err := s.Refresh(context.Background(), "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Refresh(context.Background(), "test"); !errors.Is(err, ErrNotModified) {
		t.Fatalf("second refresh error = %v, want ErrNotModified", err)
	}
	if len(got) != 2 || got[0] != "" || got[1] != lastMod {
		t.Errorf("If-Modified-Since sent = %q, want [\"\" %q]", got, lastMod)
	}
}

func TestScheduler_KeepsLastGoodSet(t *testing.T) {
	t.Parallel()
	fs := &feedServer{}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	s, st, logs := newTestScheduler(t, FeedConfig{URL: srv.URL + "/list.txt"})
	ctx := context.Background()
	fs.set(http.StatusOK, ips(10), "")
	if _, err := s.Refresh(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		status  int
		body    string
		refused bool
	}{
		{"server error", http.StatusServiceUnavailable, "down", false},
		{"not found", http.StatusNotFound, ips(10), false},
		{"html error page", http.StatusOK, "<html><body>maintenance</body></html>", true},
		{"json instead of a list", http.StatusOK, `{"error":"quota"}`, true},
		{"collapse to 4 of 10", http.StatusOK, ips(4), true},
		{"empty", http.StatusOK, "", true},
	}
	for _, c := range cases {
		fs.set(c.status, c.body, "")
		_, err := s.Refresh(ctx, "test")
		var refused *RefusedError
		switch {
		case err == nil:
			t.Errorf("%s: refresh accepted", c.name)
		case errors.As(err, &refused) != c.refused:
			t.Errorf("%s: error %v, refused = %v, want %v", c.name, err, !c.refused, c.refused)
		}
		if st.Len("test") != 10 {
			t.Fatalf("%s: %d indicators in force, want the last good 10", c.name, st.Len("test"))
		}
	}
	if !strings.Contains(logs.String(), "feed refresh refused") {
		t.Errorf("no refusal warning logged:\n%s", logs)
	}
	if got := s.Statuses()[0]; got.Failures != len(cases) || got.Indicators != 10 {
		t.Errorf("status = %+v, want %d failures and 10 indicators", got, len(cases))
	}
}

func TestScheduler_ShrinkAcceptedWhenConfirmed(t *testing.T) {
	t.Parallel()
	fs := &feedServer{}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	s, st, _ := newTestScheduler(t, FeedConfig{URL: srv.URL + "/list.txt", MinKeep: 0.8})
	ctx := context.Background()
	fs.set(http.StatusOK, ips(10), "")
	s.Refresh(ctx, "test")
	fs.set(http.StatusOK, ips(8), "")
	if _, err := s.Refresh(ctx, "test"); err != nil {
		t.Fatalf("8 of 10 with min_keep 0.8: %v", err)
	}
	fs.set(http.StatusOK, ips(2), "")
	for i := 1; i < confirmations; i++ {
		var refused *RefusedError
		if _, err := s.Refresh(ctx, "test"); !errors.As(err, &refused) {
			t.Fatalf("collapse seen %d times: error %v, want refused", i, err)
		}
	}
	rep, err := s.Refresh(ctx, "test")
	if err != nil || rep.Removed != 6 || st.Len("test") != 2 {
		t.Fatalf("collapse seen %d times: %+v, %v; want accepted with 6 removed",
			confirmations, rep, err)
	}
}

func TestScheduler_ExpectedFormat(t *testing.T) {
	t.Parallel()
	fs := &feedServer{}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	s, st, _ := newTestScheduler(t, FeedConfig{URL: srv.URL + "/x"})
	ctx := context.Background()
	fs.set(http.StatusOK, "value,confidence\nevil.example,80\nbad.example,70\n", "")
	if rep, err := s.Refresh(ctx, "test"); err != nil || rep.Format != "csv" {
		t.Fatalf("first refresh = %+v, %v; want csv", rep, err)
	}
	fs.set(http.StatusOK, "evil.example\nbad.example\n", "")
	_, err := s.Refresh(ctx, "test")
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Want != "csv" {
		t.Fatalf("plain list where csv is expected: error %v, want a FormatError", err)
	}
	in, ok := st.FeedIndicator("test", "domain:evil.example")
	if !ok || in.Sources[0].Confidence != 80 {
		t.Errorf("set in force changed: %+v", in)
	}
}

func TestScheduler_MaxBytes(t *testing.T) {
	t.Parallel()
	fs := &feedServer{}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	s, st, _ := newTestScheduler(t, FeedConfig{URL: srv.URL, MaxBytes: 64})
	fs.set(http.StatusOK, ips(100), "")
	if _, err := s.Refresh(context.Background(), "test"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("error = %v, want ErrTooLarge", err)
	}
	if st.Len("test") != 0 {
		t.Errorf("a cut feed was put in force: %d indicators", st.Len("test"))
	}
}

func TestScheduler_ErrorsHideURLSecrets(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/feed?auth-key=s3cr3t"
	srv.Close() // nothing listens any more: the fetch fails to connect
	s, _, logs := newTestScheduler(t, FeedConfig{URL: url})
	_, err := s.Refresh(context.Background(), "test")
	if err == nil {
		t.Fatal("refresh from a closed server succeeded")
	}
	for _, text := range []string{err.Error(), logs.String()} {
		if strings.Contains(text, "s3cr3t") {
			t.Errorf("secret from the URL query leaked: %s", text)
		}
	}
}

func TestScheduler_FileFeed(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "mine.txt")
	if err := os.WriteFile(p, []byte(ips(5)), 0o600); err != nil {
		t.Fatal(err)
	}
	s, st, _ := newTestScheduler(t, FeedConfig{Path: p})
	ctx := context.Background()
	if _, err := s.Refresh(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Refresh(ctx, "test"); !errors.Is(err, ErrNotModified) {
		t.Fatalf("unchanged file: error %v, want ErrNotModified", err)
	}
	os.WriteFile(p, []byte(ips(6)), 0o600)
	if rep, err := s.Refresh(ctx, "test"); err != nil || rep.Added != 1 {
		t.Fatalf("grown file: %+v, %v; want 1 added", rep, err)
	}
	if st.Len("test") != 6 {
		t.Errorf("in force %d, want 6", st.Len("test"))
	}
}

func TestScheduler_RunRefreshesUntilCancelled(t *testing.T) {
	t.Parallel()
	fs := &feedServer{}
	fs.set(http.StatusOK, ips(3), `"v1"`)
	srv := httptest.NewServer(fs)
	defer srv.Close()
	// Below the validated minimum on purpose, to see two rounds quickly.
	fc := FeedConfig{URL: srv.URL, Interval: config.Duration(10 * time.Millisecond)}
	s, st, _ := newTestScheduler(t, fc)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		fs.mu.Lock()
		n := len(fs.hits)
		fs.mu.Unlock()
		if n >= 2 && st.Len("test") == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 5s: %d requests, %d in force", n, st.Len("test"))
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
}

func TestConfig_Validate(t *testing.T) {
	t.Parallel()
	formats := []string{"csv", "list"}
	cases := []struct {
		name string
		feed FeedConfig
		want string // a fragment of the error, "" for none
	}{
		{"good url", FeedConfig{Name: "a", URL: "https://example.org/x.txt"}, ""},
		{"good path", FeedConfig{Name: "a", Path: "/tmp/x", Format: "csv"}, ""},
		{"no name", FeedConfig{URL: "https://example.org/"}, "feeds[0].name: required"},
		{"no source", FeedConfig{Name: "a"}, "one of url and path"},
		{"both", FeedConfig{Name: "a", URL: "https://e.org/", Path: "/x"}, "both set"},
		{"ftp", FeedConfig{Name: "a", URL: "ftp://e.org/x"}, "feeds[0].url"},
		{"format", FeedConfig{Name: "a", Path: "/x", Format: "xml"}, `unknown format "xml"`},
		{"interval", FeedConfig{Name: "a", Path: "/x", Interval: config.Duration(time.Second)},
			"feeds[0].interval"},
		{"min keep", FeedConfig{Name: "a", Path: "/x", MinKeep: 2}, "feeds[0].min_keep"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg := Config{Feeds: []FeedConfig{c.feed}}
			cfg.Defaults()
			err := cfg.Validate(formats)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("Validate(%+v) = %v, want nil", c.feed, err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("Validate(%+v) = %v, want %q", c.feed, err, c.want)
			}
		})
	}
}

func TestConfig_ValidateReportsAll(t *testing.T) {
	t.Parallel()
	cfg := Config{Feeds: []FeedConfig{{Name: "a"}, {Name: "a", URL: "x"}}}
	cfg.Defaults()
	err := cfg.Validate(nil)
	if err == nil || strings.Count(err.Error(), "\n") < 2 {
		t.Errorf("Validate = %v, want three problems", err)
	}
}
