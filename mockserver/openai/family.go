package openai

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/embedmock/embedmock/fakeembed"
	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/schemas"
)

// name is the family's name in the journal, faults and recordings.
const name = "openai"

// Route kinds.
const (
	kindEmbeddings = "embeddings"
	kindModelsList = "models.list"
	kindModelsGet  = "models.get"
)

// Config configures a Family.
type Config struct {
	// Models are the embedding models served, in listing order (see
	// DefaultModels and ValidateModels); New uses them as given.
	Models []Model
	// EmptyInput accepts an empty string as an input (as the API did in
	// 2023, and as LangChain Python sends for empty texts) instead of
	// answering 400 '$.input' is invalid.
	EmptyInput bool
}

// Family is the OpenAI and Azure OpenAI API family. Create one with New;
// it is safe for concurrent use.
type Family struct {
	env        *family.Env
	models     []Model
	emptyInput bool
}

var _ family.Family = (*Family)(nil)

// New returns the family serving cfg's models with the server's services
// env.
func New(env *family.Env, cfg Config) *Family {
	return &Family{env: env, models: slices.Clone(cfg.Models), emptyInput: cfg.EmptyInput}
}

// Name implements family.Family: "openai".
func (f *Family) Name() string { return name }

// Routes implements family.Family. GET /v1/models is shared with the Gemini
// API: a request with a bearer token and no Google key is OpenAI's, so
// these routes must come before the Gemini API's in the table.
func (f *Family) Routes() []family.Route {
	return []family.Route{
		{Method: http.MethodGet, Path: "/v1/models", Kind: kindModelsList, When: isModelsRequest, Handle: f.handleModels},
		{Method: http.MethodGet, Path: "/v1/models/{model}", Kind: kindModelsGet, ModelVar: "model", When: isModelsRequest, Handle: f.handleModels},
		{Method: http.MethodPost, Path: "/v1/embeddings", Kind: kindEmbeddings, Hot: true, Embeds: true, Handle: f.handleEmbeddings},
		{Method: http.MethodPost, Path: "/embeddings", Kind: kindEmbeddings, Hot: true, Embeds: true, Handle: f.handleEmbeddings},
		{Method: http.MethodPost, Path: "/openai/deployments/{deployment}/embeddings", Kind: kindEmbeddings, ModelVar: "deployment", Embeds: true, Handle: f.handleEmbeddings},
	}
}

// Claim implements family.Family: the embeddings paths with any method
// (the Azure deployment as the model), and the models API's paths when
// isModelsRequest tells them OpenAI's.
func (f *Family) Claim(r *http.Request) (kind, model string, ok bool) {
	if deployment, ok := embeddingsDeployment(r.URL.Path); ok {
		return kindEmbeddings, deployment, true
	}
	if isModelsRequest(r) {
		if id, ok := strings.CutPrefix(r.URL.Path, "/v1/models/"); ok {
			return kindModelsGet, id, true
		}
		return kindModelsList, "", true
	}
	return "", "", false
}

// embeddingsDeployment reports whether path is an embeddings route (with
// or without /v1, or Azure OpenAI's deployment route), and the Azure
// deployment.
func embeddingsDeployment(path string) (deployment string, ok bool) {
	if path == "/v1/embeddings" || path == "/embeddings" {
		return "", true
	}
	rest, found := strings.CutPrefix(path, "/openai/deployments/")
	if !found {
		return "", false
	}
	deployment, found = strings.CutSuffix(rest, "/embeddings")
	if !found || deployment == "" || strings.Contains(deployment, "/") {
		return "", false
	}
	return deployment, true
}

// isModelsRequest tells OpenAI's GET /v1/models[/{id}] from the Gemini
// API's: a bearer token and no Google key.
func isModelsRequest(r *http.Request) bool {
	if r.URL.Path != "/v1/models" && !strings.HasPrefix(r.URL.Path, "/v1/models/") {
		return false
	}
	return strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") && r.Header.Get("X-Goog-Api-Key") == "" &&
		!strings.Contains(r.URL.RawQuery, "key=")
}

// CanonicalPath implements family.Family: OpenAI paths are compared as
// they are.
func (f *Family) CanonicalPath(path string) string { return path }

// azureAccessDenied is Azure OpenAI's text for a missing or refused key.
const azureAccessDenied = "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."

// Authenticate implements family.Family. The key is in Authorization:
// Bearer, or for Azure OpenAI's deployment routes in the api-key header.
// The failure's Detail is the API's exact error.
func (f *Family) Authenticate(r *http.Request, _ *family.Call) *family.Failure {
	if e := f.keyError(r); e != nil {
		return &family.Failure{Status: e.status, Message: e.message, Detail: e}
	}
	return nil
}

// Caller is the request's API key: the bearer token, or for Azure
// OpenAI's deployment routes the api-key header.
func (f *Family) Caller(r *http.Request) string {
	key := family.BearerToken(r)
	if key == "" && isAzure(r) {
		key = r.Header.Get("Api-Key")
	}
	return key
}

