package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iocflow/iocflow/feeds/store"
	"github.com/iocflow/iocflow/feeds/upload"
)

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func runFeeds(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := runMain(context.Background(), append([]string{"feeds"}, args...), nil, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestFeedsValidate_Files(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, file string
		code       int
		want       []string
	}{
		{"csv with rejects", "../../feeds/upload/testdata/upload.csv", exitRejected,
			[]string{"csv: 3 indicators, 1 rejected", `line 6: "not-a-hash-at-all": sha256`}},
		{"json upload", "../../feeds/upload/testdata/upload.json", exitRejected,
			[]string{"json: 4 indicators, 7 rejected",
				`item 6 (line 8): "1.2.3.4": confidence 101`}},
		{"clean list", writeFile(t, "ok.txt", "evil[.]example\n10.0.0.1\n"), exitOK,
			[]string{"list: 2 indicators, 0 rejected"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runFeeds("validate", c.file)
			if code != c.code {
				t.Errorf("exit %d, want %d; stdout %s stderr %s", code, c.code, out, errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestFeedsValidate_Usage(t *testing.T) {
	t.Parallel()
	cases := [][]string{{}, {"validate"}, {"validate", "a", "b"}, {"frobnicate"},
		{"validate", "/nonexistent/file"}, {"upload", "x.txt"}}
	for _, args := range cases {
		if code, _, _ := runFeeds(args...); code != exitUsage {
			t.Errorf("feeds %q: exit %d, want %d", args, code, exitUsage)
		}
	}
}

func TestFeedsUpload_AgainstAPI(t *testing.T) {
	t.Parallel()
	st, err := store.New(store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const token = "curator-token-for-cli-test"
	tokens, err := upload.ParseTokens(strings.NewReader(token + " curator\n"))
	if err != nil {
		t.Fatal(err)
	}
	h := upload.New(upload.Config{MaxBody: 1 << 20}, tokens, st, nil)
	srv := httptest.NewServer(h)
	defer srv.Close()
	tokenFile := writeFile(t, "token", "# mine\n"+token+" curator\n")
	file := writeFile(t, "mine.csv", "value,confidence\nevil[.]example,90\nbad,50\n")

	code, out, errOut := runFeeds("upload", file, "--server", srv.URL, "--token-file", tokenFile)
	if code != exitRejected {
		t.Fatalf("exit %d, want %d (one rejected); stdout %s stderr %s",
			code, exitRejected, out, errOut)
	}
	for _, w := range []string{"csv: 1 accepted (1 added", "1 rejected", `line 3: "bad":`} {
		if !strings.Contains(out, w) {
			t.Errorf("stdout lacks %q:\n%s", w, out)
		}
	}
	if _, ok := st.Get("domain:evil.example"); !ok {
		t.Error("uploaded indicator not in force")
	}

	bad := writeFile(t, "bad-token", "wrong-token-0123456789\n")
	code, _, errOut = runFeeds("upload", "--server", srv.URL, "--token-file", bad, file)
	if code != exitUsage || !strings.Contains(errOut, "401") {
		t.Errorf("wrong token: exit %d stderr %q, want %d and a 401", code, errOut, exitUsage)
	}
}

func TestProgress_OnlyOnTerminal(t *testing.T) {
	t.Parallel()
	f, err := os.Open("../../feeds/upload/testdata/upload.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	p := withProgress(f, "upload.csv", &buf)
	if _, err := p.Read(make([]byte, 64)); err != nil {
		t.Fatal(err)
	}
	p.done()
	if buf.Len() != 0 {
		t.Errorf("progress written to a non-terminal: %q", buf.String())
	}

	shown := &progressReader{r: strings.NewReader(strings.Repeat("x", 3<<20)), w: &buf,
		label: "big", total: 3 << 20}
	chunk := make([]byte, 1<<20)
	for range 3 {
		shown.Read(chunk)
	}
	shown.done()
	got := buf.String()
	if !strings.Contains(got, "3.0 of 3.0 MiB (100%)") || !strings.HasSuffix(got, "\n") {
		t.Errorf("progress on a terminal = %q", got)
	}
}
