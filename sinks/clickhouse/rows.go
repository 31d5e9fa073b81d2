package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/iocflow/iocflow/sinks/verdict"
)

// verdictRow is a verdict as the verdicts table holds it. Converting at
// enqueue time decouples the queue from the caller's slices.
type verdictRow struct {
	EventID, IndicatorID        string
	EventTime, VerdictTime      time.Time
	Department, User, Host      string
	ObsType, ObsValue, ObsField string
	OtherFields                 []string
	IndType, IndValue           string
	Feeds, FeedIDs              []string
	Confidence                  uint8
	Severity                    string
	Format, Kind, Origin        string
	ThreatTypes, Malware        []string
	Campaigns, Actors           []string
	Retrospective               bool
	MatcherVersion              uint64
}

func toVerdictRow(v *verdict.Verdict) verdictRow {
	s := subjectOf(v)
	r := verdictRow{
		EventID: v.EventID, IndicatorID: v.Indicator.ID,
		EventTime: eventTime(v.EventTime, v.Time), VerdictTime: clampTime(v.Time),
		Department: s.Department, User: s.User, Host: s.Host,
		ObsType: v.Observable.Type.String(), ObsValue: v.Observable.Value,
		ObsField: v.Observable.Field, OtherFields: nonNil(v.OtherFields),
		IndType: v.Indicator.Type.String(), IndValue: v.Indicator.Value,
		Confidence: uint8(min(max(v.Confidence, 0), 100)), Severity: v.Severity.String(),
		Format: v.Format, Kind: v.Kind, Origin: v.Origin,
		ThreatTypes: nonNil(v.ThreatTypes), Malware: nonNil(v.Malware),
		Campaigns: nonNil(v.Campaigns), Actors: nonNil(v.Actors),
		Retrospective: s.Retrospective, MatcherVersion: v.MatcherVersion,
	}
	r.Feeds = make([]string, len(v.Indicator.Feeds))
	r.FeedIDs = make([]string, len(v.Indicator.Feeds))
	for i, f := range v.Indicator.Feeds {
		r.Feeds[i], r.FeedIDs[i] = f.Name, f.ID
	}
	return r
}

// verdictColumns is the explicit column list of every verdict INSERT, in
// the order appendVerdicts fills them.
const verdictColumns = "event_id, indicator_id, event_time, verdict_time, department, user, " +
	"host, observable_type, observable_value, observable_field, other_fields, " +
	"indicator_type, indicator_value, feeds, feed_ids, confidence, severity, format, kind, " +
	"origin, threat_types, malware, campaigns, actors, retrospective, matcher_version, live"

// appendVerdicts fills a prepared batch column by column, which costs far
// less than row-wise reflection.
func appendVerdicts(b driver.Batch, rows []verdictRow) error {
	n := len(rows)
	str := func(f func(*verdictRow) string) []string {
		out := make([]string, n)
		for i := range rows {
			out[i] = f(&rows[i])
		}
		return out
	}
	arr := func(f func(*verdictRow) []string) [][]string {
		out := make([][]string, n)
		for i := range rows {
			out[i] = f(&rows[i])
		}
		return out
	}
	tm := func(f func(*verdictRow) time.Time) []time.Time {
		out := make([]time.Time, n)
		for i := range rows {
			out[i] = f(&rows[i])
		}
		return out
	}
	conf, retro, live := make([]uint8, n), make([]uint8, n), make([]uint8, n)
	ver := make([]uint64, n)
	for i := range rows {
		conf[i] = rows[i].Confidence
		if rows[i].Retrospective {
			retro[i] = 1
		} else {
			live[i] = 1
		}
		ver[i] = rows[i].MatcherVersion
	}
	cols := []any{
		str(func(r *verdictRow) string { return r.EventID }),
		str(func(r *verdictRow) string { return r.IndicatorID }),
		tm(func(r *verdictRow) time.Time { return r.EventTime }),
		tm(func(r *verdictRow) time.Time { return r.VerdictTime }),
		str(func(r *verdictRow) string { return r.Department }),
		str(func(r *verdictRow) string { return r.User }),
		str(func(r *verdictRow) string { return r.Host }),
		str(func(r *verdictRow) string { return r.ObsType }),
		str(func(r *verdictRow) string { return r.ObsValue }),
		str(func(r *verdictRow) string { return r.ObsField }),
		arr(func(r *verdictRow) []string { return r.OtherFields }),
		str(func(r *verdictRow) string { return r.IndType }),
		str(func(r *verdictRow) string { return r.IndValue }),
		arr(func(r *verdictRow) []string { return r.Feeds }),
		arr(func(r *verdictRow) []string { return r.FeedIDs }),
		conf,
		str(func(r *verdictRow) string { return r.Severity }),
		str(func(r *verdictRow) string { return r.Format }),
		str(func(r *verdictRow) string { return r.Kind }),
		str(func(r *verdictRow) string { return r.Origin }),
		arr(func(r *verdictRow) []string { return r.ThreatTypes }),
		arr(func(r *verdictRow) []string { return r.Malware }),
		arr(func(r *verdictRow) []string { return r.Campaigns }),
		arr(func(r *verdictRow) []string { return r.Actors }),
		retro, ver, live,
	}
	return appendColumns(b, cols)
}

