package gradient

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/embedmock/embedmock/fakeembed"
	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/mockserver/vectorwire"
	"github.com/embedmock/embedmock/schemas"
)

// name is the family's name in the journal, faults and recordings.
const name = "gradient"

// Route kinds.
const (
	kindEmbeddings = "embeddings"
	kindList       = "embeddings.list"
)

// The Gradient API serves one embeddings model. It must be the only one
// listed: the gradientai Python SDK checks listed slugs with a substring
// test against "bge-large" and rejects the whole list otherwise.
const modelSlug = "bge-large"

// Gradient defaults.
const (
	// DefaultPrefix is where the API is served: the path of
	// https://api.gradient.ai/api.
	DefaultPrefix = "/api"
	// DefaultDimensions is the dimension of bge-large's vectors.
	DefaultDimensions = 1024
)

// maxInputs is the most inputs one request may embed.
const maxInputs = 256

// Config configures a Family.
type Config struct {
	// Prefix is the path the API is served under: it starts with / and
	// does not end with one. "" is DefaultPrefix.
	Prefix string
	// Dimensions is the dimension of the vectors; 0 is DefaultDimensions.
	Dimensions int
}

// Family is the Gradient API family. Create one with New; it is safe for
// concurrent use.
type Family struct {
	env        *family.Env
	prefix     string
	dimensions int
}

var _ family.Family = (*Family)(nil)

// New returns the family configured by cfg with the server's services env.
// It does not check cfg: the server validates its options.
func New(env *family.Env, cfg Config) *Family {
	f := &Family{env: env, prefix: cfg.Prefix, dimensions: cfg.Dimensions}
	if f.prefix == "" {
		f.prefix = DefaultPrefix
	}
	if f.dimensions == 0 {
		f.dimensions = DefaultDimensions
	}
	return f
}

// Name implements family.Family: "gradient".
func (f *Family) Name() string { return name }

// Routes implements family.Family.
func (f *Family) Routes() []family.Route {
	return []family.Route{
		{Method: http.MethodGet, Path: f.prefix + "/embeddings", Kind: kindList, Handle: f.handleModels},
		{Method: http.MethodPost, Path: f.prefix + "/embeddings/{slug}", Kind: kindEmbeddings, ModelVar: "slug", Embeds: true, Handle: f.handleEmbeddings},
	}
}

// Claim implements family.Family: {prefix}/embeddings and
// {prefix}/embeddings/{slug} (a slug without '/') with any method.
func (f *Family) Claim(r *http.Request) (kind, model string, ok bool) {
	rest, found := strings.CutPrefix(r.URL.Path, f.prefix+"/")
	if !found {
		return "", "", false
	}
	if rest == "embeddings" {
		return kindList, "", true
	}
	if slug, found := strings.CutPrefix(rest, "embeddings/"); found && !strings.Contains(slug, "/") {
		return kindEmbeddings, slug, true
	}
	return "", "", false
}

// CanonicalPath implements family.Family: Gradient paths are compared as
// they are.
func (f *Family) CanonicalPath(path string) string { return path }

// apiError is an error answer, {"message": ...}.
type apiError struct {
	status  int
	message string
}

// Authenticate implements family.Family: a bearer token and a workspace id
// (x-gradient-workspace-id). The failure's Detail is the exact error.
func (f *Family) Authenticate(r *http.Request, _ *family.Call) *family.Failure {
	if e := f.authError(r); e != nil {
		return &family.Failure{Status: e.status, Message: e.message, Detail: e}
	}
	return nil
}

// CredentialHeaders names the workspace id, which recordings redact with
// the token.
func (f *Family) CredentialHeaders() []string { return []string{"X-Gradient-Workspace-Id"} }

// Caller is the request's bearer token.
func (f *Family) Caller(r *http.Request) string {
	return family.BearerToken(r)
}

func (f *Family) authError(r *http.Request) *apiError {
	token := f.Caller(r)
	switch {
	case token == "":
		return &apiError{http.StatusUnauthorized, "Unauthorized: an access token is required (Authorization: Bearer <token>)"}
	case !f.env.Accepts(token):
		return &apiError{http.StatusUnauthorized, "Unauthorized: the access token is not valid"}
	case strings.TrimSpace(r.Header.Get("X-Gradient-Workspace-Id")) == "":
		return &apiError{http.StatusUnauthorized, "Unauthorized: a workspace id is required (x-gradient-workspace-id)"}
	}
	return nil
}

// WriteFailure implements family.Family: f as {"message": ...}, with
// embedmock's texts for faults and rate limits. An over-large body is a
// 400. The server sets Retry-After.
func (f *Family) WriteFailure(w http.ResponseWriter, _ *http.Request, _ *family.Call, fl *family.Failure) {
	writeError(w, failureError(fl))
}

// failureError is the answer to a failure.
func failureError(f *family.Failure) *apiError {
	if e, ok := f.Detail.(*apiError); ok {
		return e
	}
	switch f.Reason {
	case family.BodyTooLarge:
		return &apiError{http.StatusBadRequest, f.Message}
	case family.Fault:
		return &apiError{f.Status, faultMessage(f.Status)}
	case family.QuotaExhausted:
		if q := f.Quota; q != nil {
			what := "requests"
			if q.Tokens {
				what = "input tokens"
			}
			return &apiError{http.StatusTooManyRequests, fmt.Sprintf("Rate limit exceeded: %d %s per minute; retry in %s",
				q.Limit, what, f.RetryAfter.Round(time.Millisecond))}
		}
	}
	return &apiError{f.Status, f.Message}
}

