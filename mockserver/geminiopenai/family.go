package geminiopenai

import (
	"net/http"
	"strings"

	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/mockserver/gemini"
	"github.com/embedmock/embedmock/mockserver/googleapi"
	"github.com/embedmock/embedmock/mockserver/openai"
)

// Path is the route of the endpoint: the SDKs' base URL
// https://generativelanguage.googleapis.com/v1beta/openai/ and "embeddings".
const Path = "/v1beta/openai/embeddings"

// Kind names the route in the journal, faults and recordings (of family
// "gemini").
const Kind = "openai.embeddings"

// apiVersion is the version of the route, for type URLs in messages.
const apiVersion = "v1beta"

// Family is the endpoint as a family of the server. Create one with New;
// it is safe for concurrent use.
type Family struct {
	googleapi.Base
	gemini *gemini.Family
}

var _ family.Family = (*Family)(nil)

// New returns the family over env, answering with the models and vectors
// of g.
func New(env *family.Env, g *gemini.Family) *Family {
	return &Family{Base: googleapi.Base{Env: env}, gemini: g}
}

// Routes implements family.Family: POST /v1beta/openai/embeddings, which
// embeds (rate limits apply).
func (f *Family) Routes() []family.Route {
	return []family.Route{{
		Method: http.MethodPost, Path: Path, Kind: Kind, APIVersion: apiVersion,
		Hot: true, Embeds: true, Handle: f.handleEmbeddings,
	}}
}

// Claim implements family.Family: the route's path with another method.
// The family must come before the Gemini routes' in the table, which claim
// every path under /v1beta.
func (f *Family) Claim(r *http.Request) (kind, model string, ok bool) {
	return Kind, "", r.URL.Path == Path
}

// Caller implements family.Family: the key, as Authenticate reads it.
func (f *Family) Caller(r *http.Request) string {
	if key := family.BearerToken(r); key != "" {
		return key
	}
	return f.Base.Caller(r)
}

// Authenticate implements family.Family. The key is sent as the SDKs send
// theirs, Authorization: Bearer; without one, x-goog-api-key or ?key= (the
// Gemini API's own carriers) are read as on the Gemini routes.
func (f *Family) Authenticate(r *http.Request, c *family.Call) *family.Failure {
	key := family.BearerToken(r)
	if key == "" {
		return f.Base.Authenticate(r, c)
	}
	if !f.Env.Accepts(key) {
		return googleapi.InvalidAPIKey().Failure()
	}
	return nil
}

// WriteFailure implements family.Family: f as the Gemini API words it, in
// the endpoint's envelope (see writeError).
func (f *Family) WriteFailure(w http.ResponseWriter, _ *http.Request, c *family.Call, fl *family.Failure) {
	writeError(w, googleapi.Render(fl, c.Model))
}

// Summarize implements family.Family: the body's model (without
// "models/"), inputs, dimensions and token estimate.
func (f *Family) Summarize(_ *family.Call, body []byte) family.Summary {
	s := openai.SummarizeEmbeddings(body)
	s.Model = strings.TrimPrefix(s.Model, "models/")
	return s
}
