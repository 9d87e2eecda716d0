package mockserver

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/embedmock/embedmock/mockserver/recording"
)

// Fault is a failure injected into the requests it matches: an error
// answer in the API's own format, a delay before the answer, or a dropped
// connection. At least one of Status, Delay and Drop is set; Drop excludes
// Status.
type Fault struct {
	Status int           // answer with the API's canonical error for this HTTP status (400-599)
	Delay  time.Duration // wait this long before answering
	Drop   bool          // close the connection without answering
	Count  int           // how many matching requests it applies to; 0 means 1
	Family string        // match only this API family ("gemini", "openai", "gradient"); "" matches any
	Route  string        // match only this route kind ("batchEmbedContents", "embeddings", ...)
	Model  string        // match only this model id (without "models/")
}

// faultJSON is a Fault on the admin API: the delay as a Go duration string.
type faultJSON struct {
	Status int    `json:"status,omitempty"`
	Delay  string `json:"delay,omitempty"`
	Drop   bool   `json:"drop,omitempty"`
	Count  int    `json:"count,omitempty"`
	Family string `json:"family,omitempty"`
	Route  string `json:"route,omitempty"`
	Model  string `json:"model,omitempty"`
}

func (f Fault) toJSON() faultJSON {
	j := faultJSON{Status: f.Status, Drop: f.Drop, Count: f.Count, Family: f.Family, Route: f.Route, Model: f.Model}
	if f.Delay > 0 {
		j.Delay = f.Delay.String()
	}
	return j
}

func (j faultJSON) fault() (Fault, error) {
	f := Fault{Status: j.Status, Drop: j.Drop, Count: j.Count, Family: j.Family, Route: j.Route, Model: strings.TrimPrefix(j.Model, "models/")}
	if j.Delay != "" {
		d, err := time.ParseDuration(j.Delay)
		if err != nil {
			return f, fmt.Errorf("delay %q is not a Go duration such as 250ms", j.Delay)
		}
		f.Delay = d
	}
	return f, nil
}

func (f Fault) validate() error {
	switch {
	case f.Status == 0 && f.Delay == 0 && !f.Drop:
		return errors.New("a fault needs a status, a delay or drop")
	case f.Status != 0 && (f.Status < 400 || f.Status > 599):
		return fmt.Errorf("a fault's status must be an HTTP error status (400-599), got %d", f.Status)
	case f.Drop && f.Status != 0:
		return errors.New("a dropped connection has no status")
	case f.Delay < 0 || f.Count < 0:
		return errors.New("a fault's delay and count must not be negative")
	}
	return nil
}

func (f Fault) matches(k recording.Key) bool {
	return (f.Family == "" || f.Family == k.Family) && (f.Route == "" || f.Route == k.Route) && (f.Model == "" || f.Model == k.Model)
}

// faults holds the scheduled faults and the random fault rate.
type faults struct {
	mu        sync.Mutex
	scheduled []Fault
	rate      float64
	status    int
	rng       *rand.Rand
}

// InjectFault schedules a fault for the next Count matching requests.
// Faults are used in the order they were scheduled.
func (s *Server) InjectFault(f Fault) error {
	if err := f.validate(); err != nil {
		return fmt.Errorf("mockserver: %w", err)
	}
	if f.Count == 0 {
		f.Count = 1
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.scheduled = append(s.faults.scheduled, f)
	return nil
}

// Faults returns the scheduled faults not used up yet, with their
// remaining counts.
func (s *Server) Faults() []Fault {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	return append([]Fault{}, s.faults.scheduled...)
}

// ClearFaults drops every scheduled fault.
func (s *Server) ClearFaults() {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.scheduled = nil
}

// take returns the fault for a request: a scheduled one that matches, or
// a random one at the configured rate.
func (fs *faults) take(k recording.Key) (Fault, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i := range fs.scheduled {
		f := &fs.scheduled[i]
		if !f.matches(k) {
			continue
		}
		taken := *f
		taken.Count = 1
		if f.Count--; f.Count == 0 {
			fs.scheduled = append(fs.scheduled[:i], fs.scheduled[i+1:]...)
		}
		return taken, true
	}
	if fs.rate > 0 && fs.rng.Float64() < fs.rate {
		return Fault{Status: fs.status}, true
	}
	return Fault{}, false
}

// headerFault reads the per-request fault headers: X-Embedmock-Fault (an
// HTTP status, or drop) and X-Embedmock-Delay (a Go duration).
func headerFault(r *http.Request) (Fault, bool, error) {
	var f Fault
	if v := strings.TrimSpace(r.Header.Get("X-Embedmock-Fault")); v != "" {
		if strings.EqualFold(v, "drop") {
			f.Drop = true
		} else {
			n, err := strconv.Atoi(v)
			if err != nil {
				return f, false, fmt.Errorf("X-Embedmock-Fault must be an HTTP status or drop, got %q", v)
			}
			f.Status = n
		}
	}
	if v := strings.TrimSpace(r.Header.Get("X-Embedmock-Delay")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return f, false, fmt.Errorf("X-Embedmock-Delay must be a Go duration such as 250ms, got %q", v)
		}
		f.Delay = d
	}
	if f == (Fault{}) {
		return f, false, nil
	}
	return f, true, f.validate()
}

