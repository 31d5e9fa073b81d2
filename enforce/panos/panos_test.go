package panos

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iocflow/iocflow/enforce"
)

// uidMessage is the User-ID API message as the PAN-OS XML API documents
// it ("Use the API to register IP addresses and tags").
type uidMessage struct {
	XMLName xml.Name `xml:"uid-message"`
	Version string   `xml:"version"`
	Type    string   `xml:"type"`
	Payload struct {
		Register   *entries `xml:"register"`
		Unregister *entries `xml:"unregister"`
	} `xml:"payload"`
}

type entries struct {
	Entry []struct {
		IP         string `xml:"ip,attr"`
		Persistent string `xml:"persistent,attr"`
		Members    []struct {
			Name    string `xml:",chardata"`
			Timeout string `xml:"timeout,attr"`
		} `xml:"tag>member"`
	} `xml:"entry"`
}

// firewall is a loopback stand-in for the XML API: it checks each request
// against the documented format and keeps registered IPs per tag.
type firewall struct {
	t        *testing.T
	mu       sync.Mutex
	tags     map[string]map[string]string // tag -> ip -> timeout
	requests int
}

func (f *firewall) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	if r.URL.Path != "/api/" || r.Method != http.MethodPost {
		f.t.Errorf("request %s %s, want POST /api/", r.Method, r.URL.Path)
	}
	if r.URL.RawQuery != "" {
		f.t.Errorf("query %q: the key and command belong in the body and header", r.URL.RawQuery)
	}
	if r.Header.Get("X-PAN-KEY") != "LUFRPT-test-key" {
		fmt.Fprint(
			w,
			`<response status="error" code="403"><result>`+
				`<msg>Invalid credentials.</msg></result></response>`,
		)
		return
	}
	if err := r.ParseForm(); err != nil {
		f.t.Fatal(err)
	}
	switch r.PostForm.Get("type") {
	case "user-id":
		f.userID(w, r.PostForm.Get("cmd"))
	case "op":
		want := `<show><object><registered-ip><tag><entry name="iocflow-block"/></tag>` +
			`</registered-ip></object></show>`
		if r.PostForm.Get("cmd") != want {
			f.t.Errorf("op cmd %q, want %q", r.PostForm.Get("cmd"), want)
		}
		var b strings.Builder
		for ip := range f.tags["iocflow-block"] {
			fmt.Fprintf(
				&b,
				`<entry ip="%s" from_agent="0" persistent="1">`+
					`<tag><member>iocflow-block</member></tag></entry>`,
				ip,
			)
		}
		fmt.Fprintf(w, `<response status="success"><result>%s<count>%d</count></result></response>`,
			b.String(), len(f.tags["iocflow-block"]))
	default:
		f.t.Errorf("type %q", r.PostForm.Get("type"))
	}
}

func (f *firewall) userID(w http.ResponseWriter, cmd string) {
	var m uidMessage
	if err := xml.Unmarshal([]byte(cmd), &m); err != nil || m.Version != "2.0" ||
		m.Type != "update" {
		f.t.Errorf("uid-message %q: %v", cmd, err)
		return
	}
	if reg := m.Payload.Register; reg != nil {
		for _, e := range reg.Entry {
			if e.Persistent != "1" || len(e.Members) != 1 || e.Members[0].Timeout == "" {
				f.t.Errorf("register entry %+v: want persistent=1 and one member with a timeout", e)
			}
			if f.tags[e.Members[0].Name] == nil {
				f.tags[e.Members[0].Name] = map[string]string{}
			}
			f.tags[e.Members[0].Name][e.IP] = e.Members[0].Timeout
		}
	}
	if un := m.Payload.Unregister; un != nil {
		for _, e := range un.Entry {
			delete(f.tags[e.Members[0].Name], e.IP)
		}
	}
	fmt.Fprint(w, `<response status="success"><result><uid-response><version>2.0</version>`+
		`<payload><register/></payload></uid-response></result></response>`)
}

func newAdapter(t *testing.T, key string) (*Adapter, *firewall) {
	t.Helper()
	fw := &firewall{t: t, tags: map[string]map[string]string{}}
	srv := httptest.NewServer(fw)
	t.Cleanup(srv.Close)
	t.Setenv("PAN_TEST_KEY", key)
	c := Config{URL: srv.URL, APIKeyEnv: "PAN_TEST_KEY"}
	c.Defaults()
	if err := c.Validate("panos"); err != nil {
		t.Fatal(err)
	}
	a, err := New(c, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return a, fw
}

func TestPANOS_RegisterReadBackUnregister(t *testing.T) {
	a, fw := newAdapter(t, "LUFRPT-test-key")
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	a.now = func() time.Time { return now }
	ctx := context.Background()
	tg := enforce.Target{Kind: enforce.BlockIP, Value: "203.0.113.9"}
	req := enforce.Request{ID: "a1", Target: tg, Expires: now.Add(time.Hour)}
	if _, err := a.Apply(ctx, req); err != nil {
		t.Fatal(err)
	}
	if got := fw.tags["iocflow-block"]["203.0.113.9"]; got != "3601" {
		t.Errorf("tag timeout = %q, want 3601 (seconds to expiry)", got)
	}
	_, _ = a.Apply(
		ctx,
		enforce.Request{Target: enforce.Target{Kind: enforce.BlockIP, Value: "2001:db8::9"},
			Expires: now.Add(90 * 24 * time.Hour)},
	)
	if got := fw.tags["iocflow-block"]["2001:db8::9"]; got != "2592000" {
		t.Errorf("tag timeout = %q, want the 30-day maximum", got)
	}
	held, err := a.Held(ctx)
	if err != nil || len(held) != 2 {
		t.Fatalf("Held = %v, %v; want 2", held, err)
	}
	if _, err := a.Remove(ctx, enforce.Request{ID: "a1", Target: tg}); err != nil {
		t.Fatal(err)
	}
	if _, ok := fw.tags["iocflow-block"]["203.0.113.9"]; ok {
		t.Error("address still registered after Remove")
	}
	_, err = a.Apply(
		ctx,
		enforce.Request{Target: enforce.Target{Kind: enforce.BlockCIDR, Value: "203.0.113.0/24"}},
	)
	var de *enforce.DeviceError
	if !errors.As(err, &de) || !de.Permanent || fw.requests != 4 {
		t.Errorf(
			"a block: %v after %d requests; want a permanent error and no request",
			err,
			fw.requests,
		)
	}
}

func TestPANOS_WrongKeyIsRefusedAndKeyNotInError(t *testing.T) {
	a, _ := newAdapter(t, "LUFRPT-wrong-key")
	_, err := a.Apply(context.Background(), enforce.Request{
		Target: enforce.Target{Kind: enforce.BlockIP, Value: "203.0.113.9"}})
	if err == nil || !strings.Contains(err.Error(), "Invalid credentials") {
		t.Errorf("wrong key: %v, want the device's refusal", err)
	}
	if err != nil && strings.Contains(err.Error(), "LUFRPT") {
		t.Errorf("error %q holds the API key", err)
	}
}
