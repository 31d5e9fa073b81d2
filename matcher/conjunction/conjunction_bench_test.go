package conjunction_test

import (
	"testing"

	"github.com/iocflow/iocflow/feeds/ioc"
	"github.com/iocflow/iocflow/matcher/conjunction"
)

// BenchmarkSet_Filter measures a gate check on a hit: five observables, the
// conjunction met by the last address.
func BenchmarkSet_Filter(b *testing.B) {
	b.ReportAllocs()
	inds := indicators(b, "f", mispDomainIP)
	set, _ := conjunction.Build(inds)
	ev := obs(ioc.URL, "http://www.circl.lu/a", ioc.Domain, "example.org", ioc.IPv4,
		"10.1.2.3", ioc.IPv4, "149.13.33.14", ioc.UserAgent, "curl/8")
	var scratch ioc.Indicator
	for b.Loop() {
		set.Filter(inds[0], ev, &scratch)
	}
}
