//go:build race

package engine

// raceEnabled reports a -race build, whose instrumentation allocates (and
// whose sync.Pool drops items at random), so allocation counts mean
// nothing there.
const raceEnabled = true
