package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/iocflow/iocflow/internal/logkey"
	"github.com/iocflow/iocflow/sinks/clickhouse"
)

// chFlags are the flags that name the ClickHouse store.
type chFlags struct {
	addr, database string
	level          levelFlag
}

func (c *chFlags) register(fs *flag.FlagSet) {
	c.level = levelFlag{slog.LevelWarn}
	addr := os.Getenv("CLICKHOUSE_ADDR") // what deploy/clickhouse.sh start prints
	if addr == "" {
		addr = "127.0.0.1:9000"
	}
	fs.StringVar(&c.addr, "clickhouse", addr,
		"ClickHouse native-protocol `host:port` list, comma-separated (default $CLICKHOUSE_ADDR "+
			"when set); the password comes from IOCFLOW_CLICKHOUSE_PASSWORD")
	fs.StringVar(&c.database, "database", "iocflow", "ClickHouse `database` of iocflow's tables")
	fs.Var(&c.level, "log-level", "log `level`: debug, info, warn or error")
}

// open connects and brings the schema up to date.
func (c *chFlags) open(ctx context.Context, logger *slog.Logger) (*clickhouse.Store, error) {
	cfg := clickhouse.Config{Addr: strings.Split(c.addr, ","), Database: c.database}
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, &usageError{msg: err.Error()}
	}
	store, err := clickhouse.Open(ctx, cfg, logger.With(logkey.Component, "sinks/clickhouse"))
	if err != nil {
		return nil, err
	}
	if _, err := store.Migrate(ctx); err != nil {
		store.Close()
		return nil, err
	}
	return store, nil
}

// parseSince reads a look-back such as 30d, 12h or 90m.
func parseSince(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 {
			return 0, &usageError{msg: fmt.Sprintf("--since %q: want days such as 30d", s)}
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, &usageError{msg: fmt.Sprintf("--since %q: want a duration such as 30d or 12h", s)}
	}
	return d, nil
}

func cmdKPI(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	var ch chFlags
	var since string
	fs := flag.NewFlagSet("iocflow kpi", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ch.register(fs)
	fs.StringVar(&since, "since", "24h", "report the hours of this `look-back` (30d, 12h)")
	if err := fs.Parse(args); err != nil {
		return exitUsage, err
	}
	if fs.NArg() > 0 {
		return exitUsage, &usageError{msg: fmt.Sprintf("kpi: unexpected argument %q", fs.Arg(0))}
	}
	d, err := parseSince(since)
	if err != nil {
		return exitUsage, err
	}
	store, err := ch.open(ctx, newLogger(stderr, ch.level.Level))
	if err != nil {
		return exitUsage, err
	}
	defer store.Close()
	to := time.Now()
	kpis, err := store.KPIs(ctx, to.Add(-d), to)
	if err != nil {
		return exitUsage, err
	}
	printKPIs(stdout, kpis, to.Add(-d).Truncate(time.Hour), to)
	return exitOK, nil
}

func printKPIs(w io.Writer, kpis []clickhouse.KPI, from, to time.Time) {
	fmt.Fprintf(w, "KPIs per department, hours from %s to %s (UTC)\n\n",
		from.UTC().Format("2006-01-02 15:04"), to.UTC().Format("2006-01-02 15:04"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "department\tverdicts\tcritical\thigh\tmedium\tlow\tretro\tevents\thosts\t"+
		"users\tdetected<=1m\tmax detect\tcontained\tcontained<=5m\tmax contain\t")
	for _, k := range kpis {
		dept := k.Department
		if dept == "" {
			dept = "(none)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%d\t%s\t%s\t\n",
			dept, k.Verdicts, k.Critical, k.High, k.Medium, k.Low, k.Retrospective, k.Events,
			k.Hosts, k.Users, percent(k.DetectedIn1m, k.Verdicts), k.DetectMax, k.Contained,
			percent(k.ContainedIn5m, k.Contained), k.ContainMax)
	}
	tw.Flush()
	if len(kpis) == 0 {
		fmt.Fprintln(w, "no verdicts in the range")
	}
}

func percent(share float64, n uint64) string {
	if n == 0 {
		return "-"
	}
	return strconv.FormatFloat(100*share, 'f', 1, 64) + "%"
}
