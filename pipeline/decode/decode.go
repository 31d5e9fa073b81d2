// Package decode declares the interface every input decoder implements and
// the error a decoder returns for a record that does not fit its format.
// One subpackage per format holds the decoders (decode/suricata,
// decode/jsonmap, decode/cef, ...); the caller picks them from an explicit
// list.
//
// Decoders are safe for concurrent use unless their documentation says
// otherwise; the Event they fill belongs to the caller.
package decode

import (
	"strconv"
	"strings"

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

// NoOffset is the Offset of an Error that concerns the record as a whole.
const NoOffset = -1

// Error reports a record that does not fit its declared format: which
// format, where in the record and why.
type Error struct {
	Format string
	// Offset is the byte offset in the record where the problem was found,
	// or NoOffset when it concerns the record as a whole.
	Offset int
	Reason string
}

// NewError returns an Error for format at byte offset off (NoOffset for
// the whole record).
func NewError(format string, off int, reason string) *Error {
	return &Error{Format: format, Offset: off, Reason: reason}
}

func (e *Error) Error() string {
	article := "a "
	if e.Format != "" && strings.ContainsRune("aeio", rune(e.Format[0])) {
		article = "an "
	}
	head := "not " + article + e.Format + " record: "
	if e.Offset < 0 {
		return head + e.Reason
	}
	return head + "at byte " + strconv.Itoa(e.Offset) + ": " + e.Reason
}
