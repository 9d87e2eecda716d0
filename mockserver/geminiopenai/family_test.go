package geminiopenai_test

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embedmock/embedmock/fakeembed"
	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/mockserver/family/familytest"
	"github.com/embedmock/embedmock/mockserver/gemini"
	"github.com/embedmock/embedmock/mockserver/geminiopenai"
	"github.com/embedmock/embedmock/mockserver/googleapi"
)

const key = "gemini-key"

// serve serves the endpoint with the Gemini routes it shares models and
// vectors with; keys, when given, are the only keys accepted.
func serve(t *testing.T, keys ...string) (string, *geminiopenai.Family, *gemini.Family) {
	t.Helper()
	env := familytest.Env()
	if len(keys) > 0 {
		env.KeyAccepted = func(k string) bool { return slices.Contains(keys, k) }
	}
	g := gemini.New(env, gemini.Config{Models: gemini.DefaultModels()})
	f := geminiopenai.New(env, g)
	return familytest.Serve(t, f, g), f, g
}

// post sends an embeddings request with the bearer key unless headers
// set one (or remove it with "").
func post(t *testing.T, base, body string, headers ...string) familytest.Response {
	t.Helper()
	return familytest.Do(t, http.MethodPost, base+geminiopenai.Path, body, append([]string{"Authorization", "Bearer " + key}, headers...)...)
}

type answer struct {
	Object string `json:"object"`
	Data   []struct {
		Object    string          `json:"object"`
		Index     int             `json:"index"`
		Embedding json.RawMessage `json:"embedding"`
	} `json:"data"`
	Model string `json:"model"`
	Usage struct {
		PromptTokens int `json:"prompt_tokens"`
		TotalTokens  int `json:"total_tokens"`
	} `json:"usage"`
}

