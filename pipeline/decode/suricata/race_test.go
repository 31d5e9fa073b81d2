//go:build race

package suricata

// raceEnabled: the race detector makes sync.Pool drop items at random
// and instruments allocations, so allocation counts do not hold under it.
const raceEnabled = true
