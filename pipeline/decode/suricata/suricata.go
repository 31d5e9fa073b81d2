// Package suricata decodes Suricata EVE JSON records (one JSON object per
// line) into events. It reads the flow tuple of every record and the
// observables of the alert, dns (EVE DNS layouts 1, 2 and 3), http, tls,
// fileinfo and smtp records.
//
// A Decoder is stateless and safe for concurrent use.
package suricata

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/pipeline/decode"
	"github.com/iocflow/iocflow/pipeline/event"
)

// FormatName is the name of the format.
const FormatName = "suricata"

// Decoder decodes EVE records.
type Decoder struct{}

// Format implements decode.Decoder.
func (Decoder) Format() string { return FormatName }

// record holds the EVE fields iocflow reads.
type record struct {
	Timestamp string          `json:"timestamp"`
	EventType string          `json:"event_type"`
	SrcIP     string          `json:"src_ip"`
	DestIP    string          `json:"dest_ip"`
	DNS       *dnsRecord      `json:"dns"`
	HTTP      *httpRecord     `json:"http"`
	TLS       *tlsRecord      `json:"tls"`
	FileInfo  *fileInfo       `json:"fileinfo"`
	Files     []fileInfo      `json:"files"`
	SMTP      json.RawMessage `json:"smtp"`
	Email     *emailRecord    `json:"email"`
}

type dnsRecord struct {
	RRName  string               `json:"rrname"`
	RRType  string               `json:"rrtype"`
	RData   string               `json:"rdata"`
	Queries []dnsQuery           `json:"queries"`
	Answers []dnsAnswer          `json:"answers"`
	Grouped map[string][]jsonAny `json:"grouped"`
}

type dnsQuery struct {
	RRName string `json:"rrname"`
}

type dnsAnswer struct {
	RRName string `json:"rrname"`
	RRType string `json:"rrtype"`
	RData  string `json:"rdata"`
}

// jsonAny keeps a grouped answer, which is a string for most record types
// and an object for SRV, SOA and others.
type jsonAny struct{ s string }

func (j *jsonAny) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &j.s)
	}
	return nil
}

type httpRecord struct {
	Hostname  string `json:"hostname"`
	Port      int    `json:"http_port"`
	URL       string `json:"url"`
	UserAgent string `json:"http_user_agent"`
	Referer   string `json:"http_refer"`
	XFF       string `json:"xff"`
}

type tlsRecord struct {
	SNI         string `json:"sni"`
	Fingerprint string `json:"fingerprint"`
}

type fileInfo struct {
	Filename string `json:"filename"`
	MD5      string `json:"md5"`
	SHA1     string `json:"sha1"`
	SHA256   string `json:"sha256"`
}

type emailRecord struct {
	From string   `json:"from"`
	To   []string `json:"to"`
	CC   []string `json:"cc"`
}

// Decode implements decode.Decoder. The event id is a hash of the record,
// since EVE has no per-record id (flow_id is shared by every record of a
// flow). A value that is not valid for its field (an "x.x.250.50" address in
// old documentation samples) is skipped and reported in ev.Skipped.
func (Decoder) Decode(data []byte, ev *event.Event) error {
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		return &decode.Error{Format: FormatName, Reason: err.Error()}
	}
	if r.EventType == "" {
		return &decode.Error{Format: FormatName, Reason: "no event_type"}
	}
	ev.ID = event.HashID(data)
	ev.Format = FormatName
	ev.Kind = r.EventType
	if r.Timestamp != "" {
		t, err := ParseTime(r.Timestamp)
		if err != nil {
			return err
		}
		ev.Time = t
	}
	addIP(ev, r.SrcIP, "src_ip")
	addIP(ev, r.DestIP, "dest_ip")
	addApp(ev, &r)
	return nil
}

