package clickhouse

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Store is a connection pool to ClickHouse with iocflow's schema in one
// database: it applies migrations and runs the queries of retro-hunting and
// the KPIs. Sinks write through it. It is safe for concurrent use.
type Store struct {
	conn   driver.Conn
	cfg    Config
	db     string // quoted database identifier
	logger *slog.Logger
}

// Open connects to the servers of cfg (which Defaults has filled and
// Validate accepted) and checks that one answers. It neither creates nor
// migrates anything; see Migrate. logger nil discards.
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	password, err := readPassword(cfg.PasswordFile)
	if err != nil {
		return nil, err
	}
	conn, err := ch.Open(&ch.Options{
		Addr:        cfg.Addr,
		Protocol:    ch.Native,
		Auth:        ch.Auth{Username: cfg.Username, Password: password},
		DialTimeout: cfg.Timeout,
		ReadTimeout: cfg.Timeout,
		// Inserts of a few MiB compress well; LZ4 costs little CPU and
		// every server since 1.1 reads it.
		Compression:     &ch.Compression{Method: ch.CompressionLZ4},
		MaxOpenConns:    8,
		MaxIdleConns:    4,
		ConnMaxLifetime: 0,
	})
	if err != nil {
		return nil, fmt.Errorf("open clickhouse: %w", err)
	}
	s := &Store{conn: conn, cfg: cfg, db: quoteIdent(cfg.Database), logger: logger}
	pctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	if err := conn.Ping(pctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("ping clickhouse %s: %w", strings.Join(cfg.Addr, ","), err)
	}
	return s, nil
}

// Close releases the connections.
func (s *Store) Close() error { return s.conn.Close() }

// Config returns the configuration the store was opened with.
func (s *Store) Config() Config { return s.cfg }

// Ping reports whether a server answers.
func (s *Store) Ping(ctx context.Context) error { return s.conn.Ping(ctx) }

// ServerVersion returns the version the server reports, such as "18.16.1".
func (s *Store) ServerVersion() (string, error) {
	v, err := s.conn.ServerVersion()
	if err != nil {
		return "", fmt.Errorf("read server version: %w", err)
	}
	return fmt.Sprintf("%d.%d.%d", v.Version.Major, v.Version.Minor, v.Version.Patch), nil
}

// exec runs one statement with the configured timeout.
func (s *Store) exec(ctx context.Context, query string) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	return s.conn.Exec(ctx, query)
}

// table returns the quoted, database-qualified name of an iocflow table.
func (s *Store) table(name string) string { return s.db + "." + quoteIdent(name) }

func readPassword(file string) (string, error) {
	if file == "" {
		return os.Getenv("IOCFLOW_CLICKHOUSE_PASSWORD"), nil
	}
	f, err := os.Open(file)
	if err != nil {
		return "", fmt.Errorf("read clickhouse password: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan()
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read clickhouse password %s: %w", file, err)
	}
	return strings.TrimRight(sc.Text(), "\r"), nil
}

// quoteIdent quotes a name with back quotes for ClickHouse.
func quoteIdent(s string) string {
	return "`" + strings.NewReplacer("\\", "\\\\", "`", "\\`").Replace(s) + "`"
}

// quoteString writes s as a ClickHouse string literal. The server reads
// backslash escapes in literals, so backslash and quote are escaped, and
// control bytes too so that the query text stays one readable line.
func quoteString(b *strings.Builder, s string) {
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '\'':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case 0:
			b.WriteString(`\0`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
}
