package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// binary is the iocflow command built once for the tests that run it the
// way a user does.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "iocflow-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	binary = filepath.Join(dir, "iocflow")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build iocflow: %v\n%s", err, out)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is one run of the binary.
type result struct {
	verdicts []map[string]any
	stderr   string
	code     int
}

func runIOCFlow(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run %v: %v", args, err)
	}
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var v map[string]any
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("verdict line %q is not JSON: %v", sc.Text(), err)
		}
		r.verdicts = append(r.verdicts, v)
	}
	return r
}

// runText runs the binary and returns its standard output and exit status.
func runText(t *testing.T, args ...string) (string, int) {
	t.Helper()
	out, err := exec.Command(binary, args...).Output()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	case err != nil:
		t.Fatalf("run %v: %v", args, err)
	}
	return string(out), 0
}

// key renders what a verdict says in one line: where, what matched, which
// indicator and which feed entries vouch for it.
func key(v map[string]any) string {
	obs := v["observable"].(map[string]any)
	ind := v["indicator"].(map[string]any)
	var feeds []string
	for _, f := range ind["feeds"].([]any) {
		fm := f.(map[string]any)
		feeds = append(feeds, fmt.Sprint(fm["feed"], "#", fm["id"]))
	}
	origin := filepath.Base(fmt.Sprint(v["origin"]))
	return fmt.Sprintf("%s %s=%s -> %s [%s]", origin, obs["field"], obs["value"], ind["id"],
		strings.Join(feeds, " "))
}

func keys(vs []map[string]any) []string {
	var out []string
	for _, v := range vs {
		out = append(out, key(v))
	}
	slices.Sort(out)
	return out
}

func assertKeys(t *testing.T, got []map[string]any, want []string) {
	t.Helper()
	g := keys(got)
	slices.Sort(want)
	if !slices.Equal(g, want) {
		t.Errorf("verdicts:\n  %s\nwant:\n  %s", strings.Join(g, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestRun_BadInputKeepsGoing(t *testing.T) {
	dir := t.TempDir()
	feed := filepath.Join(dir, "mine.txt")
	os.WriteFile(feed, []byte("198.18.0.7\n300.1.1.1\nevil.zz\n"), 0o644)
	events := strings.Join([]string{
		`{"event_type":"flow","src_ip":"10.0.0.1","dest_ip":"198.18.0.7"}`,
		`{"event_type":"flow","src_ip":`,
		`not json at all`,
		``,
		`{"event_type":"dns","dns":{"type":"query","rrname":"a.EVIL.zz."}}`,
	}, "\n")
	r := runIOCFlow(t, events, "run", "--feeds", feed)
	assertKeys(t, r.verdicts, []string{
		"stdin:1 dest_ip=198.18.0.7 -> ipv4:198.18.0.7 [mine#line 1]",
		"stdin:5 dns.rrname=a.evil.zz -> domain:evil.zz [mine#line 3]",
	})
	for _, want := range []string{
		`"origin":"stdin:2"`, `"origin":"stdin:3"`,
		"events: 4 read, 2 decoded (suricata 2), 2 malformed",
		"indicators: 2 loaded (ipv4 1, domain 1) from 1 feed; 1 rejected",
		`rejected: feed "mine": line 2: "300.1.1.1"`,
		"verdicts: 2 written",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if r.code != exitOK {
		t.Errorf("exit status %d, want %d", r.code, exitOK)
	}
	strict := runIOCFlow(t, events, "run", "--strict", "--feeds", feed)
	if strict.code != exitRejected || len(strict.verdicts) != 2 {
		t.Errorf("--strict: exit %d with %d verdicts, want %d with 2",
			strict.code, len(strict.verdicts), exitRejected)
	}
}

func TestRun_UsageAndIOErrors(t *testing.T) {
	dir := t.TempDir()
	feed := filepath.Join(dir, "f.txt")
	os.WriteFile(feed, []byte("198.18.0.7\n"), 0o644)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no feeds", []string{"run"}, "no feeds"},
		{"missing feed", []string{"run", "--feeds", filepath.Join(dir, "nope")}, "no such file"},
		{"missing input", []string{"run", "--feeds", feed, "--input", filepath.Join(dir, "x")},
			"no such file"},
		{"bad format", []string{"run", "--feeds", feed, "--format", "xml"}, "unknown --format"},
		{"bad map", []string{"run", "--feeds", feed, "--map", "a=b"}, "unknown observable type"},
		{"output folder", []string{"run", "--feeds", feed, "--output", dir}, "write output"},
		{"unknown command", []string{"frobnicate"}, "unknown command"},
	}
	for _, c := range cases {
		r := runIOCFlow(t, "", c.args...)
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if r.code != exitUsage || !strings.Contains(r.stderr, c.want) || len(lines) > 3 ||
			strings.Contains(r.stderr, "goroutine") {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and a short error containing %q",
				c.name, r.code, r.stderr, c.want)
		}
	}
}

func TestRun_OutputFile(t *testing.T) {
	dir := t.TempDir()
	feed := filepath.Join(dir, "f.txt")
	out := filepath.Join(dir, "verdicts.jsonl")
	os.WriteFile(feed, []byte("198.18.0.7\n"), 0o644)
	r := runIOCFlow(t, `{"source":{"ip":"198.18.0.7"},"event":{"id":"e-1"}}`,
		"run", "--feeds", feed, "--output", out, "--input", "-")
	data, err := os.ReadFile(out)
	if err != nil || r.code != exitOK || len(r.verdicts) != 0 {
		t.Fatalf("exit %d, %d verdicts on stdout, read output: %v", r.code, len(r.verdicts), err)
	}
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil || v["event_id"] != "e-1" {
		t.Errorf("output file holds %q, want one verdict for event e-1", data)
	}
}
