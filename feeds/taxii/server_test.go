package taxii

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeServer answers like medallion v2.0.1 with its memory backend and
// default data, as recorded in testdata/medallion-session: the same next
// token on every page of one query, the token dead once the last page was
// served (400), the X-TAXII-Date-Added-First/-Last headers, 406 for a
// wrong Accept, 401 as text/html without credentials, 403 for a collection
// it may not read, 404 for one it does not know. Only the newest version of
// each object is served (match[version]=last, the default).
type fakeServer struct {
	t    *testing.T
	srv  *httptest.Server
	data map[string]json.RawMessage

	mu       sync.Mutex
	roots    map[string]*fakeRoot
	sessions map[string][]fakeItem
	tokens   int
	// accept is the only Accept value served; default MediaType.
	accept string
	// faults are statuses answered, one per request, before serving.
	faults []int
	// htmlOK makes every answer a 200 text/html page (a captive portal).
	htmlOK   bool
	requests []string
}

type fakeRoot struct {
	Information json.RawMessage  `json:"information"`
	Collections []fakeCollection `json:"collections"`
}

type fakeCollection struct {
	ID       string            `json:"id"`
	CanRead  bool              `json:"can_read"`
	Objects  []json.RawMessage `json:"objects"`
	Manifest []struct {
		DateAdded string `json:"date_added"`
		ID        string `json:"id"`
		Version   string `json:"version"`
	} `json:"manifest"`
	raw map[string]json.RawMessage
}

type fakeItem struct {
	obj       json.RawMessage
	dateAdded string
}

const (
	fakeUser     = "admin"
	fakePassword = "Password0"
	fakeToken    = "t0ken-value"
	highValue    = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
	cannotRead   = "472c94ae-3113-4e3e-a4dd-a9f4ac7471d4"
)

func newFakeServer(t *testing.T, tlsServer bool) *fakeServer {
	t.Helper()
	f := &fakeServer{t: t, roots: map[string]*fakeRoot{}, sessions: map[string][]fakeItem{}}
	raw, err := os.ReadFile("testdata/medallion-default_data.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &f.data); err != nil {
		t.Fatal(err)
	}
	for name, v := range f.data {
		if name == "/discovery" {
			continue
		}
		r := &fakeRoot{}
		if err := json.Unmarshal(v, r); err != nil {
			t.Fatal(err)
		}
		for i := range r.Collections {
			r.Collections[i].raw = collectionFields(t, v, i)
		}
		f.roots[name] = r
	}
	if tlsServer {
		f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	} else {
		f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	}
	t.Cleanup(f.srv.Close)
	return f
}

// collectionFields returns collection i of a root without its objects and
// manifest, as the collections endpoint shows it.
func collectionFields(t *testing.T, root json.RawMessage, i int) map[string]json.RawMessage {
	var r struct {
		Collections []map[string]json.RawMessage `json:"collections"`
	}
	if err := json.Unmarshal(root, &r); err != nil {
		t.Fatal(err)
	}
	c := r.Collections[i]
	delete(c, "objects")
	delete(c, "manifest")
	return c
}

func (f *fakeServer) url(path string) string { return f.srv.URL + path }

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.URL.RequestURI())
	if len(f.faults) > 0 {
		st := f.faults[0]
		f.faults = f.faults[1:]
		w.Header().Set("Retry-After", "2")
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(st)
		w.Write([]byte("<html><body><h1>Service busy</h1></body></html>"))
		return
	}
	if !f.authorised(r) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("WWW-Authenticate", `Basic realm="Authentication Required"`)
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte("Unauthorized Access"))
		return
	}
	accept := f.accept
	if accept == "" {
		accept = MediaType
	}
	if r.Header.Get("Accept") != accept {
		f.fail(w, 406, "Media type in the Accept header is invalid or not found.")
		return
	}
	if f.htmlOK {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html><title>Sign in to the guest network</title></html>"))
		return
	}
	f.route(w, r)
}

func (f *fakeServer) authorised(r *http.Request) bool {
	if u, p, ok := r.BasicAuth(); ok {
		return u == fakeUser && p == fakePassword
	}
	return r.Header.Get("Authorization") == "Bearer "+fakeToken
}

func (f *fakeServer) route(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if r.URL.Path == "/taxii2/" {
		f.discovery(w)
		return
	}
	root, ok := f.roots[parts[0]]
	if !ok || !strings.HasSuffix(r.URL.Path, "/") {
		f.fail(w, 404, "The requested resource was not found.")
		return
	}
	switch {
	case len(parts) == 1:
		f.write(w, 200, root.Information, nil)
	case len(parts) == 2 && parts[1] == "collections":
		var cs []map[string]json.RawMessage
		for _, c := range root.Collections {
			cs = append(cs, c.raw)
		}
		f.write(w, 200, map[string]any{"collections": cs}, nil)
	case len(parts) >= 3 && parts[1] == "collections":
		f.collection(w, r, root, parts[2], parts[3:])
	default:
		f.fail(w, 404, "The requested resource was not found.")
	}
}

