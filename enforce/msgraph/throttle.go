package msgraph

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Limits on waiting out Graph's throttling.
const (
	// maxThrottleRetries is how many times one request is sent again after
	// a throttled answer.
	maxThrottleRetries = 3
	// maxThrottleWait is the longest Retry-After honoured; a longer one is
	// handed back to the caller as the throttled answer, and the service's
	// own backoff (or the next reconciliation) tries again later.
	maxThrottleWait = time.Minute
)

// throttle is the adapter's transport. When Graph throttles a request (429,
// or 503 with Retry-After) it waits the time the answer asks for and sends
// the request again, as Graph's throttling guidance requires: a throttled
// request was not carried out, so sending it again is safe, a move
// included. It does not wait when the answer names no wait, asks for more
// than maxThrottleWait, or the wait would outlast the request's context;
// the throttled answer is then returned as it is.
type throttle struct {
	base http.RoundTripper
	// sleep waits d or until ctx ends; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
}

func (t *throttle) RoundTrip(req *http.Request) (*http.Response, error) {
	for try := 0; ; try++ {
		resp, err := t.base.RoundTrip(req)
		if err != nil || try == maxThrottleRetries {
			return resp, err
		}
		d, ok := retryAfter(resp, time.Now())
		if !ok || !fits(req.Context(), d) || (req.Body != nil && req.GetBody == nil) {
			return resp, nil
		}
		// Drain a little of the answer so that the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if err := t.sleep(req.Context(), d); err != nil {
			return nil, err
		}
		next := req.Clone(req.Context())
		if req.GetBody != nil {
			if next.Body, err = req.GetBody(); err != nil {
				return nil, err
			}
		}
		req = next
	}
}

// retryAfter returns the wait a throttled answer asks for: Retry-After in
// seconds or as an HTTP date (RFC 9110 section 10.2.3).
func retryAfter(resp *http.Response, now time.Time) (time.Duration, bool) {
	if resp.StatusCode != http.StatusTooManyRequests &&
		resp.StatusCode != http.StatusServiceUnavailable {
		return 0, false
	}
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(n) * time.Second, true
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(at.Sub(now), 0), true
}

// fits reports whether waiting d is allowed and ends before ctx does.
func fits(ctx context.Context, d time.Duration) bool {
	if d > maxThrottleWait {
		return false
	}
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) > d
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
