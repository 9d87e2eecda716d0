package mockserver

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRateLimits(t *testing.T) {
	clock := NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	_, base := newTestServer(t, WithRateLimits(2, 0), WithFakeClock(clock))
	for range 2 {
		assert.Equal(t, 200, do(t, http.MethodPost, base+embedPath, embedBody("x", "")).status)
	}
	r := do(t, http.MethodPost, base+embedPath, embedBody("x", ""))
	assert.Equal(t, 429, r.status)
	assert.Equal(t, "30", r.header.Get("Retry-After"))
	e := googleErr(t, r)
	assert.Contains(t, e.Message, "limit: 2, model: gemini-embedding-001\nPlease retry in 30s.")
	assert.Equal(t, 200, do(t, http.MethodPost, base+embedPath, embedBody("x", ""), "X-Goog-Api-Key", "other-key").status, "per key")
	clock.Advance(30 * time.Second)
	assert.Equal(t, 200, do(t, http.MethodPost, base+embedPath, embedBody("x", "")).status, "refilled")
	assert.Equal(t, 429, do(t, http.MethodPost, base+embedPath, embedBody("x", "")).status)

	tokens, base2 := newTestServer(t, WithRateLimits(0, 10), WithFakeClock(clock))
	_ = tokens
	assert.Equal(t, 200, do(t, http.MethodPost, base2+embedPath, embedBody(strings.Repeat("a", 32), "")).status) // 8 tokens
	r = do(t, http.MethodPost, base2+embedPath, embedBody(strings.Repeat("a", 12), ""))                          // 3 more
	assert.Equal(t, 429, r.status)
	assert.Contains(t, googleErr(t, r).Message, "embed_content_free_tier_input_token_count, limit: 10")
	assert.Equal(t, 200, do(t, http.MethodPost, base2+embedPath, embedBody(strings.Repeat("a", 8), "")).status) // 2 fit
}
