package clickhouse

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
)

// The migrations are embedded so that the binary carries its schema; they
// live beside this file because go:embed reaches no further.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// Migration is one numbered step of the schema.
type Migration struct {
	Version    int
	Name       string
	Statements []string
}

// Migrations returns the embedded migrations in version order, with {db}
// replaced by the quoted database name.
func Migrations(database string) ([]Migration, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	var ms []Migration
	for _, n := range names {
		base := path.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and _", base)
		}
		text, err := migrationFS.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", base, err)
		}
		sql := strings.ReplaceAll(string(text), "{db}", quoteIdent(database))
		ms = append(ms, Migration{Version: v, Name: base, Statements: splitStatements(sql)})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	return ms, nil
}

// splitStatements cuts SQL text at the semicolons that end a line, and
// drops comment lines. The migrations are written so that no literal holds
// ";\n" or "--".
func splitStatements(sql string) []string {
	var out []string
	var cur strings.Builder
	for line := range strings.SplitSeq(sql, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// Migrate creates the database when missing and applies the migrations
// not yet recorded in its schema_migrations table, in order. Every
// statement is idempotent (IF NOT EXISTS, or a column added twice taken
// as done), so two processes migrating at once, or a migration cut short
// and run again, end in the same schema.
// It returns the versions it applied.
func (s *Store) Migrate(ctx context.Context) ([]int, error) {
	if err := s.exec(ctx, "CREATE DATABASE IF NOT EXISTS "+s.db); err != nil {
		return nil, fmt.Errorf("create database: %w", err)
	}
	err := s.exec(ctx, "CREATE TABLE IF NOT EXISTS "+s.table("schema_migrations")+
		" (version UInt32, name String, applied_at DateTime)"+
		" ENGINE = ReplacingMergeTree() ORDER BY version")
	if err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	done, err := s.appliedVersions(ctx)
	if err != nil {
		return nil, err
	}
	ms, err := Migrations(s.cfg.Database)
	if err != nil {
		return nil, err
	}
	var applied []int
	for _, m := range ms {
		if done[m.Version] {
			continue
		}
		if err := s.apply(ctx, m); err != nil {
			return applied, err
		}
		applied = append(applied, m.Version)
	}
	return applied, nil
}

func (s *Store) appliedVersions(ctx context.Context) (map[int]bool, error) {
	rows, err := s.conn.Query(ctx, "SELECT DISTINCT version FROM "+s.table("schema_migrations"))
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	done := map[int]bool{}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		done[int(v)] = true
	}
	return done, rows.Err()
}

func (s *Store) apply(ctx context.Context, m Migration) error {
	for i, st := range m.Statements {
		if err := s.exec(ctx, st); err != nil && !isDuplicateColumn(err) {
			return fmt.Errorf("migration %s: statement %d: %w", m.Name, i+1, err)
		}
	}
	// Over the native protocol the rows of an INSERT travel as a data
	// block; 18.16 does not take VALUES inline in the query text.
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+s.table("schema_migrations")+
		" (version, name, applied_at)")
	if err == nil {
		err = b.Append(uint32(m.Version), m.Name, time.Now())
	}
	if err == nil {
		err = b.Send()
	}
	if err != nil {
		return fmt.Errorf("migration %s: record: %w", m.Name, err)
	}
	return nil
}

// DropDatabase drops the configured database with every table in it: for
// tests and benchmarks that made one of their own.
func (s *Store) DropDatabase(ctx context.Context) error {
	if err := s.exec(ctx, "DROP DATABASE IF EXISTS "+s.db); err != nil {
		return fmt.Errorf("drop database: %w", err)
	}
	return nil
}

// Error codes of a column added twice: DUPLICATE_COLUMN on current
// servers; 18.16 answers ILLEGAL_COLUMN, which it also uses for other
// faults, so that one is taken only with its "already exists" message.
const (
	codeDuplicateColumn = 15
	codeIllegalColumn   = 44
)

// isDuplicateColumn reports whether err says a column to add exists
// already: ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS, so a
// migration that adds one and is run again (cut short, or by two
// processes at once) meets this and goes on.
func isDuplicateColumn(err error) bool {
	var ex *ch.Exception
	if !errors.As(err, &ex) {
		return false
	}
	return ex.Code == codeDuplicateColumn ||
		ex.Code == codeIllegalColumn && strings.Contains(ex.Message, "already exists")
}
