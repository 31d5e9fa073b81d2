package schedule

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iocflow/iocflow/feeds/allowlist"
)

// The allowlist keeps its values out of a refresh before the store sees
// them; the report and the log say how many and why, and the min_keep
// check counts only what is kept.
func TestScheduler_AllowlistSuppresses(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "mixed.txt")
	feed := "8.8.4.4\n127.0.0.1\n10.1.1.1\n192.168.7.7\nevil.example.net\n" +
		"partner.org\n93.184.216.34\n"
	if err := os.WriteFile(p, []byte(feed), 0o600); err != nil {
		t.Fatal(err)
	}
	s, st, logs := newTestScheduler(t, FeedConfig{Path: p})
	l := allowlist.Default()
	if err := l.Add("partner.org", "allowlist mine line 1"); err != nil {
		t.Fatal(err)
	}
	s.SetAllowlist(l)
	rep, err := s.Refresh(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Indicators != 2 || rep.Suppressed != 5 || rep.Added != 2 {
		t.Errorf("report %+v; want 2 indicators, 5 suppressed, 2 added", rep)
	}
	for _, id := range []string{"ipv4:8.8.4.4", "ipv4:93.184.216.34"} {
		if _, ok := st.Get(id); !ok {
			t.Errorf("%s not in force", id)
		}
	}
	for _, id := range []string{"ipv4:127.0.0.1", "domain:partner.org", "domain:evil.example.net"} {
		if _, ok := st.Get(id); ok {
			t.Errorf("%s in force, want suppressed", id)
		}
	}
	reasons := map[string]int{}
	for _, sp := range rep.SuppressedBy {
		reasons[sp.Reason] = sp.Count
	}
	if reasons["default: private range (RFC 1918)"] != 2 || reasons["allowlist mine line 1"] != 1 {
		t.Errorf("suppressed by %+v", rep.SuppressedBy)
	}
	text := logs.String()
	if !strings.Contains(text, "msg=\"feed refreshed\"") || !strings.Contains(text, "suppressed=5") ||
		!strings.Contains(text, `reason="allowlist mine line 1" count=1`) {
		t.Errorf("log lacks the suppressed counts:\n%s", text)
	}
}
