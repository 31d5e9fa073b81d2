package umbrella

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iocflow/iocflow/enforce"
)

// platform is a loopback stand-in for the Enforcement API that checks
// requests against its documented shape.
type platform struct {
	t       *testing.T
	mu      sync.Mutex
	domains map[string]bool
}

func (p *platform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.URL.Query().Get("customerKey") != "cust-key-0123456789" {
		http.Error(w, `{"message":"Invalid customer key"}`, http.StatusUnauthorized)
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/1.0/events":
		p.event(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/1.0/domains":
		p.list(w, r)
	case r.Method == http.MethodDelete && r.URL.Path == "/1.0/domains":
		name := r.URL.Query().Get("where[name]")
		if !p.domains[name] {
			http.Error(w, `{"message":"not found"}`, http.StatusNotFound)
			return
		}
		delete(p.domains, name)
		w.WriteHeader(http.StatusNoContent)
	default:
		p.t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
	}
}

func (p *platform) event(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var ev map[string]string
	if err := json.Unmarshal(body, &ev); err != nil ||
		r.Header.Get("Content-Type") != "application/json" {
		p.t.Errorf("event %q: %v", body, err)
	}
	for _, f := range []string{"alertTime", "deviceId", "deviceVersion", "dstDomain", "dstUrl",
		"eventTime", "protocolVersion", "providerName"} {
		if ev[f] == "" {
			p.t.Errorf("event lacks required field %s: %s", f, body)
		}
	}
	if _, err := time.Parse("2006-01-02T15:04:05.0Z", ev["alertTime"]); err != nil {
		p.t.Errorf("alertTime %q not in the documented form", ev["alertTime"])
	}
	if ev["protocolVersion"] != "1.0a" || ev["providerName"] != "Security Platform" {
		p.t.Errorf("event %v: want protocolVersion 1.0a and providerName Security Platform", ev)
	}
	p.domains[ev["dstDomain"]] = true
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprint(w, `{"id":"ev-1"}`)
}

func (p *platform) list(w http.ResponseWriter, r *http.Request) {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if page < 1 || limit < 1 || limit > 200 {
		http.Error(w, "bad page or limit", http.StatusBadRequest)
		return
	}
	var names []string
	for d := range p.domains {
		names = append(names, d)
	}
	sort.Strings(names)
	lo, hi := min((page-1)*limit, len(names)), min(page*limit, len(names))
	next := "false"
	if hi < len(names) {
		next = strconv.Quote("next-page-url")
	}
	var data []string
	for i, n := range names[lo:hi] {
		data = append(data, fmt.Sprintf(`{"id":%d,"name":%q,"lastSeenAt":1700000000}`, i, n))
	}
	fmt.Fprintf(w, `{"meta":{"page":%d,"limit":%d,"prev":false,"next":%s},"data":[%s]}`,
		page, limit, next, strings.Join(data, ","))
}

func TestUmbrella_AddListDelete(t *testing.T) {
	p := &platform{t: t, domains: map[string]bool{}}
	srv := httptest.NewServer(p)
	defer srv.Close()
	t.Setenv("UMB_TEST_KEY", "cust-key-0123456789")
	c := Config{URL: srv.URL, CustomerKeyEnv: "UMB_TEST_KEY"}
	c.Defaults()
	if err := c.Validate("umbrella"); err != nil {
		t.Fatal(err)
	}
	a, err := New(c, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 250 { // more than one page
		tg := enforce.Target{Kind: enforce.BlockDomain, Value: fmt.Sprintf("bad%03d.example", i)}
		if _, err := a.Apply(ctx, enforce.Request{Target: tg}); err != nil {
			t.Fatal(err)
		}
	}
	held, err := a.Held(ctx)
	if err != nil || len(held) != 250 {
		t.Fatalf("Held: %d, %v; want 250 over two pages", len(held), err)
	}
	tg := enforce.Target{Kind: enforce.BlockDomain, Value: "bad007.example"}
	if _, err := a.Remove(ctx, enforce.Request{Target: tg}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Remove(ctx, enforce.Request{Target: tg}); err != nil {
		t.Errorf("second Remove: %v; a domain already gone counts as removed", err)
	}
	if p.domains["bad007.example"] {
		t.Error("domain still listed after Remove")
	}
}

func TestUmbrella_KeyNeverInErrors(t *testing.T) {
	t.Setenv("UMB_TEST_KEY", "secret-customer-key")
	c := Config{URL: "http://127.0.0.1:1", CustomerKeyEnv: "UMB_TEST_KEY"}
	c.Defaults()
	a, err := New(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Apply(context.Background(), enforce.Request{
		Target: enforce.Target{Kind: enforce.BlockDomain, Value: "x.example"}})
	if err == nil || strings.Contains(err.Error(), "secret-customer-key") {
		t.Errorf("connection refused error %v: want an error without the key", err)
	}
}
