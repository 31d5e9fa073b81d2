package webhook

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/iocflow/iocflow/enforce"
)

// receiver is a loopback endpoint that checks every request the way a
// careful receiver would: method, content type, timestamp, signature.
type receiver struct {
	t      *testing.T
	secret []byte
	mu     sync.Mutex
	keys   []string
	msgs   []Message
	fail   int
	status int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ts := r.Header.Get(HeaderTimestamp)
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		rc.t.Errorf("request %s %q", r.Method, r.Header.Get("Content-Type"))
	}
	if n, err := strconv.ParseInt(ts, 10, 64); err != nil ||
		time.Since(time.Unix(n, 0)) > time.Minute {
		rc.t.Errorf("timestamp %q not current", ts)
	}
	if !hmac.Equal([]byte(r.Header.Get(HeaderSignature)), []byte(Sign(rc.secret, ts, body))) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var m Message
	if err := json.Unmarshal(body, &m); err != nil {
		rc.t.Errorf("body %q: %v", body, err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.keys = append(rc.keys, r.Header.Get(HeaderIdempotency))
	rc.msgs = append(rc.msgs, m)
	if rc.fail > 0 {
		rc.fail--
		http.Error(w, "try later", rc.status)
		return
	}
	_, _ = w.Write([]byte(`{"ref":"edr-case-7"}`))
}

func setup(t *testing.T, secret string) (*Adapter, *receiver, *httptest.Server) {
	t.Helper()
	rc := &receiver{t: t, secret: []byte("right-secret")}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	t.Setenv("WEBHOOK_TEST_SECRET", secret)
	c := Config{Name: "soar", URL: srv.URL, SecretEnv: "WEBHOOK_TEST_SECRET",
		Actions: []enforce.Kind{enforce.IsolateHost}}
	if err := c.Validate("webhook"); err != nil {
		t.Fatal(err)
	}
	a, err := New(c, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return a, rc, srv
}

func TestWebhook_SignedIdempotentAndRetryable(t *testing.T) {
	a, rc, _ := setup(t, "right-secret")
	rc.fail, rc.status = 1, http.StatusServiceUnavailable
	req := enforce.Request{ID: "a1", Rule: "isolate", Expires: time.Now().Add(time.Hour),
		Target: enforce.Target{Kind: enforce.IsolateHost, Value: "ws-042"}}
	_, err := a.Apply(context.Background(), req)
	var de *enforce.DeviceError
	if !errors.As(err, &de) || de.Permanent {
		t.Fatalf("503: %v, want a retryable DeviceError", err)
	}
	rec, err := a.Apply(context.Background(), req)
	if err != nil || rec.Ref != "edr-case-7" {
		t.Fatalf("retry: %+v %v", rec, err)
	}
	req.Ref = rec.Ref
	if _, err := a.Remove(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	want := []string{"a1:apply", "a1:apply", "a1:remove"}
	for i, k := range rc.keys {
		if k != want[i] {
			t.Errorf("idempotency key %d = %q, want %q", i, k, want[i])
		}
	}
	if m := rc.msgs[2]; m.Op != "remove" || m.Target != "ws-042" || m.Ref != "edr-case-7" ||
		m.Action != "isolate_host" {
		t.Errorf("removal message %+v", m)
	}
	if a.Supports(enforce.BlockIP) || !a.Supports(enforce.IsolateHost) {
		t.Error("Supports ignores the configured actions")
	}
}

func TestWebhook_WrongSecretIsPermanent(t *testing.T) {
	a, _, _ := setup(t, "wrong-secret")
	_, err := a.Apply(context.Background(), enforce.Request{ID: "a2",
		Target: enforce.Target{Kind: enforce.IsolateHost, Value: "ws-1"}})
	var de *enforce.DeviceError
	if !errors.As(err, &de) || !de.Permanent {
		t.Errorf("401: %v, want a permanent DeviceError", err)
	}
}
