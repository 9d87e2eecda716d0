//go:build race

package fakeembed

// raceEnabled is set when tests run under the race detector, which makes
// sync.Pool drop items on purpose (so allocation counts are meaningless).
const raceEnabled = true
