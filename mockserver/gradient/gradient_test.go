package gradient

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
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

var credentials = []string{"Authorization", "Bearer token", "X-Gradient-Workspace-Id", "workspace"}

func TestFamily(t *testing.T) {
	const good = `{"inputs":[{"input":"The quick brown fox"},{"input":"where is Paris?"}]}`
	many := strings.TrimSuffix(strings.Repeat(`{"input":"x"},`, 257), ",")
	tests := []struct {
		name    string
		method  string
		path    string
		body    string
		headers []string
		status  int
		message string // the error's; "" for a success
	}{
		{"good", "POST", "/gradient/embeddings/bge-large", good, credentials, 200, ""},
		{"missing token", "POST", "/gradient/embeddings/bge-large", good, []string{"X-Gradient-Workspace-Id", "workspace"}, 401,
			"Unauthorized: an access token is required (Authorization: Bearer <token>)"},
		{"refused token", "POST", "/gradient/embeddings/bge-large", good, []string{"Authorization", "Bearer other", "X-Gradient-Workspace-Id", "workspace"}, 401,
			"Unauthorized: the access token is not valid"},
		{"missing workspace", "GET", "/gradient/embeddings", "", []string{"Authorization", "Bearer token"}, 401,
			"Unauthorized: a workspace id is required (x-gradient-workspace-id)"},
		{"unknown model", "POST", "/gradient/embeddings/e5-large", good, credentials, 404, "Embeddings model not found for slug e5-large"},
		{"oversize body", "POST", "/gradient/embeddings/bge-large", `{"inputs":[{"input":"` + strings.Repeat("x", 5000) + `"}]}`, credentials, 400,
			"Request payload size exceeds the limit: 5000 bytes."},
		{"not JSON", "POST", "/gradient/embeddings/bge-large", `{"inputs":`, credentials, 400, "The request body is not valid JSON."},
		{"not an object", "POST", "/gradient/embeddings/bge-large", `[]`, credentials, 400, `The request body must be a JSON object: {"inputs": [{"input": "..."}]}.`},
		{"no inputs", "POST", "/gradient/embeddings/bge-large", `{"inputs":[]}`, credentials, 400, "inputs: between 1 and 256 inputs are allowed"},
		{"too many inputs", "POST", "/gradient/embeddings/bge-large", `{"inputs":[` + many + `]}`, credentials, 400, "inputs: between 1 and 256 inputs are allowed, got 257"},
		{"missing inputs", "POST", "/gradient/embeddings/bge-large", `{}`, credentials, 400, "body: inputs is required"},
		{"empty input", "POST", "/gradient/embeddings/bge-large", `{"inputs":[{"input":"a"},{"input":""}]}`, credentials, 400, "inputs.1.input: must not be empty"},
		{"unknown field", "POST", "/gradient/embeddings/bge-large", `{"inputs":[{"input":"a","weight":2}]}`, credentials, 400, `inputs.0: unknown field "weight"`},
		{"stray closing brace", "POST", "/gradient/embeddings/bge-large", `{"inputs":[{"input":"0"}]}}`, credentials, 400, "The request body is not valid JSON."},
		{"wrong type", "POST", "/gradient/embeddings/bge-large", `{"inputs":[{"input":5}]}`, credentials, 400, "inputs.0.input: invalid value 5"},
	}
	base := newTestServer(t, Config{Prefix: "/gradient", Dimensions: 384}, func(env *family.Env) {
		env.MaxBodyBytes = 5000
		env.KeyAccepted = func(key string) bool { return key == "token" }
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := familytest.Do(t, tt.method, base+tt.path, tt.body, tt.headers...)
			require.Equal(t, tt.status, r.Status, string(r.Body))
			if tt.message != "" {
				assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
				var env map[string]string
				require.NoError(t, json.Unmarshal(r.Body, &env), string(r.Body))
				assert.Equal(t, map[string]string{"message": tt.message}, env)
				return
			}
			assert.Equal(t, "application/json; charset=UTF-8", r.Header.Get("Content-Type"))
			var out struct {
				Embeddings []struct {
					Embedding []float32 `json:"embedding"`
					Index     *int      `json:"index"`
				} `json:"embeddings"`
			}
			require.NoError(t, json.Unmarshal(r.Body, &out), string(r.Body))
			require.Len(t, out.Embeddings, 2)
			for i, text := range []string{"The quick brown fox", "where is Paris?"} {
				require.NotNil(t, out.Embeddings[i].Index)
				assert.Equal(t, i, *out.Embeddings[i].Index)
				want := fakeembed.Vector(fakeembed.Lexical, fakeembed.Input{Model: "bge-large", Text: text}, fakeembed.Shape{Dimensions: 384})
				assert.Equal(t, want, out.Embeddings[i].Embedding)
			}
		})
	}
}

