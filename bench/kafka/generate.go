package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
)

// generator makes indicators and events. Events follow the shapes of the
// real samples in examples/events (Suricata EVE alert, dns, http, tls,
// fileinfo and flow records; ECS process and network events), with values
// drawn deterministically from the record number, so that a run is
// repeatable.
type generator struct {
	ips, domains, hashes []string
}

// newGenerator makes n indicators: 40% IPv4 addresses, 40% domains, 20%
// SHA-256 digests.
func newGenerator(n int) *generator {
	g := &generator{}
	for i := range n {
		switch i % 5 {
		case 0, 1:
			g.ips = append(g.ips, fmt.Sprintf("198.18.%d.%d", i/250%256, i%250+1))
		case 2, 3:
			g.domains = append(g.domains, "c2-"+strconv.Itoa(i)+".bad.example")
		default:
			g.hashes = append(g.hashes, digest("ioc", i))
		}
	}
	return g
}

func digest(kind string, i int) string {
	sum := sha256.Sum256([]byte(kind + strconv.Itoa(i)))
	return hex.EncodeToString(sum[:])
}

func (g *generator) changes() []feeds.Change {
	var out []feeds.Change
	add := func(t ioc.Type, v string) {
		in := ioc.NewIndicator(t, v, ioc.Source{Feed: "bench", ID: v, Confidence: 80,
			Severity: ioc.SeverityHigh, ThreatTypes: []string{"c2"}})
		out = append(out, feeds.Change{Op: feeds.Added, ID: in.ID, Indicator: in})
	}
	for _, v := range g.ips {
		add(ioc.IPv4, v)
	}
	for _, v := range g.domains {
		add(ioc.Domain, v)
	}
	for _, v := range g.hashes {
		add(ioc.SHA256, v)
	}
	return out
}

