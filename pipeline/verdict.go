package pipeline

import (
	"time"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/sinks/verdict"
)

// indicatorOf returns the verdict's view of in: every source active at t.
func indicatorOf(in *ioc.Indicator, t time.Time) verdict.Indicator {
	vi := verdict.Indicator{ID: in.ID, Type: in.Type, Value: in.Value}
	for i := range in.Sources {
		s := &in.Sources[i]
		if !s.IsActive(t) {
			continue
		}
		vi.Feeds = append(vi.Feeds, verdict.Feed{
			Name: s.Feed, ID: s.ID, Pattern: s.Pattern,
			Original: s.Original, ValidUntil: s.ValidUntil,
		})
	}
	return vi
}
