package upload

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/feeds/store"
)

type testAPI struct {
	h    *Handler
	st   *store.Store
	dir  string
	logs *bytes.Buffer
	mu   sync.Mutex
	pub  []feeds.Change
	fail error
}

func newTestAPI(t *testing.T) *testAPI {
	t.Helper()
	a := &testAPI{dir: t.TempDir(), logs: &bytes.Buffer{}}
	pub := feeds.PublisherFunc(func(_ context.Context, cs []feeds.Change) error {
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.fail != nil {
			return a.fail
		}
		a.pub = append(a.pub, cs...)
		return nil
	})
	st, err := store.New(store.Options{Publisher: pub, Dir: a.dir, Durable: []string{FeedName}})
	if err != nil {
		t.Fatal(err)
	}
	a.st = st
	cfg := Config{MaxBody: 4096}
	a.h = New(cfg, testTokens(t), st, slog.New(slog.NewJSONHandler(a.logs, nil)))
	a.h.now = func() time.Time { return time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) }
	return a
}

func (a *testAPI) do(method, path, token, contentType, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	return rec
}

func decode[T any](t testing.TB, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("response %d %q: %v", rec.Code, rec.Body, err)
	}
	return v
}

func TestHandler_UploadFormats(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file, contentType, format string
		accepted, rejected        int
		wantID, wantOriginal      string
	}{
		{"testdata/upload.json", "application/json", "json", 4, 7,
			"url:http://evil.example/payload.exe", "hxxp://evil[.]example/payload.exe"},
		{"testdata/upload.csv", "text/csv", "csv", 3, 1,
			"url:https://login-portal.example/reset", "hxxps://login-portal[.]example/reset"},
		{"testdata/upload.csv", "", "csv", 3, 1, "domain:bad.example", "bad(dot)example"},
		{"testdata/upload.txt", "text/plain; charset=utf-8", "list", 3, 1,
			"domain:evil.example", "evil[.]example"},
	}
	for _, c := range cases {
		t.Run(c.file+" "+c.contentType, func(t *testing.T) {
			t.Parallel()
			a := newTestAPI(t)
			body, err := os.ReadFile(c.file)
			if err != nil {
				t.Fatal(err)
			}
			rec := a.do("POST", "/api/v1/indicators", curatorToken, c.contentType, string(body))
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			resp := decode[UploadResponse](t, rec)
			if resp.Format != c.format || resp.Accepted != c.accepted ||
				len(resp.Rejected) != c.rejected {
				t.Errorf("format %s accepted %d rejected %d, want %s %d %d: %s", resp.Format,
					resp.Accepted, len(resp.Rejected), c.format, c.accepted, c.rejected, rec.Body)
			}
			for _, rj := range resp.Rejected {
				if rj.Position == "" || rj.Reason == "" {
					t.Errorf("reject without position or reason: %+v", rj)
				}
			}
			found := false
			for _, in := range resp.Indicators {
				found = found || (in.ID == c.wantID && in.Original == c.wantOriginal)
			}
			if !found {
				t.Errorf("no %s with original %q in %+v", c.wantID, c.wantOriginal, resp.Indicators)
			}
			if len(a.pub) != c.accepted || resp.Added != c.accepted {
				t.Errorf("published %d changes, added %d; want %d",
					len(a.pub), resp.Added, c.accepted)
			}
		})
	}
}

