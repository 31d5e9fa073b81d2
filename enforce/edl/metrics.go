package edl

import (
	"fmt"
	"io"
)

func (a *Adapter) served(path string, notModified bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, l := range a.lists {
		if l.Path == path {
			if notModified {
				l.notModified++
			} else {
				l.fetches++
			}
		}
	}
}

// WriteMetrics writes the adapter's metrics in the Prometheus text format:
// entries per list, targets a list's device cannot express, and list
// requests answered in full or with 304 Not Modified.
func (a *Adapter) WriteMetrics(w io.Writer) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, l := range a.lists {
		if l.version != a.version || l.body == nil {
			a.render(l)
		}
		lbl := fmt.Sprintf("adapter=%q,list=%q", a.cfg.Name, l.Path)
		_, err := fmt.Fprintf(w, "ioc_edl_entries{%s} %d\n"+
			"ioc_edl_unexpressible_entries{%s} %d\n"+
			"ioc_edl_requests_total{%s,answer=\"full\"} %d\n"+
			"ioc_edl_requests_total{%s,answer=\"not_modified\"} %d\n",
			lbl, l.held, lbl, l.skipped, lbl, l.fetches, lbl, l.notModified)
		if err != nil {
			return err
		}
	}
	return nil
}
