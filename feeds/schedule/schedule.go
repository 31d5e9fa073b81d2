// Package schedule refreshes feeds on their intervals: it fetches each
// feed (over HTTP with conditional requests, or from a local file when it
// changed), parses it with the formats it is given, refuses a refresh that
// looks wrong, and puts the rest in force through feeds/store, which
// publishes what changed. A feed whose refresh fails or is refused keeps
// its last good set in force.
//
// A refresh is refused, with a warning, when the feed is not in its
// expected format (the configured one, or the one of its first good load)
// or when it keeps fewer than min_keep of the indicators in force. The same
// collapsed content seen on three refreshes in a row is accepted: the feed
// has really shrunk.
//
// Run starts one goroutine per feed; Refresh may be called concurrently
// with Run, and refreshes of one feed are serialised.
package schedule

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iocflow/iocflow/feeds"
	"github.com/iocflow/iocflow/feeds/allowlist"
	"github.com/iocflow/iocflow/feeds/store"
	"github.com/iocflow/iocflow/internal/logkey"
)

// confirmations is how many refreshes in a row must bring the same
// collapsed content before it is accepted as a real shrink.
const confirmations = 3

// maxReasonLines bounds the lines a refresh logs about what the allowlist
// suppressed, one per entry that did; the refresh line has the total.
const maxReasonLines = 10

// maxFetchTime bounds one refresh; a shorter interval bounds it further.
const maxFetchTime = 10 * time.Minute

// Scheduler refreshes a set of feeds.
type Scheduler struct {
	feeds   []*feed
	byName  map[string]*feed
	formats []feeds.Format
	store   *store.Store
	client  *http.Client
	log     *slog.Logger
	// allow, when set, keeps its values out of every refresh.
	allow *allowlist.List
}

// feed is the state of one scheduled feed.
type feed struct {
	cfg FeedConfig
	mu  sync.Mutex // serialises refreshes; guards the fields below
	// Validators of the last good fetch, sent back on the next request.
	etag, lastModified string
	modTime            time.Time
	size               int64
	format             string // expected format; "" until the first good load
	refused            [sha256.Size]byte
	refusedTimes       int
	// status is replaced whole after each refresh, so that Statuses does
	// not wait for a refresh under way.
	status atomic.Pointer[Status]
}

// Status is what an operator needs to know about one feed.
type Status struct {
	Feed        string    `json:"feed"`
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	// Indicators is the number in force from this feed.
	Indicators int `json:"indicators"`
	// Rejected is the number of records the last good load rejected.
	Rejected int `json:"rejected"`
	// Failures counts refreshes in a row that failed or were refused.
	Failures  int    `json:"failures"`
	LastError string `json:"last_error,omitempty"`
}

// New returns a scheduler for the feeds of cfg, with defaults filled in
// for what cfg leaves unset; cmd validates cfg first. formats is the
// explicit list of formats, tried in order; client nil means a client with
// no other timeout than the refresh's; logger nil discards.
func New(cfg Config, formats []feeds.Format, st *store.Store, client *http.Client,
	logger *slog.Logger) *Scheduler {
	if client == nil {
		client = &http.Client{}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Scheduler{byName: map[string]*feed{}, formats: formats, store: st,
		client: client, log: logger}
	cfg.Feeds = slices.Clone(cfg.Feeds)
	cfg.Defaults()
	for _, fc := range cfg.Feeds {
		f := &feed{cfg: fc, format: fc.Format}
		f.status.Store(&Status{Feed: fc.Name})
		s.feeds = append(s.feeds, f)
		s.byName[fc.Name] = f
	}
	return s
}

// SetAllowlist makes every later refresh drop the indicators l covers
// before the store sees them; each refresh reports how many it dropped and
// why. Call it before Run; l must not change afterwards. Nil filters
// nothing.
func (s *Scheduler) SetAllowlist(l *allowlist.List) { s.allow = l }

// Run refreshes every feed at once and then each on its interval, until
// ctx is done. Failures are logged and counted in the feed's Status; Run
// returns only when ctx is done, after every refresh under way stopped.
func (s *Scheduler) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, f := range s.feeds {
		wg.Go(func() { s.loop(ctx, f) })
	}
	wg.Wait()
	return ctx.Err()
}

func (s *Scheduler) loop(ctx context.Context, f *feed) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// The outcome is logged and kept in the status by refresh.
		_, _ = s.refresh(ctx, f)
		t.Reset(f.cfg.Interval.D())
	}
}

// Statuses returns the status of every feed, in configuration order.
func (s *Scheduler) Statuses() []Status {
	out := make([]Status, 0, len(s.feeds))
	for _, f := range s.feeds {
		out = append(out, *f.status.Load())
	}
	return out
}

