package taxii

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/iocflow/iocflow/internal/logkey"
)

// MediaType is the TAXII 2.1 media type sent in Accept (TAXII 2.1 section
// 1.6.8).
const MediaType = "application/taxii+json;version=2.1"

// Defaults of a Client's zero fields.
const (
	DefaultMaxRetries  = 4
	DefaultBaseBackoff = time.Second
	DefaultMaxBackoff  = time.Minute
	DefaultMaxResponse = 64 << 20
)

// Auth adds credentials to a request. Implementations must keep the
// secret out of their String and GoString forms.
type Auth interface {
	Apply(r *http.Request)
}

// BasicAuth is HTTP basic authentication (RFC 7617).
type BasicAuth struct {
	Username, Password string
}

// Apply implements Auth.
func (a BasicAuth) Apply(r *http.Request) { r.SetBasicAuth(a.Username, a.Password) }

// String hides the password.
func (a BasicAuth) String() string { return "basic " + a.Username + ":***" }

// GoString hides the password from %#v.
func (a BasicAuth) GoString() string { return a.String() }

// BearerAuth is a bearer token (RFC 6750).
type BearerAuth struct {
	Token string
}

// Apply implements Auth.
func (a BearerAuth) Apply(r *http.Request) { r.Header.Set("Authorization", "Bearer "+a.Token) }

// String hides the token.
func (a BearerAuth) String() string { return "bearer ***" }

// GoString hides the token from %#v.
func (a BearerAuth) GoString() string { return a.String() }

// Client talks to one TAXII 2.1 server. The zero value of every field but
// BaseURL means its documented default; set the fields before the first
// request and do not change them afterwards. A Client is then safe for
// concurrent use.
type Client struct {
	// BaseURL is the discovery URL, conventionally https://host/taxii2/.
	BaseURL string
	// HTTPClient sends the requests and holds the TLS settings and the
	// per-request timeout (see NewHTTPClient); nil means a client with a
	// 60 s timeout and the system's roots.
	HTTPClient *http.Client
	// Auth adds credentials; nil sends none.
	Auth Auth
	// Logger receives one warning per retried request; nil discards.
	Logger *slog.Logger
	// MaxRetries is how many times a request is retried after a 429, a 5xx
	// or a transport error; default 4. Negative means never.
	MaxRetries int
	// BaseBackoff is the wait before the first retry, doubled for each
	// further one, with jitter; default 1 s.
	BaseBackoff time.Duration
	// MaxBackoff caps one wait, Retry-After included; default 1 min.
	MaxBackoff time.Duration
	// MaxResponse bounds a response body in bytes; default 64 MiB.
	MaxResponse int64

	// sleep waits between retries; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
}

var defaultHTTPClient = &http.Client{Timeout: 60 * time.Second}

func (c *Client) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return defaultHTTPClient
}

func (c *Client) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (c *Client) maxRetries() int {
	switch {
	case c.MaxRetries < 0:
		return 0
	case c.MaxRetries == 0:
		return DefaultMaxRetries
	}
	return c.MaxRetries
}

// response is a successful answer.
type response struct {
	header http.Header
	body   []byte
}

// get sends a GET with retries and returns the body of a 2xx answer.
func (c *Client) get(ctx context.Context, rawURL string) (*response, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("URL %s is not an absolute http(s) URL", redact(rawURL))
	}
	for attempt := 0; ; attempt++ {
		resp, retryAfter, err := c.once(ctx, u)
		if err == nil {
			return resp, nil
		}
		if !retryable(err) || attempt >= c.maxRetries() || ctx.Err() != nil {
			return nil, err
		}
		wait := c.backoff(attempt, retryAfter)
		c.logger().LogAttrs(ctx, slog.LevelWarn, "taxii request retrying",
			slog.String(logkey.Path, u.Path), slog.Int("attempt", attempt+1),
			slog.Duration("wait", wait), slog.String(logkey.Err, err.Error()))
		if err := c.wait(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func (c *Client) once(ctx context.Context, u *url.URL) (*response, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", MediaType)
	req.Header.Set("User-Agent", "iocflow")
	if c.Auth != nil {
		c.Auth.Apply(req)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, 0, &transportError{err: scrub(err)}
	}
	defer resp.Body.Close()
	limit := c.MaxResponse
	if limit <= 0 {
		limit = DefaultMaxResponse
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, 0, &transportError{err: fmt.Errorf("read body: %w", scrub(err))}
	}
	if int64(len(body)) > limit {
		return nil, 0, fmt.Errorf("GET %s: response larger than %d bytes",
			redact(u.String()), limit)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		he := newHTTPError(http.MethodGet, redact(u.String()), resp.StatusCode,
			resp.Header.Get("Content-Type"), body)
		return nil, retryAfter(resp.Header.Get("Retry-After")), he
	}
	if ct := resp.Header.Get("Content-Type"); !isJSON(ct) {
		return nil, 0, fmt.Errorf("GET %s: answer is %q, not TAXII JSON: %q", redact(u.String()),
			ct, bodyText(body[:min(len(body), 128)]))
	}
	return &response{header: resp.Header, body: body}, 0, nil
}

// transportError is a request that got no HTTP answer; it is retried.
type transportError struct{ err error }

func (e *transportError) Error() string { return e.err.Error() }

func (e *transportError) Unwrap() error { return e.err }

func retryable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var te *transportError
	if errors.As(err, &te) {
		// A certificate the client refuses stays refused.
		var cv *tls.CertificateVerificationError
		var ua x509.UnknownAuthorityError
		var hn x509.HostnameError
		return !errors.As(err, &cv) && !errors.As(err, &ua) && !errors.As(err, &hn)
	}
	var he *HTTPError
	return errors.As(err, &he) && (he.Status == http.StatusTooManyRequests || he.Status >= 500)
}

// backoff returns the wait before retry attempt+1: BaseBackoff doubled per
// attempt, the upper half of it at random (so that clients spread out), at
// least Retry-After, at most MaxBackoff.
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	base, ceiling := c.BaseBackoff, c.MaxBackoff
	if base <= 0 {
		base = DefaultBaseBackoff
	}
	if ceiling <= 0 {
		ceiling = DefaultMaxBackoff
	}
	d := base << min(attempt, 20)
	if d <= 0 || d > ceiling {
		d = ceiling
	}
	d = d/2 + rand.N(d/2+1)
	return min(max(d, retryAfter), ceiling)
}

func (c *Client) wait(ctx context.Context, d time.Duration) error {
	if c.sleep != nil {
		return c.sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(min(s, 86400)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// redact drops user information from a URL for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	return u.String()
}

// scrub removes the URL from a *url.Error, whose text repeats the request
// URL with any user information in it, and keeps the cause.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %s: %w", ue.Op, redact(ue.URL), ue.Err)
	}
	return err
}

// getJSON fetches rawURL and decodes its body into v.
func (c *Client) getJSON(ctx context.Context, rawURL string, v any) (*response, error) {
	resp, err := c.get(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(resp.body, v); err != nil {
		return nil, fmt.Errorf("GET %s: decode answer: %w", redact(rawURL), err)
	}
	return resp, nil
}
