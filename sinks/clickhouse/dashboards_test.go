//go:build integration

package clickhouse

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iocflow/iocflow/enforce"
	"github.com/iocflow/iocflow/feeds/ioc"
)

// dashboard is the part of a Grafana dashboard the test reads.
type dashboard struct {
	Title      string `json:"title"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query string `json:"query"`
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		Title   string `json:"title"`
		Type    string `json:"type"`
		Targets []struct {
			RawSQL string `json:"rawSql"`
		} `json:"targets"`
	} `json:"panels"`
}

var timeFilterRE = regexp.MustCompile(`\$__timeFilter\(([a-z_]+)\)`)

// expand replaces the plugin's macros and the dashboards' variables the
// way the data source plugin does before it sends a query.
func expand(sql, db string, from, to time.Time, vars map[string]string) string {
	f, t := strconv.FormatInt(from.Unix(), 10), strconv.FormatInt(to.Unix(), 10)
	sql = timeFilterRE.ReplaceAllString(sql,
		"$1 >= toDateTime("+f+") AND $1 <= toDateTime("+t+")")
	sql = strings.ReplaceAll(sql, "$__fromTime", "toDateTime("+f+")")
	sql = strings.ReplaceAll(sql, "$__toTime", "toDateTime("+t+")")
	sql = strings.ReplaceAll(sql, "${database}", db)
	for k, v := range vars {
		sql = strings.ReplaceAll(sql, "${"+k+"}", v)
	}
	return sql
}

// seed stores verdicts of two departments and the audit records of
// actions on some of them.
func seed(t *testing.T, s *Store, at time.Time) {
	t.Helper()
	ctx := context.Background()
	var rows []verdictRow
	for i := range 40 {
		dept := []string{"finance", "research"}[i%2]
		rows = append(rows, verdictRow{
			EventID: fmt.Sprintf("ev%d", i), IndicatorID: fmt.Sprintf("domain:bad%d.example", i%4),
			EventTime: at.Add(time.Duration(i) * time.Minute), Department: dept,
			VerdictTime: at.Add(time.Duration(i)*time.Minute + time.Duration(i)*10*time.Second),
			User:        fmt.Sprintf("u%d", i%5), Host: fmt.Sprintf("h%d", i%7),
			ObsType: "domain", ObsValue: "x.bad.example", ObsField: "dns.rrname",
			IndType: "domain", IndValue: "bad.example", Feeds: []string{"et-open", "analyst"},
			FeedIDs: []string{"1", "2"}, Confidence: 70,
			Severity: []string{"critical", "high", "medium", "low"}[i%4], Format: "suricata",
			Retrospective: i%10 == 0,
		})
	}
	if err := insertRows(s, "verdicts", verdictColumns, appendVerdicts)(ctx, rows); err != nil {
		t.Fatal(err)
	}
	audit := NewAuditSink(s, nil)
	defer audit.Close()
	var recs []enforce.Record
	for i := range 10 {
		v := rows[i]
		f := &enforce.Finding{EventID: v.EventID, Indicator: v.IndicatorID, Time: v.VerdictTime,
			Department: v.Department, Host: v.Host, Severity: ioc.SeverityHigh}
		id := fmt.Sprintf("act%d", i)
		tgt := enforce.Target{Kind: enforce.BlockDomain, Value: "bad.example"}
		recs = append(recs,
			enforce.Record{Time: v.VerdictTime.Add(time.Second), Event: enforce.EventProposed,
				ActionID: id, Target: tgt, Adapter: "dns-rpz", Actor: "rule:r1", Finding: f},
			enforce.Record{Time: v.VerdictTime.Add(time.Duration(i) * time.Minute),
				Event: enforce.EventApplied, ActionID: id, Op: "apply", Target: tgt,
				Adapter: "dns-rpz", Actor: "system", State: enforce.StateApplied, Finding: f})
	}
	recs = append(recs,
		enforce.Record{Time: at, Event: enforce.EventPolicy, Actor: "user:admin"},
		enforce.Record{Time: rows[11].VerdictTime.Add(time.Minute), Event: enforce.EventFailed,
			ActionID: "act11", Op: "apply", Adapter: "firewall", Actor: "system",
			Target: enforce.Target{Kind: enforce.BlockIP, Value: "198.51.100.1"},
			Error:  "device refused", Finding: &enforce.Finding{EventID: rows[11].EventID,
				Indicator: rows[11].IndicatorID, Time: rows[11].VerdictTime,
				Department: rows[11].Department}})
	if err := audit.Write(ctx, recs); err != nil {
		t.Fatal(err)
	}
}

func TestDashboards_EveryPanelRunsOnSeededData(t *testing.T) {
	s := openStore(t, testConfig(t, sharedServer(t)))
	at := time.Now().UTC().Truncate(time.Hour).Add(-3 * time.Hour)
	seed(t, s, at)
	dir := filepath.Join("..", "..", "deploy", "grafana", "dashboards")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) < 4 {
		t.Fatalf("dashboards: got %v (%v), want 4 files", files, err)
	}
	vars := map[string]string{"department": "finance", "feed": "et-open"}
	from, to := at.Add(-time.Hour), time.Now()
	panels := 0
	for _, file := range files {
		var d dashboard
		b, err := os.ReadFile(file)
		if err == nil {
			err = json.Unmarshal(b, &d)
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, v := range d.Templating.List {
			if v.Type != "query" {
				continue
			}
			q := expand(v.Query, s.cfg.Database, from, to, vars)
			res := runPanel(t, s, q)
			if len(res.rows) == 0 || !contains(res.rows, vars[v.Name]) {
				t.Errorf("%s: variable %s: got %v, want a list holding %q", d.Title, v.Name,
					res.rows, vars[v.Name])
			}
		}
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				panels++
				q := expand(tg.RawSQL, s.cfg.Database, from, to, vars)
				if strings.Contains(q, "$") {
					t.Errorf("%s / %s: unexpanded macro in %s", d.Title, p.Title, q)
					continue
				}
				checkShape(t, d.Title+" / "+p.Title, p.Type, runPanel(t, s, q))
			}
		}
	}
	t.Logf("%d panels ran", panels)
	kpis, err := s.KPIs(context.Background(), from, to)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range kpis {
		// Actions 0..9 are on verdicts 0..9, half of each department;
		// action i was applied i minutes after its verdict.
		if k.Verdicts != 20 || k.Contained != 5 {
			t.Errorf("KPI %s: got %d verdicts, %d contained; want 20, 5", k.Department,
				k.Verdicts, k.Contained)
		}
	}
	if len(kpis) != 2 {
		t.Errorf("KPIs: got %d departments, want 2", len(kpis))
	}
}

// result is a query's column names and types and its rows as text.
type result struct {
	names, types []string
	rows         [][]string
}

func runPanel(t *testing.T, s *Store, q string) result {
	t.Helper()
	rows, err := s.conn.Query(context.Background(), q)
	if err != nil {
		t.Errorf("query failed: %v\n%s", err, q)
		return result{}
	}
	defer rows.Close()
	var r result
	r.names = rows.Columns()
	for _, ct := range rows.ColumnTypes() {
		r.types = append(r.types, ct.DatabaseTypeName())
	}
	for rows.Next() {
		vals := make([]any, len(r.names))
		for i, ct := range rows.ColumnTypes() {
			vals[i] = newScanTarget(ct.DatabaseTypeName())
		}
		if err := rows.Scan(vals...); err != nil {
			t.Errorf("scan: %v\n%s", err, q)
			return r
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			row[i] = fmt.Sprint(derefAny(v))
		}
		r.rows = append(r.rows, row)
	}
	if err := rows.Err(); err != nil {
		t.Errorf("rows: %v\n%s", err, q)
	}
	return r
}

func newScanTarget(typ string) any {
	switch {
	case strings.HasPrefix(typ, "DateTime"):
		return new(time.Time)
	case typ == "String", strings.HasPrefix(typ, "Enum"):
		return new(string)
	case typ == "Float64":
		return new(float64)
	case typ == "UInt8":
		return new(uint8)
	case typ == "UInt32":
		return new(uint32)
	case typ == "UInt64":
		return new(uint64)
	}
	return new(any)
}

func derefAny(v any) any {
	switch p := v.(type) {
	case *time.Time:
		return *p
	case *string:
		return *p
	case *float64:
		return *p
	case *uint8:
		return *p
	case *uint32:
		return *p
	case *uint64:
		return *p
	case *any:
		return *p
	}
	return v
}

func isNumeric(typ string) bool {
	return strings.HasPrefix(typ, "UInt") || strings.HasPrefix(typ, "Int") ||
		strings.HasPrefix(typ, "Float")
}

// checkShape checks a panel's result against what its visualisation
// needs: a time series starts with a DateTime column named time and has
// numbers after it; a stat is one row of numbers; a bar chart is labels
// and numbers; a table has rows.
func checkShape(t *testing.T, name, typ string, r result) {
	t.Helper()
	if len(r.rows) == 0 {
		t.Errorf("%s: no rows on seeded data", name)
		return
	}
	switch typ {
	case "timeseries":
		if r.names[0] != "time" || r.types[0] != "DateTime" || len(r.names) < 2 {
			t.Errorf("%s: columns %v %v, want time DateTime then values", name, r.names, r.types)
		}
		for i, typ := range r.types[1:] {
			if !isNumeric(typ) {
				t.Errorf("%s: column %s is %s, want a number", name, r.names[i+1], typ)
			}
		}
	case "stat":
		if len(r.rows) != 1 || len(r.types) != 1 || !isNumeric(r.types[0]) {
			t.Errorf("%s: got %v %v rows %v, want one number", name, r.names, r.types, r.rows)
		}
		if r.rows[0][0] == "0" {
			t.Errorf("%s: got 0 on seeded data", name)
		}
	case "barchart":
		if len(r.types) != 2 || r.types[0] != "String" || !isNumeric(r.types[1]) {
			t.Errorf("%s: columns %v %v, want a label and a number", name, r.names, r.types)
		}
	case "table":
		if len(r.names) < 2 {
			t.Errorf("%s: columns %v, want at least two", name, r.names)
		}
	default:
		t.Errorf("%s: panel type %q has no shape check", name, typ)
	}
}

func contains(rows [][]string, v string) bool {
	for _, r := range rows {
		if len(r) > 0 && r[0] == v {
			return true
		}
	}
	return false
}
