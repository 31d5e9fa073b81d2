package abusech

import (
	"bytes"
	"io"
	"strings"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/ioc"
)

// URLhaus is the URLhaus CSV dump (csv_recent, csv_online, the full
// dump). The header sits in a '#' banner line; columns are mapped by name,
// so the 2019 layout without last_online and the current one are read
// alike. Each row's url becomes a url indicator whose source id is the
// URLhaus id and whose threat type is the threat column
// (malware_download). Tags mix malware families with CPU and file types
// and are not kept.
type URLhaus struct{}

// Name implements feeds.Format.
func (URLhaus) Name() string { return "urlhaus" }

// Confidence by url_status: URLhaus checks every URL it lists; one that is
// offline may have been cleaned, and its host may be a compromised site
// that is now clean.
const (
	urlhausOnline  = 90
	urlhausOffline = 60
	urlhausUnknown = 75
)

// Sniff recognises the URLhaus banner or a header that names id,
// dateadded and url.
func (URLhaus) Sniff(_ string, head []byte) bool {
	if bytes.Contains(head, []byte("URLhaus")) && firstByte(head) == '#' {
		return true
	}
	for _, line := range bytes.Split(head, []byte("\n")) {
		cols := header(string(bytes.TrimSpace(line)), "url")
		if cols == nil {
			continue
		}
		_, id := cols["id"]
		_, added := cols["dateadded"]
		return id && added
	}
	return false
}

// Parse implements feeds.Format.
func (URLhaus) Parse(r io.Reader, b *feeds.Builder) error {
	return readCSV(r, b, "url", func(pos string, rec row) { urlhausRow(pos, rec, b) })
}

func urlhausRow(pos string, rec row, b *feeds.Builder) {
	u := rec.get("url")
	if u == "" {
		b.Reject(pos, "", "no url")
		return
	}
	src := ioc.Source{ID: rec.get("id"), Confidence: urlhausUnknown, Severity: ioc.SeverityHigh}
	if src.ID == "" {
		src.ID = pos
	}
	switch strings.ToLower(rec.get("url_status")) {
	case "online":
		src.Confidence = urlhausOnline
	case "offline":
		src.Confidence, src.Severity = urlhausOffline, ioc.SeverityMedium
	}
	if t := rec.get("threat"); t != "" {
		src.ThreatTypes = []string{t}
	}
	var err error
	if src.FirstSeen, err = parseTime(rec.get("dateadded")); err != nil {
		b.Reject(pos, u, "dateadded: "+err.Error())
		return
	}
	if src.Modified, err = parseTime(rec.get("last_online")); err != nil {
		b.Reject(pos, u, "last_online: "+err.Error())
		return
	}
	if src.Modified.IsZero() {
		src.Modified = src.FirstSeen
	}
	b.Add(pos, ioc.URL, u, src)
}
