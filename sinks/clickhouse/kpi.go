package clickhouse

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// KPI is one department's figures over a time range, read from the hourly
// KPI tables. Counts of verdicts are distinct (event, indicator) pairs, so
// repeats after a retry or crash do not inflate them; they are exact up to
// about 65,000 per department and hour and estimates (error ~1%) above.
type KPI struct {
	Department string
	// Verdicts by severity, and in all.
	Critical, High, Medium, Low, Other, Verdicts uint64
	// Retrospective verdicts came from retro-hunting.
	Retrospective uint64
	// Events with at least one verdict; distinct affected hosts and users.
	Events, Hosts, Users uint64
	// DetectedIn1m is the share (0 to 1) of verdicts made within a minute
	// of their event; DetectMax the longest detection delay.
	DetectedIn1m float64
	DetectMax    time.Duration
	// Contained counts verdicts with an applied (not dry-run) action;
	// ContainedIn5m the share of those applied within five minutes of the
	// verdict; ContainMax the longest containment delay.
	Contained     uint64
	ContainedIn5m float64
	ContainMax    time.Duration
}

// KPIs returns one KPI per department with verdicts or actions in the
// hours that begin in [from, to), most verdicts first.
func (s *Store) KPIs(ctx context.Context, from, to time.Time) ([]KPI, error) {
	byDept := map[string]*KPI{}
	get := func(d string) *KPI {
		if k, ok := byDept[d]; ok {
			return k
		}
		k := &KPI{Department: d}
		byDept[d] = k
		return k
	}
	if err := s.verdictKPIs(ctx, from, to, get); err != nil {
		return nil, err
	}
	if err := s.containmentKPIs(ctx, from, to, get); err != nil {
		return nil, err
	}
	out := make([]KPI, 0, len(byDept))
	for _, k := range byDept {
		out = append(out, *k)
	}
	slices.SortFunc(out, func(a, b KPI) int {
		if c := cmp.Compare(b.Verdicts, a.Verdicts); c != 0 {
			return c
		}
		return cmp.Compare(a.Department, b.Department)
	})
	return out, nil
}

func (s *Store) hourRange(from, to time.Time) string {
	return " WHERE hour >= toDateTime(" + unix(from.Truncate(time.Hour)) +
		") AND hour < toDateTime(" + unix(to) + ")"
}

func (s *Store) verdictKPIs(ctx context.Context, from, to time.Time, get func(string) *KPI) error {
	q := "SELECT department, uniqMergeIf(verdicts, severity = 'critical')," +
		" uniqMergeIf(verdicts, severity = 'high'), uniqMergeIf(verdicts, severity = 'medium')," +
		" uniqMergeIf(verdicts, severity = 'low')," +
		" uniqMergeIf(verdicts, severity IN ('info', 'unknown')), uniqMerge(verdicts)," +
		" uniqIfMerge(retro_verdicts), uniqMerge(events), uniqIfMerge(hosts)," +
		" uniqIfMerge(users), uniqMergeIf(verdicts, detect_le <= 60)," +
		" maxMerge(detect_delay_max)" +
		" FROM " + s.table("kpi_department_hourly") + s.hourRange(from, to) +
		" GROUP BY department"
	rows, err := s.conn.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("query kpi_department_hourly: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var dept string
		var in1m uint64
		var maxDelay uint32
		var k KPI
		err := rows.Scan(&dept, &k.Critical, &k.High, &k.Medium, &k.Low, &k.Other,
			&k.Verdicts, &k.Retrospective, &k.Events, &k.Hosts, &k.Users, &in1m, &maxDelay)
		if err != nil {
			return fmt.Errorf("read kpi_department_hourly: %w", err)
		}
		p := get(dept)
		k.Department = dept
		k.DetectMax = time.Duration(maxDelay) * time.Second
		if k.Verdicts > 0 {
			k.DetectedIn1m = min(float64(in1m)/float64(k.Verdicts), 1)
		}
		k.Contained, k.ContainedIn5m, k.ContainMax = p.Contained, p.ContainedIn5m, p.ContainMax
		*p = k
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read kpi_department_hourly: %w", err)
	}
	return nil
}

func (s *Store) containmentKPIs(ctx context.Context, from, to time.Time,
	get func(string) *KPI) error {
	const applied = "event = 'applied' AND dry_run = 0"
	q := "SELECT department, uniqMergeIf(verdicts, " + applied + ")," +
		" uniqMergeIf(verdicts, " + applied + " AND contain_le <= 300)," +
		" maxMergeIf(contain_delay_max, " + applied + ")" +
		" FROM " + s.table("kpi_containment_hourly") + s.hourRange(from, to) +
		" GROUP BY department"
	rows, err := s.conn.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("query kpi_containment_hourly: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var dept string
		var n, in5m uint64
		var maxDelay uint32
		if err := rows.Scan(&dept, &n, &in5m, &maxDelay); err != nil {
			return fmt.Errorf("read kpi_containment_hourly: %w", err)
		}
		if n == 0 {
			continue
		}
		k := get(dept)
		k.Contained = n
		k.ContainedIn5m = min(float64(in5m)/float64(n), 1)
		k.ContainMax = time.Duration(maxDelay) * time.Second
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read kpi_containment_hourly: %w", err)
	}
	return nil
}
