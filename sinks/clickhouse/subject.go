package clickhouse

import "github.com/iocflow/iocflow/sinks/verdict"

// subject is whom a verdict concerns, and whether retro-hunting found it.
type subject struct {
	Department, User, Host string
	Retrospective          bool
}

// subjectOf reads the enrichment and the retrospective flag of a verdict;
// verdicts written through Sink.Retrospective are marked there as well.
func subjectOf(v *verdict.Verdict) subject {
	return subject{Department: v.Department, User: v.User, Host: v.Host,
		Retrospective: v.Retrospective}
}