// Sighting is one observable of one event as kept for retro-hunting: what
// was seen, in which field, in which event, when and by whom. The
// pipeline hands every decoded event's observables to Sink.WriteSightings.
type Sighting struct {
	EventID   string
	EventTime time.Time
	// Department, User and Host say whom the event concerns, as the
	// enrichment stage found them; empty when unknown.
	Department, User, Host string
	// Format is the input format of the event ("suricata", "json").
	Format string
	Type   string
	Value  string
	Field  string
}

const sightingColumns = "type, value, event_id, field, event_time, department, user, host, format"

func appendSightings(b driver.Batch, rows []Sighting) error {
	n := len(rows)
	str := func(f func(*Sighting) string) []string {
		out := make([]string, n)
		for i := range rows {
			out[i] = f(&rows[i])
		}
		return out
	}
	times := make([]time.Time, n)
	for i := range rows {
		times[i] = clampTime(rows[i].EventTime)
	}
	return appendColumns(b, []any{
		str(func(s *Sighting) string { return s.Type }),
		str(func(s *Sighting) string { return s.Value }),
		str(func(s *Sighting) string { return s.EventID }),
		str(func(s *Sighting) string { return s.Field }),
		times,
		str(func(s *Sighting) string { return s.Department }),
		str(func(s *Sighting) string { return s.User }),
		str(func(s *Sighting) string { return s.Host }),
		str(func(s *Sighting) string { return s.Format }),
	})
}

func appendColumns(b driver.Batch, cols []any) error {
	for i, c := range cols {
		if err := b.Column(i).Append(c); err != nil {
			return fmt.Errorf("column %d: %w", i, err)
		}
	}
	return nil
}

// insertRows sends rows to table in one INSERT with an explicit column
// list, filled by fill.
func insertRows[T any](s *Store, table, columns string,
	fill func(driver.Batch, []T) error) insertFunc[T] {
	query := "INSERT INTO " + s.table(table) + " (" + columns + ")"
	return func(ctx context.Context, rows []T) error {
		b, err := s.conn.PrepareBatch(ctx, query)
		if err != nil {
			return fmt.Errorf("prepare insert into %s: %w", table, err)
		}
		if err := fill(b, rows); err != nil {
			b.Abort()
			return fmt.Errorf("fill insert into %s: %w", table, err)
		}
		if err := b.Send(); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
		return nil
	}
}

// DateTime holds seconds since 1970 in 32 bits; times outside are clamped
// so that a wild event time cannot make an INSERT fail for ever.
var (
	minTime = time.Unix(1, 0).UTC()
	maxTime = time.Date(2105, 12, 31, 23, 59, 59, 0, time.UTC)
)

func clampTime(t time.Time) time.Time {
	if t.Before(minTime) {
		return minTime
	}
	if t.After(maxTime) {
		return maxTime
	}
	return t
}

// eventTime is the event's own time, or the verdict time for an event
// that has none (as the matcher judged it).
func eventTime(ev, v time.Time) time.Time {
	if ev.IsZero() {
		return clampTime(v)
	}
	return clampTime(ev)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