func addApp(ev *event.Event, r *record) {
	if r.DNS != nil {
		addDNS(ev, r.DNS)
	}
	if r.HTTP != nil {
		addHTTP(ev, r.HTTP)
	}
	if r.TLS != nil {
		add(ev, ioc.Domain, r.TLS.SNI, "tls.sni")
		fp := strings.ReplaceAll(r.TLS.Fingerprint, ":", "")
		add(ev, ioc.SHA1, fp, "tls.fingerprint")
	}
	if r.FileInfo != nil {
		addFile(ev, r.FileInfo, "fileinfo")
	}
	for i := range r.Files {
		addFile(ev, &r.Files[i], "files")
	}
	if r.Email != nil {
		add(ev, ioc.Email, r.Email.From, "email.from")
		for _, to := range r.Email.To {
			add(ev, ioc.Email, to, "email.to")
		}
		for _, cc := range r.Email.CC {
			add(ev, ioc.Email, cc, "email.cc")
		}
	}
}

func addDNS(ev *event.Event, d *dnsRecord) {
	add(ev, ioc.Domain, d.RRName, "dns.rrname")
	addRData(ev, d.RRType, d.RData, "dns.rdata")
	for _, q := range d.Queries {
		add(ev, ioc.Domain, q.RRName, "dns.queries.rrname")
	}
	for _, a := range d.Answers {
		add(ev, ioc.Domain, a.RRName, "dns.answers.rrname")
		addRData(ev, a.RRType, a.RData, "dns.answers.rdata")
	}
	for rrtype, vals := range d.Grouped {
		for _, v := range vals {
			addRData(ev, rrtype, v.s, "dns.grouped."+rrtype)
		}
	}
}

// addRData adds an answer's data by its record type: addresses for A and
// AAAA, names for the types whose data is a name. TXT and others carry no
// observable.
func addRData(ev *event.Event, rrtype, rdata, field string) {
	switch rrtype {
	case "A", "AAAA":
		addIP(ev, rdata, field)
	case "CNAME", "PTR", "NS", "MX", "DNAME":
		add(ev, ioc.Domain, rdata, field)
	}
}

func addHTTP(ev *event.Event, h *httpRecord) {
	host := h.Hostname
	if a, err := ioc.ParseAddr(host); err == nil {
		ev.AddCanonical(ioc.AddrType(a), a.String(), "http.hostname")
	} else {
		add(ev, ioc.Domain, host, "http.hostname")
	}
	if host != "" && strings.HasPrefix(h.URL, "/") {
		if h.Port != 0 && h.Port != 80 {
			if strings.IndexByte(host, ':') >= 0 {
				host = "[" + host + "]"
			}
			host += ":" + strconv.Itoa(h.Port)
		}
		add(ev, ioc.URL, "http://"+host+h.URL, "http.url")
	} else if strings.Contains(h.URL, "://") {
		add(ev, ioc.URL, h.URL, "http.url") // proxy requests carry the full URL
	}
	add(ev, ioc.UserAgent, h.UserAgent, "http.http_user_agent")
	if strings.Contains(h.Referer, "://") {
		add(ev, ioc.URL, h.Referer, "http.http_refer")
	}
	addIP(ev, h.XFF, "http.xff")
}

func addFile(ev *event.Event, f *fileInfo, prefix string) {
	if name := baseName(f.Filename); name != "" {
		add(ev, ioc.FileName, name, prefix+".filename")
	}
	add(ev, ioc.MD5, f.MD5, prefix+".md5")
	add(ev, ioc.SHA1, f.SHA1, prefix+".sha1")
	add(ev, ioc.SHA256, f.SHA256, prefix+".sha256")
}

// baseName returns the last element of the URL path or name Suricata
// writes as filename; "/" has none.
func baseName(s string) string {
	if i := strings.IndexByte(s, '?'); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	return s
}

func add(ev *event.Event, t ioc.Type, raw, field string) {
	if err := ev.Add(t, raw, field); err != nil {
		ev.Skip(field, err)
	}
}

func addIP(ev *event.Event, raw, field string) {
	if err := ev.AddIP(raw, field); err != nil {
		ev.Skip(field, err)
	}
}

// ParseTime reads an EVE timestamp: local time with a numeric offset
// without a colon ("+0000"), with a colon, with "Z", or, in the oldest
// documentation, with no offset at all (then taken as UTC).
func ParseTime(s string) (time.Time, error) {
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, &decode.Error{Format: FormatName, Reason: "timestamp " +
		strconv.Quote(s) + " has no known layout"}
}

var timeLayouts = []string{
	"2006-01-02T15:04:05.999999999-0700",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
}
