package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/iocflow/iocflow/feeds/allowlist"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/iocflow/iocflow/feeds/schedule"
	"github.com/iocflow/iocflow/feeds/upload"
)

// tokenEnv holds the bearer token of "feeds upload" when no file is given.
const tokenEnv = "IOCFLOW_TOKEN"

// uploadTimeout bounds one upload, large files included.
const uploadTimeout = 10 * time.Minute

const feedsUsage = `usage:
  iocflow feeds validate FILE
      parse FILE as a feed or an upload and list every rejected record
      with its reason; exit status 1 when any was rejected
  iocflow feeds upload FILE --server URL [--token-file F]
      send FILE (JSON array, CSV with a header, or one value a line) to
      the upload API at URL; the token comes from F or $IOCFLOW_TOKEN
  iocflow feeds publish --config FILE --feeds PATH...
      publish what changed in feed files to the indicator topic; with
      sinks.clickhouse.hunt_on_arrival, hunt the published indicators
`

// cmdFeeds runs "iocflow feeds ...".
func cmdFeeds(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	if len(args) == 0 {
		fmt.Fprint(stderr, feedsUsage)
		return exitUsage, nil
	}
	switch args[0] {
	case "validate":
		return cmdFeedsValidate(args[1:], stdout, stderr)
	case "upload":
		return cmdFeedsUpload(ctx, args[1:], stdout, stderr)
	case "publish":
		return cmdFeedsPublish(ctx, args[1:], stdout, stderr) // serve.go
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, feedsUsage)
		return exitOK, nil
	}
	return exitUsage, &usageError{msg: fmt.Sprintf("feeds: unknown command %q", args[0])}
}

// parseInterspersed parses flags given before or after the one FILE
// argument, which the flag package alone stops at.
func parseInterspersed(fs *flag.FlagSet, args []string) (string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return "", err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != 1 {
		return "", &usageError{msg: fmt.Sprintf("%s: want one FILE, got %d arguments",
			fs.Name(), len(pos))}
	}
	return pos[0], nil
}

func cmdFeedsValidate(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("feeds validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: iocflow feeds validate FILE\n"+
			"  parse FILE as a feed or an upload and list every rejected record with its\n"+
			"  reason; exit status 1 when any was rejected\n")
	}
	name, err := parseInterspersed(fs, args)
	if err != nil {
		return exitUsage, err
	}
	f, err := os.Open(name)
	if err != nil {
		return exitUsage, fmt.Errorf("validate: %w", err)
	}
	defer f.Close()
	r := withProgress(f, name, stderr)
	base := filepath.Base(name)
	feed := strings.TrimSuffix(base, filepath.Ext(base))
	res, err := schedule.Read(feed, base, r, feedFormats, "")
	r.done()
	if err != nil {
		return exitUsage, fmt.Errorf("validate %s: %w", name, err)
	}
	fmt.Fprintf(stdout, "%s: %s: %d indicators, %d rejected, %d not enforced\n",
		name, res.Format, len(res.Indicators), len(res.Rejects), len(res.NotEnforced))
	for _, rj := range res.Rejects {
		fmt.Fprintf(stdout, "%s: %s: %s\n", name, rj.Position, describe(rj.Value, rj.Reason))
	}
	for _, ne := range res.NotEnforced {
		fmt.Fprintf(stdout, "%s: %s: not enforced: %s\n", name, ne.Position, ne.Reason)
	}
	// Values the shipped allowlist drops are valid, but a person checking a
	// file wants to know that a default deployment will never match them.
	defaults := allowlist.Default()
	for _, in := range res.Indicators {
		if reason, ok := defaults.Allows(in.Type, in.Value); ok {
			fmt.Fprintf(stdout, "%s: %s: the default allowlist drops %s: %s\n",
				name, in.Sources[0].ID, in.ID, reason)
		}
	}
	if len(res.Rejects) > 0 {
		return exitRejected, nil
	}
	return exitOK, nil
}

func describe(value, reason string) string {
	if value == "" {
		return reason
	}
	return fmt.Sprintf("%q: %s", clipValue(value), reason)
}

func clipValue(s string) string {
	if len(s) > 128 {
		return s[:128] + "..."
	}
	return s
}

type uploadFlags struct {
	server, tokenFile string
}