// faultMessage is the text of an injected status.
func faultMessage(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "Too many requests: retry in 1s"
	case http.StatusInternalServerError:
		return "Internal server error"
	case http.StatusServiceUnavailable:
		return "Service unavailable"
	}
	return family.FaultText(status)
}

// writeError answers with the Gradient API's error body, {"message": ...}.
func writeError(w http.ResponseWriter, e *apiError) {
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h.Del("Content-Length")
	w.WriteHeader(e.status)
	w.Write(append(vectorwire.MustMarshal(map[string]string{"message": e.message}), '\n'))
}

// Summarize implements family.Family: the inputs of an embeddings request,
// and the token estimate of their texts.
func (f *Family) Summarize(c *family.Call, body []byte) family.Summary {
	var s family.Summary
	doc, err := schemas.Decode(body)
	if err != nil {
		return s
	}
	obj, _ := doc.(map[string]any)
	items, _ := obj["inputs"].([]any)
	if c.Kind == kindEmbeddings {
		s.Inputs = len(items)
	}
	for _, item := range items {
		m, _ := item.(map[string]any)
		t, _ := m["input"].(string)
		s.Tokens += fakeembed.EstimateTokens(t)
	}
	return s
}

// handleModels serves GET {prefix}/embeddings.
func (f *Family) handleModels(w http.ResponseWriter, _ *http.Request, _ *family.Call) {
	vectorwire.WriteJSON(w, http.StatusOK, []byte(`{"embeddingsModels":[{"slug":"`+modelSlug+`"}]}`))
}

// handleEmbeddings serves POST {prefix}/embeddings/{slug}.
func (f *Family) handleEmbeddings(w http.ResponseWriter, r *http.Request, c *family.Call) {
	if slug := c.Model; slug != modelSlug {
		writeError(w, &apiError{http.StatusNotFound, fmt.Sprintf("Embeddings model not found for slug %s", slug)})
		return
	}
	body, failure := family.ReadBody(w, r, f.env.MaxBodyBytes)
	if failure != nil {
		f.WriteFailure(w, r, c, failure)
		return
	}
	doc, err := schemas.Decode(body)
	if err != nil {
		writeError(w, &apiError{http.StatusBadRequest, "The request body is not valid JSON."})
		return
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		writeError(w, &apiError{http.StatusBadRequest, "The request body must be a JSON object: {\"inputs\": [{\"input\": \"...\"}]}."})
		return
	}
	if in, ok := obj["inputs"].([]any); ok && len(in) > maxInputs {
		writeError(w, &apiError{http.StatusBadRequest, "inputs: between 1 and 256 inputs are allowed, got " + strconv.Itoa(len(in))})
		return
	}
	if v := schemas.Validate(schemas.GradientGenerateEmbeddingRequest, obj); v != nil {
		writeError(w, &apiError{http.StatusBadRequest, schemaMessage(v)})
		return
	}
	items := obj["inputs"].([]any)
	buf := vectorwire.GetBody()
	defer vectorwire.PutBody(buf)
	stream := vectorwire.Stream{W: w, Slots: f.env.Slots}
	b := append(*buf, `{"embeddings":[`...)
	stream.Compute()
	defer stream.Release()
	kp := vectorwire.GetKey()
	defer vectorwire.PutKey(kp)
	mode, dims := f.env.Mode, f.dimensions
	for i, item := range items {
		text := item.(map[string]any)["input"].(string)
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"embedding":`...)
		key := (*kp)[:0].Add(name).AddInt(int(mode)).AddInt(dims).Add(text)
		*kp = key
		b = f.env.Vectors.Append(b, key, func(dst []float32) []float32 {
			return fakeembed.AppendVector(dst, mode, fakeembed.Input{Model: modelSlug, Text: text},
				fakeembed.Shape{Dimensions: dims})
		}, vectorwire.AppendVector)
		b = append(b, `,"index":`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, '}')
		b = stream.Flush(b)
	}
	b = append(b, "]}"...)
	*buf = b
	stream.Finish(b)
}

// schemaMessage explains a schema violation (the real API's texts are not
// documented).
func schemaMessage(v *schemas.Violation) string {
	where := "body"
	if p := v.Path.String(); p != "" {
		where = strings.ReplaceAll(strings.TrimPrefix(p, "/"), "/", ".")
	}
	switch v.Kind {
	case schemas.UnknownField:
		return fmt.Sprintf("%s: unknown field %q", where, v.Field)
	case schemas.MissingField:
		return fmt.Sprintf("%s: %s is required", where, v.Field)
	}
	switch v.Keyword {
	case "minItems", "maxItems":
		return where + ": between 1 and 256 inputs are allowed"
	case "minLength":
		return where + ": must not be empty"
	}
	return where + ": invalid value " + v.ValueText()
}
