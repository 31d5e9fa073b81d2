package enforce

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
)

// metrics counts what the service does. Names follow
// ioc_enforce_<what>_total with labels; WriteMetrics prints them in the
// Prometheus text format. Safe for concurrent use.
type metrics struct {
	mu sync.Mutex
	m  map[string]int64
}

func (m *metrics) add(name string, n int64, labels ...string) {
	key := name
	if len(labels) > 0 {
		key += "{"
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				key += ","
			}
			key += fmt.Sprintf("%s=%q", labels[i], labels[i+1])
		}
		key += "}"
	}
	m.mu.Lock()
	if m.m == nil {
		m.m = map[string]int64{}
	}
	m.m[key] += n
	m.mu.Unlock()
}

func (m *metrics) inc(name string, labels ...string) { m.add(name, 1, labels...) }

// Counter returns the value of a counter, as WriteMetrics prints its name
// and labels (`ioc_enforce_applied_total{adapter="edl"}`).
func (s *Service) Counter(key string) int64 {
	s.metrics.mu.Lock()
	defer s.metrics.mu.Unlock()
	return s.metrics.m[key]
}

// WriteMetrics writes the counters and the gauge of live actions per state
// in the Prometheus text format.
func (s *Service) WriteMetrics(w io.Writer) error {
	gauges := map[State]int{}
	s.mu.Lock()
	for _, a := range s.actions {
		gauges[a.State]++
	}
	s.mu.Unlock()
	s.metrics.mu.Lock()
	keys := slices.Sorted(maps.Keys(s.metrics.m))
	var err error
	for _, k := range keys {
		if _, e := fmt.Fprintf(w, "%s %d\n", k, s.metrics.m[k]); e != nil && err == nil {
			err = e
		}
	}
	s.metrics.mu.Unlock()
	for _, st := range slices.Sorted(maps.Keys(gauges)) {
		if _, e := fmt.Fprintf(w, "ioc_enforce_actions{state=%q} %d\n", st, gauges[st]); e != nil &&
			err == nil {
			err = e
		}
	}
	return err
}
