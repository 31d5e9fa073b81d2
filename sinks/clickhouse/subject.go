package clickhouse

import "github.com/iocflow/iocflow/sinks/verdict"

// subject is whom a verdict concerns, and whether retro-hunting found it.
type subject struct {
	Department, User, Host string
	Retrospective          bool
}

// subjectOf reads the enrichment of a verdict. The verdict model has no
// retrospective flag; verdicts written through Sink.Retrospective are
// marked there.
func subjectOf(v *verdict.Verdict) subject {
	return subject{Department: v.Department, User: v.User, Host: v.Host}
}
