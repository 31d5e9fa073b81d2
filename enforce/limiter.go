package enforce

import (
	"sync"
	"time"
)

// logInterval is the shortest gap between two log lines of one key.
const logInterval = time.Minute

// logLimiter lets one log line per key through per logInterval and counts
// the ones it held back. Safe for concurrent use; its mutex is a leaf.
type logLimiter struct {
	mu         sync.Mutex
	last       map[string]time.Time
	suppressed map[string]int
}

// allow reports whether a line for key may be logged at now, and how many
// were held back since the last one.
func (l *logLimiter) allow(key string, now time.Time) (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == nil {
		l.last, l.suppressed = map[string]time.Time{}, map[string]int{}
	}
	if t, ok := l.last[key]; ok && now.Sub(t) < logInterval {
		l.suppressed[key]++
		return 0, false
	}
	n := l.suppressed[key]
	l.last[key], l.suppressed[key] = now, 0
	return n, true
}
