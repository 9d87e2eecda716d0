package mockserver

import (
	"crypto/rand"
	"strconv"
	"sync"
	"time"
)

// Clock tells the server the time. Batch job states and file and job expiry
// follow it, so tests that control the clock control them.
type Clock func() time.Time

// formatTimestamp renders t as Google's JSON Timestamp: RFC 3339 in UTC with
// 0, 3, 6 or 9 fractional digits.
func formatTimestamp(t time.Time) string {
	t = t.UTC()
	ns := t.Nanosecond()
	var layout string
	switch {
	case ns == 0:
		layout = "2006-01-02T15:04:05Z"
	case ns%1e6 == 0:
		layout = "2006-01-02T15:04:05.000Z"
	case ns%1e3 == 0:
		layout = "2006-01-02T15:04:05.000000Z"
	default:
		layout = "2006-01-02T15:04:05.000000000Z"
	}
	return t.Format(layout)
}

// int64String renders an int64 the way proto3 JSON does: as a string.
func int64String(n int64) string { return strconv.FormatInt(n, 10) }

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// newID returns n random lowercase letters and digits, the form of the real
// API's batch (36) and file (12) ids.
func newID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b)
}

// FakeClock is a clock that moves only when told to, for tests that step
// batch jobs through their states or let files expire.
type FakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewFakeClock returns a clock stopped at start.
func NewFakeClock(start time.Time) *FakeClock { return &FakeClock{now: start} }

// Now returns the clock's time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d and returns the new time.
func (c *FakeClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// SetNow sets the clock's time.
func (c *FakeClock) SetNow(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}
