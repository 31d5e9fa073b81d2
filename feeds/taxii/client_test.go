package taxii

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iocflow/iocflow/feeds/stix"
)

func newClient(f *fakeServer) *Client {
	return &Client{
		BaseURL:    f.url("/taxii2/"),
		HTTPClient: f.srv.Client(),
		Auth:       BasicAuth{Username: fakeUser, Password: fakePassword},
		sleep:      func(context.Context, time.Duration) error { return nil },
	}
}

// recorded reads a raw HTTP response captured from medallion.
func recorded(t *testing.T, name string) *http.Response {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata/medallion-session", name))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(data)), nil)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return resp
}

func readBody(t *testing.T, r *http.Response) []byte {
	t.Helper()
	defer r.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r.Body); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sameJSON compares two JSON documents; next tokens are compared by
// presence only, since each server run makes its own.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(bytes.TrimSpace(a), bytes.TrimSpace(b))
	}
	for _, m := range []any{x, y} {
		if mm, ok := m.(map[string]any); ok && mm["next"] != nil {
			mm["next"] = "token"
		}
	}
	return reflect.DeepEqual(x, y)
}

// TestFakeServer_MatchesRecording proves the test server answers as the
// recorded medallion did, so that the client tests below test against the
// real server's behaviour.
func TestFakeServer_MatchesRecording(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t, false)
	objects := "/trustgroup1/collections/" + highValue + "/objects/"
	cases := []struct {
		file, path string
		accept     string
		noAuth     bool
		nextFrom   int // use the next token of the answer to case n
	}{
		{file: "02-api-root.http", path: "/trustgroup1/"},
		{file: "03-collections.http", path: "/trustgroup1/collections/"},
		{file: "04-objects-page1.http", path: objects + "?limit=2"},
		{file: "05-objects-page2.http", path: objects + "?limit=2", nextFrom: 3},
		{file: "05b-objects-last-page.http", path: objects + "?limit=2", nextFrom: 3},
		{file: "14-error-400-bad-next.http", path: objects + "?limit=2", nextFrom: 3},
		{file: "06-objects-added-after.http",
			path: objects + "?added_after=2016-11-01T03:04:05Z&match%5Btype%5D=indicator"},
		{file: "10-error-406-wrong-accept.http", path: "/trustgroup1/collections/",
			accept: "application/json"},
		{file: "11-error-401-no-auth.http", path: "/trustgroup1/collections/", noAuth: true},
		{file: "12-error-404-collection.http",
			path: "/trustgroup1/collections/00000000-0000-0000-0000-000000000000/objects/"},
		{file: "13-error-403-cannot-read.http",
			path: "/trustgroup1/collections/" + cannotRead + "/objects/"},
	}
	var next []string
	for i, c := range cases {
		path := c.path
		if c.nextFrom > 0 {
			path += "&next=" + next[c.nextFrom-1]
		}
		req, _ := http.NewRequest(http.MethodGet, f.url(path), nil)
		req.Header.Set("Accept", MediaType)
		if c.accept != "" {
			req.Header.Set("Accept", c.accept)
		}
		if !c.noAuth {
			req.SetBasicAuth(fakeUser, fakePassword)
		}
		got, err := f.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		gotBody := readBody(t, got)
		want := recorded(t, c.file)
		wantBody := readBody(t, want)
		var env struct{ Next string }
		json.Unmarshal(gotBody, &env)
		next = append(next, env.Next)
		if i == 3 && env.Next != next[2] {
			t.Errorf("%s: next token %q changed from %q; medallion repeats it",
				c.file, env.Next, next[2])
		}
		if got.StatusCode != want.StatusCode ||
			got.Header.Get("Content-Type") != want.Header.Get("Content-Type") {
			t.Errorf("%s: status %d %q, want %d %q", c.file, got.StatusCode,
				got.Header.Get("Content-Type"), want.StatusCode, want.Header.Get("Content-Type"))
		}
		for _, h := range []string{"X-TAXII-Date-Added-First", "X-TAXII-Date-Added-Last",
			"WWW-Authenticate"} {
			if got.Header.Get(h) != want.Header.Get(h) {
				t.Errorf("%s: %s %q, want %q", c.file, h, got.Header.Get(h), want.Header.Get(h))
			}
		}
		if !sameJSON(t, gotBody, wantBody) {
			t.Errorf("%s: body\n%s\nwant\n%s", c.file, gotBody, wantBody)
		}
	}
}

