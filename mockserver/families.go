package mockserver

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/embedmock/embedmock/mockserver/recording"
)

// API families, as the journal, faults and rate limits name them.
const (
	familyGemini   = "gemini"
	familyOpenAI   = "openai"
	familyGradient = "gradient"
)

// failure is an error answer described once and rendered in the envelope
// of whichever API family the request belongs to.
type failure struct {
	status int
	// message is the text for families without a more specific form.
	message string
	// google, openai are the exact bodies for those families, when the
	// failure has a canonical form there.
	google *googleError
	openai *openAIError
	// retryAfter, when set, is sent as Retry-After (seconds, rounded up).
	retryAfter time.Duration
}

// writeFailure answers with f in the envelope of family.
func (s *Server) writeFailure(w http.ResponseWriter, family string, f failure) {
	if f.retryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(int((f.retryAfter+time.Second-1)/time.Second)))
	}
	switch family {
	case familyOpenAI:
		e := f.openai
		if e == nil {
			e = newOpenAIError(f.status, f.message, "", "")
		}
		writeOpenAIError(w, e)
	case familyGradient:
		writeGradientError(w, f.status, f.message)
	default:
		e := f.google
		if e == nil {
			e = newGoogleError(f.status, f.message)
		}
		writeGoogleError(w, e)
	}
}

// classify names a request's API family, route kind and model. The Gemini
// and OpenAI APIs share GET /v1/models; a request with a bearer token and
// no Google key is OpenAI's.
func (s *Server) classify(r *http.Request) recording.Key {
	if prefix := s.cfg.gradientPrefix; strings.HasPrefix(r.URL.Path, prefix+"/") {
		rest := strings.TrimPrefix(r.URL.Path, prefix+"/")
		switch {
		case rest == "embeddings":
			return recording.Key{Family: familyGradient, Route: "embeddings.list"}
		case strings.HasPrefix(rest, "embeddings/") && !strings.Contains(rest[len("embeddings/"):], "/"):
			return recording.Key{Family: familyGradient, Route: "embeddings", Model: rest[len("embeddings/"):]}
		}
	}
	if isOpenAIModelsRequest(r) {
		k := recording.Key{Family: familyOpenAI, Route: "models.list"}
		if id, ok := strings.CutPrefix(r.URL.Path, "/v1/models/"); ok {
			k.Route, k.Model = "models.get", id
		}
		return k
	}
	return recording.Classify(r.Method, r.URL)
}

// isOpenAIModelsRequest tells OpenAI's GET /v1/models[/{id}] from the
// Gemini API's.
func isOpenAIModelsRequest(r *http.Request) bool {
	if r.URL.Path != "/v1/models" && !strings.HasPrefix(r.URL.Path, "/v1/models/") {
		return false
	}
	return strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") && r.Header.Get("X-Goog-Api-Key") == "" &&
		!strings.Contains(r.URL.RawQuery, "key=")
}

// authError checks the credentials of a request of family, returning the
// family's own failure when they are missing or not accepted.
func (s *Server) authError(family string, r *http.Request) *failure {
	switch family {
	case familyGemini:
		if e := s.geminiKeyError(r); e != nil {
			return &failure{status: e.Code, google: e}
		}
	case familyOpenAI:
		if e := s.openAIKeyError(r); e != nil {
			return &failure{status: e.status, openai: e}
		}
	case familyGradient:
		if status, msg := s.gradientAuthError(r); status != 0 {
			return &failure{status: status, message: msg}
		}
	}
	return nil
}
