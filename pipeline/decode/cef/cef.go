// Package cef decodes ArcSight Common Event Format records (CEF:0 and
// CEF:1), bare or behind a syslog header, as ArcSight connectors, Cisco
// FirePOWER, Trend Micro, Carbon Black, Citrix and many other devices
// send them.
//
// Header fields are split on unescaped '|' ("\|" and "\\" are the only
// header escapes); the extension is read as key=value pairs where a value
// runs to the last space before the next unescaped "key=", and values are
// unescaped ("\=", "\\", "\n", "\r"). Custom fields (cs1..cs6, cn1..cn3,
// flexString1..2, c6a1..c6a4) are named by their label.
//
// A Decoder is stateless and safe for concurrent use.
package cef

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
const FormatName = "cef"

// Decoder decodes CEF records.
type Decoder struct{}

// Format implements decode.Decoder.
func (Decoder) Format() string { return FormatName }

// Record is a parsed CEF record.
type Record struct {
	Version, Vendor, Product, DeviceVersion, SignatureID, Name, Severity string
	// Ext holds the extension pairs in order, values unescaped.
	Ext []Pair
}

// Pair is one extension key and its value.
type Pair struct{ Key, Value string }

// Parse reads a CEF record, skipping a syslog header before "CEF:".
func Parse(data []byte) (*Record, error) {
	start := bytes.Index(data, []byte("CEF:"))
	if start < 0 {
		return nil, decode.NewError(FormatName, decode.NoOffset, `no "CEF:" header`)
	}
	s := strings.TrimRight(string(data[start+4:]), "\r\n")
	fields, rest, ok := header(s, 7)
	if !ok {
		return nil, decode.NewError(FormatName, start, "header has "+
			strconv.Itoa(len(fields))+" of the 7 '|'-separated fields")
	}
	r := &Record{Version: fields[0], Vendor: fields[1], Product: fields[2],
		DeviceVersion: fields[3], SignatureID: fields[4], Name: fields[5], Severity: fields[6]}
	if r.Version != "0" && r.Version != "1" {
		return nil, decode.NewError(FormatName, start+4, "version "+strconv.Quote(r.Version)+
			" is not 0 or 1")
	}
	r.Ext = extension(rest)
	return r, nil
}

// header splits the first n '|'-separated fields of s, honouring "\|" and
// "\\", and returns them with the remainder.
func header(s string, n int) ([]string, string, bool) {
	var out []string
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && (s[i+1] == '|' || s[i+1] == '\\') {
			b.WriteByte(s[i+1])
			i++
			continue
		}
		if c != '|' {
			b.WriteByte(c)
			continue
		}
		out = append(out, b.String())
		b.Reset()
		if len(out) == n {
			return out, s[i+1:], true
		}
	}
	if len(out) == n-1 && b.Len() > 0 { // no extension and no closing '|'
		return append(out, b.String()), "", true
	}
	return out, "", false
}

// extension splits the extension into pairs. A key is the run of key
// characters just before an unescaped '='; its value runs to the space
// before the next key.
func extension(s string) []Pair {
	type mark struct{ keyStart, eq int }
	var marks []mark
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] != '=' {
			continue
		}
		k := i
		for k > 0 && isKeyByte(s[k-1]) {
			k--
		}
		if k == i || k > 0 && s[k-1] != ' ' {
			continue // "a=b=c": the second '=' belongs to the value
		}
		marks = append(marks, mark{k, i})
	}
	out := make([]Pair, 0, len(marks))
	for j, m := range marks {
		end := len(s)
		if j+1 < len(marks) {
			end = marks[j+1].keyStart
		}
		v := strings.TrimRight(s[m.eq+1:end], " ")
		out = append(out, Pair{Key: s[m.keyStart:m.eq], Value: unescape(strings.TrimLeft(v, " "))})
	}
	return out
}

func isKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '.' || c == ',' || c == '[' || c == ']' || c == '-'
}

func unescape(v string) string {
	if strings.IndexByte(v, '\\') < 0 {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '\\' || i+1 == len(v) {
			b.WriteByte(v[i])
			continue
		}
		i++
		switch v[i] {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		default:
			b.WriteByte(v[i])
		}
	}
	return b.String()
}