func cmdFeedsUpload(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	var uf uploadFlags
	fs := flag.NewFlagSet("feeds upload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&uf.server, "server", "", "base `URL` of the iocflow API (required)")
	fs.StringVar(&uf.tokenFile, "token-file", "",
		"`file` holding the bearer token (default $"+tokenEnv+")")
	name, err := parseInterspersed(fs, args)
	if err != nil {
		return exitUsage, err
	}
	endpoint, token, err := uf.resolve()
	if err != nil {
		return exitUsage, err
	}
	f, err := os.Open(name)
	if err != nil {
		return exitUsage, fmt.Errorf("upload: %w", err)
	}
	defer f.Close()
	contentType, err := uploadContentType(f)
	if err != nil {
		return exitUsage, fmt.Errorf("upload %s: %w", name, err)
	}
	body := withProgress(f, name, stderr)
	defer body.done()
	return postUpload(ctx, endpoint, token, contentType, body, name, stdout)
}

// resolve returns the upload endpoint and the token.
func (uf *uploadFlags) resolve() (string, string, error) {
	if uf.server == "" {
		return "", "", &usageError{msg: "feeds upload: --server is required"}
	}
	u, err := url.Parse(uf.server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", &usageError{msg: "feeds upload: --server must be an http or https URL"}
	}
	token := os.Getenv(tokenEnv)
	if uf.tokenFile != "" {
		if token, err = readToken(uf.tokenFile); err != nil {
			return "", "", err
		}
	}
	if token == "" {
		return "", "", &usageError{
			msg: "feeds upload: no token: give --token-file or set " + tokenEnv}
	}
	return strings.TrimSuffix(u.String(), "/") + "/api/v1/indicators", token, nil
}

// readToken returns the first token of a token file: the first field of
// its first line that is not blank or a comment, so that a line of the
// server's "token role" file works as it is.
func readToken(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("read token: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && line[0] != '#' {
			return strings.Fields(line)[0], nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read token %s: %w", path, err)
	}
	return "", fmt.Errorf("read token %s: no token in the file", path)
}

// uploadContentType sniffs f the way the server would and returns the
// Content-Type that names its format; f is left at its start.
func uploadContentType(f *os.File) (string, error) {
	head := make([]byte, 4096)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	types := map[string]string{"json": "application/json", "csv": "text/csv", "list": "text/plain"}
	for _, fm := range upload.Formats {
		if fm.Sniff(filepath.Base(f.Name()), head[:n]) {
			return types[fm.Name()] + "; charset=utf-8", nil
		}
	}
	return "", errors.New("not a JSON array, a CSV list with a header or a plain list")
}

func postUpload(ctx context.Context, endpoint, token, contentType string, body io.Reader,
	name string, stdout io.Writer) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, uploadTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, body)
	if err != nil {
		return exitUsage, fmt.Errorf("upload: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return exitUsage, fmt.Errorf("upload %s: %w", name, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return exitUsage, fmt.Errorf("upload %s: read response: %w", name, err)
	}
	var ur upload.UploadResponse
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusUnprocessableEntity ||
		json.Unmarshal(data, &ur) != nil {
		return exitUsage, fmt.Errorf("upload %s: server answered %s: %s", name, resp.Status,
			serverMessage(data))
	}
	fmt.Fprintf(stdout, "%s: %s: %d accepted (%d added, %d updated, %d unchanged), %d rejected\n",
		name, ur.Format, ur.Accepted, ur.Added, ur.Updated, ur.Unchanged, len(ur.Rejected))
	for _, rj := range ur.Rejected {
		fmt.Fprintf(stdout, "%s: %s: %s\n", name, rj.Position, describe(rj.Value, rj.Reason))
	}
	if len(ur.Rejected) > 0 {
		return exitRejected, nil
	}
	return exitOK, nil
}

// serverMessage returns the "error" of a JSON error body, or the start of
// any other body.
func serverMessage(data []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(data, &e) == nil && e.Error != "" {
		return e.Error
	}
	return clipValue(strings.TrimSpace(string(data)))
}

// progressReader reports on a terminal how much of a file has been read,
// at most a few times a second, and says nothing anywhere else.
type progressReader struct {
	r     io.Reader
	w     io.Writer // nil: no progress shown
	label string
	total int64
	read  int64
	last  time.Time
}

// withProgress wraps f so that reading it shows progress on stderr when
// stderr is a terminal.
func withProgress(f *os.File, label string, stderr io.Writer) *progressReader {
	p := &progressReader{r: f, label: label}
	if ef, ok := stderr.(*os.File); ok && isTerminal(ef) {
		p.w = stderr
		if fi, err := f.Stat(); err == nil {
			p.total = fi.Size()
		}
	}
	return p
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.read += int64(n)
	if p.w != nil && time.Since(p.last) >= 200*time.Millisecond {
		p.last = time.Now()
		p.show()
	}
	return n, err
}

func (p *progressReader) show() {
	const mib = 1 << 20
	if p.total > 0 {
		fmt.Fprintf(p.w, "\riocflow: reading %s: %.1f of %.1f MiB (%d%%) ", p.label,
			float64(p.read)/mib, float64(p.total)/mib, p.read*100/p.total)
		return
	}
	fmt.Fprintf(p.w, "\riocflow: reading %s: %.1f MiB ", p.label, float64(p.read)/mib)
}

// done ends the progress line, if one was shown.
func (p *progressReader) done() {
	if p.w == nil || p.last.IsZero() {
		return
	}
	p.show()
	fmt.Fprintln(p.w)
	p.last = time.Time{}
}