func TestClient_DiscoverRootsCollections(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t, false)
	c := newClient(f)
	ctx := context.Background()
	d, err := c.Discover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.APIRoots) != 3 || d.Default != f.url("/trustgroup1/") {
		t.Fatalf("discovery: roots %q default %q", d.APIRoots, d.Default)
	}
	root, err := c.APIRoot(ctx, d.Default)
	if err != nil || root.Title != "Malware Research Group" || root.MaxContentLength != 9765625 {
		t.Fatalf("APIRoot: %+v, %v", root, err)
	}
	cols, err := c.Collections(ctx, d.Default)
	if err != nil || len(cols) != 5 {
		t.Fatalf("Collections: %d, %v; want 5", len(cols), err)
	}
	readable := 0
	for _, col := range cols {
		if col.CanRead {
			readable++
		}
	}
	if readable != 3 {
		t.Errorf("readable collections %d, want 3", readable)
	}
	col, err := c.Collection(ctx, d.Default, highValue)
	if err != nil || col.Title != "High Value Indicator Collection" {
		t.Errorf("Collection: %+v, %v", col, err)
	}
	if _, err := c.Collection(ctx, d.Default, "../x"); err == nil {
		t.Errorf("Collection accepted an id with a path in it")
	}
}

// wantIDs are the newest versions of the high-value collection's objects,
// in date_added order.
var wantIDs = []string{
	"relationship--2f9a9aa9-108a-4333-83e2-4fb25add0463",
	"indicator--cd981c25-8042-4166-8945-51178443bdac",
	"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
	"malware--c0931cc6-c75e-47e5-9036-78fabc95d4ec",
	"indicator--6770298f-0fd8-471a-ab8c-1c658a46574e",
}

func objectIDs(t *testing.T, objs []json.RawMessage) []string {
	t.Helper()
	var out []string
	for _, o := range objs {
		var h struct{ ID string }
		if err := json.Unmarshal(o, &h); err != nil {
			t.Fatal(err)
		}
		out = append(out, h.ID)
	}
	return out
}

func TestClient_PollPagesWithoutLossOrLoops(t *testing.T) {
	t.Parallel()
	for _, limit := range []int{0, 1, 2, 3, 5, 100} {
		f := newFakeServer(t, false)
		c := newClient(f)
		var got []json.RawMessage
		pages, cursor := 0, ""
		for p, err := range c.Poll(context.Background(), f.url("/trustgroup1/"), highValue,
			Query{Limit: limit}) {
			if err != nil {
				t.Fatalf("limit %d: %v", limit, err)
			}
			pages++
			got = append(got, p.Objects...)
			cursor = p.Cursor
		}
		if ids := objectIDs(t, got); !slices.Equal(ids, wantIDs) {
			t.Errorf("limit %d: objects %q, want %q", limit, ids, wantIDs)
		}
		wantPages := 1
		if limit > 0 {
			wantPages = (len(wantIDs) + limit - 1) / limit
		}
		if pages != wantPages || len(f.objectRequests()) != wantPages {
			t.Errorf("limit %d: %d pages in %d requests, want %d (no request with a dead token)",
				limit, pages, len(f.objectRequests()), wantPages)
		}
		if cursor != "2017-12-31T13:49:53.935000Z" {
			t.Errorf("limit %d: cursor %q, want the last page's X-TAXII-Date-Added-Last",
				limit, cursor)
		}
	}
}

func TestClient_PollAddedAfter(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t, false)
	c := newClient(f)
	cases := []struct {
		q    Query
		want []string
	}{
		{Query{AddedAfter: "2016-11-01T03:04:05Z", Types: []string{"indicator"}}, wantIDs[4:]},
		{Query{AddedAfter: "2016-11-01T03:04:05.000000Z"}, wantIDs[2:]},
		{Query{AddedAfter: "2017-12-31T13:49:53.935000Z"}, nil},
	}
	for _, cs := range cases {
		var got []json.RawMessage
		for p, err := range c.Poll(context.Background(), f.url("/trustgroup1/"), highValue, cs.q) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, p.Objects...)
		}
		if ids := objectIDs(t, got); !slices.Equal(ids, cs.want) {
			t.Errorf("%+v: objects %q, want %q", cs.q, ids, cs.want)
		}
	}
}

