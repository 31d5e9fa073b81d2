package allowlist

import (
	"strconv"
	"testing"

	"github.com/iocflow/iocflow/feeds/ioc"
)

// BenchmarkList_Allows measures one lookup against the defaults plus a
// user list of the given size, for values that are not covered (the
// common case: every indicator of every feed is checked once per load).
func BenchmarkList_Allows(b *testing.B) {
	for _, size := range []int{0, 1000, 100000} {
		l := Default()
		for i := range size {
			if err := l.Add(".corp"+strconv.Itoa(i)+".net", "bench"); err != nil {
				b.Fatal(err)
			}
		}
		cases := []struct {
			typ ioc.Type
			v   string
		}{
			{ioc.IPv4, "81.2.69.142"}, {ioc.IPv6, "2a02:cf40:1::5"},
			{ioc.Domain, "a.b.malaikahlowry33.top"}, {ioc.URL, "http://117.209.87.242:60905/bin.sh"},
		}
		for _, c := range cases {
			b.Run("type="+c.typ.String()+"/entries="+strconv.Itoa(size), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, ok := l.Allows(c.typ, c.v); ok {
						b.Fatal("covered")
					}
				}
			})
		}
	}
}
