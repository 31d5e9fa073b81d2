package abusech

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
)

// Feodo is Feodo Tracker's botnet C2 IP block list in its three shapes:
// ipblocklist.csv (header row not commented), ipblocklist.json (an array of
// objects whose keys may be missing) and ipblocklist.txt or
// ipblocklist_recommended.txt (one address per line under a '#' banner).
//
// Each C2 address becomes an ipv4 or ipv6 indicator whose source id is the
// address, so the rows of one address on several ports fold into one
// source (the one last online wins). Ports are not kept: the matcher has
// no port dimension. The JSON hostname is the address's reverse DNS name at
// a hosting provider, not a C2 domain, and is not made an indicator.
type Feodo struct{}

// Name implements feeds.Format.
func (Feodo) Name() string { return "feodo" }

// Confidence and severity by C2 status. A C2 seen online is near certain; an
// offline one may have been cleaned or its address reassigned. The txt
// lists are what Feodo Tracker recommends blocking.
const (
	feodoOnline    = 90
	feodoOffline   = 60
	feodoPlainList = 80
)

// Sniff recognises Feodo Tracker's file names (ipblocklist*), its banner,
// its CSV header or a JSON array of its records.
func (Feodo) Sniff(name string, head []byte) bool {
	if strings.HasPrefix(strings.ToLower(name), "ipblocklist") ||
		bytes.Contains(head, []byte("Feodo Tracker")) {
		return true
	}
	if bytes.Contains(head, []byte(`"dst_ip"`)) && bytes.Contains(head, []byte(`"c2_status"`)) {
		return true
	}
	return firstByte(head) == '[' && hasKey(head, "ip_address") && hasKey(head, "malware")
}

// Parse implements feeds.Format.
func (Feodo) Parse(r io.Reader, b *feeds.Builder) error {
	br := newPeeker(r)
	head, _ := br.Peek(sniffLen)
	switch {
	case firstByte(head) == '[' || firstByte(head) == '{':
		return readJSON(br, b, func(pos string, raw []byte) { feodoJSON(pos, raw, b) })
	case bytes.Contains(head, []byte("dst_ip")):
		return readCSV(br, b, "dst_ip", func(pos string, rec row) { feodoCSV(pos, rec, b) })
	}
	return feodoPlain(br, b)
}

func feodoSource(status, malware string) ioc.Source {
	s := ioc.Source{Confidence: feodoOnline, Severity: ioc.SeverityHigh,
		ThreatTypes: []string{"botnet_cc"}}
	if strings.EqualFold(status, "offline") {
		s.Confidence, s.Severity = feodoOffline, ioc.SeverityMedium
	}
	if malware != "" {
		s.Malware = []string{malware}
	}
	return s
}

func feodoCSV(pos string, rec row, b *feeds.Builder) {
	ip := rec.get("dst_ip")
	if ip == "" {
		b.Reject(pos, "", "no dst_ip")
		return
	}
	src := feodoSource(rec.get("c2_status"), rec.get("malware"))
	var err error
	if src.FirstSeen, err = parseTime(rec.get("first_seen_utc")); err != nil {
		b.Reject(pos, ip, "first_seen_utc: "+err.Error())
		return
	}
	if src.Modified, err = parseTime(rec.get("last_online")); err != nil {
		b.Reject(pos, ip, "last_online: "+err.Error())
		return
	}
	addIP(pos, ip, src, b)
}

// feodoRecord is one object of ipblocklist.json; every key may be missing.
type feodoRecord struct {
	IPAddress  string `json:"ip_address"`
	Status     string `json:"status"`
	FirstSeen  string `json:"first_seen"`
	LastOnline string `json:"last_online"`
	Malware    string `json:"malware"`
}

func feodoJSON(pos string, raw []byte, b *feeds.Builder) {
	var rec feodoRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		b.Reject(pos, "", jsonReason(err))
		return
	}
	ip := strings.TrimSpace(rec.IPAddress)
	if ip == "" {
		b.Reject(pos, "", "no ip_address")
		return
	}
	src := feodoSource(rec.Status, strings.TrimSpace(rec.Malware))
	var err error
	if src.FirstSeen, err = parseTime(rec.FirstSeen); err != nil {
		b.Reject(pos, ip, "first_seen: "+err.Error())
		return
	}
	if src.Modified, err = parseTime(rec.LastOnline); err != nil {
		b.Reject(pos, ip, "last_online: "+err.Error())
		return
	}
	addIP(pos, ip, src, b)
}

func feodoPlain(r io.Reader, b *feeds.Builder) error {
	return feeds.EachLine(r, b, 4096, func(pos, text string) error {
		if text[0] != '#' {
			addIP(pos, text, ioc.Source{Confidence: feodoPlainList, Severity: ioc.SeverityHigh,
				ThreatTypes: []string{"botnet_cc"}}, b)
		}
		return nil
	})
}

// addIP adds a C2 address with the address as the source id.
func addIP(pos, ip string, src ioc.Source, b *feeds.Builder) {
	src.ID = ip
	if p, err := ioc.ParsePrefix(ip); err == nil {
		src.ID = ioc.FormatPrefix(p)
	}
	b.Add(pos, ioc.IPv4, ip, src)
}
