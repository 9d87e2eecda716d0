package mockserver

import (
	"crypto/sha256"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/embedmock/embedmock/fakeembed"
	"github.com/embedmock/embedmock/mockserver/recording"
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
func (rl *rateLimiter) take(key string, tokens int, now time.Time) (*quotaKind, int, time.Duration) {
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
		return &requestQuota, rl.rpm, wait(b.requests, 1, rl.rpm)
	}
	if rl.tpm > 0 && b.tokens < float64(tokens) {
		return &tokenQuota, rl.tpm, wait(b.tokens, float64(tokens), rl.tpm)
	}
	if rl.rpm > 0 {
		b.requests--
	}
	if rl.tpm > 0 {
		b.tokens -= float64(tokens)
	}
	return nil, 0, 0
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

// requestTokens estimates the input tokens of an embedding request body.
func requestTokens(k recording.Key, body []byte) int {
	doc, err := parseGoogleJSON(body)
	if err != nil {
		return 0
	}
	obj, _ := doc.(map[string]any)
	total := 0
	text := func(t string) { total += fakeembed.EstimateTokens(t) }
	gemini := func(req map[string]any) {
		content, _ := req["content"].(map[string]any)
		parts, _ := content["parts"].([]any)
		var texts []string
		for _, p := range parts {
			part, _ := p.(map[string]any)
			if t, ok := part["text"].(string); ok {
				texts = append(texts, t)
			}
		}
		text(strings.Join(texts, "\n"))
	}
	switch {
	case k.Family == familyGemini && k.Route == "embedContent":
		gemini(obj)
	case k.Family == familyGemini && k.Route == "batchEmbedContents":
		items, _ := obj["requests"].([]any)
		for _, item := range items {
			req, _ := item.(map[string]any)
			gemini(req)
		}
	case k.Family == familyOpenAI:
		switch in := obj["input"].(type) {
		case string:
			text(in)
		case []any:
			for _, x := range in {
				switch y := x.(type) {
				case string:
					text(y)
				case []any:
					total += len(y)
				default:
					total++
				}
			}
		}
	case k.Family == familyGradient:
		items, _ := obj["inputs"].([]any)
		for _, item := range items {
			m, _ := item.(map[string]any)
			t, _ := m["input"].(string)
			text(t)
		}
	}
	return total
}

// embedRoutes are the routes rate limits apply to: the ones that embed.
var embedRoutes = map[string]bool{"embedContent": true, "batchEmbedContents": true, "embeddings": true}

// apiKey returns the request's API key in any of the places the APIs take
// one.
func apiKey(r *http.Request) string {
	if k := r.Header.Get("X-Goog-Api-Key"); k != "" {
		return k
	}
	if k := r.Header.Get("Authorization"); k != "" {
		return k
	}
	if k := r.Header.Get("Api-Key"); k != "" {
		return k
	}
	if r.URL.RawQuery != "" {
		return r.URL.Query().Get("key")
	}
	return ""
}

// withControl applies the test controls to API requests before any answer
// is computed: rate limits (embedding routes only), then injected faults
// (per-request headers, scheduled, random). Requests that fail
// authentication are left to the API's own error.
func (s *Server) withControl(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_embedmock/") {
			next.ServeHTTP(w, r)
			return
		}
		key := s.classify(r)
		if s.authError(key.Family, r) != nil {
			next.ServeHTTP(w, r)
			return
		}
		if s.limiter != nil && embedRoutes[key.Route] {
			tokens := 0
			if s.limiter.tpm > 0 {
				if body, ok := s.bufferBody(r, false); ok {
					tokens = requestTokens(key, body)
				}
			}
			if q, limit, wait := s.limiter.take(apiKey(r), tokens, s.now()); q != nil {
				s.writeFailure(w, key.Family, quotaFailure(key, *q, limit, tokens, wait))
				return
			}
		}
		f, ok, err := headerFault(r)
		if err != nil {
			s.writeFailure(w, key.Family, failure{status: http.StatusBadRequest, message: "embedmock: " + err.Error()})
			return
		}
		if !ok {
			f, ok = s.faults.take(key)
		}
		if ok && s.applyFault(w, r, f, key) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// quotaFailure is the 429 of an exhausted quota, in each family's words.
func quotaFailure(k recording.Key, q quotaKind, limit, tokens int, wait time.Duration) failure {
	unit, used, requested := "requests per min (RPM)", limit, 1
	if q == tokenQuota {
		unit, used, requested = "tokens per min (TPM)", limit-tokens, tokens
	}
	model := k.Model
	if model == "" {
		model = "text-embedding-3-small"
	}
	oe := newOpenAIError(http.StatusTooManyRequests, fmt.Sprintf(
		"Rate limit reached for %s in organization org-embedmock on %s: Limit %d, Used %d, Requested %d. Please try again in %s. Visit https://platform.openai.com/account/rate-limits to learn more.",
		model, unit, limit, max(used, 0), requested, wait.Round(time.Millisecond)), "", "rate_limit_exceeded")
	if q == tokenQuota {
		oe.typ = "tokens"
	}
	return failure{
		status:     http.StatusTooManyRequests,
		message:    fmt.Sprintf("Rate limit exceeded: %d %s per minute; retry in %s", limit, q.what, wait.Round(time.Millisecond)),
		google:     quotaError(k.Model, q, limit, wait),
		openai:     oe,
		retryAfter: wait,
	}
}