func TestResponseBytes(t *testing.T) {
	base := newTestServer(t, Config{}, nil)
	r := familytest.Do(t, http.MethodGet, base+"/api/embeddings", "", credentials...)
	require.Equal(t, 200, r.Status)
	assert.Equal(t, `{"embeddingsModels":[{"slug":"bge-large"}]}`, string(r.Body), "only bge-large: the Python SDK rejects any other slug")
	for range 3 { // the cache keeps a vector the second time: the third answer comes from it
		r = familytest.Do(t, http.MethodPost, base+"/api/embeddings/bge-large", `{"inputs":[{"input":"x"}]}`, credentials...)
		require.Equal(t, 200, r.Status, string(r.Body))
		v := fakeembed.Vector(fakeembed.Lexical, fakeembed.Input{Model: "bge-large", Text: "x"}, fakeembed.Shape{Dimensions: DefaultDimensions})
		assert.Equal(t, `{"embeddings":[{"embedding":`+string(vectorwire.AppendVector(nil, v))+`,"index":0}]}`, string(r.Body))
	}
	r = familytest.Do(t, http.MethodPost, base+"/api/embeddings/nope", `{}`, credentials...)
	assert.Equal(t, `{"message":"Embeddings model not found for slug nope"}`+"\n", string(r.Body))
}

// TestCaptures answers the requests the SDKs sent (see package
// mockserver's testdata/captures) with the statuses a correct server
// answers.
func TestCaptures(t *testing.T) {
	base := newTestServer(t, Config{}, nil)
	n := 0
	for _, name := range []string{"gradient-sdk.jsonl", "langchain-community-gradient.jsonl"} {
		for _, c := range familytest.Captures(t, filepath.Join("..", "testdata", "captures", name)) {
			assert.Equal(t, c.Status, familytest.Replay(t, base, c).Status, "%s: %s %s %s", name, c.Method, c.URL, c.Body)
			n++
		}
	}
	assert.Positive(t, n)
}

