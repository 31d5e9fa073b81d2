package pipeline

import (
	"strconv"
	"sync"
	"time"

	"github.com/iocflow/iocflow/pipeline/decode"
	"github.com/iocflow/iocflow/sinks/verdict"
)

// Source is one input partition as the stages see it: where its records
// come from, how they decode, and the metric handles resolved once for it.
// A transport creates one when a partition is assigned; it is read by the
// lane the partition is bound to and by the emitter, and must not change
// while a Stream uses it.
type Source struct {
	Topic     string
	Partition int
	// Decoder is the decoder of the topic's declared format.
	Decoder decode.Decoder

	origin string // "topic/partition@", the prefix of every origin
	m      sourceMetrics
}

// NewSource returns the source of one partition, with its metric handles
// resolved from m (nil m counts nothing).
func NewSource(topic string, partition int, dec decode.Decoder, m *Metrics) *Source {
	s := &Source{Topic: topic, Partition: partition, Decoder: dec,
		origin: topic + "/" + strconv.Itoa(partition) + "@"}
	s.m = m.source(topic, dec.Format())
	return s
}

// Origin returns where the record at offset was read:
// "topic/partition@offset". It allocates, so the stages call it only for
// records that produced a verdict or a dead letter.
func (s *Source) Origin(offset int64) string {
	return s.origin + strconv.FormatInt(offset, 10)
}

// Record is one input record. Key and Value belong to the batch that holds
// the record until the batch is recycled.
type Record struct {
	Offset int64
	Key    []byte
	Value  []byte
	// Time is the record's timestamp as the transport gives it (the
	// producer's create time on Kafka); zero when unknown.
	Time time.Time
}

// DeadLetter is a record that could not be decoded, and why. Its Key and
// Value share memory with the batch it came from.
type DeadLetter struct {
	Source *Source
	Record Record
	Reason string
}

// Batch is a run of consecutive records of one partition, in offset order,
// with what the lanes made of them. A transport fills Source, Records and
// Fetched; the lane appends Verdicts and Dead; the emitter writes both out
// and then reports the batch's offsets as done. A Batch travels through
// one stage at a time and is recycled with PutBatch.
type Batch struct {
	Source  *Source
	Records []Record
	// Fetched is when the transport read the batch's first record; the
	// emitter measures the batch's latency from it.
	Fetched time.Time
	// Lag is how many records of the partition were left behind the last
	// record when the batch was read; -1 when unknown.
	Lag int64

	Verdicts []verdict.Verdict
	Dead     []DeadLetter
	// Sightings holds the observables of the batch's decoded events when
	// the stream keeps them (Config.Sightings).
	Sightings []Sighting
}

// Next returns the offset after the batch's last record: the offset to
// commit once the batch is written.
func (b *Batch) Next() int64 {
	if len(b.Records) == 0 {
		return -1
	}
	return b.Records[len(b.Records)-1].Offset + 1
}

// Reset clears b for reuse and keeps the capacity of its slices.
func (b *Batch) Reset() {
	clear(b.Records)
	clear(b.Verdicts)
	clear(b.Dead)
	clear(b.Sightings)
	*b = Batch{Records: b.Records[:0], Verdicts: b.Verdicts[:0], Dead: b.Dead[:0],
		Sightings: b.Sightings[:0], Lag: -1}
}

var batchPool = sync.Pool{New: func() any { return &Batch{Lag: -1} }}

// GetBatch returns an empty batch from the pool.
func GetBatch() *Batch { return batchPool.Get().(*Batch) }

// PutBatch resets b and returns it to the pool. A batch whose slices grew
// past maxPooledRecords is dropped instead, so that one burst does not pin
// memory.
func PutBatch(b *Batch) {
	if cap(b.Records) > maxPooledRecords || cap(b.Verdicts) > maxPooledRecords ||
		cap(b.Sightings) > maxPooledSightings {
		return
	}
	b.Reset()
	batchPool.Put(b)
}

const maxPooledRecords = 1 << 14

// maxPooledSightings bounds the sightings capacity a pooled batch keeps:
// a few observables per record of a full batch.
const maxPooledSightings = 8 * maxPooledRecords