// ErrUnknownFeed is returned by Refresh for a name no feed has.
var ErrUnknownFeed = errors.New("no such scheduled feed")

// ErrNotModified is returned by Refresh when the feed has not changed
// since its last good load.
var ErrNotModified = errors.New("feed not modified")

// RefusedError is a refresh that was fetched and parsed but looked wrong;
// the previous set stays in force.
type RefusedError struct {
	Reason string
	// Err is the cause when there is one (a *FormatError,
	// feeds.ErrUnknownFormat), for errors.Is and errors.As.
	Err error
}

func (e *RefusedError) Error() string { return "refresh refused: " + e.Reason }

// Unwrap returns the cause.
func (e *RefusedError) Unwrap() error { return e.Err }

// Report is what a refresh put in force.
type Report struct {
	Indicators, Rejected    int
	Added, Updated, Removed int
	NotEnforced             int
	// Suppressed is the number of indicators the allowlist kept out, and
	// SuppressedBy says by which entries, with an example each.
	Suppressed   int
	SuppressedBy []allowlist.Suppressed
	Format       string
	Duration     time.Duration
}

// Refresh refreshes the named feed now and reports what changed. It
// returns ErrNotModified when the feed did not change, a *RefusedError
// when it looked wrong, and another error when it could not be fetched,
// read or published; in every one of these cases the set in force is
// unchanged.
func (s *Scheduler) Refresh(ctx context.Context, name string) (Report, error) {
	f, ok := s.byName[name]
	if !ok {
		return Report{}, fmt.Errorf("refresh feed %q: %w", name, ErrUnknownFeed)
	}
	return s.refresh(ctx, f)
}

func (s *Scheduler) refresh(ctx context.Context, f *feed) (Report, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, min(f.cfg.Interval.D(), maxFetchTime))
	defer cancel()
	rep, err := s.attempt(ctx, f)
	rep.Duration = time.Since(start)
	st := *f.status.Load()
	st.LastAttempt = start.UTC()
	s.record(f, &st, rep, err)
	f.status.Store(&st)
	if err != nil && !errors.Is(err, ErrNotModified) {
		return rep, fmt.Errorf("refresh feed %q: %w", f.cfg.Name, err)
	}
	return rep, err
}

// record logs the outcome of a refresh and keeps it in the status.
func (s *Scheduler) record(f *feed, st *Status, rep Report, err error) {
	var refused *RefusedError
	log := s.log.With(logkey.Feed, f.cfg.Name)
	switch {
	case err == nil:
		st.LastSuccess, st.Failures, st.LastError = st.LastAttempt, 0, ""
		st.Indicators, st.Rejected = rep.Indicators, rep.Rejected
		log.LogAttrs(context.Background(), slog.LevelInfo, "feed refreshed",
			slog.Int(logkey.Count, rep.Indicators), slog.Int(logkey.Added, rep.Added),
			slog.Int(logkey.Updated, rep.Updated), slog.Int(logkey.Removed, rep.Removed),
			slog.Int(logkey.Rejected, rep.Rejected), slog.Int(logkey.Suppressed, rep.Suppressed),
			slog.String(logkey.Format, rep.Format), slog.Duration(logkey.Duration, rep.Duration))
		for _, sp := range rep.SuppressedBy[:min(len(rep.SuppressedBy), maxReasonLines)] {
			log.LogAttrs(context.Background(), slog.LevelInfo, "indicators suppressed by allowlist",
				slog.String(logkey.Reason, sp.Reason), slog.Int(logkey.Count, sp.Count))
		}
	case errors.Is(err, ErrNotModified):
		st.LastSuccess, st.Failures, st.LastError = st.LastAttempt, 0, ""
		log.Debug("feed not modified")
	case errors.As(err, &refused):
		st.Failures++
		st.LastError = err.Error()
		log.Warn("feed refresh refused", logkey.Reason, refused.Reason,
			logkey.Count, rep.Indicators, logkey.InForce, s.store.Len(f.cfg.Name))
	default:
		st.Failures++
		st.LastError = err.Error()
		log.Warn("feed refresh failed", logkey.Err, err, logkey.Failures, st.Failures)
	}
}

// fetched is a feed's content, with what to remember once it is in force.
type fetched struct {
	body          io.ReadCloser
	name          string // for sniffing by file name
	etag, lastMod string
	modTime       time.Time
	size          int64
}