// vectors decodes an answer's embeddings, floats or base64.
func vectors(t *testing.T, a answer) [][]float32 {
	t.Helper()
	out := make([][]float32, len(a.Data))
	for i, d := range a.Data {
		var s string
		if json.Unmarshal(d.Embedding, &s) != nil {
			require.NoError(t, json.Unmarshal(d.Embedding, &out[i]))
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(s)
		require.NoError(t, err)
		require.Zero(t, len(raw)%4)
		for j := 0; j < len(raw); j += 4 {
			out[i] = append(out[i], math.Float32frombits(binary.LittleEndian.Uint32(raw[j:])))
		}
	}
	return out
}

const fox = "The quick brown fox jumps over the lazy dog."

func TestEmbeddings(t *testing.T) {
	base, _, g := serve(t)
	texts := []string{fox, "Paris is the capital of France."}
	want := func(model, text string, dims int) []float32 {
		v, err := g.Vector(gemini.VectorQuery{Model: model, Text: text, Dimensions: dims})
		require.NoError(t, err)
		return v
	}
	tests := []struct {
		name, body string
		headers    []string
		model      string // the answer's model
		texts      []string
		dims       int
		base64     bool
	}{
		{name: "string", body: `{"model":"gemini-embedding-001","input":"` + fox + `"}`, model: "gemini-embedding-001", texts: texts[:1]},
		{name: "list", body: `{"model":"gemini-embedding-001","input":["` + texts[0] + `","` + texts[1] + `"],"encoding_format":"float"}`, model: "gemini-embedding-001", texts: texts},
		{name: "models/ prefix", body: `{"model":"models/gemini-embedding-001","input":["` + fox + `"]}`, model: "models/gemini-embedding-001", texts: texts[:1]},
		{name: "dimensions", body: `{"model":"gemini-embedding-001","input":"` + fox + `","dimensions":256}`, model: "gemini-embedding-001", texts: texts[:1], dims: 256},
		{name: "dimensions as a string, null user", body: `{"model":"gemini-embedding-001","input":"` + fox + `","dimensions":"768","user":null}`, model: "gemini-embedding-001", texts: texts[:1], dims: 768},
		{name: "dimensions 0 is none", body: `{"model":"gemini-embedding-001","input":"` + fox + `","dimensions":0}`, model: "gemini-embedding-001", texts: texts[:1]},
		{name: "base64", body: `{"model":"gemini-embedding-001","input":["` + texts[0] + `","` + texts[1] + `"],"encoding_format":"base64","dimensions":128}`, model: "gemini-embedding-001", texts: texts, dims: 128, base64: true},
		{name: "encodingFormat spelling", body: `{"model":"gemini-embedding-001","input":"` + fox + `","encodingFormat":"base64"}`, model: "gemini-embedding-001", texts: texts[:1], base64: true},
		{name: "gemini-embedding-2", body: `{"model":"gemini-embedding-2","input":"` + fox + `","dimensions":1536,"user":"u1"}`, model: "gemini-embedding-2", texts: texts[:1], dims: 1536},
		{name: "lenient JSON", body: `{model:'gemini-embedding-001',input:['` + fox + `',],}`, model: "gemini-embedding-001", texts: texts[:1]},
		{name: "x-goog-api-key", body: `{"model":"gemini-embedding-001","input":"` + fox + `"}`, headers: []string{"Authorization", "", "X-Goog-Api-Key", key}, model: "gemini-embedding-001", texts: texts[:1]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(t, base, tt.body, tt.headers...)
			require.Equal(t, http.StatusOK, r.Status, string(r.Body))
			assert.Equal(t, "application/json; charset=UTF-8", r.Header.Get("Content-Type"))
			assert.Equal(t, "scaffolding on HTTPServer2", r.Header.Get("Server"), "Google's front end")
			var a answer
			require.NoError(t, json.Unmarshal(r.Body, &a))
			assert.Equal(t, "list", a.Object)
			assert.Equal(t, tt.model, a.Model)
			require.Len(t, a.Data, len(tt.texts))
			tokens := 0
			for i, v := range vectors(t, a) {
				assert.Equal(t, "embedding", a.Data[i].Object)
				assert.Equal(t, i, a.Data[i].Index)
				assert.Equal(t, tt.base64, a.Data[i].Embedding[0] == '"', "base64 is a string")
				assert.Equal(t, want(tt.model, tt.texts[i], tt.dims), v, "the Gemini routes' vector")
				tokens += fakeembed.EstimateTokens(tt.texts[i])
			}
			assert.Equal(t, tokens, a.Usage.PromptTokens)
			assert.Equal(t, tokens, a.Usage.TotalTokens)
		})
	}
}

// TestSameVectorAsTheGeminiRoutes compares the answer with the Gemini
// routes' for the same model and text: dimensions is outputDimensionality,
// the first d components not re-normalised.
func TestSameVectorAsTheGeminiRoutes(t *testing.T) {
	base, _, _ := serve(t)
	for _, dims := range []int{0, 64, 3072} {
		native := familytest.Do(t, http.MethodPost, base+"/v1beta/models/gemini-embedding-001:batchEmbedContents",
			`{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"`+fox+`"}]},"outputDimensionality":`+jsonInt(dims)+`}]}`,
			"X-Goog-Api-Key", key)
		require.Equal(t, http.StatusOK, native.Status, string(native.Body))
		var n struct {
			Embeddings []struct {
				Values []float32 `json:"values"`
			} `json:"embeddings"`
		}
		require.NoError(t, json.Unmarshal(native.Body, &n))
		got := embed(t, base, `{"model":"gemini-embedding-001","input":"`+fox+`","dimensions":`+jsonInt(dims)+`}`)
		assert.Equal(t, n.Embeddings[0].Values, got, "dims %d", dims)
		if dims != 0 && dims < 3072 {
			full := embed(t, base, `{"model":"gemini-embedding-001","input":"`+fox+`"}`)
			// The full vector has unit length, so its first components,
			// as they are, do not: they are not re-normalised.
			assert.Equal(t, full[:dims], got, "the first %d components, as they are", dims)
		}
	}
}

