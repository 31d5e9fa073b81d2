package abusech

import (
	"bufio"
	"io"
)

// sniffLen is how much of a feed Parse looks at to choose among a
// format's shapes.
const sniffLen = 4096

func newPeeker(r io.Reader) *bufio.Reader { return bufio.NewReaderSize(r, sniffLen) }