func (f *fakeServer) discovery(w http.ResponseWriter) {
	// The recorded data names localhost:5000; this server lives elsewhere.
	body := strings.ReplaceAll(string(f.data["/discovery"]), "http://localhost:5000", f.srv.URL)
	f.write(w, 200, json.RawMessage(body), nil)
}

func (f *fakeServer) collection(w http.ResponseWriter, r *http.Request, root *fakeRoot,
	id string, rest []string) {
	i := slices.IndexFunc(root.Collections, func(c fakeCollection) bool { return c.ID == id })
	if i < 0 {
		f.fail(w, 404, "Collection '"+id+"' not found.")
		return
	}
	c := &root.Collections[i]
	switch {
	case len(rest) == 0:
		f.write(w, 200, c.raw, nil)
	case !c.CanRead:
		f.fail(w, 403, "Forbidden to read collection '"+id+"'.")
	case len(rest) == 1 && rest[0] == "objects":
		f.objects(w, r, c)
	default:
		f.fail(w, 404, "The requested resource was not found.")
	}
}

func (f *fakeServer) objects(w http.ResponseWriter, r *http.Request, c *fakeCollection) {
	q := r.URL.Query()
	token := q.Get("next")
	var items []fakeItem
	if token != "" {
		var ok bool
		if items, ok = f.sessions[token]; !ok {
			f.fail(w, 400, "The server did not understand the request or filter "+
				"parameters: 'next' not valid.")
			return
		}
	} else {
		items = f.select_(c, q.Get("added_after"), q.Get("match[type]"))
	}
	limit := len(items)
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 && n < limit {
		limit = n
	}
	page, rest := items[:limit], items[limit:]
	body := map[string]any{"more": len(rest) > 0}
	switch {
	case len(rest) == 0:
		delete(f.sessions, token)
	case token == "":
		f.tokens++
		token = "343c3654-7acd-4c9e-afa0-0eaf0690" + strconv.Itoa(1000+f.tokens)
		fallthrough
	default:
		f.sessions[token] = rest
		body["next"] = token
	}
	objs := []json.RawMessage{}
	h := http.Header{}
	for _, it := range page {
		objs = append(objs, it.obj)
	}
	if len(page) > 0 {
		h.Set("X-TAXII-Date-Added-First", page[0].dateAdded)
		h.Set("X-TAXII-Date-Added-Last", page[len(page)-1].dateAdded)
	}
	body["objects"] = objs
	f.write(w, 200, body, h)
}

// select_ returns the newest version of each object added after
// addedAfter, of the listed types, in date_added order.
func (f *fakeServer) select_(c *fakeCollection, addedAfter, types string) []fakeItem {
	newest := map[string]fakeItem{}
	var order []string
	for _, o := range c.Objects {
		var h struct{ ID, Type, Modified, Created string }
		json.Unmarshal(o, &h)
		version := h.Modified
		if version == "" {
			version = h.Created
		}
		added := ""
		for _, m := range c.Manifest {
			if m.ID == h.ID && m.Version == version {
				added = m.DateAdded
			}
		}
		if types != "" && !slices.Contains(strings.Split(types, ","), h.Type) {
			continue
		}
		if old, ok := newest[h.ID]; !ok {
			order = append(order, h.ID)
		} else if old.dateAdded > added {
			continue
		}
		newest[h.ID] = fakeItem{obj: o, dateAdded: added}
	}
	var out []fakeItem
	after, _ := time.Parse(time.RFC3339Nano, addedAfter)
	for _, id := range order {
		it := newest[id]
		t, _ := time.Parse(time.RFC3339Nano, it.dateAdded)
		if addedAfter == "" || t.After(after) {
			out = append(out, it)
		}
	}
	slices.SortStableFunc(out, func(a, b fakeItem) int {
		return strings.Compare(a.dateAdded, b.dateAdded)
	})
	return out
}

// add stores a new object version in a collection with its date_added.
func (f *fakeServer) add(collection string, obj, dateAdded string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	root := f.roots["trustgroup1"]
	for i := range root.Collections {
		c := &root.Collections[i]
		if c.ID != collection {
			continue
		}
		var h struct{ ID, Modified string }
		if err := json.Unmarshal([]byte(obj), &h); err != nil {
			f.t.Fatal(err)
		}
		c.Objects = append(c.Objects, json.RawMessage(obj))
		c.Manifest = append(c.Manifest, struct {
			DateAdded string `json:"date_added"`
			ID        string `json:"id"`
			Version   string `json:"version"`
		}{dateAdded, h.ID, h.Modified})
	}
}

func (f *fakeServer) objectRequests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.requests {
		if strings.Contains(r, "/objects/") {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeServer) fail(w http.ResponseWriter, status int, desc string) {
	f.write(w, status, map[string]string{"description": desc, "http_status": strconv.Itoa(status),
		"title": "ProcessingError"}, nil)
}

func (f *fakeServer) write(w http.ResponseWriter, status int, v any, h http.Header) {
	for k, vs := range h {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		f.t.Errorf("fake server: %v", err)
	}
}