func TestWriteFailure(t *testing.T) {
	tests := []struct {
		name    string
		failure *family.Failure
		status  int
		message string
	}{
		{"body too large", family.TooLarge(64), 400, "Request payload size exceeds the limit: 64 bytes."},
		{"body unreadable", &family.Failure{Status: 400, Reason: family.BodyUnreadable, Message: "Failed to read the request body: boom"}, 400,
			"Failed to read the request body: boom"},
		{"fault 429", &family.Failure{Status: 429, Reason: family.Fault, RetryAfter: time.Second}, 429, "Too many requests: retry in 1s"},
		{"fault 500", &family.Failure{Status: 500, Reason: family.Fault}, 500, "Internal server error"},
		{"fault 503", &family.Failure{Status: 503, Reason: family.Fault}, 503, "Service unavailable"},
		{"fault 400", &family.Failure{Status: 400, Reason: family.Fault}, 400, "Request contains an invalid argument."},
		{"fault 401", &family.Failure{Status: 401, Reason: family.Fault}, 401,
			"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential."},
		{"fault 403", &family.Failure{Status: 403, Reason: family.Fault}, 403, "The caller does not have permission"},
		{"fault 404", &family.Failure{Status: 404, Reason: family.Fault}, 404, "Requested entity was not found."},
		{"fault 504", &family.Failure{Status: 504, Reason: family.Fault}, 504, "Deadline expired before operation could complete."},
		{"fault 418", &family.Failure{Status: 418, Reason: family.Fault}, 418, "embedmock: injected fault (418 I'm a teapot)"},
		{"request quota", &family.Failure{Status: 429, Reason: family.QuotaExhausted, RetryAfter: 1500 * time.Millisecond,
			Quota: &family.Quota{Limit: 3, Used: 3, Requested: 1}}, 429, "Rate limit exceeded: 3 requests per minute; retry in 1.5s"},
		{"token quota", &family.Failure{Status: 429, Reason: family.QuotaExhausted, RetryAfter: time.Minute,
			Quota: &family.Quota{Tokens: true, Limit: 10, Used: 5, Requested: 15}}, 429, "Rate limit exceeded: 10 input tokens per minute; retry in 1m0s"},
		{"cassette miss", &family.Failure{Status: 400, Reason: family.CassetteMiss, Message: "no recorded interaction matches"}, 400,
			"no recorded interaction matches"},
		{"other", family.Fail(400, "embedmock: X-Embedmock-Delay must be a Go duration such as 250ms"), 400,
			"embedmock: X-Embedmock-Delay must be a Go duration such as 250ms"},
	}
	f := New(familytest.Env(), Config{})
	table, err := family.NewTable(f)
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/api/embeddings/bge-large", nil)
			c := table.Classify(r)
			w := httptest.NewRecorder()
			f.WriteFailure(w, r, &c, tt.failure)
			assert.Equal(t, tt.status, w.Code)
			assert.Equal(t, string(vectorwire.MustMarshal(map[string]string{"message": tt.message}))+"\n", w.Body.String())
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			assert.Empty(t, w.Header().Get("Retry-After"), "the server sets it")
		})
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		method, path string
		kind, model  string
		routed       bool
	}{
		{"GET", "/g/api/embeddings", "embeddings.list", "", true},
		{"POST", "/g/api/embeddings", "embeddings.list", "", false},
		{"POST", "/g/api/embeddings/bge-large", "embeddings", "bge-large", true},
		{"GET", "/g/api/embeddings/bge-large", "embeddings", "bge-large", false},
		{"POST", "/g/api/embeddings/", "embeddings", "", false},
		{"POST", "/g/api/embeddings/a/b", "", "", false},
		{"POST", "/g/api/other", "", "", false},
		{"POST", "/api/embeddings/bge-large", "", "", false},
	}
	f := New(familytest.Env(), Config{Prefix: "/g/api", Dimensions: 8})
	table, err := family.NewTable(f)
	require.NoError(t, err)
	for _, tt := range tests {
		c := table.Classify(httptest.NewRequest(tt.method, tt.path, nil))
		if tt.kind == "" {
			assert.Equal(t, family.Unclaimed, c.Family, "%s %s", tt.method, tt.path)
			continue
		}
		assert.Equal(t, []string{"gradient", tt.kind, tt.model}, []string{c.Family, c.Kind, c.Model}, "%s %s", tt.method, tt.path)
		assert.Equal(t, tt.routed, c.Route != nil, "%s %s", tt.method, tt.path)
	}
	assert.Equal(t, "/g/api/embeddings", f.CanonicalPath("/g/api/embeddings"))
}

func TestSummarize(t *testing.T) {
	est := fakeembed.EstimateTokens
	tests := []struct {
		path string
		body string
		want family.Summary
	}{
		{"/api/embeddings/bge-large", `{"inputs":[{"input":"hello world"},{"input":"x"}]}`, family.Summary{Inputs: 2, Tokens: est("hello world") + est("x")}},
		{"/api/embeddings/bge-large", `{"inputs":[{"input":5}]}`, family.Summary{Inputs: 1}},
		{"/api/embeddings", `{"inputs":[{"input":"x"}]}`, family.Summary{Tokens: est("x")}},
		{"/api/embeddings/bge-large", `{"inputs":`, family.Summary{}},
		{"/api/embeddings/bge-large", ``, family.Summary{}},
	}
	f := New(familytest.Env(), Config{})
	table, err := family.NewTable(f)
	require.NoError(t, err)
	for _, tt := range tests {
		c := table.Classify(&http.Request{Method: http.MethodPost, URL: &url.URL{Path: tt.path}})
		require.Equal(t, "gradient", c.Family, tt.path)
		assert.Equal(t, tt.want, f.Summarize(&c, []byte(tt.body)), "%s %s", tt.path, tt.body)
	}
}
