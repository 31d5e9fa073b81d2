package msgraph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/iocflow/iocflow/enforce"
)

type message struct{ imid, folder string }

// graph is a loopback stand-in for the token endpoint and the Graph mail
// API that checks each request the way the documented API would: the
// client-credentials form, bearer tokens, the $filter syntax, the move
// body, and 201 Created with the moved message (under a new id).
type graph struct {
	t      *testing.T
	mu     sync.Mutex
	tokens int
	msgs   map[string]message // id -> message, mailbox alice@corp.example
	nextID int
	token  string
}

var (
	listRE = regexp.MustCompile(`^/v1.0/users/([^/]+)/messages$`)
	moveRE = regexp.MustCompile(`^/v1.0/users/([^/]+)/messages/([^/]+)/move$`)
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
	if m := listRE.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodGet {
		g.search(w, r, m[1])
		return
	}
	if m := moveRE.FindStringSubmatch(r.URL.Path); m != nil && r.Method == http.MethodPost {
		g.move(w, r, m[2])
		return
	}
	g.t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
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
	if mailbox != "alice@corp.example" {
		g.t.Errorf("mailbox %q", mailbox)
	}
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
		if msg.imid == imid {
			vals = append(vals, fmt.Sprintf(`{"id":%q}`, id))
		}
	}
	fmt.Fprintf(w, `{"value":[%s]}`, strings.Join(vals, ","))
}

func (g *graph) move(w http.ResponseWriter, r *http.Request, id string) {
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
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error":{"code":"ErrorItemNotFound"}}`)
		return
	}
	delete(g.msgs, id)
	g.nextID++
	newID := fmt.Sprintf("AAMk-%d", g.nextID)
	msg.folder = req["destinationId"]
	g.msgs[newID] = msg
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
	g := &graph{
		t:    t,
		msgs: map[string]message{"AAMk-0": {imid: "<x'1@mail.example>", folder: "inbox"}},
	}
	srv := httptest.NewServer(g)
	defer srv.Close()
	t.Setenv("GRAPH_TEST_SECRET", "graph-secret-value")
	c := Config{TenantID: "tenant-1", ClientID: "app-1", ClientSecretEnv: "GRAPH_TEST_SECRET",
		QuarantineFolder: "quarantine-folder-id", GraphURL: srv.URL + "/v1.0",
		TokenURL: srv.URL + "/tenant-1/oauth2/v2.0/token"}
	c.Defaults()
	if err := c.Validate("msgraph"); err != nil {
		t.Fatal(err)
	}
	a, err := New(c, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
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
