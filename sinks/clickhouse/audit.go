package clickhouse

import (
	"context"
	"log/slog"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/iocflow/iocflow/enforce"
)

// AuditSink stores enforce's audit trail in the actions table, from which
// the containment KPIs are kept. It implements enforce.AuditSink and is
// safe for concurrent use.
type AuditSink struct {
	b       *batcher[enforce.Record]
	timeout time.Duration
}

var _ enforce.AuditSink = (*AuditSink)(nil)

// NewAuditSink returns an audit sink writing through store. logger nil
// discards.
func NewAuditSink(store *Store, logger *slog.Logger) *AuditSink {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg := store.cfg
	return &AuditSink{
		b: newBatcher("actions",
			insertRows(store, "actions", actionColumns, appendActions), &cfg, logger),
		timeout: cfg.Timeout,
	}
}

// Write implements enforce.AuditSink: it returns once ClickHouse accepted
// the records, retrying while the server is down until ctx ends.
func (a *AuditSink) Write(ctx context.Context, recs []enforce.Record) error {
	return a.b.write(ctx, append([]enforce.Record(nil), recs...))
}

// Close sends what is queued, waiting at most the configured timeout.
func (a *AuditSink) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), a.timeout)
	defer cancel()
	return a.b.close(ctx)
}

const actionColumns = "time, event, action_id, op, attempt, target_kind, target, adapter, rule, " +
	"actor, mode, dry_run, state, expires, applied_time, answer, error, note, event_id, " +
	"indicator_id, verdict_time, department, user, host, severity"

func appendActions(b driver.Batch, recs []enforce.Record) error {
	for i := range recs {
		r := &recs[i]
		f := r.Finding
		if f == nil {
			f = &enforce.Finding{}
		}
		var dry uint8
		if r.DryRun {
			dry = 1
		}
		var kind string
		if r.Target.Value != "" {
			kind = r.Target.Kind.String()
		}
		err := b.Append(clampTime(r.Time), string(r.Event), r.ActionID, r.Op,
			uint32(max(r.Attempt, 0)), kind, r.Target.Key(), r.Adapter, r.Rule, r.Actor,
			r.Mode, dry, string(r.State), clampTime(r.Expires), clampTime(r.Applied),
			r.Answer, r.Error, r.Note, f.EventID, f.Indicator, clampTime(f.Time),
			f.Department, f.User, f.Host, f.Severity.String())
		if err != nil {
			return err
		}
	}
	return nil
}