// applyFault carries out a fault. It reports whether the request was
// answered (an error status) or aborted; after a delay alone the request
// goes on.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f Fault, k recording.Key) bool {
	var marks []string
	if f.Delay > 0 {
		marks = append(marks, "delay "+f.Delay.String())
	}
	if f.Status != 0 {
		marks = append(marks, strconv.Itoa(f.Status))
	}
	if f.Drop {
		marks = append(marks, "drop")
	}
	w.Header().Set("X-Embedmock-Fault", strings.Join(marks, ", "))
	if f.Delay > 0 {
		timer := time.NewTimer(f.Delay)
		select {
		case <-timer.C:
		case <-r.Context().Done():
			timer.Stop()
			return true
		}
	}
	switch {
	case f.Drop:
		panic(http.ErrAbortHandler) // net/http closes the connection without an answer
	case f.Status != 0:
		s.writeFailure(w, k.Family, faultFailure(f.Status, k))
		return true
	}
	return false
}

// faultFailure is the API's canonical error for an injected status, in
// each family's form.
func faultFailure(status int, k recording.Key) failure {
	e, retryAfter := faultError(status, k)
	f := failure{status: status, message: e.Message, google: e, retryAfter: retryAfter}
	switch status {
	case http.StatusTooManyRequests:
		model := k.Model
		if model == "" {
			model = "text-embedding-3-small"
		}
		f.openai = newOpenAIError(status, "Rate limit reached for "+model+" in organization org-embedmock on requests per min (RPM): Limit 3000, Used 3000, Requested 1. Please try again in 1s. Visit https://platform.openai.com/account/rate-limits to learn more.", "", "rate_limit_exceeded")
		f.message = "Too many requests: retry in 1s"
	case http.StatusInternalServerError:
		f.openai = newOpenAIError(status, "The server had an error while processing your request. Sorry about that!", "", "")
		f.message = "Internal server error"
	case http.StatusServiceUnavailable:
		f.openai = newOpenAIError(status, "The engine is currently overloaded, please try again later", "", "")
		f.message = "Service unavailable"
	case http.StatusUnauthorized:
		f.openai = newOpenAIError(status, "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.", "", "invalid_api_key")
	case http.StatusNotFound:
		f.openai = newOpenAIError(status, "The model `"+k.Model+"` does not exist or you do not have access to it.", "", "model_not_found")
	}
	return f
}

// faultError is the API's canonical error for an injected status, and the
// retry delay it announces.
func faultError(status int, k recording.Key) (*googleError, time.Duration) {
	switch status {
	case http.StatusTooManyRequests:
		return quotaError(k.Model, requestQuota, 100, time.Second), time.Second
	case http.StatusBadRequest:
		return newGoogleError(status, "Request contains an invalid argument."), 0
	case http.StatusUnauthorized:
		return newGoogleError(status, "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential."), 0
	case http.StatusForbidden:
		return newGoogleError(status, "The caller does not have permission"), 0
	case http.StatusNotFound:
		return newGoogleError(status, "Requested entity was not found."), 0
	case http.StatusInternalServerError:
		return newGoogleError(status, "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"), 0
	case http.StatusServiceUnavailable:
		return newGoogleError(status, "The model is overloaded. Please try again later."), 0
	case http.StatusGatewayTimeout:
		return newGoogleError(status, "Deadline expired before operation could complete."), 0
	}
	return newGoogleError(status, fmt.Sprintf("embedmock: injected fault (%d %s)", status, http.StatusText(status))), 0
}

// quotaKind names a Gemini quota.
type quotaKind struct {
	metric, id, what string
}

var (
	requestQuota = quotaKind{"generativelanguage.googleapis.com/embed_content_free_tier_requests",
		"EmbedContentRequestsPerMinutePerUserPerProjectPerModel-FreeTier", "requests"}
	tokenQuota = quotaKind{"generativelanguage.googleapis.com/embed_content_free_tier_input_token_count",
		"EmbedContentInputTokensPerModelPerMinute-FreeTier", "input tokens"}
)

// quotaError is the API's 429 for an exhausted quota, with Help,
// QuotaFailure and RetryInfo details.
func quotaError(model string, q quotaKind, limit int, retry time.Duration) *googleError {
	if model == "" {
		model = "gemini-embedding-001"
	}
	msg := fmt.Sprintf("You exceeded your current quota, please check your plan and billing details. "+
		"For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. "+
		"To monitor your current usage, head to: https://ai.dev/rate-limit. \n"+
		"* Quota exceeded for metric: %s, limit: %d, model: %s\nPlease retry in %s.", q.metric, limit, model, retry)
	return newGoogleError(http.StatusTooManyRequests, msg,
		map[string]any{
			"@type": "type.googleapis.com/google.rpc.Help",
			"links": []any{map[string]any{"description": "Learn more about Gemini API quotas", "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}},
		},
		map[string]any{
			"@type": "type.googleapis.com/google.rpc.QuotaFailure",
			"violations": []any{map[string]any{
				"quotaMetric":     q.metric,
				"quotaId":         q.id,
				"quotaDimensions": map[string]any{"location": "global", "model": model},
				"quotaValue":      strconv.Itoa(limit),
			}},
		},
		map[string]any{
			"@type":      "type.googleapis.com/google.rpc.RetryInfo",
			"retryDelay": strconv.Itoa(int((retry+time.Second-1)/time.Second)) + "s",
		})
}
