package clickhouse

import (
	"strings"
	"testing"
)

func TestConfig_ValidateReportsEveryProblem(t *testing.T) {
	c := Config{Addr: []string{"nohost"}, Database: "bad-name", BatchRows: 100, MaxPendingRows: 10}
	c.Defaults()
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate: got nil, want errors")
	}
	for _, key := range []string{"clickhouse.addr[0]", "clickhouse.database",
		"clickhouse.max_pending_rows"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("Validate: %q does not name %s", err, key)
		}
	}
	var ok Config
	ok.Defaults()
	if err := ok.Validate(); err != nil {
		t.Errorf("defaults: got %v, want valid", err)
	}
}

func TestMigrations_SplitIntoStatements(t *testing.T) {
	ms, err := Migrations("iocflow")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || ms[0].Version != 1 {
		t.Fatalf("migrations: got %+v, want version 1 first", ms)
	}
	for _, m := range ms {
		for i, st := range m.Statements {
			if strings.Contains(st, "{db}") || strings.HasSuffix(st, ";") ||
				strings.Contains(st, "--") {
				t.Errorf("%s statement %d not clean: %q", m.Name, i+1, st)
			}
			if strings.HasPrefix(st, "INSERT") {
				t.Errorf("%s statement %d: migrations insert no data", m.Name, i+1)
			}
		}
	}
	if n := len(ms[0].Statements); n != 9 {
		t.Errorf("0001 statements: got %d, want 9", n)
	}
}

func TestQuoteString_EscapesForClickHouse(t *testing.T) {
	var b strings.Builder
	quoteString(&b, "a'b\\c\nd")
	if got, want := b.String(), `'a\'b\\c\nd'`; got != want {
		t.Errorf("quoteString: got %s, want %s", got, want)
	}
}
