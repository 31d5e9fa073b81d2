// Package hec decodes Splunk HTTP Event Collector events, as Splunk
// Connect and forwarders put them on Kafka: an envelope with event (text
// or an object), time, host, source, sourcetype, index and fields. The
// event is unwrapped and handed to the decoder registered for its
// sourcetype (Suricata EVE for "suricata*" or any object with
// "event_type"), to the Generic decoder for other objects, and kept as
// free text (with the indicators inside it extracted) when it is text.
//
// A HEC request body may concatenate several envelopes; Split cuts it
// into single ones.
//
// A Decoder is immutable after construction and safe for concurrent use.
package hec

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/pipeline/decode"
	"github.com/iocflow/iocflow/pipeline/decode/extract"
	"github.com/iocflow/iocflow/pipeline/decode/internal/obj"
	"github.com/iocflow/iocflow/pipeline/decode/suricata"
	"github.com/iocflow/iocflow/pipeline/event"
)

// FormatName is the name of the format.
const FormatName = "splunk_hec"

// Decoder decodes HEC envelopes.
type Decoder struct {
	// BySourcetype maps a sourcetype to the decoder of its events; it is
	// consulted before the built-in Suricata rule.
	BySourcetype map[string]decode.Decoder
	// Generic decodes object events no other decoder claims; nil leaves
	// them with no observables.
	Generic decode.Decoder
}

// Format implements decode.Decoder.
func (d *Decoder) Format() string { return FormatName }

type envelope struct {
	Event      json.RawMessage `json:"event"`
	Time       json.RawMessage `json:"time"`
	Host       string          `json:"host"`
	Source     string          `json:"source"`
	Sourcetype string          `json:"sourcetype"`
}

// Decode implements decode.Decoder for one envelope.
func (d *Decoder) Decode(data []byte, ev *event.Event) error {
	if _, err := obj.Parse(FormatName, data); err != nil {
		return err
	}
	var e envelope
	if err := json.Unmarshal(data, &e); err != nil {
		return decode.NewError(FormatName, decode.NoOffset, err.Error())
	}
	raw := bytes.TrimSpace(e.Event)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return decode.NewError(FormatName, decode.NoOffset, "no event field (HEC code 12)")
	case string(raw) == `""`:
		return decode.NewError(FormatName, decode.NoOffset, "event field is blank (HEC code 13)")
	}
	if err := d.inner(raw, e.Sourcetype, ev); err != nil {
		return err
	}
	ev.Format = FormatName
	if ev.Kind == "" {
		ev.Kind = e.Sourcetype
	}
	if ev.Host == "" {
		ev.Host = e.Host
	}
	if ev.ID == "" {
		ev.ID = event.HashID(data)
	}
	if ev.Time.IsZero() && len(e.Time) > 0 {
		t, err := extract.Time(strings.Trim(string(e.Time), `"`))
		if err != nil {
			return decode.NewError(FormatName, decode.NoOffset, "time: "+err.Error())
		}
		ev.Time = t
	}
	return nil
}

func (d *Decoder) inner(raw []byte, sourcetype string, ev *event.Event) error {
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return decode.NewError(FormatName, decode.NoOffset, "event: "+err.Error())
		}
		extract.Add(ev, ioc.Text, s, "event")
		return nil
	}
	if raw[0] != '{' {
		return decode.NewError(FormatName, decode.NoOffset, "event is neither text nor an object")
	}
	sub := d.BySourcetype[sourcetype]
	if sub == nil && (strings.HasPrefix(sourcetype, "suricata") ||
		bytes.Contains(raw, []byte(`"event_type"`))) {
		sub = suricata.Decoder{}
	}
	if sub == nil {
		sub = d.Generic
	}
	if sub == nil {
		return nil
	}
	if err := sub.Decode(raw, ev); err != nil {
		return decode.NewError(FormatName, decode.NoOffset, "event: "+err.Error())
	}
	return nil
}

// Split cuts a HEC request body of concatenated envelopes (with or without
// white space between them) and calls yield with each.
func Split(body []byte, yield func(rec []byte) error) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	for dec.More() {
		var raw json.RawMessage
		start := dec.InputOffset()
		if err := dec.Decode(&raw); err != nil {
			return decode.NewError(FormatName, int(start), "body: "+err.Error())
		}
		if err := yield(raw); err != nil {
			return err
		}
	}
	return nil
}