// embed returns the first vector of a successful answer.
func embed(t *testing.T, base, body string) []float32 {
	t.Helper()
	r := post(t, base, body)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	var a answer
	require.NoError(t, json.Unmarshal(r.Body, &a))
	return vectors(t, a)[0]
}

func jsonInt(n int) string { b, _ := json.Marshal(n); return string(b) }

// googleError decodes the endpoint's error envelope: Google's object, not
// wrapped in a list.
func googleError(t *testing.T, r familytest.Response) googleapi.Error {
	t.Helper()
	require.True(t, strings.HasPrefix(strings.TrimSpace(string(r.Body)), "{"), "an object, not a list: %s", r.Body)
	assert.Equal(t, "application/json; charset=UTF-8", r.Header.Get("Content-Type"))
	var env struct {
		Error *googleapi.Error `json:"error"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &env), string(r.Body))
	require.NotNil(t, env.Error, string(r.Body))
	assert.Equal(t, r.Status, env.Error.Code)
	assert.Equal(t, googleapi.StatusName(r.Status), env.Error.Status)
	return *env.Error
}

func TestErrors(t *testing.T) {
	base, _, _ := serve(t, key)
	many := make([]string, 101)
	for i := range many {
		many[i] = `"t"`
	}
	const model = `"model":"gemini-embedding-001",`
	tests := []struct {
		name, path, body string
		headers          []string
		status           int
		message          string // exact
		reason           string // of an ErrorInfo detail, if any
	}{
		{name: "no key", body: `{` + model + `"input":"x"}`, headers: []string{"Authorization", ""}, status: 403,
			message: "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API."},
		{name: "bad bearer key", body: `{` + model + `"input":"x"}`, headers: []string{"Authorization", "Bearer wrong"}, status: 400,
			message: "API key not valid. Please pass a valid API key.", reason: "API_KEY_INVALID"},
		{name: "bad x-goog-api-key", body: `{` + model + `"input":"x"}`, headers: []string{"Authorization", "", "X-Goog-Api-Key", "wrong"}, status: 400,
			message: "API key not valid. Please pass a valid API key.", reason: "API_KEY_INVALID"},
		{name: "bad ?key=", path: "?key=wrong", body: `{` + model + `"input":"x"}`, headers: []string{"Authorization", ""}, status: 400,
			message: "API key not valid. Please pass a valid API key.", reason: "API_KEY_INVALID"},
		{name: "bad JSON", body: `{"model":`, status: 400,
			message: "Invalid JSON payload received. Unexpected end of string. Expected a value.\n{\"model\":\n         ^"},
		{name: "not an object", body: `["x"]`, status: 400, message: `Invalid JSON payload received. Unknown name "": Root element must be a message.`},
		{name: "unknown field", body: `{` + model + `"input":"x","thinking":true}`, status: 400,
			message: `Invalid JSON payload received. Unknown name "thinking": Cannot find field.`},
		{name: "unknown query parameter", path: "?alt=json&foo=1", body: `{` + model + `"input":"x"}`, status: 400,
			message: `Invalid JSON payload received. Unknown name "foo": Cannot bind query parameter. Field 'foo' could not be found in request message.`},
		{name: "unknown model", body: `{"model":"no-such-model-xyz","input":"x"}`, status: 404,
			message: "models/no-such-model-xyz is not found for API version v1main, or is not supported for embedContent. Call ModelService.ListModels to see the list of available models and their supported methods."},
		{name: "tuned model", body: `{"model":"tunedModels/mine","input":"x"}`, status: 404,
			message: "tunedModels/mine is not found for API version v1main, or is not supported for embedContent. Call ModelService.ListModels to see the list of available models and their supported methods."},
		{name: "model name format", body: `{"model":"google/gemini-embedding-001","input":["a","b"]}`, status: 400,
			message: "* BatchEmbedContentsRequest.model: unexpected model name format\n* BatchEmbedContentsRequest.requests[0].model: unexpected model name format\n* BatchEmbedContentsRequest.requests[1].model: unexpected model name format\n"},
		{name: "no model", body: `{"input":"a"}`, status: 400,
			message: "* BatchEmbedContentsRequest.model: unexpected model name format\n* BatchEmbedContentsRequest.requests[0].model: unexpected model name format\n"},
		{name: "model not a string", body: `{"model":5,"input":"a"}`, status: 400, message: "Invalid value at 'model' (TYPE_STRING), 5"},
		{name: "empty input list", body: `{` + model + `"input":[]}`, status: 400, message: "* BatchEmbedContentsRequest.requests: requests is not specified\n"},
		{name: "no input", body: `{"model":"gemini-embedding-001"}`, status: 400, message: "* BatchEmbedContentsRequest.requests: requests is not specified\n"},
		{name: "too many inputs", body: `{` + model + `"input":[` + strings.Join(many, ",") + `]}`, status: 400,
			message: "* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch\n"},
		{name: "empty text", body: `{` + model + `"input":""}`, status: 400, message: "EmbedContentRequest.content contains an empty Part."},
		{name: "an empty text in a list", body: `{` + model + `"input":["a",""]}`, status: 400, message: "EmbedContentRequest.content contains an empty Part."},
		{name: "token ids", body: `{` + model + `"input":[791,4062]}`, status: 400, message: "Invalid value at 'input[0]' (TYPE_STRING), 791"},
		{name: "input an object", body: `{` + model + `"input":{"text":"a"}}`, status: 400, message: "Invalid value (input), Starting an object on a scalar field"},
		{name: "dimensions too large", body: `{` + model + `"input":["a","b"],"dimensions":4000}`, status: 400,
			message: "* BatchEmbedContentsRequest.requests[0].output_dimensionality: outputDimensionality must be between 1 and 3072 for models/gemini-embedding-001, got 4000\n" +
				"* BatchEmbedContentsRequest.requests[1].output_dimensionality: outputDimensionality must be between 1 and 3072 for models/gemini-embedding-001, got 4000\n"},
		{name: "dimensions negative", body: `{` + model + `"input":"a","dimensions":-1}`, status: 400,
			message: "* BatchEmbedContentsRequest.requests[0].output_dimensionality: outputDimensionality must be between 1 and 3072 for models/gemini-embedding-001, got -1\n"},
		{name: "dimensions not a number", body: `{` + model + `"input":"a","dimensions":"abc"}`, status: 400, message: `Invalid value at 'dimensions' (TYPE_INT32), "abc"`},
		{name: "dimensions a fraction", body: `{` + model + `"input":"a","dimensions":1.5}`, status: 400, message: `Invalid value at 'dimensions' (TYPE_INT32), 1.5`},
		{name: "dimensions a list", body: `{` + model + `"input":"a","dimensions":[8]}`, status: 400,
			message: `Invalid JSON payload received. Unknown name "dimensions": Proto field is not repeating, cannot start list.`},
		{name: "bad encoding_format", body: `{` + model + `"input":"a","encoding_format":"int8"}`, status: 400, message: `Invalid value at 'encoding_format' (TYPE_STRING), "int8"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := familytest.Do(t, http.MethodPost, base+geminiopenai.Path+tt.path, tt.body,
				append([]string{"Authorization", "Bearer " + key}, tt.headers...)...)
			require.Equal(t, tt.status, r.Status, string(r.Body))
			e := googleError(t, r)
			assert.Equal(t, tt.message, e.Message)
			if tt.reason != "" {
				require.NotEmpty(t, e.Details)
				assert.Equal(t, tt.reason, e.Details[0]["reason"])
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	env := familytest.Env()
	env.MaxBodyBytes = 64
	g := gemini.New(env, gemini.Config{Models: gemini.DefaultModels()})
	base := familytest.Serve(t, geminiopenai.New(env, g))
	r := post(t, base, `{"model":"gemini-embedding-001","input":"`+strings.Repeat("x", 100)+`"}`)
	require.Equal(t, http.StatusBadRequest, r.Status)
	assert.Equal(t, "Request payload size exceeds the limit: 64 bytes.", googleError(t, r).Message)
}

// TestFamily covers what the server reads of the family: its name and
// route, claims, callers, summaries and failures.
func TestFamily(t *testing.T) {
	_, f, _ := serve(t)
	assert.Equal(t, "gemini", f.Name())
	routes := f.Routes()
	require.Len(t, routes, 1)
	assert.Equal(t, geminiopenai.Kind, routes[0].Kind)
	assert.True(t, routes[0].Embeds, "rate limits apply")
	assert.Equal(t, "//openai/embeddings", f.CanonicalPath(geminiopenai.Path))

	claims := []struct {
		method, path string
		ok           bool
	}{
		{http.MethodGet, geminiopenai.Path, true},
		{http.MethodPut, geminiopenai.Path, true},
		{http.MethodPost, "/v1beta/openai/chat/completions", false},
		{http.MethodPost, "/v1/embeddings", false},
	}
	for _, c := range claims {
		kind, model, ok := f.Claim(httptest.NewRequest(c.method, c.path, nil))
		assert.Equal(t, c.ok, ok, c.path)
		if ok {
			assert.Equal(t, geminiopenai.Kind, kind)
			assert.Empty(t, model)
		}
	}

	callers := []struct {
		headers []string
		url     string
		want    string
	}{
		{[]string{"Authorization", "Bearer a"}, "/", "a"},
		{[]string{"Authorization", "Bearer a", "X-Goog-Api-Key", "b"}, "/", "a"},
		{[]string{"X-Goog-Api-Key", "b"}, "/?key=c", "b"},
		{nil, "/?key=c", "c"},
		{nil, "/", ""},
	}
	for _, c := range callers {
		r := httptest.NewRequest(http.MethodPost, c.url, nil)
		for i := 0; i < len(c.headers); i += 2 {
			r.Header.Set(c.headers[i], c.headers[i+1])
		}
		assert.Equal(t, c.want, f.Caller(r), "%v %s", c.headers, c.url)
	}

	summaries := []struct {
		body string
		want family.Summary
	}{
		{`{"model":"models/gemini-embedding-001","input":["` + fox + `","ab"],"dimensions":256}`,
			family.Summary{Model: "gemini-embedding-001", Inputs: 2, Dimensions: 256, Tokens: fakeembed.EstimateTokens(fox) + 1}},
		{`{"model":"gemini-embedding-2","input":"` + fox + `"}`, family.Summary{Model: "gemini-embedding-2", Inputs: 1, Tokens: fakeembed.EstimateTokens(fox)}},
		{`not JSON`, family.Summary{}},
	}
	for _, s := range summaries {
		assert.Equal(t, s.want, f.Summarize(&family.Call{Kind: geminiopenai.Kind}, []byte(s.body)), s.body)
	}

	// Failures raised by the server are Google's, in the same envelope.
	failures := []struct {
		failure *family.Failure
		status  int
		prefix  string
	}{
		{&family.Failure{Status: 429, Reason: family.QuotaExhausted, Quota: &family.Quota{Limit: 3, Used: 3, Requested: 1}, RetryAfter: time.Second},
			429, "You exceeded your current quota"},
		{&family.Failure{Status: 503, Reason: family.Fault}, 503, "The model is overloaded."},
		{family.TooLarge(10), 400, "Request payload size exceeds the limit: 10 bytes."},
	}
	for _, fl := range failures {
		rec := httptest.NewRecorder()
		f.WriteFailure(rec, httptest.NewRequest(http.MethodPost, geminiopenai.Path, nil), &family.Call{Kind: geminiopenai.Kind}, fl.failure)
		r := familytest.Response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
		require.Equal(t, fl.status, r.Status)
		assert.True(t, strings.HasPrefix(googleError(t, r).Message, fl.prefix), string(r.Body))
	}
}
