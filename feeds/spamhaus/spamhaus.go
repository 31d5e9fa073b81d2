// Package spamhaus reads the Spamhaus DROP lists: DROP, EDROP and DROPv6 as
// text ("CIDR ; SBLnnn" with ';' comments) or as JSON lines (drop_v4.json,
// drop_v6.json: {"cidr","sblid","rir"} objects and a closing metadata
// object), and ASN-DROP (asndrop.txt, asndrop.json).
//
// DROP blocks become ipv4 and ipv6 indicators with the SBL id as the
// source id. iocflow has no observable type for autonomous systems, so
// ASN-DROP entries are read, checked and reported as not enforced, one per
// AS, rather than dropped.
//
// A Format value is stateless and safe for concurrent use.
package spamhaus

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
)

// Format is the Spamhaus DROP family, text and JSON.
type Format struct{}

// Name implements feeds.Format.
func (Format) Name() string { return "spamhaus" }

// What a DROP listing says: Spamhaus lists only netblocks that are hijacked
// or run by criminals ("do not route or peer"), so confidence is high.
const (
	dropConfidence = 90
	maxLine        = 64 << 10
	asnReason      = "autonomous system numbers are not an observable type yet; " +
		"ASN-DROP entries are not matched"
)

// Sniff recognises the files by the names Spamhaus publishes
// (drop.txt, edrop.txt, dropv6.txt, drop_v4.json, drop_v6.json,
// asndrop.txt, asndrop.json), by the "Spamhaus" banner, or by a first
// record in either shape.
func (Format) Sniff(name string, head []byte) bool {
	lower := strings.ToLower(name)
	for _, n := range []string{"drop.txt", "edrop.txt", "dropv6.txt", "drop_v4.json",
		"drop_v6.json", "asndrop.txt", "asndrop.json"} {
		if lower == n {
			return true
		}
	}
	if bytes.Contains(head, []byte("Spamhaus DROP")) {
		return true
	}
	first := firstRecord(head)
	if len(first) > 0 && first[0] == '{' {
		return bytes.Contains(first, []byte(`"sblid"`)) ||
			bytes.Contains(first, []byte(`"asname"`))
	}
	if _, right, ok := bytes.Cut(first, []byte(";")); ok {
		id := bytes.TrimSpace(right)
		return bytes.HasPrefix(id, []byte("SBL")) || isASN(string(bytes.TrimSpace(
			first[:bytes.IndexByte(first, ';')])))
	}
	return false
}

// firstRecord returns the first line of head that is neither blank nor a
// ';' comment.
func firstRecord(head []byte) []byte {
	for _, line := range bytes.Split(head, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if len(t) > 0 && t[0] != ';' {
			return t
		}
	}
	return nil
}

// Parse implements feeds.Format. Each line is read on its own, so a text
// file and a JSON-lines file are read alike and a bad line costs only
// itself.
func (Format) Parse(r io.Reader, b *feeds.Builder) error {
	return feeds.EachLine(r, b, maxLine, func(pos, text string) error {
		switch {
		case text[0] == ';':
		case text[0] == '{':
			readJSON(pos, text, b)
		default:
			readText(pos, text, b)
		}
		return nil
	})
}

func readText(pos, text string, b *feeds.Builder) {
	left, right, _ := strings.Cut(text, ";")
	left, right = strings.TrimSpace(left), strings.TrimSpace(right)
	if isASN(left) {
		addASN(pos, left, b)
		return
	}
	if strings.HasPrefix(strings.ToUpper(left), "AS") && !strings.ContainsAny(left, ".:/") {
		b.Reject(pos, left, "AS number is not an integer from 0 to 4294967295")
		return
	}
	addBlock(pos, left, right, b)
}

func addBlock(pos, cidr, sbl string, b *feeds.Builder) {
	if cidr == "" {
		b.Reject(pos, "", "no CIDR block before ';'")
		return
	}
	id := sbl
	if id == "" {
		id = pos
	}
	b.Add(pos, ioc.IPv4, cidr, ioc.Source{
		ID: id, Confidence: dropConfidence, Severity: ioc.SeverityHigh,
		ThreatTypes: []string{"drop"},
	})
}

// addASN records an AS as not enforced; asn is "AS" and a valid number.
func addASN(pos, asn string, b *feeds.Builder) {
	n, _ := strconv.ParseUint(asn[2:], 10, 32)
	b.NotEnforced(pos, "AS"+strconv.FormatUint(n, 10), asnReason)
}

// isASN reports whether s is "AS" and a 32-bit AS number.
func isASN(s string) bool {
	if len(s) < 3 || !strings.EqualFold(s[:2], "AS") {
		return false
	}
	_, err := strconv.ParseUint(s[2:], 10, 32)
	return err == nil
}

// record is one JSON line; pointers tell a missing key from a zero value.
type record struct {
	Type  string          `json:"type"`
	CIDR  *string         `json:"cidr"`
	SBLID string          `json:"sblid"`
	ASN   json.RawMessage `json:"asn"`
}

func readJSON(pos, text string, b *feeds.Builder) {
	var rec record
	if err := json.Unmarshal([]byte(text), &rec); err != nil {
		b.Reject(pos, text, "invalid JSON: "+err.Error())
		return
	}
	switch {
	case rec.Type == "metadata":
	case rec.CIDR != nil:
		addBlock(pos, strings.TrimSpace(*rec.CIDR), strings.TrimSpace(rec.SBLID), b)
	case rec.ASN != nil:
		n, err := strconv.ParseUint(string(rec.ASN), 10, 32)
		if err != nil {
			b.Reject(pos, string(rec.ASN), "asn is not an integer from 0 to 4294967295")
			return
		}
		addASN(pos, "AS"+strconv.FormatUint(n, 10), b)
	default:
		b.Reject(pos, text, "object has neither cidr nor asn")
	}
}
