package mockserver

import (
	"crypto/sha256"
	"math"
	"net/http"
	"strconv"
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
	count := func(req map[string]any) {
		content, _ := req["content"].(map[string]any)
		parts, _ := content["parts"].([]any)
		var texts []string
		for _, p := range parts {
			part, _ := p.(map[string]any)
			if t, ok := part["text"].(string); ok {
				texts = append(texts, t)
			}
		}
		total += fakeembed.EstimateTokens(strings.Join(texts, "\n"))
	}
	switch k.Route {
	case "embedContent":
		count(obj)
	case "batchEmbedContents":
		items, _ := obj["requests"].([]any)
		for _, item := range items {
			req, _ := item.(map[string]any)
			count(req)
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
// (per-request headers, scheduled, random). Requests that fail authentication are left to the
// API's own error.
func (s *Server) withControl(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_embedmock/") {
			next.ServeHTTP(w, r)
			return
		}
		key := recording.KeyOf(r.Method, r.URL, nil)
		if key.Family == "gemini" && s.geminiKeyError(r) != nil {
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
				w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
				writeGoogleError(w, quotaError(key.Model, *q, limit, wait))
				return
			}
		}
		f, ok, err := headerFault(r)
		if err != nil {
			writeGoogleError(w, newGoogleError(http.StatusBadRequest, "embedmock: "+err.Error()))
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