func (s *Scheduler) attempt(ctx context.Context, f *feed) (Report, error) {
	fc, err := s.fetch(ctx, f)
	if err != nil {
		return Report{}, err
	}
	defer fc.body.Close()
	sum := sha256.New()
	body := &limitReader{r: io.TeeReader(fc.body, sum), left: int64(f.cfg.MaxBytes)}
	res, err := Read(f.cfg.Name, fc.name, body, s.formats, f.format)
	var fe *FormatError
	switch {
	case errors.As(err, &fe), errors.Is(err, feeds.ErrUnknownFormat):
		return Report{}, &RefusedError{Reason: err.Error(), Err: err}
	case err != nil:
		return Report{}, err
	}
	rep := Report{Rejected: len(res.Rejects), NotEnforced: len(res.NotEnforced),
		Format: res.Format}
	if s.allow != nil {
		var kept []*feeds.Result
		kept, rep.SuppressedBy = s.allow.Filter([]*feeds.Result{res})
		res = kept[0]
		for _, sp := range rep.SuppressedBy {
			rep.Suppressed += sp.Count
		}
	}
	rep.Indicators = len(res.Indicators)
	if reason := s.collapsed(f, len(res.Indicators), sum); reason != "" {
		return rep, &RefusedError{Reason: reason}
	}
	changes, err := s.store.Replace(ctx, f.cfg.Name, res.Indicators)
	if err != nil {
		return rep, err
	}
	countChanges(&rep, changes)
	f.etag, f.lastModified, f.modTime, f.size = fc.etag, fc.lastMod, fc.modTime, fc.size
	f.format = res.Format
	f.refusedTimes = 0
	return rep, nil
}

// collapsed returns why n indicators are too few to replace the set in
// force, or "" when they are not, or when the same content has now been
// refused often enough to be believed.
func (s *Scheduler) collapsed(f *feed, n int, sum hash.Hash) string {
	prev := s.store.Len(f.cfg.Name)
	if prev == 0 || float64(n) >= f.cfg.MinKeep*float64(prev) {
		return ""
	}
	var h [sha256.Size]byte
	sum.Sum(h[:0])
	if h != f.refused {
		f.refused, f.refusedTimes = h, 0
	}
	f.refusedTimes++
	if f.refusedTimes >= confirmations {
		return ""
	}
	return fmt.Sprintf("%d indicators where %d are in force, fewer than the min_keep of %g "+
		"(seen %d of %d times needed to accept)",
		n, prev, f.cfg.MinKeep, f.refusedTimes, confirmations)
}

func countChanges(rep *Report, changes []feeds.Change) {
	for _, c := range changes {
		switch c.Op {
		case feeds.Added:
			rep.Added++
		case feeds.Updated:
			rep.Updated++
		case feeds.Removed:
			rep.Removed++
		}
	}
}

func (s *Scheduler) fetch(ctx context.Context, f *feed) (*fetched, error) {
	if f.cfg.Path != "" {
		return fetchFile(f)
	}
	return s.fetchURL(ctx, f)
}

func fetchFile(f *feed) (*fetched, error) {
	file, err := os.Open(f.cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("open feed file: %w", err)
	}
	fi, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("open feed file: %w", err)
	}
	if fi.Size() == f.size && fi.ModTime().Equal(f.modTime) && !f.modTime.IsZero() {
		file.Close()
		return nil, ErrNotModified
	}
	return &fetched{body: file, name: filepath.Base(f.cfg.Path), modTime: fi.ModTime(),
		size: fi.Size()}, nil
}

func (s *Scheduler) fetchURL(ctx context.Context, f *feed) (*fetched, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.cfg.URL, nil)
	if err != nil {
		return nil, errors.New("build request: invalid feed URL")
	}
	req.Header.Set("User-Agent", "iocflow")
	if f.etag != "" {
		req.Header.Set("If-None-Match", f.etag)
	}
	if f.lastModified != "" {
		req.Header.Set("If-Modified-Since", f.lastModified)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", redact(req.URL), unwrapURLError(err))
	}
	switch {
	case resp.StatusCode == http.StatusNotModified && (f.etag != "" || f.lastModified != ""):
		resp.Body.Close()
		return nil, ErrNotModified
	case resp.StatusCode != http.StatusOK:
		resp.Body.Close()
		return nil, fmt.Errorf("fetch %s: unexpected status %s", redact(req.URL), resp.Status)
	}
	return &fetched{body: resp.Body, name: path.Base(req.URL.Path),
		etag: resp.Header.Get("ETag"), lastMod: resp.Header.Get("Last-Modified")}, nil
}

// redact returns u without user info, query or fragment, which may hold
// credentials and must not reach a log.
func redact(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// unwrapURLError drops the *url.Error around err, whose text repeats the
// whole URL, query included.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// ErrTooLarge is returned when a feed is larger than its max_bytes.
var ErrTooLarge = errors.New("feed larger than max_bytes")

// limitReader fails with ErrTooLarge, rather than ending quietly as
// io.LimitReader does, so that a cut feed is never taken for a whole one.
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			return 0, ErrTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}
