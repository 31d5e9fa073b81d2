// Package sinks declares the interface through which verdicts leave the
// pipeline. One subpackage per destination implements it (sinks/jsonl for
// JSON lines; ClickHouse and the verdict topic follow the same interface).
package sinks

import (
	"context"

	"github.com/iocflow/iocflow/sinks/verdict"
)

// Sink takes batches of verdicts. Write returns only once the batch is
// durably handed over (written, flushed or acknowledged, as the destination
// allows), so that the caller may then commit the input it came from; on
// error the caller retries or stops, and must not treat the batch as
// written. A Sink is used by one goroutine at a time.
type Sink interface {
	Write(ctx context.Context, batch []verdict.Verdict) error
	// Close flushes what is buffered and releases the destination.
	Close() error
}
