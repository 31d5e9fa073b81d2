// Package decode declares the interface every input decoder implements and
// the error a decoder returns for a record that does not fit its format.
// One subpackage per format holds the decoders (decode/suricata,
// decode/jsonmap); the caller picks them from an explicit list.
//
// Decoders are safe for concurrent use unless their documentation says
// otherwise; the Event they fill belongs to the caller.
package decode

import (
	"github.com/iocflow/iocflow/pipeline/event"
)

// Decoder turns one raw record into a normalised event.
type Decoder interface {
	// Format is the input format's name as verdicts and metrics show it.
	Format() string
	// Decode fills ev, which the caller has Reset, from one record. A
	// record that does not fit the format returns a *Error and leaves ev
	// unspecified. Decode must not keep data after it returns.
	Decode(data []byte, ev *event.Event) error
}

// Error reports a record that does not fit its declared format.
type Error struct {
	Format string
	Reason string
}

func (e *Error) Error() string { return "not a " + e.Format + " record: " + e.Reason }
