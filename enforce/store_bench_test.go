package enforce_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/iocflow/iocflow/enforce"
)

// BenchmarkFileStore_Save measures the atomic rewrite of the state file
// (write, fsync, rename, fsync of the folder) per number of actions.
func BenchmarkFileStore_Save(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("actions=%d", n), func(b *testing.B) {
			snap := &enforce.Snapshot{}
			for i := range n {
				f := ipFinding(fmt.Sprintf("203.0.%d.%d", i/250, i%250+1))
				snap.Actions = append(snap.Actions, enforce.Action{ID: fmt.Sprint(i),
					Target:  enforce.Target{Kind: enforce.BlockIP, Value: f.Value},
					Adapter: "fw", Rule: "ip", State: enforce.StateApplied,
					Created: time.Now(), Expires: time.Now().Add(time.Hour), Finding: f})
			}
			s := &enforce.FileStore{Path: b.TempDir() + "/state.json"}
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Save(snap); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
