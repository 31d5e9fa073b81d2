package clickhouse

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/iocflow/iocflow/internal/logkey"
)

// PruneObservables drops the days of the observables table that are wholly
// older than the retention before now, and returns how many it dropped.
// The table is partitioned by day so that this is a metadata operation:
// ClickHouse 18.16 has no TTL, so retention is kept this way on every
// release. Safe to run from several processes at once.
func (s *Store) PruneObservables(ctx context.Context, now time.Time) (int, error) {
	cutoff := now.Add(-s.cfg.ObservableRetention).UTC()
	limit, _ := strconv.Atoi(cutoff.Format("20060102"))
	// Validate allows only letters, digits and _ in the database name.
	q := "SELECT DISTINCT partition FROM system.parts WHERE active AND database = '" +
		s.cfg.Database + "' AND table = 'observables'"
	rows, err := s.conn.Query(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("list observables partitions: %w", err)
	}
	var old []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return 0, fmt.Errorf("list observables partitions: %w", err)
		}
		if day, err := strconv.Atoi(p); err == nil && day < limit {
			old = append(old, p)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("list observables partitions: %w", err)
	}
	for i, p := range old {
		err := s.exec(ctx, "ALTER TABLE "+s.table("observables")+" DROP PARTITION "+p)
		if err != nil {
			return i, fmt.Errorf("drop observables partition %s: %w", p, err)
		}
	}
	return len(old), nil
}

// pruneEvery is how often a Sink prunes the observables table.
const pruneEvery = time.Hour

// pruneLoop prunes at start and then every pruneEvery until stop closes.
func pruneLoop(s *Store, logger *slog.Logger, stop <-chan struct{}) {
	t := time.NewTicker(pruneEvery)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Timeout)
		n, err := s.PruneObservables(ctx, time.Now())
		cancel()
		switch {
		case err != nil:
			logger.Warn("prune observables failed", logkey.Count, n, logkey.Err, err)
		case n > 0:
			logger.Info("observables pruned", logkey.Count, n)
		}
		select {
		case <-t.C:
		case <-stop:
			return
		}
	}
}
