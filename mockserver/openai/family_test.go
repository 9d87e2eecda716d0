package openai

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embedmock/embedmock/fakeembed"
	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/mockserver/family/familytest"
	"github.com/embedmock/embedmock/mockserver/vectorwire"
)

// newTestServer serves a Family alone; edit, if set, changes the
// environment first.
func newTestServer(t *testing.T, cfg Config, edit func(*family.Env)) string {
	t.Helper()
	env := familytest.Env()
	if edit != nil {
		edit(env)
	}
	return familytest.Serve(t, New(env, cfg))
}

// errorBody decodes an error envelope.
func errorBody(t *testing.T, r familytest.Response) map[string]any {
	t.Helper()
	assert.Equal(t, "application/json; charset=utf-8", r.Header.Get("Content-Type"))
	assert.Regexp(t, `^req_[0-9a-f]{32}$`, r.Header.Get("X-Request-Id"))
	var env struct {
		Error map[string]any `json:"error"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &env), string(r.Body))
	return env.Error
}

func TestFamily(t *testing.T) {
	const good = `{"model":"text-embedding-3-small","input":["a b","c"],"dimensions":8}`
	notJSON := "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)"
	tests := []struct {
		name    string
		method  string
		path    string
		body    string
		headers []string
		status  int
		error   map[string]any // the error envelope; nil for a success
	}{
		{"good", "POST", "/v1/embeddings", good, []string{"Authorization", "Bearer k"}, 200, nil},
		{"good without /v1", "POST", "/embeddings", good, []string{"Authorization", "Bearer k"}, 200, nil},
		{"good on Azure", "POST", "/openai/deployments/d/embeddings?api-version=2024-10-21", good, []string{"Api-Key", "k"}, 200, nil},
		{"missing key", "POST", "/v1/embeddings", good, nil, 401, map[string]any{"type": "invalid_request_error", "param": nil, "code": nil,
			"message": "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys."}},
		{"refused key", "POST", "/v1/embeddings", good, []string{"Authorization", "Bearer sk-wrong-key-1234"}, 401, map[string]any{"type": "invalid_request_error", "param": nil, "code": "invalid_api_key",
			"message": "Incorrect API key provided: sk-**********1234. You can find your API key at https://platform.openai.com/account/api-keys."}},
		{"missing key on Azure", "POST", "/openai/deployments/d/embeddings?api-version=1", good, nil, 401, map[string]any{"code": "401",
			"message": "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}},
		{"unknown model", "POST", "/v1/embeddings", `{"model":"gpt-4o","input":"x"}`, []string{"Authorization", "Bearer k"}, 404,
			map[string]any{"type": "invalid_request_error", "param": nil, "code": "model_not_found", "message": "The model `gpt-4o` does not exist or you do not have access to it."}},
		{"unknown deployment", "POST", "/openai/deployments/d/embeddings?api-version=1", `{"input":"x"}`, []string{"Api-Key", "k"}, 404,
			map[string]any{"code": "DeploymentNotFound", "message": "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."}},
		{"no api-version", "POST", "/openai/deployments/d/embeddings", good, []string{"Api-Key", "k"}, 404, map[string]any{"code": "404", "message": "Resource not found"}},
		{"oversize body", "POST", "/v1/embeddings", `{"model":"text-embedding-3-small","input":"` + strings.Repeat("x", 100) + `"}`, []string{"Authorization", "Bearer k"}, 413,
			map[string]any{"type": "invalid_request_error", "param": nil, "code": nil, "message": "Request payload size exceeds the limit: 100 bytes."}},
		{"not JSON", "POST", "/v1/embeddings", `{"model":`, []string{"Authorization", "Bearer k"}, 400,
			map[string]any{"type": "invalid_request_error", "param": nil, "code": nil, "message": notJSON}},
		{"empty input", "POST", "/v1/embeddings", `{"model":"text-embedding-3-small","input":["a",""]}`, []string{"Authorization", "Bearer k"}, 400,
			map[string]any{"type": "invalid_request_error", "param": nil, "code": nil, "message": "'$.input[1]' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."}},
		{"unknown parameter", "POST", "/v1/embeddings", `{"model":"text-embedding-3-small","input":"x","truncate":true}`, []string{"Authorization", "Bearer k"}, 400,
			map[string]any{"type": "invalid_request_error", "param": nil, "code": nil, "message": "Unrecognized request argument supplied: truncate"}},
		{"dimensions above native", "POST", "/v1/embeddings", `{"model":"text-embedding-3-small","input":"x","dimensions":2000}`, []string{"Authorization", "Bearer k"}, 400,
			map[string]any{"type": "invalid_request_error", "param": "dimensions", "code": nil, "message": "This model's maximum number of dimensions is 1536, however you requested 2000 dimensions."}},
		{"unknown model of the models API", "GET", "/v1/models/nope", "", []string{"Authorization", "Bearer k"}, 404,
			map[string]any{"type": "invalid_request_error", "param": "model", "code": "model_not_found", "message": "The model 'nope' does not exist"}},
	}
	base := newTestServer(t, Config{Models: DefaultModels()}, func(env *family.Env) {
		env.MaxBodyBytes = 100
		env.KeyAccepted = func(key string) bool { return key == "k" }
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := familytest.Do(t, tt.method, base+tt.path, tt.body, tt.headers...)
			require.Equal(t, tt.status, r.Status, string(r.Body))
			if tt.error != nil {
				assert.Equal(t, tt.error, errorBody(t, r))
				return
			}
			var out struct {
				Object string `json:"object"`
				Data   []struct {
					Object    string    `json:"object"`
					Index     int       `json:"index"`
					Embedding []float32 `json:"embedding"`
				} `json:"data"`
				Model string         `json:"model"`
				Usage map[string]int `json:"usage"`
			}
			require.NoError(t, json.Unmarshal(r.Body, &out), string(r.Body))
			assert.Equal(t, "list", out.Object)
			assert.Equal(t, "text-embedding-3-small", out.Model)
			tokens := max(fakeembed.EstimateTokens("a b"), 1) + max(fakeembed.EstimateTokens("c"), 1)
			assert.Equal(t, map[string]int{"prompt_tokens": tokens, "total_tokens": tokens}, out.Usage)
			require.Len(t, out.Data, 2)
			for i, text := range []string{"a b", "c"} {
				assert.Equal(t, i, out.Data[i].Index)
				want := fakeembed.Vector(fakeembed.Lexical, fakeembed.Input{Model: "text-embedding-3-small", Text: text},
					fakeembed.Shape{Dimensions: 1536, Output: 8, Truncation: fakeembed.Renormalize})
				assert.Equal(t, want, out.Data[i].Embedding)
			}
			for h, want := range map[string]string{
				"Content-Type": "application/json; charset=UTF-8", "Openai-Version": "2020-10-01", "Openai-Model": "text-embedding-3-small",
				"X-Ratelimit-Limit-Requests": "10000", "X-Ratelimit-Remaining-Requests": "9999", "X-Ratelimit-Limit-Tokens": "10000000",
			} {
				assert.Equal(t, want, r.Header.Get(h), h)
			}
		})
	}
}

// TestErrors answers invalid embedding requests with the API's exact
// errors.
func TestErrors(t *testing.T) {
	tooMany := `"` + strings.Repeat(`x","`, maxInputs) + `x"`
	long := strings.Repeat("word ", 8000) // 40000 bytes: 10000 estimated tokens
	var many []string
	for range 40 {
		many = append(many, `"`+strings.Repeat("w", 32000)+`"`) // 8000 tokens each: 320000 in all
	}
	tests := []struct {
		name    string
		path    string
		body    string
		headers []string
		status  int
		typ     string
		code    any
		message string
	}{
		{"empty list", "/v1/embeddings", `{"model":"text-embedding-3-small","input":[]}`, nil, 400, "invalid_request_error", nil,
			"'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."},
		{"empty string", "/embeddings", `{"model":"text-embedding-3-small","input":""}`, nil, 400, "invalid_request_error", nil,
			"'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."},
		{"more than 2048 inputs", "/v1/embeddings", `{"model":"text-embedding-3-small","input":[` + tooMany + `]}`, nil, 400, "invalid_request_error", nil,
			"'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."},
		{"mixed input", "/v1/embeddings", `{"model":"text-embedding-3-small","input":["a",1]}`, nil, 400, "invalid_request_error", nil,
			"'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."},
		{"input over 8192 tokens", "/v1/embeddings", `{"model":"text-embedding-3-small","input":"` + long + `"}`, nil, 400, "invalid_request_error", nil,
			"This model's maximum context length is 8192 tokens, however you requested 10000 tokens (10000 in your prompt; 0 for the completion). Please reduce your prompt; or completion length."},
		{"over 300k tokens", "/v1/embeddings", `{"model":"text-embedding-3-small","input":[` + strings.Join(many, ",") + `]}`, nil, 400, "max_tokens_per_request", "max_tokens_per_request",
			"Requested 320000 tokens, max 300000 tokens per request"},
		{"dimensions on ada-002", "/v1/embeddings", `{"model":"text-embedding-ada-002","input":"x","dimensions":256}`, nil, 400, "invalid_request_error", nil,
			"This model does not support specifying dimensions."},
		{"dimensions zero", "/v1/embeddings", `{"model":"text-embedding-3-small","input":"x","dimensions":0}`, nil, 400, "invalid_request_error", nil,
			"'$.dimensions' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."},
		{"bad encoding format", "/v1/embeddings", `{"model":"text-embedding-3-small","input":"x","encoding_format":"hex"}`, nil, 400, "invalid_request_error", nil,
			"'$.encoding_format' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."},
		{"no model", "/v1/embeddings", `{"input":"x"}`, nil, 400, "invalid_request_error", nil, "you must provide a model parameter"},
		{"no input", "/v1/embeddings", `{"model":"text-embedding-3-small"}`, nil, 400, "invalid_request_error", nil, "'input' is a required property"},
		{"stray closing bracket", "/v1/embeddings", `{"model":"text-embedding-3-small","input":["x", 5]}]`, nil, 400, "invalid_request_error", nil,
			"We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)"},
		{"stray closing brace, fast path shape", "/v1/embeddings", `{"model":"text-embedding-3-small","input":"x"}}`, nil, 400, "invalid_request_error", nil,
			"We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)"},
	}
	base := newTestServer(t, Config{Models: DefaultModels()}, func(env *family.Env) { env.MaxBodyBytes = 20 << 20 })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := familytest.Do(t, http.MethodPost, base+tt.path, tt.body, append([]string{"Authorization", "Bearer k"}, tt.headers...)...)
			assert.Equal(t, tt.status, r.Status, string(r.Body))
			e := errorBody(t, r)
			assert.Equal(t, map[string]any{"message": tt.message, "type": tt.typ, "param": e["param"], "code": tt.code}, e)
			assert.Contains(t, e, "param")
		})
	}
}

func TestResponseBytes(t *testing.T) {
	base := newTestServer(t, Config{Models: DefaultModels()}, func(env *family.Env) {
		env.Quota = func(string) family.QuotaStatus {
			return family.QuotaStatus{RequestsPerMinute: 3, RemainingRequests: 2}
		}
	})
	for range 3 { // the cache keeps a vector the second time: the third answer comes from it
		r := familytest.Do(t, http.MethodPost, base+"/v1/embeddings", `{"model":"text-embedding-ada-002","input":[1,2],"encoding_format":"base64"}`, "Authorization", "Bearer k")
		require.Equal(t, 200, r.Status, string(r.Body))
		v := fakeembed.Vector(fakeembed.Lexical, fakeembed.Input{Model: "text-embedding-ada-002", Text: "\x01tokens:1,2"},
			fakeembed.Shape{Dimensions: 1536, Truncation: fakeembed.Renormalize})
		assert.Equal(t, `{"object":"list","data":[{"object":"embedding","index":0,"embedding":`+string(vectorwire.AppendBase64Vector(nil, v))+
			`}],"model":"text-embedding-ada-002-v2","usage":{"prompt_tokens":2,"total_tokens":2}}`, string(r.Body))
		assert.Equal(t, "3", r.Header.Get("X-Ratelimit-Limit-Requests"))
		assert.Equal(t, "2", r.Header.Get("X-Ratelimit-Remaining-Requests"))
		assert.Equal(t, "10000000", r.Header.Get("X-Ratelimit-Limit-Tokens"))
	}

	r := familytest.Do(t, http.MethodGet, base+"/v1/models", "", "Authorization", "Bearer k")
	require.Equal(t, 200, r.Status)
	assert.Equal(t, `{"object":"list","data":[{"id":"text-embedding-3-small","object":"model","created":1705948997,"owned_by":"system"},`+
		`{"id":"text-embedding-3-large","object":"model","created":1705953180,"owned_by":"system"},`+
		`{"id":"text-embedding-ada-002","object":"model","created":1671217299,"owned_by":"system"}]}`, string(r.Body))
	r = familytest.Do(t, http.MethodGet, base+"/v1/models/text-embedding-3-large", "", "Authorization", "Bearer k")
	require.Equal(t, 200, r.Status)
	assert.Equal(t, `{"id":"text-embedding-3-large","object":"model","created":1705953180,"owned_by":"system"}`, string(r.Body))
	assert.Equal(t, http.StatusNotFound, familytest.Do(t, http.MethodGet, base+"/v1/models", "", "X-Goog-Api-Key", "g").Status,
		"a request without a bearer token is the Gemini API's")

	r = familytest.Do(t, http.MethodPost, base+"/v1/embeddings", `{"model":"text-embedding-3-small"}`, "Authorization", "Bearer k")
	assert.Equal(t, `{"error":{"code":null,"message":"'input' is a required property","param":null,"type":"invalid_request_error"}}`+"\n", string(r.Body))
}

// TestCaptures answers the requests the SDKs sent with the statuses a
// correct server answers.
func TestCaptures(t *testing.T) {
	base := newTestServer(t, Config{Models: DefaultModels()}, nil)
	for _, name := range captureFiles {
		for _, c := range loadCaptures(t, name) {
			assert.Equal(t, c.Status, familytest.Replay(t, base, c).Status, "%s: %s %s %s", name, c.Method, c.URL, c.Body)
		}
	}
}

func TestWriteFailure(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		failure *family.Failure
		status  int
		body    string
	}{
		{"body too large", "/v1/embeddings", family.TooLarge(64), 413,
			`{"error":{"code":null,"message":"Request payload size exceeds the limit: 64 bytes.","param":null,"type":"invalid_request_error"}}`},
		{"body unreadable", "/v1/embeddings", &family.Failure{Status: 400, Reason: family.BodyUnreadable, Message: "Failed to read the request body: boom"}, 400,
			`{"error":{"code":null,"message":"Failed to read the request body: boom","param":null,"type":"invalid_request_error"}}`},
		{"fault 429", "/v1/embeddings", &family.Failure{Status: 429, Reason: family.Fault, RetryAfter: time.Second}, 429,
			`{"error":{"code":"rate_limit_exceeded","message":"Rate limit reached for text-embedding-3-small in organization org-embedmock on requests per min (RPM): Limit 3000, Used 3000, Requested 1. Please try again in 1s. Visit https://platform.openai.com/account/rate-limits to learn more.","param":null,"type":"requests"}}`},
		{"fault 429 on a deployment", "/openai/deployments/dep/embeddings", &family.Failure{Status: 429, Reason: family.Fault}, 429,
			`{"error":{"code":"rate_limit_exceeded","message":"Rate limit reached for dep in organization org-embedmock on requests per min (RPM): Limit 3000, Used 3000, Requested 1. Please try again in 1s. Visit https://platform.openai.com/account/rate-limits to learn more.","param":null,"type":"requests"}}`},
		{"fault 500", "/v1/embeddings", &family.Failure{Status: 500, Reason: family.Fault}, 500,
			`{"error":{"code":null,"message":"The server had an error while processing your request. Sorry about that!","param":null,"type":"server_error"}}`},
		{"fault 503", "/v1/embeddings", &family.Failure{Status: 503, Reason: family.Fault}, 503,
			`{"error":{"code":null,"message":"The engine is currently overloaded, please try again later","param":null,"type":"server_error"}}`},
		{"fault 401", "/v1/embeddings", &family.Failure{Status: 401, Reason: family.Fault}, 401,
			`{"error":{"code":"invalid_api_key","message":"Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.","param":null,"type":"invalid_request_error"}}`},
		{"fault 404", "/v1/embeddings", &family.Failure{Status: 404, Reason: family.Fault}, 404,
			"{\"error\":{\"code\":\"model_not_found\",\"message\":\"The model `` does not exist or you do not have access to it.\",\"param\":null,\"type\":\"invalid_request_error\"}}"},
		{"fault 400", "/v1/embeddings", &family.Failure{Status: 400, Reason: family.Fault}, 400,
			`{"error":{"code":null,"message":"Request contains an invalid argument.","param":null,"type":"invalid_request_error"}}`},
		{"fault 504", "/v1/embeddings", &family.Failure{Status: 504, Reason: family.Fault}, 504,
			`{"error":{"code":null,"message":"Deadline expired before operation could complete.","param":null,"type":"server_error"}}`},
		{"fault 418", "/v1/embeddings", &family.Failure{Status: 418, Reason: family.Fault}, 418,
			`{"error":{"code":null,"message":"embedmock: injected fault (418 I'm a teapot)","param":null,"type":"invalid_request_error"}}`},
		{"request quota", "/v1/embeddings", &family.Failure{Status: 429, Reason: family.QuotaExhausted, RetryAfter: 1500 * time.Millisecond,
			Quota: &family.Quota{Limit: 3, Used: 3, Requested: 1}}, 429,
			`{"error":{"code":"rate_limit_exceeded","message":"Rate limit reached for text-embedding-3-small in organization org-embedmock on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 1.5s. Visit https://platform.openai.com/account/rate-limits to learn more.","param":null,"type":"requests"}}`},
		{"token quota", "/v1/embeddings", &family.Failure{Status: 429, Reason: family.QuotaExhausted, RetryAfter: time.Minute,
			Quota: &family.Quota{Tokens: true, Limit: 10, Used: -5, Requested: 15}}, 429,
			`{"error":{"code":"rate_limit_exceeded","message":"Rate limit reached for text-embedding-3-small in organization org-embedmock on tokens per min (TPM): Limit 10, Used 0, Requested 15. Please try again in 1m0s. Visit https://platform.openai.com/account/rate-limits to learn more.","param":null,"type":"tokens"}}`},
		{"cassette miss", "/v1/embeddings", &family.Failure{Status: 400, Reason: family.CassetteMiss, Message: "no recorded interaction matches"}, 400,
			`{"error":{"code":"cassette_miss","message":"no recorded interaction matches","param":null,"type":"invalid_request_error"}}`},
		{"other", "/v1/embeddings", family.Fail(400, "embedmock: X-Embedmock-Fault must be an HTTP status or drop"), 400,
			`{"error":{"code":null,"message":"embedmock: X-Embedmock-Fault must be an HTTP status or drop","param":null,"type":"invalid_request_error"}}`},
		{"upstream", "/v1/embeddings", &family.Failure{Status: 502, Reason: family.UpstreamFailed, Message: "embedmock: the upstream did not answer"}, 502,
			`{"error":{"code":null,"message":"embedmock: the upstream did not answer","param":null,"type":"server_error"}}`},
	}
	f := New(familytest.Env(), Config{Models: DefaultModels()})
	table, err := family.NewTable(f)
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, tt.path, nil)
			c := table.Classify(r)
			w := httptest.NewRecorder()
			f.WriteFailure(w, r, &c, tt.failure)
			assert.Equal(t, tt.status, w.Code)
			assert.Equal(t, tt.body+"\n", w.Body.String())
			assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
			assert.Empty(t, w.Header().Get("Retry-After"), "the server sets it")
		})
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		method, path string
		bearer       bool
		kind, model  string
		routed       bool
	}{
		{"POST", "/v1/embeddings", true, "embeddings", "", true},
		{"POST", "/embeddings", false, "embeddings", "", true},
		{"GET", "/v1/embeddings", false, "embeddings", "", false},
		{"POST", "/openai/deployments/dep/embeddings", false, "embeddings", "dep", true},
		{"DELETE", "/openai/deployments/dep/embeddings", false, "embeddings", "dep", false},
		{"GET", "/v1/models", true, "models.list", "", true},
		{"GET", "/v1/models/m", true, "models.get", "m", true},
		{"POST", "/v1/models/m", true, "models.get", "m", false},
		{"GET", "/v1/models/a/b", true, "models.get", "a/b", false},
		{"GET", "/v1/models", false, "", "", false},
		{"GET", "/openai/deployments/a/b/embeddings", false, "", "", false},
	}
	table, err := family.NewTable(New(familytest.Env(), Config{Models: DefaultModels()}))
	require.NoError(t, err)
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.path, nil)
		if tt.bearer {
			r.Header.Set("Authorization", "Bearer k")
		}
		c := table.Classify(r)
		if tt.kind == "" {
			assert.Equal(t, family.Unclaimed, c.Family, "%s %s", tt.method, tt.path)
			continue
		}
		assert.Equal(t, []string{"openai", tt.kind, tt.model}, []string{c.Family, c.Kind, c.Model}, "%s %s", tt.method, tt.path)
		assert.Equal(t, tt.routed, c.Route != nil, "%s %s", tt.method, tt.path)
	}
	r := httptest.NewRequest(http.MethodGet, "/v1/models?key=g", nil)
	r.Header.Set("Authorization", "Bearer k")
	assert.Equal(t, family.Unclaimed, table.Classify(r).Family, "a Google key in the query")
	assert.Equal(t, "/v1/embeddings", New(familytest.Env(), Config{}).CanonicalPath("/v1/embeddings"))
}

func TestSummarize(t *testing.T) {
	est := fakeembed.EstimateTokens
	tests := []struct {
		path string
		body string
		want family.Summary
	}{
		{"/v1/embeddings", `{"model":"m","input":"hello world","dimensions":8}`, family.Summary{Model: "m", Inputs: 1, Dimensions: 8, Tokens: est("hello world")}},
		{"/v1/embeddings", `{"model":"m","input":["a","b c"],"dimensions":8.0}`, family.Summary{Model: "m", Inputs: 2, Tokens: est("a") + est("b c")}},
		{"/v1/embeddings", `{"model":"m","input":[1,2,3]}`, family.Summary{Model: "m", Inputs: 1, Tokens: 3}},
		{"/v1/embeddings", `{"model":"m","input":[[1,2],[3]]}`, family.Summary{Model: "m", Inputs: 2, Tokens: 3}},
		{"/openai/deployments/dep/embeddings", `{"model":"m","input":"x"}`, family.Summary{Inputs: 1, Tokens: est("x")}},
		{"/v1/models", `{"model":"m","input":"x"}`, family.Summary{Model: "m", Tokens: est("x")}},
		{"/v1/embeddings", `{"model":`, family.Summary{}},
		{"/v1/embeddings", ``, family.Summary{}},
	}
	f := New(familytest.Env(), Config{Models: DefaultModels()})
	table, err := family.NewTable(f)
	require.NoError(t, err)
	for _, tt := range tests {
		r := &http.Request{Method: http.MethodPost, URL: &url.URL{Path: tt.path}, Header: http.Header{"Authorization": {"Bearer k"}}}
		c := table.Classify(r)
		require.Equal(t, "openai", c.Family, tt.path)
		assert.Equal(t, tt.want, f.Summarize(&c, []byte(tt.body)), "%s %s", tt.path, tt.body)
	}
}

func TestValidateModels(t *testing.T) {
	require.NoError(t, ValidateModels(DefaultModels()))
	for _, tt := range []struct {
		models []Model
		err    string
	}{
		{[]Model{{ID: "a b", Dimensions: 1}}, `mockserver: OpenAI model id "a b" is empty or holds / or a space`},
		{[]Model{{ID: "", Dimensions: 1}}, `mockserver: OpenAI model id "" is empty or holds / or a space`},
		{[]Model{{ID: "m"}}, "mockserver: OpenAI model m needs positive dimensions"},
		{[]Model{{ID: "m", Dimensions: 1}, {ID: "m", Dimensions: 2}}, "mockserver: OpenAI model m is listed twice"},
	} {
		assert.EqualError(t, ValidateModels(tt.models), tt.err)
	}
}