// mix mixes the bits of i (splitmix64), for repeatable choices.
func mix(i int) uint64 {
	z := uint64(i) + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

var base = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// record returns record i: ECS JSON for 15 in 100, EVE otherwise. About
// hitPercent of the records carry an indicator's value. A zero at stamps
// the record with a time derived from i.
func (g *generator) record(i int, hitPercent float64, at time.Time) ([]byte, bool) {
	r := mix(i)
	hit := float64(r%10000) < hitPercent*100
	if at.IsZero() {
		at = base.Add(time.Duration(i) * time.Millisecond)
	}
	if r>>20%100 < 15 {
		return g.ecs(i, r, hit, at), true
	}
	return g.eve(i, r, hit, at), false
}

// liveRecord returns an EVE record stamped at, carrying an indicator when
// hit is set.
func (g *generator) liveRecord(i int, hit bool, at time.Time) []byte {
	return g.eve(i, mix(i), hit, at)
}

func (g *generator) pickIP(r uint64, hit bool) string {
	if hit && len(g.ips) > 0 {
		return g.ips[r%uint64(len(g.ips))]
	}
	return fmt.Sprintf("93.184.%d.%d", r>>8%256, r>>16%254+1)
}

func (g *generator) pickDomain(r uint64, hit bool) string {
	if hit && len(g.domains) > 0 {
		return "www." + g.domains[r%uint64(len(g.domains))]
	}
	return "host-" + strconv.FormatUint(r>>24%50000, 10) + ".example.net"
}

func (g *generator) pickHash(r uint64, hit bool) string {
	if hit && len(g.hashes) > 0 {
		return g.hashes[r%uint64(len(g.hashes))]
	}
	return digest("file", int(r>>32%100000))
}

const eveTime = "2006-01-02T15:04:05.000000-0700"

// eve returns one EVE record: dns 35%, tls 20%, http 15%, flow 15%, alert
// 10%, fileinfo 5%.
func (g *generator) eve(i int, r uint64, hit bool, at time.Time) []byte {
	ts := at.Format(eveTime)
	src := fmt.Sprintf("10.20.%d.%d", r>>40%256, r>>48%254+1)
	switch k := r >> 8 % 100; {
	case k < 35:
		name := g.pickDomain(r, hit)
		return fmt.Appendf(nil, `{"timestamp":%q,"flow_id":%d,"in_iface":"eth0",`+
			`"event_type":"dns","src_ip":%q,"src_port":%d,"dest_ip":"10.20.0.2","dest_port":53,`+
			`"proto":"UDP","dns":{"version":2,"type":"answer","id":%d,"flags":"8180",`+
			`"qr":true,"rd":true,"ra":true,"rrname":%q,"rrtype":"A","rcode":"NOERROR",`+
			`"answers":[{"rrname":%q,"rrtype":"A","ttl":300,"rdata":%q}]}}`,
			ts, r>>12, src, 40000+r%20000, r%65536, name, name, g.pickIP(r>>3, false))
	case k < 55:
		return fmt.Appendf(nil, `{"timestamp":%q,"flow_id":%d,"event_type":"tls",`+
			`"src_ip":%q,"src_port":%d,"dest_ip":%q,"dest_port":443,"proto":"TCP",`+
			`"tls":{"subject":"CN=%s","issuerdn":"CN=Example CA","serial":"0C:00:99",`+
			`"fingerprint":"8f:51:12:06:a0:cc:4e:cd:e8:a3:8b:38:f8:87:59:e5:af:95:c1:d2",`+
			`"sni":%q,"version":"TLS 1.3","notbefore":"2026-01-01T00:00:00",`+
			`"notafter":"2027-01-01T00:00:00","ja3":{"hash":"e7d705a3286e19ea42f587b344ee6865"}}}`,
			ts, r>>12, src, 40000+r%20000, g.pickIP(r>>5, false), "svc.example.org",
			g.pickDomain(r, hit))
	case k < 70:
		host := g.pickDomain(r, hit)
		return fmt.Appendf(nil, `{"timestamp":%q,"flow_id":%d,"event_type":"http",`+
			`"src_ip":%q,"src_port":%d,"dest_ip":%q,"dest_port":80,"proto":"TCP","tx_id":0,`+
			`"http":{"hostname":%q,"url":"/download/%d/setup.exe","http_user_agent":`+
			`"Mozilla/5.0 (Windows NT 10.0; Win64; x64)",`+
			`"http_content_type":"application/octet-stream",`+
			`"http_method":"GET","protocol":"HTTP/1.1","status":200,"length":%d}}`,
			ts, r>>12, src, 40000+r%20000, g.pickIP(r>>7, false), host, r%1000, r%900000)
	case k < 85:
		return fmt.Appendf(nil, `{"timestamp":%q,"flow_id":%d,"event_type":"flow",`+
			`"src_ip":%q,"src_port":%d,"dest_ip":%q,"dest_port":443,"proto":"TCP",`+
			`"app_proto":"tls","flow":{"pkts_toserver":%d,"pkts_toclient":%d,`+
			`"bytes_toserver":%d,"bytes_toclient":%d,"start":%q,"end":%q,"age":3,`+
			`"state":"closed","reason":"timeout","alerted":false}}`,
			ts, r>>12, src, 40000+r%20000, g.pickIP(r, hit), r%40, r%60, r%9000, r%90000, ts, ts)
	case k < 95:
		return fmt.Appendf(nil, `{"timestamp":%q,"flow_id":%d,"in_iface":"eth0",`+
			`"event_type":"alert","src_ip":%q,"src_port":%d,"dest_ip":%q,"dest_port":443,`+
			`"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":%d,"rev":2,`+
			`"signature":"ET MALWARE Example Beacon","category":"A Network Trojan was detected",`+
			`"severity":1},"app_proto":"tls","flow":{"pkts_toserver":7,"pkts_toclient":5,`+
			`"bytes_toserver":1100,"bytes_toclient":3400,"start":%q}}`,
			ts, r>>12, src, 40000+r%20000, g.pickIP(r, hit), 2030000+r%1000, ts)
	default:
		return fmt.Appendf(nil, `{"timestamp":%q,"flow_id":%d,"event_type":"fileinfo",`+
			`"src_ip":%q,"src_port":80,"dest_ip":"10.20.4.31","dest_port":%d,"proto":"TCP",`+
			`"http":{"hostname":%q,"url":"/invoice.zip"},"fileinfo":{"filename":"/invoice.zip",`+
			`"state":"CLOSED","stored":false,"size":%d,"tx_id":0,"sha256":%q}}`,
			ts, r>>12, g.pickIP(r>>9, false), 40000+r%20000, g.pickDomain(r>>2, false),
			r%900000, g.pickHash(r, hit))
	}
}

// ecs returns an ECS JSON event: a process start or a network connection.
func (g *generator) ecs(i int, r uint64, hit bool, at time.Time) []byte {
	ts := at.Format(time.RFC3339Nano)
	if r>>30%2 == 0 {
		return fmt.Appendf(nil, `{"@timestamp":%q,"event":{"id":"edr-%d","kind":"event",`+
			`"category":["process"]},"host":{"name":"ws-%d"},"user":{"name":"u%d"},`+
			`"process":{"name":"rundll32.exe","executable":"C:\\Windows\\System32\\rundll32.exe",`+
			`"command_line":"rundll32.exe shell32.dll,Control_RunDLL","hash":{"sha256":%q}}}`,
			ts, i, r%500, r%3000, g.pickHash(r, hit))
	}
	return fmt.Appendf(nil, `{"@timestamp":%q,"event":{"id":"edr-%d","kind":"event",`+
		`"category":["network"]},"host":{"name":"ws-%d"},"source":{"ip":"10.20.4.31",`+
		`"port":%d},"destination":{"ip":%q,"port":8443,"domain":%q},`+
		`"process":{"name":"chrome.exe"}}`,
		ts, i, r%500, 40000+r%20000, g.pickIP(r, hit), g.pickDomain(r>>4, false))
}
