package abusech

import (
	"bytes"
	"encoding/json"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/internal/clip"
)

// ThreatFox is ThreatFox's IOC records: the API's JSON (JSON lines, an
// array, or the {"query_status","data"} answer) and the CSV export, whose
// header sits in a '#' banner line. The ioc_type decides the indicator:
//
//	ip:port                 ipv4 or ipv6, the port dropped (an unbracketed
//	                        IPv6 address is split at its last colon)
//	domain, url             domain, url
//	md5_hash, sha1_hash,    md5, sha1, sha256
//	sha256_hash
//	sha3_384_hash and       read and reported as not enforced: iocflow has
//	other hash types        no such observable
//
// The source id is the ThreatFox id, confidence_level its confidence, and
// malware_printable its malware; the threat_type (botnet_cc,
// payload_delivery, payload) is its threat type and sets its severity.
// The bulk JSON export (an object keyed by id) is not read.
type ThreatFox struct{}

// Name implements feeds.Format.
func (ThreatFox) Name() string { return "threatfox" }

// Sniff recognises the ThreatFox banner, JSON records with "ioc" and
// "ioc_type" keys, or a CSV header naming ioc_value and ioc_type.
func (ThreatFox) Sniff(_ string, head []byte) bool {
	if bytes.Contains(head, []byte("ThreatFox")) && firstByte(head) == '#' {
		return true
	}
	if c := firstByte(head); c == '{' || c == '[' {
		return hasKey(head, "ioc") && hasKey(head, "ioc_type")
	}
	for _, line := range bytes.Split(head, []byte("\n")) {
		if cols := header(string(bytes.TrimSpace(line)), "ioc_value"); cols != nil {
			_, ok := cols["ioc_type"]
			return ok
		}
	}
	return false
}

// Parse implements feeds.Format.
func (ThreatFox) Parse(r io.Reader, b *feeds.Builder) error {
	br := newPeeker(r)
	head, _ := br.Peek(sniffLen)
	if c := firstByte(head); c == '{' || c == '[' {
		return readJSON(br, b, func(pos string, raw []byte) { threatFoxJSON(pos, raw, b) })
	}
	return readCSV(br, b, "ioc_value", func(pos string, rec row) { threatFoxCSV(pos, rec, b) })
}

// threatFoxIOC is one record in either shape, with missing values empty.
type threatFoxIOC struct {
	ID, IOC, Type, ThreatType, Malware, FirstSeen, LastSeen string
	Confidence                                              string
}

// threatFoxRecord is one API record.
type threatFoxRecord struct {
	ID               json.RawMessage `json:"id"`
	IOC              string          `json:"ioc"`
	IOCType          string          `json:"ioc_type"`
	ThreatType       string          `json:"threat_type"`
	MalwarePrintable string          `json:"malware_printable"`
	Confidence       json.RawMessage `json:"confidence_level"`
	FirstSeen        string          `json:"first_seen"`
	LastSeen         *string         `json:"last_seen"`
}

func threatFoxJSON(pos string, raw []byte, b *feeds.Builder) {
	var rec threatFoxRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		b.Reject(pos, "", jsonReason(err))
		return
	}
	in := threatFoxIOC{ID: unquote(rec.ID), IOC: rec.IOC, Type: rec.IOCType,
		ThreatType: rec.ThreatType, Malware: rec.MalwarePrintable,
		FirstSeen: rec.FirstSeen, Confidence: unquote(rec.Confidence)}
	if rec.LastSeen != nil {
		in.LastSeen = *rec.LastSeen
	}
	threatFoxAdd(pos, in, b)
}

// unquote returns a JSON string's text or a number's digits; ThreatFox
// writes ids as strings and confidence as a number, and either may change.
func unquote(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if string(raw) == "null" {
		return ""
	}
	return string(raw)
}

func threatFoxCSV(pos string, rec row, b *feeds.Builder) {
	threatFoxAdd(pos, threatFoxIOC{
		ID: rec.get("ioc_id"), IOC: rec.get("ioc_value"), Type: rec.get("ioc_type"),
		ThreatType: rec.get("threat_type"), Malware: rec.get("malware_printable"),
		FirstSeen: rec.get("first_seen_utc"), LastSeen: rec.get("last_seen_utc"),
		Confidence: rec.get("confidence_level"),
	}, b)
}

// threatFoxSeverity ranks ThreatFox threat types: a C2 or a payload is a
// sure sign of infection, a delivery URL a sign of an attempt.
var threatFoxSeverity = map[string]ioc.Severity{
	"botnet_cc": ioc.SeverityHigh, "payload": ioc.SeverityHigh,
	"payload_delivery": ioc.SeverityMedium,
}

func threatFoxAdd(pos string, in threatFoxIOC, b *feeds.Builder) {
	value := strings.TrimSpace(in.IOC)
	if missing(value) {
		b.Reject(pos, "", "no ioc value")
		return
	}
	src, reason := threatFoxSource(in)
	if reason != "" {
		b.Reject(pos, value, reason)
		return
	}
	if src.ID == "" {
		src.ID = pos
	}
	switch typ := strings.ToLower(strings.TrimSpace(in.Type)); typ {
	case "ip:port":
		ip, ok := splitHostPort(value)
		if !ok {
			b.Reject(pos, value, "ip:port value is not an address and a port")
			return
		}
		src.Original = value
		b.Add(pos, ioc.IPv4, ip, src)
	case "domain", "url", "md5_hash", "sha1_hash", "sha256_hash":
		t, _ := ioc.ParseType(typ)
		b.Add(pos, t, value, src)
	case "":
		b.Reject(pos, value, "no ioc_type")
	default:
		if strings.HasSuffix(typ, "_hash") {
			b.NotEnforced(pos, typ+" "+value, "ThreatFox ioc_type "+clip.Quote(typ)+
				" has no observable type")
			return
		}
		b.Reject(pos, value, "unknown ioc_type "+clip.Quote(typ))
	}
}

func threatFoxSource(in threatFoxIOC) (ioc.Source, string) {
	src := ioc.Source{ID: strings.TrimSpace(in.ID), Confidence: 50, Severity: ioc.SeverityMedium}
	if c := strings.TrimSpace(in.Confidence); !missing(c) {
		n, err := strconv.Atoi(c)
		if err != nil || n < 0 || n > 100 {
			return src, "confidence_level " + clip.Quote(c) + " is not an integer from 0 to 100"
		}
		src.Confidence = n
	}
	if t := strings.TrimSpace(in.ThreatType); !missing(t) {
		src.ThreatTypes = []string{t}
		if sev, ok := threatFoxSeverity[t]; ok {
			src.Severity = sev
		}
	}
	if m := strings.TrimSpace(in.Malware); !missing(m) && m != "Unknown malware" {
		src.Malware = []string{m}
	}
	var err error
	if src.FirstSeen, err = parseTime(in.FirstSeen); err != nil {
		return src, "first_seen: " + err.Error()
	}
	if src.Modified, err = parseTime(in.LastSeen); err != nil {
		return src, "last_seen: " + err.Error()
	}
	if src.Modified.IsZero() {
		src.Modified = src.FirstSeen
	}
	return src, ""
}

// splitHostPort splits "1.2.3.4:80", "[2001:db8::1]:80" and ThreatFox's
// unbracketed "2001:db8::1:80" (at the last colon) into the address.
func splitHostPort(s string) (string, bool) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return "", false
	}
	host, port := s[:i], s[i+1:]
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || port[0] == '+' || n > 65535 {
		return "", false
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if _, err := netip.ParseAddr(host); err != nil {
		return "", false
	}
	return host, true
}