// Decode implements decode.Decoder.
func (Decoder) Decode(data []byte, ev *event.Event) error {
	r, err := Parse(data)
	if err != nil {
		return err
	}
	ev.Format, ev.Kind, ev.ID = FormatName, r.Name, event.HashID(data)
	labels := map[string]string{}
	for _, p := range r.Ext {
		if strings.HasSuffix(p.Key, "Label") {
			labels[strings.TrimSuffix(p.Key, "Label")] = p.Value
		}
	}
	for _, p := range r.Ext {
		addPair(ev, p, labels)
	}
	return nil
}

// keyTypes maps the CEF dictionary keys that hold indicators to their
// types. dvc and dvchost name the reporting device itself and are left
// out.
var keyTypes = map[string]ioc.Type{
	"src": ioc.IPv4, "dst": ioc.IPv4, "sourceTranslatedAddress": ioc.IPv4,
	"destinationTranslatedAddress": ioc.IPv4, "c6a2": ioc.IPv6, "c6a3": ioc.IPv6,
	"shost": ioc.Domain, "dhost": ioc.Domain, "sourceDnsDomain": ioc.Domain,
	"destinationDnsDomain": ioc.Domain, "request": ioc.URL,
	"requestClientApplication": ioc.UserAgent, "fname": ioc.FileName, "oldFileName": ioc.FileName,
	"filePath": ioc.FilePath, "oldFilePath": ioc.FilePath, "sproc": ioc.ProcessName,
	"dproc": ioc.ProcessName, "msg": ioc.Text, "fileHash": ioc.SHA256, "oldFileHash": ioc.SHA256,
}

func addPair(ev *event.Event, p Pair, labels map[string]string) {
	if strings.HasSuffix(p.Key, "Label") {
		return
	}
	if label, ok := labels[p.Key]; ok {
		addLabelled(ev, p, label)
		return
	}
	switch p.Key {
	case "suser", "duser":
		if strings.IndexByte(p.Value, '@') > 0 {
			extract.AddEmail(ev, p.Value, p.Key)
		}
		if p.Key == "duser" || ev.User == "" {
			if !extract.IsMissing([]byte(p.Value)) && !strings.HasPrefix(p.Value, "(") {
				ev.User = p.Value
			}
		}
		return
	case "rt":
		setTime(ev, p)
		return
	}
	if t, ok := keyTypes[p.Key]; ok {
		addTyped(ev, t, p.Value, p.Key)
		return
	}
	if t := hashSuffix(p.Key); t != ioc.TypeInvalid {
		extract.Add(ev, t, p.Value, p.Key)
	}
}

func addTyped(ev *event.Event, t ioc.Type, v, field string) {
	switch {
	case t.IsIP():
		extract.AddIP(ev, v, field)
	case t == ioc.Domain:
		extract.AddHost(ev, v, field)
	case t.IsHash():
		extract.AddHash(ev, v, field)
	default:
		extract.Add(ev, t, v, field)
	}
}

// hashSuffix types vendor keys that end in a hash name
// ("TrendMicroDsFileSHA256").
func hashSuffix(key string) ioc.Type {
	k := strings.ToLower(key)
	switch {
	case strings.HasSuffix(k, "sha256"):
		return ioc.SHA256
	case strings.HasSuffix(k, "sha1"):
		return ioc.SHA1
	case strings.HasSuffix(k, "md5"):
		return ioc.MD5
	}
	return ioc.TypeInvalid
}

// addLabelled types a custom field by its label.
func addLabelled(ev *event.Event, p Pair, label string) {
	field := p.Key + ":" + label
	l := strings.ToLower(label)
	switch {
	case l == "md5" || l == "sha1" || l == "sha256" || strings.Contains(l, "hash"):
		extract.AddHash(ev, p.Value, field)
	case strings.Contains(l, "url"):
		extract.Add(ev, ioc.URL, p.Value, field)
	case strings.Contains(l, "domain") || strings.Contains(l, "hostname"):
		extract.AddHost(ev, p.Value, field)
	case strings.HasPrefix(p.Key, "c6a") || strings.HasSuffix(l, " ip") || l == "ip" ||
		strings.Contains(l, "address"):
		extract.AddIP(ev, p.Value, field)
	}
}

func setTime(ev *event.Event, p Pair) {
	t, err := extract.Time(p.Value)
	if err != nil {
		ev.Skip(p.Key, err)
		return
	}
	ev.Time = t
}