func TestHandler_Auth(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	cases := []struct {
		method, path, token string
		want                int
	}{
		{"POST", "/api/v1/indicators", "", http.StatusUnauthorized},
		{"POST", "/api/v1/indicators", "wrong-token-0123456789", http.StatusUnauthorized},
		{"POST", "/api/v1/indicators", viewerToken, http.StatusForbidden},
		{"DELETE", "/api/v1/indicators/domain:a.example", viewerToken, http.StatusForbidden},
		{"GET", "/api/v1/indicators", "", http.StatusUnauthorized},
		{"GET", "/api/v1/indicators", viewerToken, http.StatusOK},
		{"GET", "/api/v1/indicators/domain:a.example", viewerToken, http.StatusNotFound},
		{"POST", "/api/v1/indicators", curatorToken, http.StatusOK},
	}
	for _, c := range cases {
		rec := a.do(c.method, c.path, c.token, "text/plain", "a.example\n")
		if rec.Code != c.want {
			t.Errorf("%s %s with %q: status %d, want %d",
				c.method, c.path, c.token, rec.Code, c.want)
		}
	}
	if strings.Contains(a.logs.String(), "token-0123456789") {
		t.Errorf("a token reached the log: %s", a.logs)
	}
	if a.h.Stats().Unauthorized.Load() != 3 || a.h.Stats().Forbidden.Load() != 2 {
		t.Errorf("unauthorized %d forbidden %d, want 3 and 2",
			a.h.Stats().Unauthorized.Load(), a.h.Stats().Forbidden.Load())
	}
}

func TestHandler_BadBodies(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	cases := []struct {
		name, contentType, body string
		want                    int
		reason                  string
	}{
		{"too large", "text/plain", strings.Repeat("a.example\n", 1000),
			http.StatusRequestEntityTooLarge, "larger than 4096"},
		{"json syntax", "application/json", "[\n{\"value\": ", http.StatusBadRequest, "line 2"},
		{"csv as json", "application/json", "value\na.example\n", http.StatusBadRequest,
			"not valid json"},
		{"xml", "application/xml", "<x/>", http.StatusUnsupportedMediaType, "Content-Type"},
		{"binary", "", "\x00\x01\x02", http.StatusBadRequest, "neither"},
		{"all rejected", "text/plain", "nonsense\n1.2.3.999\n", http.StatusUnprocessableEntity,
			"line 2"},
		{"only comments", "text/plain", "# nothing\n", http.StatusBadRequest, "no indicators"},
	}
	for _, c := range cases {
		rec := a.do("POST", "/api/v1/indicators", curatorToken, c.contentType, c.body)
		if rec.Code != c.want || !strings.Contains(rec.Body.String(), c.reason) {
			t.Errorf("%s: status %d body %s, want %d containing %q", c.name, rec.Code, rec.Body,
				c.want, c.reason)
		}
	}
	if a.st.Len(FeedName) != 0 || len(a.pub) != 0 {
		t.Errorf("bad uploads put %d indicators in force", a.st.Len(FeedName))
	}
	logs := a.logs.String()
	if strings.Contains(logs, "a.example") || strings.Contains(logs, "nonsense") {
		t.Errorf("upload contents reached the log: %s", a.logs)
	}
}

func TestHandler_GetDeleteKeepsOtherFeeds(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	ctx := context.Background()
	other := ioc.NewIndicator(ioc.URL, "http://evil.example/a?b", ioc.Source{Feed: "stix", ID: "x"})
	if _, err := a.st.Replace(ctx, "stix", []*ioc.Indicator{other}); err != nil {
		t.Fatal(err)
	}
	body := `[{"value":"hxxp://evil[.]example/a?b"},{"value":"only[.]example"}]`
	rec := a.do("POST", "/api/v1/indicators", curatorToken, "application/json", body)
	if rec.Code != 200 {
		t.Fatalf("upload: %d %s", rec.Code, rec.Body)
	}
	path := "/api/v1/indicators/" + url.PathEscape(other.ID)
	rec = a.do("GET", path, viewerToken, "", "")
	got := decode[ioc.Indicator](t, rec)
	if rec.Code != 200 || len(got.Sources) != 2 {
		t.Fatalf("GET %s: %d, %d sources; want 200 and 2 (stix, uploads)",
			path, rec.Code, len(got.Sources))
	}
	del := decode[DeleteResponse](t, a.do("DELETE", path, curatorToken, "", ""))
	if del.Change != "updated" {
		t.Errorf("DELETE of a value another feed lists: change %q, want updated", del.Change)
	}
	del = decode[DeleteResponse](t, a.do("DELETE", "/api/v1/indicators/domain:only.example",
		curatorToken, "", ""))
	if del.Change != "removed" {
		t.Errorf("DELETE of an uploaded-only value: change %q, want removed", del.Change)
	}
	if rec := a.do("DELETE", path, curatorToken, "", ""); rec.Code != http.StatusNotFound {
		t.Errorf("second DELETE: %d, want 404", rec.Code)
	}
	in, ok := a.st.Get(other.ID)
	if !ok || len(in.Sources) != 1 || in.Sources[0].Feed != "stix" {
		t.Errorf("after DELETE the stix source is gone: %+v", in)
	}
}

