// Package fireeye decodes FireEye (Trellix) NX and EX/CM alerts. Two
// shapes arrive: the NX "network security" JSON, which carries a Suricata
// EVE record serialised as a string in rawmsg (decoded with the EVE
// decoder), and alerts of the CM/EX alert API ("concise", "normal" or
// "extended"): one alert object per record. An API response holds many
// alerts; Split yields them one by one.
//
// The sensor fields (meta_sip4, sensorIp, deviceid, alertUrl, which links
// to the appliance) describe FireEye itself and give no observable.
//
// A Decoder is stateless and safe for concurrent use.
package fireeye

import (
	"encoding/json"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/pipeline/decode"
	"github.com/iocflow/iocflow/pipeline/decode/extract"
	"github.com/iocflow/iocflow/pipeline/decode/internal/obj"
	"github.com/iocflow/iocflow/pipeline/decode/suricata"
	"github.com/iocflow/iocflow/pipeline/event"
)

// FormatName is the name of the format.
const FormatName = "fireeye"

// Decoder decodes NX records and single EX/CM alerts.
type Decoder struct{}

// Format implements decode.Decoder.
func (Decoder) Format() string { return FormatName }

// Decode implements decode.Decoder.
func (Decoder) Decode(data []byte, ev *event.Event) error {
	m, err := obj.Parse(FormatName, data)
	if err != nil {
		return err
	}
	if raw, ok := m["rawmsg"].(string); ok {
		if err := suricata.DecodeWith(FormatName, []byte(raw), ev); err != nil {
			return decode.NewError(FormatName, decode.NoOffset, "rawmsg: "+err.Error())
		}
		ev.Kind = "nx/" + ev.Kind
		return nil
	}
	if _, ok := m["alert"]; ok && obj.Has(m, "alertsCount") || obj.Has(m, "appliance") {
		return decode.NewError(FormatName, decode.NoOffset,
			"an alert API response holds many alerts; split it with fireeye.Split")
	}
	if !obj.Has(m, "occurred") && !obj.Has(m, "explanation") {
		return decode.NewError(FormatName, decode.NoOffset,
			"neither an NX record (rawmsg) nor an alert (occurred, explanation)")
	}
	return alert(m, data, ev)
}

func alert(m obj.Map, data []byte, ev *event.Event) error {
	ev.Format, ev.Kind = FormatName, obj.Str(m, "name")
	ev.ID = obj.Str(m, "uuid")
	if ev.ID == "" {
		ev.ID = event.HashID(data)
	}
	if s := obj.Str(m, "occurred"); s != "" {
		t, err := extract.Time(s)
		if err != nil {
			return decode.NewError(FormatName, decode.NoOffset, "occurred: "+err.Error())
		}
		ev.Time = t
	}
	extract.AddIP(ev, obj.Str(m, "src.ip"), "src.ip")
	extract.AddEmail(ev, obj.Str(m, "src.smtpMailFrom"), "src.smtpMailFrom")
	extract.AddIP(ev, obj.Str(m, "dst.ip"), "dst.ip")
	for _, to := range obj.Strs(m, "dst.smtpTo") {
		extract.AddEmail(ev, to, "dst.smtpTo")
		if ev.User == "" {
			ev.User = to
		}
	}
	extract.Add(ev, ioc.Text, obj.Str(m, "smtpMessage.subject"), "smtpMessage.subject")
	for _, mw := range obj.List(m, "explanation.malwareDetected.malware") {
		extract.Add(ev, ioc.MD5, obj.Str(mw, "md5Sum"), "malware.md5Sum")
		extract.Add(ev, ioc.SHA256, obj.Str(mw, "sha256"), "malware.sha256")
		extract.Add(ev, ioc.FileName, obj.Base(obj.Str(mw, "original")), "malware.original")
		extract.Add(ev, ioc.URL, obj.Str(mw, "url"), "malware.url")
	}
	for _, c := range obj.List(m, "explanation.cncServices.cncService") {
		extract.AddHost(ev, obj.Str(c, "address"), "cncService.address")
		extract.Add(ev, ioc.URL, obj.Str(c, "url"), "cncService.url")
	}
	return nil
}

// Split walks an alert API response and calls yield with each alert.
func Split(resp []byte, yield func(alert []byte) error) error {
	var r struct {
		Alert json.RawMessage `json:"alert"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		return decode.NewError(FormatName, decode.NoOffset, "alert API response: "+err.Error())
	}
	var alerts []json.RawMessage
	if err := json.Unmarshal(r.Alert, &alerts); err != nil {
		alerts = []json.RawMessage{r.Alert} // one alert may come as a bare object
	}
	for _, a := range alerts {
		if err := yield(a); err != nil {
			return err
		}
	}
	return nil
}
