package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iocflow/iocflow/pipeline/decode/jsonmap"
)

// serviceBase is the smallest valid service config; tests append sections.
const serviceBase = `
kafka:
  brokers: [127.0.0.1:9092]
  group: g
  inputs: [{topic: a, format: suricata}]
  dead_letter_topic: dead
  indicator_topic: inds
sinks:
  verdict_topic: {topic: verdicts}
`

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "iocflow.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConfig_ServiceSections(t *testing.T) {
	t.Parallel()
	cfg, err := loadConfig(writeConfig(t, `
kafka:
  brokers: [127.0.0.1:9092]
  group: g
  inputs: [{topic: a, format: sysmon}, {topic: b, format: auto}]
  dead_letter_topic: dead
  indicator_topic: inds
topics: {create: true}
enrich: {directory: dir.csv, critical_groups: [payments], internal: [10.0.0.0/8]}
sinks:
  verdict_topic: {topic: verdicts}
  clickhouse: {addr: [127.0.0.1:9000], hunt_on_arrival: true, hunt_window: 7d}
feeds:
  - {name: et, path: et.txt, interval: 5m}
api: {tokens_file: tokens}
enforcement:
  policy:
    rules: [{name: r, action: block_ip, adapters: [edl]}]
  edl: [{anonymous: true, lists: [{path: /ip.txt, device: paloalto, type: ip}]}]
`))
	if err != nil {
		t.Fatalf("loadConfig: %v", err)
	}
	ch := cfg.Sinks.ClickHouse
	switch {
	case !cfg.Topics.Create || cfg.Topics.Partitions != 4 || cfg.Topics.ReplicationFactor != 1:
		t.Errorf("topics = %+v, want create with 4 partitions, factor 1", cfg.Topics)
	case ch == nil || !ch.HuntOnArrival || time.Duration(ch.HuntWindow) != 7*24*time.Hour:
		t.Errorf("sinks.clickhouse = %+v, want hunting on arrival over 7 days", ch)
	case ch.Database != "iocflow" || ch.BatchRows != 20000:
		t.Errorf("clickhouse defaults not applied: %+v", ch.Config)
	case !cfg.Enrich.enabled() || cfg.Enrich.Reload.D() != 30*time.Second:
		t.Errorf("enrich = %+v, want enabled with reload 30s", cfg.Enrich)
	case len(cfg.Feeds.Feeds) != 1 || cfg.Feeds.Feeds[0].MinKeep != 0.5:
		t.Errorf("feeds = %+v, want one with defaults", cfg.Feeds)
	case cfg.API == nil || cfg.API.Listen != "127.0.0.1:9782" ||
		cfg.API.StateDir != "iocflow-state" || cfg.API.MaxBody == 0:
		t.Errorf("api = %+v, want defaults", cfg.API)
	case cfg.Enforcement == nil || len(cfg.Enforcement.Policy.Rules) != 1 ||
		cfg.Enforcement.EDL[0].Listen == "":
		t.Errorf("enforcement = %+v, want one rule and an EDL with defaults", cfg.Enforcement)
	}
	if got := cfg.decoders()["a"].Format(); got != "sysmon" {
		t.Errorf("decoder of topic a: %q, want sysmon", got)
	}
}

func TestLoadConfig_WithoutOptionalPartsLeavesThemOff(t *testing.T) {
	t.Parallel()
	cfg, err := loadConfig(writeConfig(t, serviceBase))
	if err != nil {
		t.Fatalf("loadConfig: %v", err)
	}
	if cfg.Sinks.ClickHouse != nil || cfg.API != nil || cfg.Enforcement != nil ||
		cfg.wantsFeeds() || cfg.Enrich.enabled() || cfg.Topics.Create {
		t.Errorf("optional parts on without their sections: %+v", cfg)
	}
}