func TestHandler_ListPages(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	a.do("POST", "/api/v1/indicators", curatorToken, "text/plain",
		"a.example\nb.example\nc.example\n")
	var ids []string
	after := ""
	for range 5 {
		path := "/api/v1/indicators?limit=2&after=" + url.QueryEscape(after)
		rec := a.do("GET", path, viewerToken, "", "")
		page := decode[ListResponse](t, rec)
		for _, in := range page.Indicators {
			ids = append(ids, in.ID)
		}
		if after = page.Next; after == "" {
			break
		}
	}
	if got := strings.Join(ids, " "); got != "domain:a.example domain:b.example domain:c.example" {
		t.Errorf("pages gave %s", got)
	}
	if rec := a.do("GET", "/api/v1/indicators?limit=0", viewerToken, "", ""); rec.Code != 400 {
		t.Errorf("limit=0: status %d, want 400", rec.Code)
	}
}

func TestHandler_PublishFailureKeepsNothing(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	a.fail = io.ErrUnexpectedEOF
	rec := a.do("POST", "/api/v1/indicators", curatorToken, "text/plain", "a.example\n")
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", rec.Code)
	}
	if a.st.Len(FeedName) != 0 {
		t.Error("upload in force although it was not published")
	}
	if _, err := os.Stat(a.dir + "/uploads.json"); err == nil {
		t.Error("upload persisted although it was not published")
	}
}

func TestHandler_UploadsSurviveRestart(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	a.do("POST", "/api/v1/indicators", curatorToken, "text/plain", "evil[.]example\n")
	st, err := store.New(store.Options{Dir: a.dir, Durable: []string{FeedName}})
	if err != nil {
		t.Fatal(err)
	}
	in, ok := st.Get("domain:evil.example")
	if !ok || in.Sources[0].Original != "evil[.]example" || in.Sources[0].Modified.IsZero() {
		t.Errorf("after restart: %+v, %v; want the upload with its original and time", in, ok)
	}
}

func FuzzUpload(f *testing.F) {
	types := []string{"", "application/json", "text/csv", "text/plain", "text/csv; charset=utf-8"}
	seeds := []string{"testdata/upload.json", "testdata/upload.csv", "testdata/upload.txt"}
	for i, name := range seeds {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(i+1))
		f.Add(data, uint8(0))
	}
	st, err := store.New(store.Options{})
	if err != nil {
		f.Fatal(err)
	}
	h := New(Config{MaxBody: 1 << 16}, testTokens(f), st, nil)
	f.Fuzz(func(t *testing.T, body []byte, ct uint8) {
		req := httptest.NewRequest("POST", "/api/v1/indicators", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+curatorToken)
		req.Header.Set("Content-Type", types[int(ct)%len(types)])
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 400, 413, 422:
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
		if rec.Code == 200 {
			resp := decode[UploadResponse](t, rec)
			for _, in := range resp.Indicators {
				if _, ok := st.FeedIndicator(FeedName, in.ID); !ok {
					t.Fatalf("accepted %s is not in force", in.ID)
				}
			}
		}
	})
}
