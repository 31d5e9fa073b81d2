package upload

import (
	"net/http"
	"strings"
	"testing"

	"github.com/iocflow/iocflow/feeds/allowlist"
)

// Values the allowlist covers are kept out of an upload and listed in the
// answer with the entry's reason; an upload of nothing else is a 422.
func TestHandler_AllowlistSuppresses(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t)
	l := allowlist.Default()
	if err := l.Add(".partner.org", "allowlist mine line 3"); err != nil {
		t.Fatal(err)
	}
	a.h.SetAllowlist(l)
	body := `[{"value":"8.8.4.4"},{"value":"127.0.0[.]1","id":"T-1"},` +
		`{"value":"cdn.partner.org"},{"value":"evil.example"}]`
	rec := a.do("POST", "/api/v1/indicators", curatorToken, "application/json", body)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	resp := decode[UploadResponse](t, rec)
	if resp.Accepted != 1 || resp.Indicators[0].ID != "ipv4:8.8.4.4" {
		t.Errorf("accepted %+v, want only 8.8.4.4", resp.Indicators)
	}
	want := map[string]string{
		"127.0.0[.]1":     "allowlist: default: loopback",
		"cdn.partner.org": "allowlist: allowlist mine line 3",
		"evil.example":    "allowlist: default: reserved for documentation",
	}
	if len(resp.Suppressed) != len(want) {
		t.Fatalf("suppressed %+v, want %d", resp.Suppressed, len(want))
	}
	for _, s := range resp.Suppressed {
		if !strings.HasPrefix(s.Reason, want[s.Value]) || want[s.Value] == "" {
			t.Errorf("suppressed %q for %q, want a reason starting %q", s.Value, s.Reason,
				want[s.Value])
		}
	}
	if _, ok := a.st.Get("ipv4:127.0.0.1"); ok {
		t.Error("the loopback address is in force")
	}
	if !strings.Contains(a.logs.String(), `"suppressed":3`) {
		t.Errorf("log lacks the suppressed count: %s", a.logs)
	}

	rec = a.do("POST", "/api/v1/indicators", curatorToken, "application/json",
		`[{"value":"10.0.0.1"}]`)
	if rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("all suppressed: status %d, want 422: %s", rec.Code, rec.Body)
	}
}
