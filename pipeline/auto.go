package pipeline

import (
	"bytes"

	"github.com/iocflow/iocflow/pipeline/decode"
	"github.com/iocflow/iocflow/pipeline/event"
)

// AutoDecoder routes each record by its shape: to the first of Routes
// whose marker the record contains, then Suricata EVE records (they carry
// "event_type") to EVE, and everything else to Generic. It serves the
// embedded mode, where one file may mix sources; on Kafka each topic
// declares its format instead. Routing costs one substring search per
// route.
type AutoDecoder struct {
	// Routes are tried in order before EVE; a wrapper format whose records
	// contain EVE (Splunk HEC, FireEye NX) must come first.
	Routes  []Route
	EVE     decode.Decoder
	Generic decode.Decoder
}

// Route sends records that contain Marker to Decoder.
type Route struct {
	Marker  []byte
	Decoder decode.Decoder
}

var eventTypeKey = []byte(`"event_type"`)

// Format implements decode.Decoder.
func (a AutoDecoder) Format() string { return "auto" }

// Decode implements decode.Decoder.
func (a AutoDecoder) Decode(data []byte, ev *event.Event) error {
	for _, r := range a.Routes {
		if bytes.Contains(data, r.Marker) {
			return r.Decoder.Decode(data, ev)
		}
	}
	if bytes.Contains(data, eventTypeKey) {
		return a.EVE.Decode(data, ev)
	}
	return a.Generic.Decode(data, ev)
}
