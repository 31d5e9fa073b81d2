package msgraph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iocflow/iocflow/enforce"
)

// message is one message the loopback Graph holds.
type message struct{ mailbox, imid, folder string }

// graph is a loopback stand-in for the token endpoint and the Graph mail
// API that checks each request the way the documented API would: the
// client-credentials form, bearer tokens, path segments escaped (a
// mailbox's local part may hold '/' or '#'), the $filter syntax, the move
// body, 201 Created with the moved message (under a new id), and folder
// listings with $select, $top from 1 to 1000 and @odata.nextLink paging.
// It can throttle requests with 429 and Retry-After.
type graph struct {
	t      *testing.T
	mu     sync.Mutex
	tokens int
	msgs   map[string]message // by id
	nextID int
	token  string

	base       string // the server's URL, for next links
	client     *http.Client
	page       int      // most messages a listing page holds; 0: $top
	nextLink   string   // replaces the next link of listings when set
	throttle   int      // answer this many more API requests with 429
	retryAfter string   // the Retry-After of those answers
	listings   []string // escaped path and query of each listing answered
	moved      []string // Internet message ids of the messages moved
}

var (
	listRE   = regexp.MustCompile(`^/v1.0/users/([^/]+)/messages$`)
	moveRE   = regexp.MustCompile(`^/v1.0/users/([^/]+)/messages/([^/]+)/move$`)
	folderRE = regexp.MustCompile(`^/v1.0/users/([^/]+)/mailFolders/([^/]+)/messages$`)
)

func (g *graph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if r.URL.Path == "/tenant-1/oauth2/v2.0/token" {
		g.issue(w, r)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+g.token || g.token == "" {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":{"code":"InvalidAuthenticationToken"}}`)
		return
	}
	if g.throttle > 0 {
		g.throttle--
		w.Header().Set("Retry-After", g.retryAfter)
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"error":{"code":"TooManyRequests","message":"throttled"}}`)
		return
	}
	g.route(w, r)
}

// route matches the escaped path, so that a segment the client failed to
// escape cannot reach a handler.
func (g *graph) route(w http.ResponseWriter, r *http.Request) {
	p := r.URL.EscapedPath()
	seg := func(s string) string {
		v, err := url.PathUnescape(s)
		if err != nil {
			g.t.Errorf("path segment %q: %v", s, err)
		}
		return v
	}
	if m := listRE.FindStringSubmatch(p); m != nil && r.Method == http.MethodGet {
		g.search(w, r, seg(m[1]))
		return
	}
	if m := moveRE.FindStringSubmatch(p); m != nil && r.Method == http.MethodPost {
		g.move(w, r, seg(m[1]), seg(m[2]))
		return
	}
	if m := folderRE.FindStringSubmatch(p); m != nil && r.Method == http.MethodGet {
		g.list(w, r, seg(m[1]), seg(m[2]))
		return
	}
	g.t.Errorf("unexpected %s %s", r.Method, p)
	w.WriteHeader(http.StatusNotFound)
}

func (g *graph) issue(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		g.t.Fatal(err)
	}
	f := r.PostForm
	if f.Get("grant_type") != "client_credentials" || f.Get("client_id") != "app-1" ||
		f.Get("scope") != "https://graph.microsoft.com/.default" {
		g.t.Errorf("token request %v", f)
	}
	if f.Get("client_secret") != "graph-secret-value" {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"invalid_client"}`)
		return
	}
	g.tokens++
	g.token = fmt.Sprintf("tok-%d", g.tokens)
	fmt.Fprintf(w, `{"token_type":"Bearer","expires_in":3599,"access_token":%q}`, g.token)
}

