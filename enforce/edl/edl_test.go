package edl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/iocflow/iocflow/enforce"
)

var sampleTargets = []enforce.Target{
	{Kind: enforce.BlockIP, Value: "203.0.113.5"},
	{Kind: enforce.BlockIP, Value: "2001:db8::5"},
	{Kind: enforce.BlockCIDR, Value: "198.51.100.0/24"},
	{Kind: enforce.BlockCIDR, Value: "2001:db8:1::/48"},
	{Kind: enforce.BlockDomain, Value: "bad.example.net"},
	{Kind: enforce.BlockDomain, Value: "xn--bcher-kva.example"},
	{Kind: enforce.BlockURL, Value: "http://files.example.org/invoice.zip"},
	{Kind: enforce.BlockURL, Value: "https://evil.example.com:8443/a,b/c?x=1"},
	{Kind: enforce.BlockURL, Value: "http://wild.example.com/*star"},
}

func allLists() []ListConfig {
	var ls []ListConfig
	for _, d := range []Device{PaloAlto, Fortinet, CheckPoint, Juniper, BlueCoat} {
		for _, typ := range devices[d].types {
			ls = append(ls, ListConfig{Path: fmt.Sprintf("/%s/%s", d, typ), Device: d, Type: typ})
		}
	}
	return ls
}

func newTestAdapter(t *testing.T, lists []ListConfig) *Adapter {
	t.Helper()
	t.Setenv("EDL_TEST_PASSWORD", "s3cret-pass")
	c := Config{Username: "fw", PasswordEnv: "EDL_TEST_PASSWORD", Lists: lists}
	c.Defaults()
	if err := c.Validate("edl"); err != nil {
		t.Fatal(err)
	}
	a, err := New(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.Ready()
	return a
}

func get(t *testing.T, srv *httptest.Server, path string, hdr map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	req.SetBasicAuth("fw", "s3cret-pass")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLists_FollowEachDeviceSyntax(t *testing.T) {
	a := newTestAdapter(t, allLists())
	for i, tg := range sampleTargets {
		_, err := a.Apply(context.Background(), enforce.Request{ID: fmt.Sprint(i), Target: tg})
		if err != nil {
			t.Fatalf("Apply %s: %v", tg, err)
		}
	}
	srv := httptest.NewServer(a)
	defer srv.Close()

	want := map[string][]string{ // lines each list must hold
		"/paloalto/ip":     {"203.0.113.5", "2001:db8::5", "198.51.100.0/24", "2001:db8:1::/48"},
		"/paloalto/domain": {"bad.example.net", "xn--bcher-kva.example"},
		"/paloalto/url":    {"files.example.org/invoice.zip", "evil.example.com:8443/a,b/c?x=1"},
		"/fortinet/ip":     {"203.0.113.5", "2001:db8::5", "198.51.100.0/24"},
		"/fortinet/url":    {"wild.example.com/*star"},
		"/checkpoint/all": {",203.0.113.5,IP,", ",198.51.100.0-198.51.100.255,IP Range,",
			",bad.example.net,Domain,", `,"evil.example.com:8443/a,b/c?x=1",URL,`},
		"/juniper/ip":   {"203.0.113.5", "2001:db8:1::/48"},
		"/bluecoat/all": {"define category iocflow_block", "203.0.113.5", "[2001:db8::5]", "end"},
	}
	absent := map[string][]string{ // entries the device cannot take
		"/paloalto/url":   {"*star"},
		"/checkpoint/all": {"2001:db8"},
		"/bluecoat/all":   {"198.51.100.0"},
		"/paloalto/ip":    {"example"},
	}
	for _, l := range allLists() {
		resp := get(t, srv, l.Path, nil)
		b := body(t, resp)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", l.Path, resp.StatusCode)
		}
		if err := validate(l.Device, l.Type, []byte(b)); err != nil {
			t.Errorf("%s: served list breaks %s syntax: %v\n%s", l.Path, l.Device, err, b)
		}
		for _, w := range want[l.Path] {
			if !strings.Contains(b, w) {
				t.Errorf("%s: list lacks %q:\n%s", l.Path, w, b)
			}
		}
		for _, w := range absent[l.Path] {
			if strings.Contains(b, w) {
				t.Errorf("%s: list holds %q, which the device cannot take:\n%s", l.Path, w, b)
			}
		}
	}
}

func TestServe_ETagAuthHeadAndReady(t *testing.T) {
	a := newTestAdapter(t, []ListConfig{{Path: "/ip.txt", Device: PaloAlto, Type: IPList}})
	a.ready = false
	srv := httptest.NewServer(a)
	defer srv.Close()

	if r := get(t, srv, "/ip.txt", nil); r.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("before Ready: status %d, want 503 so devices keep their copy", r.StatusCode)
	}
	a.Ready()
	resp, err := srv.Client().Get(srv.URL + "/ip.txt")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("no credentials: status %d, want 401 with a challenge", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/ip.txt", nil)
	req.SetBasicAuth("fw", "wrong")
	if resp, err = srv.Client().Do(req); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("wrong password: status %d, want 401", resp.StatusCode)
		}
	}

	_, _ = a.Apply(context.Background(), enforce.Request{Target: sampleTargets[0]})
	r1 := get(t, srv, "/ip.txt", nil)
	etag := r1.Header.Get("ETag")
	if b := body(t, r1); b != "203.0.113.5\n" || etag == "" {
		t.Fatalf("first fetch: %q etag %q", b, etag)
	}
	r := get(t, srv, "/ip.txt", map[string]string{"If-None-Match": etag})
	if r.StatusCode != http.StatusNotModified {
		t.Errorf("same ETag: status %d, want 304", r.StatusCode)
	}
	req, _ = http.NewRequest(http.MethodHead, srv.URL+"/ip.txt", nil)
	req.SetBasicAuth("fw", "s3cret-pass")
	if resp, err = srv.Client().Do(req); err != nil || resp.Header.Get("ETag") != etag {
		t.Errorf("HEAD: %v, etag %q want %q", err, resp.Header.Get("ETag"), etag)
	}
	_, _ = a.Apply(context.Background(), enforce.Request{Target: sampleTargets[2]})
	r2 := get(t, srv, "/ip.txt", map[string]string{"If-None-Match": etag})
	if r2.StatusCode != http.StatusOK || r2.Header.Get("ETag") == etag {
		t.Errorf("after a change: status %d etag %q, want 200 and a new etag", r2.StatusCode,
			r2.Header.Get("ETag"))
	}
	_, _ = a.Remove(context.Background(), enforce.Request{Target: sampleTargets[2]})
	if r3 := get(t, srv, "/ip.txt", nil); r3.Header.Get("ETag") != etag {
		t.Error("same set, different ETag: devices would download for nothing")
	}
	if r := get(t, srv, "/nope", nil); r.StatusCode != http.StatusNotFound {
		t.Errorf("unknown list: status %d", r.StatusCode)
	}
}

