package extract

import (
	"strings"
	"sync"
)

// chunkSize is the size of one arena chunk: large enough that a chunk
// serves a few hundred typical records, small enough that a verdict which
// keeps one value alive does not pin much memory.
const chunkSize = 32 << 10

// Arena hands out strings copied from byte slices, carving them from
// shared chunks so that copying a value does not allocate per value. The
// chunks are append-only: a string handed out is never written again and
// stays valid for as long as anything refers to it, after the event, the
// record and the arena are gone. When a chunk is full the arena starts a
// new one and leaves the old one to the garbage collector.
//
// An Arena is used by one goroutine at a time. The zero value is ready.
type Arena struct {
	b strings.Builder
}

// String returns a string holding a copy of p. Hot path: it allocates
// only when a chunk is full, about once per chunkSize bytes copied.
func (a *Arena) String(p []byte) string {
	if len(p) == 0 {
		return ""
	}
	if a.b.Cap()-a.b.Len() < len(p) {
		a.b = strings.Builder{}
		a.b.Grow(max(chunkSize, len(p)))
	}
	start := a.b.Len()
	a.b.Write(p)
	// strings.Builder.String shares the builder's buffer; bytes before
	// Len are never written again, so the slice is immutable.
	return a.b.String()[start:]
}

var arenaPool = sync.Pool{New: func() any { return new(Arena) }}

// GetArena returns an arena from a pool shared by all decoders; give it
// back with PutArena when the record is decoded.
func GetArena() *Arena { return arenaPool.Get().(*Arena) }

// PutArena returns a to the pool. Strings it handed out stay valid.
func PutArena(a *Arena) { arenaPool.Put(a) }
