// Package proofpoint decodes Proofpoint TAP SIEM API (v2) records:
// delivered and blocked messages and permitted and blocked clicks. A SIEM
// API response page holds many records; Split walks a page and yields each
// record with its kind, and DecodeKind decodes one. Decode takes a single
// record, as a collector publishes them one per message, and tells
// messages from clicks by shape.
//
// A Decoder is stateless and safe for concurrent use.
package proofpoint

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/pipeline/decode"
	"github.com/iocflow/iocflow/pipeline/decode/extract"
	"github.com/iocflow/iocflow/pipeline/decode/internal/obj"
	"github.com/iocflow/iocflow/pipeline/event"
)

// FormatName is the name of the format.
const FormatName = "proofpoint_tap"

// Record kinds, named after the arrays of a SIEM API response.
const (
	MessageDelivered = "message_delivered"
	MessageBlocked   = "message_blocked"
	ClickPermitted   = "click_permitted"
	ClickBlocked     = "click_blocked"
	// Message and Click are the kinds of records decoded without knowing
	// which array they came from.
	Message = "message"
	Click   = "click"
)

var pageArrays = []struct{ key, kind string }{
	{"messagesDelivered", MessageDelivered}, {"messagesBlocked", MessageBlocked},
	{"clicksPermitted", ClickPermitted}, {"clicksBlocked", ClickBlocked},
}

// Decoder decodes single TAP records.
type Decoder struct{}

// Format implements decode.Decoder.
func (Decoder) Format() string { return FormatName }

// Decode implements decode.Decoder for one message or click record.
func (Decoder) Decode(data []byte, ev *event.Event) error { return DecodeKind(data, "", ev) }

// DecodeKind decodes one record whose kind the caller knows from the
// array it came from; an empty kind is inferred (Message or Click).
func DecodeKind(data []byte, kind string, ev *event.Event) error {
	m, err := obj.Parse(FormatName, data)
	if err != nil {
		return err
	}
	for _, a := range pageArrays {
		if obj.Has(m, a.key) || obj.Has(m, "queryEndTime") {
			return decode.NewError(FormatName, decode.NoOffset,
				"a SIEM API response page holds many records; split it with proofpoint.Split")
		}
	}
	isClick := obj.Has(m, "clickTime")
	if !isClick && !obj.Has(m, "messageTime") {
		return decode.NewError(FormatName, decode.NoOffset,
			"neither a message (messageTime) nor a click (clickTime) record")
	}
	if kind == "" {
		kind = Message
		if isClick {
			kind = Click
		}
	}
	ev.Format, ev.Kind = FormatName, kind
	ev.ID = obj.FirstStr(m, "GUID", "id")
	if ev.ID == "" {
		ev.ID = event.HashID(data)
	}
	if isClick {
		return click(m, ev)
	}
	return message(m, ev)
}

func message(m obj.Map, ev *event.Event) error {
	if err := obj.SetTime(m, FormatName, ev, "messageTime"); err != nil {
		return err
	}
	extract.AddEmail(ev, obj.Str(m, "sender"), "sender")
	extract.AddIP(ev, obj.Str(m, "senderIP"), "senderIP")
	for _, k := range []string{"headerFrom", "headerReplyTo"} {
		extract.AddEmail(ev, obj.Str(m, k), k)
	}
	for _, k := range []string{"fromAddress", "replyToAddress", "recipient", "toAddresses",
		"ccAddresses"} {
		for _, s := range obj.Strs(m, k) {
			extract.AddEmail(ev, s, k)
		}
	}
	if r := obj.Strs(m, "recipient"); len(r) > 0 {
		ev.User = r[0]
	}
	mail(ev, obj.Str(m, "messageID"), "recipient", "toAddresses")
	extract.Add(ev, ioc.Text, obj.Str(m, "subject"), "subject")
	for _, p := range obj.List(m, "messageParts") {
		extract.Add(ev, ioc.FileName, obj.Base(obj.Str(p, "filename")), "messageParts.filename")
		extract.Add(ev, ioc.SHA256, obj.Str(p, "sha256"), "messageParts.sha256")
		extract.Add(ev, ioc.MD5, obj.Str(p, "md5"), "messageParts.md5")
	}
	for _, t := range obj.List(m, "threatsInfoMap") {
		threat(ev, obj.Str(t, "threatType"), obj.Str(t, "threat"))
	}
	return nil
}

// threat adds the threat of a threatsInfoMap entry by its type: a URL or
// a bare domain for "url", a digest for "attachment". "message" threats
// name the message itself and carry no indicator. threatUrl is the link
// to Proofpoint's portal, not an indicator, and is left out.
func threat(ev *event.Event, typ, v string) {
	switch strings.ToLower(typ) {
	case "url":
		extract.AddURLOrHost(ev, v, "threatsInfoMap.threat")
	case "attachment":
		extract.AddHash(ev, v, "threatsInfoMap.threat")
	}
}

func click(m obj.Map, ev *event.Event) error {
	if err := obj.SetTime(m, FormatName, ev, "clickTime"); err != nil {
		return err
	}
	extract.Add(ev, ioc.URL, obj.Str(m, "url"), "url")
	extract.AddIP(ev, obj.Str(m, "clickIP"), "clickIP")
	extract.AddEmail(ev, obj.Str(m, "sender"), "sender")
	extract.AddIP(ev, obj.Str(m, "senderIP"), "senderIP")
	extract.AddEmail(ev, obj.Str(m, "recipient"), "recipient")
	extract.Add(ev, ioc.UserAgent, obj.Str(m, "userAgent"), "userAgent")
	ev.User = obj.Str(m, "recipient")
	mail(ev, obj.Str(m, "messageID"), "recipient")
	return nil
}

// mail sets the message id and the recipients: the canonical addresses
// added from the first of fields that has any (the envelope recipients
// before the To header, which may name lists and people it was not
// delivered to).
func mail(ev *event.Event, id string, fields ...string) {
	if ev.MessageID = strings.TrimSpace(id); ev.MessageID == "" {
		return
	}
	for _, f := range fields {
		for _, o := range ev.Observables {
			if o.Type == ioc.Email && o.Field == f && !slices.Contains(ev.Recipients, o.Value) {
				ev.Recipients = append(ev.Recipients, o.Value)
			}
		}
		if len(ev.Recipients) > 0 {
			return
		}
	}
}

// Split walks a SIEM API response page and calls yield with each record
// and its kind, messages before clicks. Absent arrays mean none. It stops
// at the first error yield returns.
func Split(page []byte, yield func(kind string, rec []byte) error) error {
	var p map[string]json.RawMessage
	if err := json.Unmarshal(page, &p); err != nil {
		return decode.NewError(FormatName, decode.NoOffset, "SIEM API page: "+err.Error())
	}
	for _, a := range pageArrays {
		raw, ok := p[a.key]
		if !ok || string(raw) == "null" {
			continue
		}
		var recs []json.RawMessage
		if err := json.Unmarshal(raw, &recs); err != nil {
			return decode.NewError(FormatName, decode.NoOffset, a.key+": want an array")
		}
		for _, r := range recs {
			if err := yield(a.kind, r); err != nil {
				return err
			}
		}
	}
	return nil
}
