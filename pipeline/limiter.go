package pipeline

import (
	"sync"
	"time"
)

// limiter lets one report through per interval and counts the ones it
// held back, so that a repeated condition logs one line with a suppressed
// count instead of a line per event. It is safe for concurrent use.
type limiter struct {
	mu         sync.Mutex
	every      time.Duration
	last       time.Time
	suppressed int
}

func newLimiter(every time.Duration) *limiter { return &limiter{every: every} }

// allow reports whether a report may go out now and, if so, how many were
// held back since the last one.
func (l *limiter) allow() (ok bool, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if !l.last.IsZero() && now.Sub(l.last) < l.every {
		l.suppressed++
		return false, 0
	}
	l.last, suppressed, l.suppressed = now, l.suppressed, 0
	return true, suppressed
}
