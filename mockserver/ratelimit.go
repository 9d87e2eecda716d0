package mockserver

import (
	"crypto/sha256"
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/embedmock/embedmock/mockserver/family"
)

// rateLimiter enforces requests-per-minute and tokens-per-minute quotas per
// API key with token buckets that refill continuously on the server clock.
type rateLimiter struct {
	mu      sync.Mutex
	rpm     int
	tpm     int
	buckets map[[32]byte]*quotaBuckets // by SHA-256 of the API key: no key is kept
}

type quotaBuckets struct {
	requests, tokens float64
	last             time.Time
}

func newRateLimiter(rpm, tpm int) *rateLimiter {
	if rpm <= 0 && tpm <= 0 {
		return nil
	}
	return &rateLimiter{rpm: rpm, tpm: tpm, buckets: map[[32]byte]*quotaBuckets{}}
}

// take spends one request and tokens from key's buckets at now. When a
// quota is exhausted it spends nothing and returns the quota and how long
// until the request would fit.
func (rl *rateLimiter) take(key string, tokens int, now time.Time) (*family.Quota, time.Duration) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	id := sha256.Sum256([]byte(key))
	b, ok := rl.buckets[id]
	if !ok {
		b = &quotaBuckets{requests: float64(rl.rpm), tokens: float64(rl.tpm), last: now}
		rl.buckets[id] = b
	}
	if elapsed := now.Sub(b.last); elapsed > 0 {
		minutes := elapsed.Minutes()
		b.requests = math.Min(float64(rl.rpm), b.requests+minutes*float64(rl.rpm))
		b.tokens = math.Min(float64(rl.tpm), b.tokens+minutes*float64(rl.tpm))
		b.last = now
	}
	wait := func(have, need float64, perMinute int) time.Duration {
		if need > float64(perMinute) {
			return time.Minute // never fits; try again in a minute
		}
		return time.Duration((need - have) / float64(perMinute) * float64(time.Minute))
	}
	if rl.rpm > 0 && b.requests < 1 {
		return &family.Quota{Limit: rl.rpm, Requested: 1, Used: rl.rpm}, wait(b.requests, 1, rl.rpm)
	}
	if rl.tpm > 0 && b.tokens < float64(tokens) {
		return &family.Quota{Tokens: true, Limit: rl.tpm, Requested: tokens, Used: max(rl.tpm-tokens, 0)}, wait(b.tokens, float64(tokens), rl.tpm)
	}
	if rl.rpm > 0 {
		b.requests--
	}
	if rl.tpm > 0 {
		b.tokens -= float64(tokens)
	}
	return nil, 0
}

// remaining reports what is left in key's buckets at now.
func (rl *rateLimiter) remaining(key string, now time.Time) (requests, tokens int) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	b, ok := rl.buckets[sha256.Sum256([]byte(key))]
	if !ok {
		return rl.rpm, rl.tpm
	}
	minutes := now.Sub(b.last).Minutes()
	return int(math.Min(float64(rl.rpm), b.requests+minutes*float64(rl.rpm))),
		int(math.Min(float64(rl.tpm), b.tokens+minutes*float64(rl.tpm)))
}

func (rl *rateLimiter) reset() {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	clear(rl.buckets)
}

// control applies the test controls to a request before any answer is
// computed: rate limits (routes that embed only), then injected faults
// (per-request headers, scheduled, random). It reports whether it
// answered the request.
func (s *Server) control(w http.ResponseWriter, r *http.Request, c *family.Call) bool {
	if s.limiter != nil && c.Route != nil && c.Route.Embeds {
		tokens := 0
		if s.limiter.tpm > 0 {
			if body, ok := s.bufferBody(r, false); ok {
				tokens = c.Owner.Summarize(c, body).Tokens
			}
		}
		if q, wait := s.limiter.take(c.Owner.Caller(r), tokens, s.now()); q != nil {
			s.writeFailure(w, r, c, &family.Failure{
				Status: http.StatusTooManyRequests, Reason: family.QuotaExhausted, Quota: q, RetryAfter: wait,
				Message: fmt.Sprintf("Rate limit exceeded: %d %s per minute; retry in %s", q.Limit, quotaUnit(q), wait.Round(time.Millisecond)),
			})
			return true
		}
	}
	f, ok, err := headerFault(r)
	if err != nil {
		s.writeFailure(w, r, c, family.Fail(http.StatusBadRequest, "embedmock: "+err.Error()))
		return true
	}
	if !ok {
		f, ok = s.faults.take(c)
	}
	return ok && s.applyFault(w, r, f, c)
}

// quotaUnit names what a quota counts.
func quotaUnit(q *family.Quota) string {
	if q.Tokens {
		return "input tokens"
	}
	return "requests"
}

// quotaStatus reports the rate limits of a request's caller.
func (s *Server) quotaStatus(caller string) family.QuotaStatus {
	if s.limiter == nil {
		return family.QuotaStatus{}
	}
	rr, rt := s.limiter.remaining(caller, s.now())
	return family.QuotaStatus{RequestsPerMinute: s.limiter.rpm, TokensPerMinute: s.limiter.tpm, RemainingRequests: rr, RemainingTokens: rt}
}
