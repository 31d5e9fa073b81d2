// Package leef decodes IBM QRadar / Juniper Secure Analytics Log Event
// Extended Format records, LEEF 1.0 and 2.0, bare or behind a syslog
// header.
//
// LEEF has no escaping: attributes are split on the delimiter, TAB by
// default, or the character LEEF 2.0 names in its sixth header field
// ("^", "x09", "0x09"). PAN-OS sends LEEF 1.0 with '|' between attributes
// instead of TAB; a 1.0 record with no TAB whose remainder holds "|key="
// is split on '|' (FORMATS.md §9.2).
//
// A Decoder is stateless and safe for concurrent use.
package leef

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/pipeline/decode"
	"github.com/iocflow/iocflow/pipeline/decode/extract"
	"github.com/iocflow/iocflow/pipeline/event"
)

// FormatName is the name of the format.
const FormatName = "leef"

// Decoder decodes LEEF records.
type Decoder struct{}

// Format implements decode.Decoder.
func (Decoder) Format() string { return FormatName }

// Record is a parsed LEEF record.
type Record struct {
	Version, Vendor, Product, ProductVersion, EventID string
	// Delimiter separates the attributes.
	Delimiter byte
	Attrs     []Attr
}

// Attr is one attribute.
type Attr struct{ Key, Value string }

// Parse reads a LEEF record, skipping a syslog header before "LEEF:".
func Parse(data []byte) (*Record, error) {
	start := bytes.Index(data, []byte("LEEF:"))
	if start < 0 {
		return nil, decode.NewError(FormatName, decode.NoOffset, `no "LEEF:" header`)
	}
	s := strings.TrimRight(string(data[start+5:]), "\r\n")
	parts := strings.SplitN(s, "|", 6)
	if len(parts) < 6 {
		return nil, decode.NewError(FormatName, start, "header has "+strconv.Itoa(len(parts)-1)+
			" of the 5 '|'-separated fields")
	}
	r := &Record{Version: parts[0], Vendor: parts[1], Product: parts[2],
		ProductVersion: parts[3], EventID: parts[4], Delimiter: '\t'}
	rest := parts[5]
	switch r.Version {
	case "1.0", "1":
		if strings.IndexByte(rest, '\t') < 0 && pipeAttrs(rest) {
			r.Delimiter = '|'
		}
	case "2.0", "2":
		d, attrs, err := delimiter(rest)
		if err != nil {
			return nil, decode.NewError(FormatName, start+len(s)-len(rest)+5, err.Error())
		}
		r.Delimiter, rest = d, attrs
	default:
		return nil, decode.NewError(FormatName, start+5, "version "+strconv.Quote(r.Version)+
			" is not 1.0 or 2.0")
	}
	for _, a := range strings.Split(rest, string(r.Delimiter)) {
		k, v, ok := strings.Cut(a, "=")
		if ok && k != "" {
			r.Attrs = append(r.Attrs, Attr{Key: strings.TrimSpace(k), Value: v})
		}
	}
	return r, nil
}

// pipeAttrs reports whether s looks like "key=v|key=v".
func pipeAttrs(s string) bool {
	i := strings.IndexByte(s, '|')
	return i >= 0 && strings.IndexByte(s[:i], '=') > 0 && strings.IndexByte(s[i:], '=') > 0
}

type delimError string

func (e delimError) Error() string { return string(e) }

// delimiter reads the LEEF 2.0 delimiter field: one character, or its
// code in hex as "xHH" or "0xHH". A 2.0 record whose sixth field already
// holds an attribute has left the field out; TAB applies.
func delimiter(rest string) (byte, string, error) {
	f, attrs, ok := strings.Cut(rest, "|")
	if strings.IndexByte(f, '=') > 0 {
		return '\t', rest, nil
	}
	if !ok {
		return 0, "", delimError("no delimiter field")
	}
	if len(f) == 1 {
		return f[0], attrs, nil
	}
	h := strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(f), "0"), "x")
	if len(h) == len(f) || h == "" {
		return 0, "", delimError("delimiter field " + strconv.Quote(f) +
			" is neither one character nor xHH")
	}
	n, err := strconv.ParseUint(h, 16, 8)
	if err != nil || n == 0 {
		return 0, "", delimError("delimiter field " + strconv.Quote(f) + " is not a byte in hex")
	}
	return byte(n), attrs, nil
}

// keyTypes maps the LEEF predefined keys and the common vendor keys that
// hold indicators. Keys are compared without case.
var keyTypes = map[string]ioc.Type{
	"src": ioc.IPv4, "dst": ioc.IPv4, "srcpostnat": ioc.IPv4, "dstpostnat": ioc.IPv4,
	"srcprenat": ioc.IPv4, "dstprenat": ioc.IPv4, "identsrc": ioc.IPv4,
	"url": ioc.URL, "domain": ioc.Domain, "srchostname": ioc.Domain, "dsthostname": ioc.Domain,
	"identhostname": ioc.Domain, "filename": ioc.FileName, "filepath": ioc.FilePath,
	"filehash": ioc.SHA256, "md5": ioc.MD5, "sha1": ioc.SHA1, "sha256": ioc.SHA256,
	"useragent": ioc.UserAgent, "msg": ioc.Text, "message": ioc.Text,
	"sender": ioc.Email, "recipient": ioc.Email,
}

// Decode implements decode.Decoder.
func (Decoder) Decode(data []byte, ev *event.Event) error {
	r, err := Parse(data)
	if err != nil {
		return err
	}
	ev.Format, ev.Kind, ev.ID = FormatName, r.EventID, event.HashID(data)
	for _, a := range r.Attrs {
		k := strings.ToLower(a.Key)
		switch k {
		case "devtime":
			if t, err := extract.Time(a.Value); err == nil {
				ev.Time = t
			} else if a.Value != "" {
				ev.Skip(a.Key, err)
			}
			continue
		case "usrname", "sourceuser", "accountname":
			if ev.User == "" && !extract.IsMissing([]byte(a.Value)) {
				ev.User = a.Value
			}
			continue
		}
		t, ok := keyTypes[k]
		switch {
		case !ok:
		case t.IsIP():
			extract.AddIP(ev, a.Value, a.Key)
		case t == ioc.Domain:
			extract.AddHost(ev, a.Value, a.Key)
		case t.IsHash():
			extract.AddHash(ev, a.Value, a.Key)
		case t == ioc.Email:
			extract.AddEmail(ev, a.Value, a.Key)
		default:
			extract.Add(ev, t, a.Value, a.Key)
		}
	}
	return nil
}