func (g *graph) search(w http.ResponseWriter, r *http.Request, mailbox string) {
	filter := r.URL.Query().Get("$filter")
	m := regexp.MustCompile(`^internetMessageId eq '(.*)'$`).FindStringSubmatch(filter)
	if m == nil || r.URL.Query().Get("$select") == "" || strings.Contains(r.URL.RawQuery, "+") {
		g.t.Errorf(
			"search query %q: want $filter=internetMessageId eq '...' and $select",
			r.URL.RawQuery,
		)
		return
	}
	imid := strings.ReplaceAll(m[1], "''", "'")
	var vals []string
	for id, msg := range g.msgs {
		if msg.mailbox == mailbox && msg.imid == imid {
			vals = append(vals, fmt.Sprintf(`{"id":%q}`, id))
		}
	}
	fmt.Fprintf(w, `{"value":[%s]}`, strings.Join(vals, ","))
}

func (g *graph) move(w http.ResponseWriter, r *http.Request, mailbox, id string) {
	body, _ := io.ReadAll(r.Body)
	var req map[string]string
	if err := json.Unmarshal(body, &req); err != nil || len(req) != 1 ||
		req["destinationId"] == "" ||
		r.Header.Get("Content-Type") != "application/json" {
		g.t.Errorf(
			"move body %q (%s): want {\"destinationId\": ...}",
			body,
			r.Header.Get("Content-Type"),
		)
	}
	msg, ok := g.msgs[id]
	if !ok || msg.mailbox != mailbox {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error":{"code":"ErrorItemNotFound"}}`)
		return
	}
	delete(g.msgs, id)
	g.nextID++
	newID := fmt.Sprintf("AAMk-%d", g.nextID)
	msg.folder = req["destinationId"]
	g.msgs[newID] = msg
	g.moved = append(g.moved, msg.imid)
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(
		w,
		`{"id":%q,"parentFolderId":%q,"internetMessageId":%q}`,
		newID,
		msg.folder,
		msg.imid,
	)
}

func TestGraph_QuarantineAndRelease(t *testing.T) {
	t.Parallel()
	g := newGraph(t, map[string]message{
		"AAMk-0": {mailbox: "alice@corp.example", imid: "<x'1@mail.example>", folder: "inbox"},
	})
	a := newAdapter(t, g, "quarantine-folder-id")
	ctx := context.Background()
	tg := enforce.Target{Kind: enforce.QuarantineMessage, Value: "<x'1@mail.example>",
		Mailbox: "alice@corp.example"}
	rec, err := a.Apply(ctx, enforce.Request{ID: "a1", Target: tg})
	if err != nil {
		t.Fatal(err)
	}
	if m := g.msgs[rec.Ref]; m.folder != "quarantine-folder-id" {
		t.Fatalf(
			"after Apply the message %q is in %q, want the quarantine folder",
			rec.Ref,
			m.folder,
		)
	}
	// The token expires server-side: the adapter must get a new one once.
	g.token = "rotated"
	if _, err := a.Remove(ctx, enforce.Request{ID: "a1", Target: tg, Ref: rec.Ref}); err != nil {
		t.Fatal(err)
	}
	if len(g.msgs) != 1 {
		t.Fatalf("messages %v", g.msgs)
	}
	for _, m := range g.msgs {
		if m.folder != "inbox" {
			t.Errorf("after Remove the message is in %q, want inbox", m.folder)
		}
	}
	if g.tokens != 2 {
		t.Errorf("tokens issued = %d, want 2 (cached, then renewed after a 401)", g.tokens)
	}
	// A stale ref falls back to a search; a message gone counts as restored.
	stale := enforce.Request{ID: "a1", Target: tg, Ref: "AAMk-stale"}
	if _, err := a.Remove(ctx, stale); err != nil {
		t.Errorf("Remove with a stale ref: %v", err)
	}
	_, err = a.Apply(ctx, enforce.Request{Target: enforce.Target{Kind: enforce.QuarantineMessage,
		Value: "<missing@mail.example>", Mailbox: "alice@corp.example"}})
	var de *enforce.DeviceError
	if !errors.As(err, &de) || !de.Permanent {
		t.Errorf("missing message: %v, want a permanent error", err)
	}
}

