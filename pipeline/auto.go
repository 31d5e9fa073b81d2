package pipeline

import (
	"bytes"

	"github.com/iocflow/iocflow/pipeline/decode"
	"github.com/iocflow/iocflow/pipeline/event"
)

// AutoDecoder routes each record by its shape: Suricata EVE records (they
// carry "event_type") to EVE, everything else to Generic. It serves the
// embedded mode, where one file may mix sources; on Kafka each topic
// declares its format instead.
type AutoDecoder struct {
	EVE     decode.Decoder
	Generic decode.Decoder
}

var eventTypeKey = []byte(`"event_type"`)

// Format implements decode.Decoder.
func (a AutoDecoder) Format() string { return "auto" }

// Decode implements decode.Decoder.
func (a AutoDecoder) Decode(data []byte, ev *event.Event) error {
	if bytes.Contains(data, eventTypeKey) {
		return a.EVE.Decode(data, ev)
	}
	return a.Generic.Decode(data, ev)
}
