package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestRun_Examples runs the README's first command and checks every
// verdict it prints against what the example files were written to show.
func TestRun_Examples(t *testing.T) {
	ex := filepath.Join("..", "..", "examples")
	r := runIOCFlow(t, "", "run", "--feeds", filepath.Join(ex, "feeds"),
		"--input", filepath.Join(ex, "events", "suricata-eve.json"),
		"--input", filepath.Join(ex, "events", "endpoint-ecs.json"))
	const (
		eve  = "suricata-eve.json:"
		ecs  = "endpoint-ecs.json:"
		stix = "campaign-stix21#indicator--a8b4d3a6-3c1e-4b5e-9c55-0c2f6a4e8d0"
		url  = "http://files.cdn-sync.zz/invoice.zip"
		hash = "4f3c2a1b0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b"
	)
	assertKeys(t, r.verdicts, []string{
		// The C2 address is in the STIX bundle and in the block list.
		eve + "1 dest_ip=198.18.7.23 -> ipv4:198.18.7.23 [" + stix + "1 emerging-Block-IPs#line 11]",
		// A subdomain of a listed domain, and the address it resolves to.
		eve + "2 dns.rrname=www.update-check.zz -> domain:update-check.zz [" + stix + "2]",
		eve + "2 dns.answers.rdata=198.18.7.23 -> ipv4:198.18.7.23 [" + stix +
			"1 emerging-Block-IPs#line 11]",
		eve + "3 dest_ip=198.18.128.80 -> ipv4:198.18.128.0/25 [emerging-Block-IPs#line 19]",
		eve + "3 http.hostname=files.cdn-sync.zz -> domain:cdn-sync.zz [" + stix + "2]",
		eve + "3 http.url=" + url + " -> url:" + url + " [analyst-indicators#case-1042]",
		eve + "4 src_ip=198.18.128.80 -> ipv4:198.18.128.0/25 [emerging-Block-IPs#line 19]",
		eve + "4 http.hostname=files.cdn-sync.zz -> domain:cdn-sync.zz [" + stix + "2]",
		eve + "4 http.url=" + url + " -> url:" + url + " [analyst-indicators#case-1042]",
		eve + "4 fileinfo.sha256=" + hash + " -> sha256:" + hash + " [" + stix + "3]",
		// A substring pattern found without regard to case.
		ecs + "1 process.command_line=powershell.exe -NoP -W Hidden -ENC JABzAGUAcgB2AGUAcgA9ACcA" +
			" -> text:-enc jabzaguacgb2aguacga [analyst-indicators#case-1044]",
		ecs + "2 destination.ip=198.18.128.45 -> ipv4:198.18.128.0/25 [emerging-Block-IPs#line 19]",
		// The address's domain compares without case, the local part as written.
		ecs + "3 email.from.address=billing-notice@mail-relay.zz -> " +
			"email:billing-notice@mail-relay.zz [analyst-indicators#case-1042]",
		ecs + "3 file.name=invoice.scr -> file_name:invoice.scr [analyst-indicators#case-1042]",
	})
	// The revoked STIX indicator (198.18.7.99) and the event to an unlisted
	// address give no verdict; the broken last line and the short hash are
	// reported, and the FOLLOWEDBY pattern is listed as not enforced.
	for _, want := range []string{
		"10 read, 9 decoded (json 3, suricata 6), 1 malformed",
		`"origin":"` + filepath.Join(ex, "events", "suricata-eve.json") + `:7"`,
		`line 8: "0123456789abcdef": sha256: want 64 hex digits, have 16`,
		"indicator--a8b4d3a6-3c1e-4b5e-9c55-0c2f6a4e8d04: FOLLOWEDBY needs state across events",
		"verdicts: 14 written",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.stderr)
		}
	}
	if r.code != exitOK {
		t.Errorf("exit status %d, want 0", r.code)
	}
}

// TestMatch_Examples checks the analyst's view of single values: a listed
// address with both feeds' word on it, a defanged subdomain of a listed
// domain, a block inside a listed one, a revoked indicator, a miss and a
// value of no known type.
func TestMatch_Examples(t *testing.T) {
	out, code := runText(t, "match", "--feeds", filepath.Join("..", "..", "examples", "feeds"),
		"198.18.7.23", "www.update-check[.]zz", "198.18.128.0/26", "198.18.7.99", "nothing.zz",
		"not a value")
	for _, want := range []string{
		"198.18.7.23  (ipv4 198.18.7.23)\n  ipv4:198.18.7.23  active now\n" +
			"    campaign-stix21  indicator--a8b4d3a6-3c1e-4b5e-9c55-0c2f6a4e8d01  confidence 85",
		"    emerging-Block-IPs  line 11  confidence 80  severity high  Abuse.ch C&C List\n",
		"www.update-check[.]zz  (domain www.update-check.zz)\n  domain:update-check.zz  active now\n",
		"198.18.128.0/26  (ipv4 198.18.128.0/26)\n  ipv4:198.18.128.0/25  active now\n",
		"198.18.7.99  (ipv4 198.18.7.99)\n  ipv4:198.18.7.99  not active now\n",
		"  revoked  ",
		"nothing.zz  (domain nothing.zz)\n  no indicator\n",
		"not a value\n  invalid value \"not a value\": value has no recognisable type\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("match output lacks %q:\n%s", want, out)
		}
	}
	if code != exitRejected {
		t.Errorf("exit status %d with a value of no type, want %d", code, exitRejected)
	}
}
