package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRun_LearnsBindings: in embedded mode a DHCP lease in the input binds
// its address to the host for the alerts after it, unless --binding-ttl 0
// turns learning off.
func TestRun_LearnsBindings(t *testing.T) {
	feed := filepath.Join(t.TempDir(), "f.txt")
	if err := os.WriteFile(feed, []byte("198.18.0.7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in := strings.Join([]string{
		`{"timestamp":"2026-03-02T08:00:00.000000+0000","event_type":"dhcp",` +
			`"src_ip":"10.0.0.1","dest_ip":"10.1.2.3","dhcp":{"type":"reply",` +
			`"assigned_ip":"10.1.2.3","dhcp_type":"ack","hostname":"WS-17"}}`,
		`{"timestamp":"2026-03-02T08:30:00.000000+0000","event_type":"alert",` +
			`"src_ip":"10.1.2.3","dest_ip":"198.18.0.7"}`,
	}, "\n")
	for _, c := range []struct {
		ttl, host string
	}{{"8h", "WS-17"}, {"0", ""}} {
		r := runIOCFlow(t, in, "run", "--feeds", feed, "--input", "-", "--binding-ttl", c.ttl)
		if r.code != exitOK || len(r.verdicts) != 1 {
			t.Fatalf("ttl %s: exit %d, %d verdicts; stderr %s", c.ttl, r.code, len(r.verdicts),
				r.stderr)
		}
		if host, _ := r.verdicts[0]["host"].(string); host != c.host {
			t.Errorf("ttl %s: verdict host %q, want %q", c.ttl, host, c.host)
		}
	}
}
