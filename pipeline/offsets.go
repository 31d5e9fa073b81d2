package pipeline

import "sync"

// Offsets tracks, per source, the offset after the last record whose
// batch every sink has taken: the offset that may be committed. The
// emitter reports batches in each partition's order, so a reported offset
// covers every record before it. It is safe for concurrent use.
type Offsets struct {
	mu        sync.Mutex
	done      map[*Source]int64
	committed map[*Source]int64
}

// NewOffsets returns an empty tracker.
func NewOffsets() *Offsets {
	return &Offsets{done: map[*Source]int64{}, committed: map[*Source]int64{}}
}

// Done records that every record of s before next has been written.
func (o *Offsets) Done(s *Source, next int64) {
	o.mu.Lock()
	if next > o.done[s] {
		o.done[s] = next
	}
	o.mu.Unlock()
}

// Pending returns the offsets done but not yet marked committed, by topic
// and partition; nil when there are none. The map is the caller's.
func (o *Offsets) Pending() map[string]map[int]int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out map[string]map[int]int64
	for s, next := range o.done {
		if next <= o.committed[s] {
			continue
		}
		if out == nil {
			out = map[string]map[int]int64{}
		}
		if out[s.Topic] == nil {
			out[s.Topic] = map[int]int64{}
		}
		out[s.Topic][s.Partition] = next
	}
	return out
}

// MarkCommitted records that the offsets of a Pending result were
// committed.
func (o *Offsets) MarkCommitted(m map[string]map[int]int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for s := range o.done {
		if next, ok := m[s.Topic][s.Partition]; ok && next > o.committed[s] {
			o.committed[s] = next
		}
	}
}