func TestClient_Errors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		setup  func(f *fakeServer, c *Client)
		coll   string
		is     error
		status int
		text   []string
	}{
		{name: "no credentials", setup: func(_ *fakeServer, c *Client) { c.Auth = nil },
			coll: highValue, is: ErrUnauthorized, status: 401,
			text: []string{"401 Unauthorized", "credentials missing or wrong",
				`"Unauthorized Access"`}},
		{name: "wrong password", setup: func(_ *fakeServer, c *Client) {
			c.Auth = BasicAuth{Username: fakeUser, Password: "hunter2-secret"}
		}, coll: highValue, is: ErrUnauthorized, status: 401},
		{name: "cannot read", coll: cannotRead, is: ErrForbidden, status: 403,
			text: []string{`"ProcessingError"`, "Forbidden to read collection"}},
		{name: "unknown collection", coll: "00000000-0000-0000-0000-000000000000",
			is: ErrNotFound, status: 404, text: []string{"not found"}},
		{name: "TAXII 2.0 server", setup: func(f *fakeServer, _ *Client) {
			f.accept = "application/vnd.oasis.taxii+json; version=2.0"
		}, coll: highValue, is: ErrNotAcceptable, status: 406,
			text: []string{"does not speak TAXII 2.1"}},
		{name: "html answer", setup: func(f *fakeServer, _ *Client) { f.htmlOK = true },
			coll: highValue, text: []string{"not TAXII JSON", "Sign in to the guest network"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeServer(t, false)
			cl := newClient(f)
			if c.setup != nil {
				c.setup(f, cl)
			}
			var err error
			root := f.url("/trustgroup1/")
			for _, e := range cl.Poll(context.Background(), root, c.coll, Query{}) {
				err = e
			}
			if err == nil {
				t.Fatal("no error")
			}
			var he *HTTPError
			if c.is != nil &&
				(!errors.Is(err, c.is) || !errors.As(err, &he) || he.Status != c.status) {
				t.Errorf("error %v: want errors.Is %v and status %d", err, c.is, c.status)
			}
			for _, s := range c.text {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			for _, secret := range []string{fakePassword, "hunter2-secret"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q leaks the password", err)
				}
			}
			if n := len(f.objectRequests()); n != 1 {
				t.Errorf("%d requests, want 1 (client errors are not retried)", n)
			}
		})
	}
}

func TestClient_Retries(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		faults  []int
		retries int
		waits   int
		ok      bool
	}{
		{"recovers", []int{429, 503, 502}, 0, 3, true},
		{"gives up", []int{500, 500, 500}, 2, 2, false},
	}
	for _, c := range cases {
		f := newFakeServer(t, false)
		f.faults = c.faults
		cl := newClient(f)
		cl.MaxRetries = c.retries
		cl.BaseBackoff, cl.MaxBackoff = 100*time.Millisecond, 10*time.Second
		var waits []time.Duration
		cl.sleep = func(_ context.Context, d time.Duration) error {
			waits = append(waits, d)
			return nil
		}
		_, err := cl.Collections(context.Background(), f.url("/trustgroup1/"))
		if (err == nil) != c.ok {
			t.Fatalf("%s: error %v", c.name, err)
		}
		if len(waits) != c.waits {
			t.Errorf("%s: %d waits %v", c.name, len(waits), waits)
		}
		for _, w := range waits {
			if w < 2*time.Second || w > 10*time.Second {
				t.Errorf("%s: wait %v; want Retry-After (2s) honoured and at most MaxBackoff",
					c.name, w)
			}
		}
		var he *HTTPError
		if !c.ok && (!errors.As(err, &he) || he.Status != 500 ||
			!strings.Contains(err.Error(), "Service busy")) {
			t.Errorf("%s: error %v, want the last 500 with its HTML text", c.name, err)
		}
	}
}

func TestClient_BackoffGrowsAndCaps(t *testing.T) {
	t.Parallel()
	c := &Client{BaseBackoff: time.Second, MaxBackoff: 8 * time.Second}
	for attempt, lo := range []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second,
		4 * time.Second, 4 * time.Second, 4 * time.Second} {
		d := c.backoff(attempt, 0)
		if d < lo || d > 8*time.Second {
			t.Errorf("attempt %d: backoff %v outside [%v, 8s]", attempt, d, lo)
		}
	}
	if d := c.backoff(0, time.Hour); d != 8*time.Second {
		t.Errorf("Retry-After of an hour gave %v, want the 8s cap", d)
	}
}

