//go:build !race

package fakeembed

const raceEnabled = false
