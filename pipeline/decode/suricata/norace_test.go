//go:build !race

package suricata

const raceEnabled = false
