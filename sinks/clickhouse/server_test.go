//go:build integration

package clickhouse

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// The integration tests run against the server named by CLICKHOUSE_ADDR
// (deploy/test.sh starts one with deploy/clickhouse.sh), or, when it is
// unset, against one they start themselves through that script. Each test
// works in a database of its own, dropped at the end.

// server is one ClickHouse process run through deploy/clickhouse.sh.
type server struct {
	dir  string
	addr string
}

// script returns the path of deploy/clickhouse.sh.
func script(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "deploy", "clickhouse.sh")
}

// startServer starts a server with its data in dir (kept across restarts).
func startServer(t testing.TB, dir string) *server {
	t.Helper()
	s := &server{dir: dir}
	s.run(t, "start")
	return s
}

func (s *server) run(t testing.TB, cmd string) {
	t.Helper()
	c := exec.Command("bash", script(t), cmd)
	c.Env = append(os.Environ(), "CLICKHOUSE_DIR="+s.dir)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Run(); err != nil {
		t.Fatalf("clickhouse.sh %s: %v\n%s", cmd, err, errb.String())
	}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "CLICKHOUSE_ADDR="); ok {
			s.addr = v
		}
	}
}

var (
	sharedOnce sync.Once
	sharedAddr string
	sharedErr  string
)

// sharedServer returns the address of the server the tests share.
func sharedServer(t testing.TB) string {
	t.Helper()
	sharedOnce.Do(func() {
		if a := os.Getenv("CLICKHOUSE_ADDR"); a != "" {
			sharedAddr = a
			return
		}
		dir, err := os.MkdirTemp("", "iocflow-ch-test-")
		if err != nil {
			sharedErr = err.Error()
			return
		}
		s := startServer(t, dir)
		sharedAddr = s.addr
		stopShared = func() {
			exec.Command("bash", script(t), "stop").Run()
			os.RemoveAll(dir)
		}
	})
	if sharedErr != "" {
		t.Fatal(sharedErr)
	}
	return sharedAddr
}

// stopShared stops a server sharedServer started; TestMain calls it.
var stopShared = func() {}

var (
	privateOnce sync.Once
	private     *server
)

// privateServer returns a server that only the tests that stop and start
// it use, one at a time; each leaves it running.
func privateServer(t testing.TB) *server {
	t.Helper()
	privateOnce.Do(func() {
		dir, err := os.MkdirTemp("", "iocflow-ch-private-")
		if err != nil {
			t.Fatal(err)
		}
		private = startServer(t, dir)
	})
	if private == nil {
		t.Fatal("private server did not start")
	}
	return private
}

func TestMain(m *testing.M) {
	code := m.Run()
	stopShared()
	if private != nil {
		c := exec.Command("bash", filepath.Join("..", "..", "deploy", "clickhouse.sh"), "stop")
		c.Env = append(os.Environ(), "CLICKHOUSE_DIR="+private.dir)
		c.Run()
		os.RemoveAll(private.dir)
	}
	os.Exit(code)
}

// testConfig returns a config for addr with a database of the test's own.
func testConfig(t testing.TB, addr string) Config {
	t.Helper()
	var b [4]byte
	rand.Read(b[:])
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, strings.ToLower(t.Name()))
	cfg := Config{Addr: []string{addr}, Database: "t_" + name + "_" + hex.EncodeToString(b[:]),
		FlushInterval: 50 * time.Millisecond, Timeout: 5 * time.Second,
		RetryMax: 500 * time.Millisecond}
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// openStore opens and migrates a store for the test, and drops its
// database at the end.
func openStore(t testing.TB, cfg Config) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, cfg, nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.exec(ctx, "DROP DATABASE IF EXISTS "+s.db)
		s.Close()
	})
	return s
}

// queryUint runs a query that returns one unsigned number.
func queryUint(t testing.TB, s *Store, q string) uint64 {
	t.Helper()
	var n uint64
	if err := s.conn.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// poll calls cond until it holds or the deadline passes.
func poll(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