// list serves a folder listing the way Graph pages it: at most $top
// messages (or g.page) a page, and an @odata.nextLink carrying the same
// query with $skip while more remain.
func (g *graph) list(w http.ResponseWriter, r *http.Request, mailbox, folder string) {
	q := r.URL.Query()
	g.listings = append(g.listings, r.URL.EscapedPath()+"?"+r.URL.RawQuery)
	top, err := strconv.Atoi(q.Get("$top"))
	if q.Get("$select") != "internetMessageId" || q.Has("$filter") || err != nil ||
		top < 1 || top > 1000 {
		g.t.Errorf("listing query %q: want $select=internetMessageId and $top from 1 to 1000",
			r.URL.RawQuery)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	skip, _ := strconv.Atoi(q.Get("$skip"))
	var ids []string
	for id, m := range g.msgs {
		if m.mailbox == mailbox && m.folder == folder {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	size := top
	if g.page > 0 {
		size = min(size, g.page)
	}
	page := ids[min(skip, len(ids)):min(skip+size, len(ids))]
	resp := map[string]any{"@odata.context": g.base + "/v1.0/$metadata#users('" + mailbox +
		"')/mailFolders('" + folder + "')/messages(internetMessageId)"}
	var vals []map[string]string
	for _, id := range page {
		vals = append(vals, map[string]string{"@odata.etag": "W/\"1\"", "id": id,
			"internetMessageId": g.msgs[id].imid})
	}
	resp["value"] = vals
	if skip+size < len(ids) {
		q.Set("$skip", strconv.Itoa(skip+size))
		resp["@odata.nextLink"] = g.base + r.URL.EscapedPath() + "?" + q.Encode()
		if g.nextLink != "" {
			resp["@odata.nextLink"] = g.nextLink
		}
	}
	_ = json.NewEncoder(w).Encode(resp)
}

// newGraph returns a loopback Graph holding msgs.
func newGraph(t *testing.T, msgs map[string]message) *graph {
	t.Helper()
	g := &graph{t: t, msgs: msgs, retryAfter: "1"}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	g.base, g.client = srv.URL, srv.Client()
	return g
}

// newAdapter returns an adapter on g that quarantines into folder and
// fails the test if it waits out throttling.
func newAdapter(t *testing.T, g *graph, folder string) *Adapter {
	t.Helper()
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("graph-secret-value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := Config{TenantID: "tenant-1", ClientID: "app-1", ClientSecretFile: secret,
		QuarantineFolder: folder, GraphURL: g.base + "/v1.0",
		TokenURL: g.base + "/tenant-1/oauth2/v2.0/token"}
	c.Defaults()
	if err := c.Validate("msgraph"); err != nil {
		t.Fatal(err)
	}
	a, err := New(c, g.client)
	if err != nil {
		t.Fatal(err)
	}
	a.rt.sleep = func(_ context.Context, d time.Duration) error {
		t.Errorf("waited %v for throttling, want no wait", d)
		return nil
	}
	return a
}

// folderOf returns the folder of the message with Internet message id
// imid in mailbox, or "" if there is none.
func (g *graph) folderOf(mailbox, imid string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, m := range g.msgs {
		if m.mailbox == mailbox && m.imid == imid {
			return m.folder
		}
	}
	return ""
}

// userMoves moves a message the way a user would (outside iocflow); Graph
// gives it a new id.
func (g *graph) userMoves(mailbox, imid, folder string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for id, m := range g.msgs {
		if m.mailbox == mailbox && m.imid == imid {
			delete(g.msgs, id)
			m.folder = folder
			g.nextID++
			g.msgs[fmt.Sprintf("AAMk-user-%d", g.nextID)] = m
			return
		}
	}
	g.t.Fatalf("no message %s in %s", imid, mailbox)
}

// snapshot returns copies of the listings and moves served so far.
func (g *graph) snapshot() (listings, moved []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.listings), slices.Clone(g.moved)
}