func isAzure(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/openai/") }

func (f *Family) keyError(r *http.Request) *apiError {
	azure, key := isAzure(r), f.Caller(r)
	switch {
	case azure && !f.env.Accepts(key):
		return &apiError{status: http.StatusUnauthorized, azure: true, code: "401", message: azureAccessDenied}
	case key == "":
		return newError(http.StatusUnauthorized, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.", "", "")
	case !f.env.Accepts(key):
		return newError(http.StatusUnauthorized, "Incorrect API key provided: "+maskKey(key)+". You can find your API key at https://platform.openai.com/account/api-keys.", "", "invalid_api_key")
	}
	return nil
}

// maskKey shows a key the way the API's errors do: its start and end.
func maskKey(key string) string {
	if len(key) <= 8 {
		return strings.Repeat("*", len(key))
	}
	return key[:3] + strings.Repeat("*", len(key)-7) + key[len(key)-4:]
}

// WriteFailure implements family.Family: f in the OpenAI envelope, with the
// API's own texts for faults, rate limits and cassette misses. The server
// sets Retry-After.
func (f *Family) WriteFailure(w http.ResponseWriter, _ *http.Request, c *family.Call, fl *family.Failure) {
	writeError(w, failureError(c, fl))
}

// failureError is the API's error for a failure.
func failureError(c *family.Call, f *family.Failure) *apiError {
	if e, ok := f.Detail.(*apiError); ok {
		return e
	}
	model := ""
	if c != nil {
		model = c.Model
	}
	switch f.Reason {
	case family.BodyTooLarge:
		return newError(http.StatusRequestEntityTooLarge, f.Message, "", "")
	case family.Fault:
		return faultError(f.Status, model)
	case family.QuotaExhausted:
		if f.Quota != nil {
			return quotaError(model, f.Quota, f.RetryAfter)
		}
	case family.CassetteMiss:
		return newError(f.Status, f.Message, "", "cassette_miss")
	}
	return newError(f.Status, f.Message, "", "")
}

// faultError is the API's canonical error for an injected status; model
// is the model of the request's path, if any.
func faultError(status int, model string) *apiError {
	switch status {
	case http.StatusTooManyRequests: // as if a 3000 RPM quota were spent
		return quotaError(model, &family.Quota{Limit: 3000, Used: 3000, Requested: 1}, time.Second)
	case http.StatusInternalServerError:
		return newError(status, "The server had an error while processing your request. Sorry about that!", "", "")
	case http.StatusServiceUnavailable:
		return newError(status, "The engine is currently overloaded, please try again later", "", "")
	case http.StatusUnauthorized:
		return newError(status, "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.", "", "invalid_api_key")
	case http.StatusNotFound:
		return newError(status, "The model `"+model+"` does not exist or you do not have access to it.", "", "model_not_found")
	}
	return newError(status, family.FaultText(status), "", "")
}

// defaultQuotaModel is the model rate-limit texts name when the path names
// none.
const defaultQuotaModel = "text-embedding-3-small"

// quotaError is the API's 429 for an exhausted quota, retried after wait.
func quotaError(model string, q *family.Quota, wait time.Duration) *apiError {
	unit, typ := "requests per min (RPM)", "requests"
	if q.Tokens {
		unit, typ = "tokens per min (TPM)", "tokens"
	}
	if model == "" {
		model = defaultQuotaModel
	}
	e := newError(http.StatusTooManyRequests, fmt.Sprintf(
		"Rate limit reached for %s in organization org-embedmock on %s: Limit %d, Used %d, Requested %d. Please try again in %s. Visit https://platform.openai.com/account/rate-limits to learn more.",
		model, unit, q.Limit, max(q.Used, 0), q.Requested, wait.Round(time.Millisecond)), "", "rate_limit_exceeded")
	e.typ = typ
	return e
}

// Summarize implements family.Family: the body's model when the path names
// none, and for embeddings the inputs and dimensions (see
// SummarizeEmbeddings).
func (f *Family) Summarize(c *family.Call, body []byte) family.Summary {
	s := SummarizeEmbeddings(body)
	if c.Model != "" {
		s.Model = ""
	}
	if c.Kind != kindEmbeddings {
		s.Inputs, s.Dimensions = 0, 0
	}
	return s
}

// SummarizeEmbeddings summarizes an embeddings request body of OpenAI's
// shape: its model, inputs (a list of token ids counts as one),
// dimensions and token estimate (texts by fakeembed.EstimateTokens, token
// ids one each). What it cannot read is left zero.
func SummarizeEmbeddings(body []byte) family.Summary {
	var s family.Summary
	doc, err := schemas.Decode(body)
	if err != nil {
		return s
	}
	obj, _ := doc.(map[string]any)
	s.Model, _ = obj["model"].(string)
	if d, ok := obj["dimensions"].(json.Number); ok {
		n, _ := d.Int64()
		s.Dimensions = int(n)
	}
	switch in := obj["input"].(type) {
	case string:
		s.Inputs = 1
		s.Tokens = fakeembed.EstimateTokens(in)
	case []any:
		s.Inputs = len(in)
		if len(in) > 0 {
			if _, isNumber := in[0].(json.Number); isNumber {
				s.Inputs = 1 // one list of token ids
			}
		}
		for _, x := range in {
			switch y := x.(type) {
			case string:
				s.Tokens += fakeembed.EstimateTokens(y)
			case []any:
				s.Tokens += len(y)
			default:
				s.Tokens++
			}
		}
	}
	return s
}
