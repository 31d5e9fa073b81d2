package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusDir returns the shared corpus of real sample files, which sits
// beside the repository in the development workspace. A clone elsewhere
// has none, and the tests that need it skip.
func corpusDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("IOCFLOW_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
		t.Skipf("shared corpus not found at %s (set IOCFLOW_CORPUS): %v", dir, err)
	}
	return dir
}

// TestRun_CorpusEmergingThreats runs the real ET lists against events
// whose addresses sit in them: a DROP block, a Feodo host and a compromised
// host, and one address in neither.
func TestRun_CorpusEmergingThreats(t *testing.T) {
	c := corpusDir(t)
	r := runIOCFlow(t, "", "run",
		"--feeds", filepath.Join(c, "emerging-threats", "emerging-Block-IPs.txt"),
		"--feeds", filepath.Join(c, "emerging-threats", "compromised-ips.txt"),
		"--input", filepath.Join("testdata", "et-hits.json"))
	assertKeys(t, r.verdicts, []string{
		"et-hits.json:1 dest_ip=1.10.16.5 -> ipv4:1.10.16.0/20 [emerging-Block-IPs#line 1207]",
		"et-hits.json:2 src_ip=222.222.222.222 -> ipv4:222.222.222.222 " +
			"[emerging-Block-IPs#line 43]",
		"et-hits.json:3 dest_ip=101.100.216.61 -> ipv4:101.100.216.61 [compromised-ips#line 1]",
	})
	if r.code != exitOK {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// TestRun_CorpusSTIX runs the STIX 2.1 examples: the C2 address, the
// sighted URL (matched through a Suricata http record), and the OpenCTI
// indicators that were valid only from 2016 to 2018, which match an event
// from inside their window and not one from after it. The C2 address of
// the OASIS example is 10.0.0.0, a private address that the default
// allowlist keeps out of the matcher; without the defaults it matches.
func TestRun_CorpusSTIX(t *testing.T) {
	c := corpusDir(t)
	args := []string{"run", "--feeds", filepath.Join(c, "stix", "stix21"),
		"--input", filepath.Join("testdata", "stix-hits.json")}
	public := []string{
		"stix-hits.json:2 http.url=http://paypa1.banking.com/ -> url:http://paypa1.banking.com/ " +
			"[sighting-of-an-indicator#indicator--9299f726-ce06-492e-8472-2b52ccb53191]",
		"stix-hits.json:3 dns.rrname=www.xolod-teplo.ru -> domain:www.xolod-teplo.ru " +
			"[opencti-test-data-subset#indicator--10e9a46e-7edb-496b-a167-e27ea3ed0079]",
		"stix-hits.json:5 fileinfo.sha256=" +
			"2a0169c72c84e6d3fa49af701fd46ee7aaf1d1d9e107798d93a6ca8df5d25957 -> sha256:" +
			"2a0169c72c84e6d3fa49af701fd46ee7aaf1d1d9e107798d93a6ca8df5d25957 " +
			"[opencti-test-data-subset#indicator--a2f7504a-ea0d-48ed-a18d-cbf352fae6cf]",
	}
	r := runIOCFlow(t, "", args...)
	assertKeys(t, r.verdicts, public)
	if !strings.Contains(r.stderr, "ipv4:10.0.0.0") {
		t.Errorf("summary does not report the suppressed private address:\n%s", r.stderr)
	}
	r = runIOCFlow(t, "", append(args, "--allowlist-defaults=false")...)
	assertKeys(t, r.verdicts, append(public, "stix-hits.json:1 dest_ip=10.0.0.0 -> ipv4:10.0.0.0 "+
		"[indicator-for-c2-ip-address#indicator--33fe3b22-0201-47cf-85d0-97c02164528d]"))
}

// TestRun_CorpusSuricata runs every Suricata EVE excerpt of the corpus
// against a list of values seen in them, and checks the one verdict per
// (event, indicator) that a reader of those files expects.
func TestRun_CorpusSuricata(t *testing.T) {
	c := corpusDir(t)
	dir := filepath.Join(c, "suricata")
	r := runIOCFlow(t, "", "run", "--format", "suricata",
		"--feeds", filepath.Join("testdata", "corpus-eve-feed.csv"),
		"--input", filepath.Join(dir, "eve-doc-examples.json"),
		"--input", filepath.Join(dir, "eve-doc-fragments-dns-tls.json"),
		"--input", filepath.Join(dir, "eve-real-excerpt-suricata6.json"))
	const (
		docs  = "eve-doc-examples.json:"
		frags = "eve-doc-fragments-dns-tls.json:"
		real  = "eve-real-excerpt-suricata6.json:"
	)
	type hit struct{ origin, indicator string }
	want := []hit{
		// One flow seen as alert, fileinfo, http, anomaly and flow records.
		{docs + "1", "ipv4:142.11.240.191"}, {docs + "2", "ipv4:142.11.240.191"},
		{docs + "3", "ipv4:142.11.240.191"}, {docs + "4", "ipv4:142.11.240.191"},
		{docs + "5", "ipv4:142.11.240.191"},
		// DNS layouts 1 to 3: the query name's parent, and A answers.
		{frags + "1", "domain:suricata.io"},
		{frags + "2", "domain:suricata.io"}, {frags + "2", "ipv4:35.212.0.44"},
		{frags + "3", "domain:suricata.io"},
		{frags + "4", "domain:suricata.io"}, {frags + "4", "ipv4:35.212.0.44"},
		{frags + "5", "domain:suricata.io"}, {frags + "5", "ipv4:192.0.78.24"},
		// TLS: the SNI and the certificate's SHA-1 fingerprint.
		{frags + "6", "domain:calendar.google.com"},
		{frags + "6", "sha1:8f511206a0cc4ecde8a38b38f88759e5af95cacd"},
		// A lab capture with an AD domain: queries, NXDOMAIN, SRV.
		{real + "1", "domain:alwaysopen.studio"}, {real + "3", "domain:alwaysopen.studio"},
		{real + "4", "domain:alwaysopen.studio"}, {real + "5", "domain:alwaysopen.studio"},
	}
	var got []hit
	for _, v := range r.verdicts {
		got = append(got, hit{filepath.Base(v["origin"].(string)),
			v["indicator"].(map[string]any)["id"].(string)})
	}
	if len(got) != len(want) {
		t.Errorf("%d verdicts, want %d:\n%v", len(got), len(want), keys(r.verdicts))
	}
	seen := map[hit]int{}
	for _, h := range got {
		seen[h]++
	}
	for _, h := range want {
		if seen[h] != 1 {
			t.Errorf("verdict %v seen %d times, want once", h, seen[h])
		}
	}
}