func TestClient_TLSAndBearer(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t, true)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	cert := f.srv.Certificate()
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}),
		0o600); err != nil {
		t.Fatal(err)
	}
	tok := filepath.Join(dir, "token")
	if err := os.WriteFile(tok, []byte(fakeToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := &Config{URL: f.url("/taxii2/"), Collection: highValue, TokenFile: tok, CAFile: ca,
		ServerName: "example.com"}
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Discover(context.Background()); err != nil {
		t.Fatalf("Discover over TLS with ca_file and a bearer token: %v", err)
	}
	if s := strings.ToLower(c.Auth.(BearerAuth).String()); strings.Contains(s, fakeToken) {
		t.Errorf("BearerAuth.String shows the token")
	}

	cfg.CAFile = ""
	c, _ = NewClient(cfg)
	c.sleep = func(context.Context, time.Duration) error {
		t.Error("certificate failure retried")
		return nil
	}
	if _, err := c.Discover(context.Background()); err == nil ||
		!strings.Contains(err.Error(), "certificate") {
		t.Errorf("Discover with an unknown CA: %v, want a certificate error", err)
	}
}

func TestConfig_Validate(t *testing.T) {
	t.Parallel()
	c := &Config{URL: "ftp://user:pw@x/", Collection: "a/b", PasswordEnv: "X", CertFile: "c",
		PollInterval: time.Second}
	err := c.Validate()
	for _, key := range []string{"url: must be", "collection:", "username:", "cert_file:",
		"poll_interval: must be ≥ 1m"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("Validate() = %v, want a problem with %q", err, key)
		}
	}
	if strings.Contains(err.Error(), "pw") {
		t.Errorf("Validate leaks the URL's password: %v", err)
	}
	good := &Config{URL: "https://taxii.example/taxii2/", Collection: highValue}
	good.Defaults()
	if err := good.Validate(); err != nil {
		t.Errorf("Validate(defaults) = %v", err)
	}
}

func TestPoller_RestartAndNewerVersion(t *testing.T) {
	t.Parallel()
	f := newFakeServer(t, false)
	dir := t.TempDir()
	cursors := &FileCursorStore{Path: filepath.Join(dir, "cursors.json")}
	newPoller := func() *Poller {
		return &Poller{Client: newClient(f), APIRoot: f.url("/trustgroup1"), Collection: highValue,
			Feed: "medallion", Limit: 2, Cursors: cursors,
			StatePath: filepath.Join(dir, "state.json")}
	}
	ctx := context.Background()
	u, err := newPoller().Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(u *Update) []string {
		var out []string
		for _, in := range u.Result.Indicators {
			out = append(out, in.ID)
		}
		return out
	}
	want := []string{
		"sha256:ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c",
		"url:http://x4z9arb.cn/4712",
	}
	if got := ids(u); !slices.Equal(got, want) || u.Pages != 3 || u.Objects != 5 {
		t.Fatalf("first poll: %q in %d pages, %d objects; want %q in 3 pages, 5 objects",
			got, u.Pages, u.Objects, want)
	}
	// The relationship came on page 1, its malware on page 2.
	if m := u.Result.Indicators[0].Sources[0].Malware; !slices.Equal(m, []string{"Poison Ivy"}) {
		t.Errorf("malware %q, want Poison Ivy across pages", m)
	}

	// The server gets a newer version of the hash indicator with another
	// value; a restarted poller asks only for what is new and replaces it.
	f.add(highValue, `{"type":"indicator","spec_version":"2.1",
		"id":"indicator--cd981c25-8042-4166-8945-51178443bdac","created":"2014-05-08T09:00:00.000Z",
		"modified":"2018-01-01T00:00:00.000Z",
		"pattern":"[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
		"pattern_type":"stix","valid_from":"2014-05-08T09:00:00.000000Z"}`,
		"2018-01-02T00:00:00.000000Z")
	before := len(f.objectRequests())
	u, err = newPoller().Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reqs := f.objectRequests()[before:]
	if len(reqs) != 1 || !strings.Contains(reqs[0], "added_after=2017-12-31T13%3A49%3A53.935000Z") {
		t.Errorf("restart requests %q, want one with the saved cursor", reqs)
	}
	if len(u.Changes) != 1 || u.Changes[0].Kind != stix.Replaced {
		t.Errorf("changes %+v, want one replaced indicator", u.Changes)
	}
	want[0] = "md5:d41d8cd98f00b204e9800998ecf8427e"
	if got := ids(u); !slices.Equal(got, want) {
		t.Errorf("after the newer version: %q, want %q", got, want)
	}
	if u.Cursor.AddedAfter != "2018-01-02T00:00:00.000000Z" {
		t.Errorf("cursor %q", u.Cursor.AddedAfter)
	}

	// Without its state file a saved cursor is not trusted.
	if err := os.Remove(filepath.Join(dir, "state.json")); err != nil {
		t.Fatal(err)
	}
	u, err = newPoller().Poll(ctx)
	if err != nil || len(u.Result.Indicators) != 2 || u.Objects != 5 {
		t.Errorf("poll without state: %v, %d objects", err, u.Objects)
	}
}