func TestApply_FullListIsRetriedNotTruncated(t *testing.T) {
	a := newTestAdapter(t, []ListConfig{
		{Path: "/ip", Device: Juniper, Type: IPList, MaxEntries: 2}})
	for i := range 2 {
		tg := enforce.Target{Kind: enforce.BlockIP, Value: fmt.Sprintf("203.0.113.%d", i+1)}
		if _, err := a.Apply(context.Background(), enforce.Request{Target: tg}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := a.Apply(context.Background(),
		enforce.Request{Target: enforce.Target{Kind: enforce.BlockIP, Value: "203.0.113.9"}})
	var de *enforce.DeviceError
	if !errors.As(err, &de) || de.Permanent {
		t.Errorf("third entry on a 2-entry list: %v, want a retryable DeviceError", err)
	}
	_, err = a.Apply(context.Background(),
		enforce.Request{Target: enforce.Target{Kind: enforce.BlockDomain, Value: "x.example"}})
	if !errors.As(err, &de) || !de.Permanent {
		t.Errorf("domain on an IP-only adapter: %v, want a permanent DeviceError", err)
	}
}

func TestConfig_ValidateReportsEveryProblem(t *testing.T) {
	c := Config{Lists: []ListConfig{
		{Path: "x", Device: "cisco", Type: IPList},
		{Path: "/a", Device: Juniper, Type: URLList},
		{Path: "/b", Device: PaloAlto, Type: IPList, MaxEntries: 60_000},
	}}
	err := c.Validate("edl[0]")
	for _, want := range []string{"edl[0].username", "lists[0].device", "lists[0].path",
		"lists[1].type", "lists[2].max_entries"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v; want a problem at %s", err, want)
		}
	}
}