// Every new section reports unknown keys and bad values, all at once and
// each with its key path.
func TestLoadConfig_ServiceSectionProblems(t *testing.T) {
	t.Parallel()
	_, err := loadConfig(writeConfig(t, serviceBase+`  clickhouse:
    batch_rows: -1
    addr: [nohost]
    hunt_window: soon
    bogus: 1
topics: {partitions: -2, replicas: 3}
enrich: {internal: [10.0.0.0/33], reload: 10ms, directroy: x}
feeds:
  - {name: a, interval: 10s}
  - {path: p, url: "http://x"}
api: {listen: nowhere, max_body: 1GiB, token_file: t}
enforcement:
  blast_radius: {limit: -1}
  policy: {rules: [{name: r}]}
  edl: [{lists: []}]
  pan: []
`))
	if err == nil {
		t.Fatal("loadConfig accepted a bad file")
	}
	for _, want := range []string{
		"sinks.clickhouse.bogus (line 14): unknown key",
		"sinks.clickhouse.hunt_window (line 13): want a duration such as 30d",
		"sinks.clickhouse.batch_rows: must be ≥ 1",
		`sinks.clickhouse.addr[0]: "nohost" is not host:port`,
		"topics.replicas (line 15): unknown key",
		"topics.partitions: must be at least 1",
		"enrich.directroy (line 16): unknown key",
		`enrich.internal: want address blocks such as 10.0.0.0/8, got "10.0.0.0/33"`,
		"enrich.reload: must be at least 1s",
		"feeds[0]: one of url and path is required",
		"feeds[0].interval: must be at least 1m0s",
		"feeds[1].name: required",
		"feeds[1]: url and path are both set",
		"api.token_file (line 20): unknown key",
		`api.listen: want host:port, got "nowhere"`,
		"api.max_body: must be at most 256MiB",
		"enforcement.pan (line 25): unknown key",
		"enforcement.blast_radius.limit: must be at least 1",
		"enforcement.policy.rules[0]",
		"enforcement.edl[0]",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	for line := range strings.Lines(err.Error()) {
		if strings.HasPrefix(line, ": ") {
			t.Errorf("problem without a key path: %q", line)
		}
	}
}

func TestLoadConfig_UnknownFormatListsEveryFormat(t *testing.T) {
	t.Parallel()
	text := strings.Replace(serviceBase, "format: suricata", "format: eve", 1)
	_, err := loadConfig(writeConfig(t, text))
	want := `kafka.inputs[0].format: unknown format "eve": want one of auto, cef, fireeye, ` +
		"json, leef, osquery, proofpoint_tap, splunk_hec, suricata, sysmon, wildfire"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want it to contain %q", err, want)
	}
}

// The one format list gives a decoder of that name for every entry, to
// the service's topics and to `run --format` alike.
func TestFormatDecoder_EveryListedFormat(t *testing.T) {
	t.Parallel()
	for _, name := range inputFormatNames {
		d, ok := formatDecoder(name, jsonmap.DefaultMapping())
		if !ok || d.Format() != name {
			t.Errorf("formatDecoder(%q) = %v, %v; want a %s decoder", name, d, ok, name)
		}
		if rd, err := newDecoder(name, nil); err != nil || rd.Format() != name {
			t.Errorf("newDecoder(%q) = %v, %v; want a %s decoder", name, rd, err, name)
		}
	}
	if _, ok := formatDecoder("xml", jsonmap.DefaultMapping()); ok {
		t.Error("formatDecoder accepted xml")
	}
}

func TestLoadConfig_EnrichLDAPAndBindings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, section string
		wants         []string
	}{
		{"ldap and a file together", "enrich:\n  directory: dir.csv\n  ldap:\n" +
			"    url: ldaps://dc.corp.zz:636\n    bind_dn: cn=reader,dc=corp,dc=zz\n" +
			"    bind_password_env: LDAP_PW\n    base_dn: dc=corp,dc=zz\n",
			[]string{"enrich.ldap: give a directory file or an LDAP server, not both"}},
		{"ldap problems keep their paths", "enrich:\n  ldap:\n    url: http://dc\n",
			[]string{"enrich.ldap.url", "enrich.ldap.bind_dn"}},
		{"negative binding ttl", "enrich:\n  binding_ttl: -1h\n",
			[]string{"enrich.binding_ttl (line", "negative"}},
	}
	for _, c := range cases {
		_, err := loadConfig(writeConfig(t, serviceBase+c.section))
		for _, w := range c.wants {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v, want it to name %q", c.name, err, w)
			}
		}
	}
}
