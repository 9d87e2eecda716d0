package vertex_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/mockserver/family/familytest"
	"github.com/embedmock/embedmock/mockserver/gemini"
	"github.com/embedmock/embedmock/mockserver/googleapi"
	"github.com/embedmock/embedmock/mockserver/vertex"
)

const token = "ya29.test-token"

// serve serves the family with the Gemini routes it shares models and
// vectors with; keys, when given, are the only credentials accepted.
func serve(t *testing.T, keys ...string) (string, *vertex.Family) {
	t.Helper()
	env := familytest.Env()
	if len(keys) > 0 {
		env.KeyAccepted = func(k string) bool { return slices.Contains(keys, k) }
	}
	g := gemini.New(env, gemini.Config{Models: gemini.DefaultModels()})
	f := vertex.New(env, g)
	return familytest.Serve(t, f, g), f
}

const scope = "/v1beta1/projects/my-project/locations/us-central1/publishers/google/models/"

// post sends a request with the bearer token unless headers set one (or
// remove it with "").
func post(t *testing.T, url, body string, headers ...string) familytest.Response {
	t.Helper()
	return familytest.Do(t, http.MethodPost, url, body, append([]string{"Authorization", "Bearer " + token}, headers...)...)
}

type prediction struct {
	Embeddings struct {
		Values     []float32 `json:"values"`
		Statistics struct {
			Truncated  bool `json:"truncated"`
			TokenCount int  `json:"token_count"`
		} `json:"statistics"`
	} `json:"embeddings"`
}

type predictAnswer struct {
	Predictions []prediction `json:"predictions"`
	Metadata    struct {
		BillableCharacterCount int `json:"billableCharacterCount"`
	} `json:"metadata"`
}

type embedContentAnswer struct {
	Embedding struct {
		Values []float32 `json:"values"`
	} `json:"embedding"`
	UsageMetadata struct {
		PromptTokenCount int `json:"promptTokenCount"`
	} `json:"usageMetadata"`
	Truncated bool `json:"truncated"`
}

func decode[T any](t *testing.T, r familytest.Response) T {
	t.Helper()
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	var v T
	require.NoError(t, json.Unmarshal(r.Body, &v), string(r.Body))
	return v
}

func googleErr(t *testing.T, r familytest.Response, status int) googleapi.Error {
	t.Helper()
	require.Equal(t, status, r.Status, string(r.Body))
	var env struct{ Error googleapi.Error }
	require.NoError(t, json.Unmarshal(r.Body, &env), string(r.Body))
	assert.Equal(t, status, env.Error.Code)
	assert.Equal(t, googleapi.StatusName(status), env.Error.Status)
	return env.Error
}

// geminiVector is what the Gemini routes answer for the same input.
func geminiVector(t *testing.T, base, model, body string) []float32 {
	t.Helper()
	r := familytest.Do(t, http.MethodPost, base+"/v1beta/models/"+model+":embedContent", body, "X-Goog-Api-Key", "k")
	return decode[embedContentAnswer](t, r).Embedding.Values
}

func TestPredict(t *testing.T) {
	base, _ := serve(t)
	long := strings.Repeat("word ", 3000) // 15000 bytes: over 2048 tokens
	cases := []struct {
		name, model, body string
		dims              int
		truncated         bool
		same              string // a Gemini embedContent body with the same vector, if any
	}{
		{"gemini-001", "gemini-embedding-001", `{"instances":[{"content":"hello world"}]}`, 3072, false,
			`{"content":{"parts":[{"text":"hello world"}]}}`},
		{"gemini-001 task title dims", "gemini-embedding-001",
			`{"instances":[{"content":"hello","task_type":"RETRIEVAL_DOCUMENT","title":"T"}],"parameters":{"outputDimensionality":256}}`, 256, false,
			`{"content":{"parts":[{"text":"hello"}]},"taskType":"RETRIEVAL_DOCUMENT","title":"T","outputDimensionality":256}`},
		{"text-005", "text-embedding-005", `{"instances":[{"content":"a"},{"content":"b"},{"content":"c"}]}`, 768, false, ""},
		{"multilingual dims", "text-multilingual-embedding-002", `{"instances":[{"content":"bonjour"}],"parameters":{"outputDimensionality":64}}`, 64, false, ""},
		{"autoTruncate default", "text-embedding-005", `{"instances":[{"content":"` + long + `"}]}`, 768, true, ""},
		{"autoTruncate true", "gemini-embedding-001", `{"instances":[{"content":"` + long + `"}],"parameters":{"autoTruncate":true}}`, 3072, true,
			`{"content":{"parts":[{"text":"` + long + `"}]}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := decode[predictAnswer](t, post(t, base+scope+tc.model+":predict", tc.body))
			require.NotEmpty(t, a.Predictions)
			for _, p := range a.Predictions {
				assert.Len(t, p.Embeddings.Values, tc.dims)
				assert.Equal(t, tc.truncated, p.Embeddings.Statistics.Truncated)
				assert.Positive(t, p.Embeddings.Statistics.TokenCount)
				assert.LessOrEqual(t, p.Embeddings.Statistics.TokenCount, 2048)
			}
			assert.Positive(t, a.Metadata.BillableCharacterCount)
			if tc.same != "" {
				assert.Equal(t, geminiVector(t, base, tc.model, tc.same), a.Predictions[0].Embeddings.Values, "the Gemini routes' vector")
			}
		})
	}
	t.Run("distinct inputs", func(t *testing.T) {
		a := decode[predictAnswer](t, post(t, base+scope+"text-embedding-005:predict", `{"instances":[{"content":"a"},{"content":"b"},{"content":"a"}]}`))
		assert.NotEqual(t, a.Predictions[0].Embeddings.Values, a.Predictions[1].Embeddings.Values)
		assert.Equal(t, a.Predictions[0].Embeddings.Values, a.Predictions[2].Embeddings.Values)
		assert.Equal(t, 3, a.Metadata.BillableCharacterCount)
	})
	t.Run("task changes the vector", func(t *testing.T) {
		q := decode[predictAnswer](t, post(t, base+scope+"text-embedding-005:predict", `{"instances":[{"content":"a","task_type":"RETRIEVAL_QUERY"}]}`))
		d := decode[predictAnswer](t, post(t, base+scope+"text-embedding-005:predict", `{"instances":[{"content":"a","task_type":"RETRIEVAL_DOCUMENT"}]}`))
		assert.NotEqual(t, q.Predictions[0].Embeddings.Values, d.Predictions[0].Embeddings.Values)
	})
	t.Run("express mode and v1", func(t *testing.T) {
		for _, path := range []string{"/v1beta1/publishers/google/models/", "/v1/publishers/google/models/", "/v1/projects/p/locations/global/publishers/google/models/"} {
			r := post(t, base+path+"text-embedding-005:predict", `{"instances":[{"content":"a"}]}`, "Authorization", "", "X-Goog-Api-Key", "express-key")
			assert.Len(t, decode[predictAnswer](t, r).Predictions, 1, path)
		}
		r := post(t, base+"/v1beta1/publishers/google/models/text-embedding-005:predict?key=express-key", `{"instances":[{"content":"a"}]}`, "Authorization", "")
		assert.Equal(t, http.StatusOK, r.Status, string(r.Body))
	})
}

func TestPredictErrors(t *testing.T) {
	base, _ := serve(t)
	long := strings.Repeat("word ", 3000)
	instances := func(n int) string {
		items := make([]string, n)
		for i := range items {
			items[i] = `{"content":"x"}`
		}
		return `{"instances":[` + strings.Join(items, ",") + `]}`
	}
	cases := []struct {
		name, model, body string
		status            int
		message           string
	}{
		{"gemini batch", "gemini-embedding-001", instances(2), 400,
			"Unable to submit request because it included too many instances. Reduce the number of instances and try again. Learn more: https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/text-embeddings: Unable to submit request because batchSize must be 1 but the entered value was 2. Update the batchSize value and try again."},
		{"text batch", "text-embedding-005", instances(251), 400, "batchSize value of 251 but the supported range is from 1 (inclusive) to 251 (exclusive)"},
		{"no instances", "text-embedding-005", `{"instances":[]}`, 400, "no instances"},
		{"autoTruncate false", "text-embedding-005", `{"instances":[{"content":"` + long + `"}],"parameters":{"autoTruncate":false}}`, 400, "input token count is 3750 but the model supports up to 2048"},
		{"dims", "text-embedding-005", `{"instances":[{"content":"a"}],"parameters":{"outputDimensionality":769}}`, 400, "outputDimensionality must be between 1 and 768"},
		{"unknown model", "nope", instances(1), 404,
			"Publisher Model `projects/my-project/locations/us-central1/publishers/google/models/nope` was not found or your project does not have access to it."},
		{"embedContent model", "gemini-embedding-2", instances(1), 400, "serves this model with embedContent"},
		{"bad JSON", "text-embedding-005", `{"instances":[`, 400, "Invalid JSON payload received."},
		{"unknown field", "text-embedding-005", `{"instances":[{"content":"a"}],"extra":1}`, 400, `Unknown name "extra": Cannot find field.`},
		{"unknown instance field", "text-embedding-005", `{"instances":[{"content":"a","text":"b"}]}`, 400, `instances[0] is invalid: unknown field "text"`},
		{"unknown parameter", "text-embedding-005", `{"instances":[{"content":"a"}],"parameters":{"dims":3}}`, 400, `unknown parameter "dims"`},
		{"no content", "text-embedding-005", `{"instances":[{"title":"a"}]}`, 400, "content must be a string"},
		{"bad task", "text-embedding-005", `{"instances":[{"content":"a","task_type":"NOPE"}]}`, 400, "not a valid task type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := googleErr(t, post(t, base+scope+tc.model+":predict", tc.body), tc.status)
			assert.Contains(t, e.Message, tc.message)
		})
	}
}

func TestEmbedContent(t *testing.T) {
	base, _ := serve(t)
	long := strings.Repeat("word ", 8000) // 40000 bytes: over 8192 tokens
	t.Run("same vector as Gemini", func(t *testing.T) {
		for _, model := range []string{"gemini-embedding-2", "gemini-embedding-2-preview", "gemini-embedding-001"} {
			body := `{"content":{"parts":[{"text":"hello"}],"role":"user"},"embedContentConfig":{"taskType":"RETRIEVAL_QUERY","title":"T","outputDimensionality":128}}`
			a := decode[embedContentAnswer](t, post(t, base+scope+model+":embedContent", body))
			assert.Len(t, a.Embedding.Values, 128)
			assert.False(t, a.Truncated)
			assert.Equal(t, 2, a.UsageMetadata.PromptTokenCount)
			assert.Equal(t, geminiVector(t, base, model, body), a.Embedding.Values, model)
		}
	})
	t.Run("express mode", func(t *testing.T) {
		r := post(t, base+"/v1beta1/publishers/google/models/gemini-embedding-2:embedContent", `{"content":{"parts":[{"text":"hi"}]}}`, "Authorization", "", "X-Goog-Api-Key", "k")
		assert.Len(t, decode[embedContentAnswer](t, r).Embedding.Values, 3072)
	})
	t.Run("autoTruncate", func(t *testing.T) {
		a := decode[embedContentAnswer](t, post(t, base+scope+"gemini-embedding-2:embedContent", `{"content":{"parts":[{"text":"`+long+`"}]}}`))
		assert.True(t, a.Truncated)
		assert.Equal(t, 8192, a.UsageMetadata.PromptTokenCount)
		e := googleErr(t, post(t, base+scope+"gemini-embedding-2:embedContent", `{"content":{"parts":[{"text":"`+long+`"}]},"embedContentConfig":{"autoTruncate":false}}`), 400)
		assert.Contains(t, e.Message, "input token count is 10000 but the model supports up to 8192")
	})
	errs := []struct {
		name, model, body string
		status            int
		message           string
	}{
		{"unknown model", "gemini-nope", `{"content":{"parts":[{"text":"a"}]}}`, 404, "Publisher Model `projects/my-project/locations/us-central1/publishers/google/models/gemini-nope` was not found"},
		{"predict model", "text-embedding-005", `{"content":{"parts":[{"text":"a"}]}}`, 400, "serves this model with predict"},
		{"bad JSON", "gemini-embedding-2", `{"content":`, 400, "Invalid JSON payload received."},
		{"unknown field", "gemini-embedding-2", `{"content":{"parts":[{"text":"a"}]},"contents":[]}`, 400, `Unknown name "contents": Cannot find field.`},
		{"unknown config field", "gemini-embedding-2", `{"content":{"parts":[{"text":"a"}]},"embedContentConfig":{"dims":1}}`, 400, `Unknown name "dims" at 'embed_content_config': Cannot find field.`},
		{"bad task", "gemini-embedding-2", `{"content":{"parts":[{"text":"a"}]},"embedContentConfig":{"taskType":"NOPE"}}`, 400, "Invalid value at 'embed_content_config.task_type'"},
		{"dims", "gemini-embedding-2", `{"content":{"parts":[{"text":"a"}]},"embedContentConfig":{"outputDimensionality":4000}}`, 400, "outputDimensionality must be between 1 and 3072"},
		{"empty", "gemini-embedding-2", `{"content":{"parts":[]}}`, 400, "contents.parts must not be empty"},
		{"empty text", "gemini-embedding-2", `{"content":{"parts":[{"text":""}]}}`, 400, "contains an empty Part"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			e := googleErr(t, post(t, base+scope+tc.model+":embedContent", tc.body), tc.status)
			assert.Contains(t, e.Message, tc.message)
		})
	}
}

func TestAuth(t *testing.T) {
	base, _ := serve(t, token, "good-key")
	body := `{"instances":[{"content":"a"}]}`
	url := base + scope + "text-embedding-005:predict"
	assert.Equal(t, http.StatusOK, post(t, url, body).Status)
	assert.Equal(t, http.StatusOK, post(t, url, body, "Authorization", "", "X-Goog-Api-Key", "good-key").Status)

	e := googleErr(t, post(t, url, body, "Authorization", ""), http.StatusUnauthorized)
	assert.True(t, strings.HasPrefix(e.Message, "Request is missing required authentication credential. Expected OAuth 2 access token"))
	assert.Equal(t, "CREDENTIALS_MISSING", e.Details[0]["reason"])
	e = googleErr(t, post(t, url, body, "Authorization", "Bearer wrong"), http.StatusUnauthorized)
	assert.Contains(t, e.Message, "Request had invalid authentication credentials.")
	e = googleErr(t, post(t, url, body, "Authorization", "", "X-Goog-Api-Key", "bad-key"), http.StatusBadRequest)
	assert.Equal(t, "API key not valid. Please pass a valid API key.", e.Message)
	e = googleErr(t, post(t, base+"/v1beta1/publishers/google/models/gemini-embedding-2:embedContent", `{}`, "Authorization", ""), http.StatusUnauthorized)
	assert.Equal(t, "google.cloud.aiplatform.v1beta1.PredictionService.EmbedContent", e.Details[0]["metadata"].(map[string]any)["method"])
}

func TestClassify(t *testing.T) {
	env := familytest.Env()
	g := gemini.New(env, gemini.Config{Models: gemini.DefaultModels()})
	f := vertex.New(env, g)
	table, err := family.NewTable(f, g)
	require.NoError(t, err)
	cases := []struct{ method, path, kind, model string }{
		{"POST", scope + "text-embedding-005:predict", "predict", "text-embedding-005"},
		{"POST", "/v1/publishers/google/models/gemini-embedding-2:embedContent", "embedContent", "gemini-embedding-2"},
		{"POST", scope + "gemini-2.5-flash:generateContent", "generateContent", "gemini-2.5-flash"},
		{"GET", "/v1beta1/publishers/google/models/text-embedding-005", "GET publishers/google/models/text-embedding-005", "text-embedding-005"},
		{"POST", "/v1/projects/p/locations/l/endpoints/123:predict", "predict", ""},
	}
	for _, tc := range cases {
		r, _ := http.NewRequest(tc.method, "http://x"+tc.path, nil)
		c := table.Classify(r)
		assert.Equal(t, vertex.Name, c.Family, tc.path)
		assert.Equal(t, tc.kind, c.Kind, tc.path)
		assert.Equal(t, tc.model, c.Model, tc.path)
	}
	r, _ := http.NewRequest("POST", "http://x/v1/models/gemini-embedding-001:embedContent", nil)
	assert.Equal(t, googleapi.Gemini, table.Classify(r).Family, "the Gemini routes keep /v1/models")
	assert.Equal(t, "/projects/p/locations/l/publishers/google/models/m:predict", f.CanonicalPath("/v1beta1/projects/p/locations/l/publishers/google/models/m:predict"))
}

func TestSummarize(t *testing.T) {
	_, f := serve(t)
	c := &family.Call{Kind: vertex.KindPredict, APIVersion: "v1"}
	s := f.Summarize(c, []byte(`{"instances":[{"content":"abcdefgh","task_type":"RETRIEVAL_QUERY"},{"content":"abcd"}],"parameters":{"outputDimensionality":64}}`))
	assert.Equal(t, family.Summary{Inputs: 2, TaskType: "RETRIEVAL_QUERY", Dimensions: 64, Tokens: 3}, s)
	c.Kind = vertex.KindEmbedContent
	s = f.Summarize(c, []byte(`{"content":{"parts":[{"text":"abcdefgh"}]},"embedContentConfig":{"taskType":"CLUSTERING","outputDimensionality":8}}`))
	assert.Equal(t, family.Summary{Inputs: 1, TaskType: "CLUSTERING", Dimensions: 8, Tokens: 2}, s)
	assert.Equal(t, family.Summary{}, f.Summarize(c, []byte(`{`)))
}

func TestTextModels(t *testing.T) {
	for _, m := range vertex.TextModels() {
		assert.Equal(t, 768, m.Embedding.Dimensions)
		assert.Equal(t, 2048, m.InputTokenLimit)
	}
	require.NoError(t, gemini.ValidateModels(vertex.TextModels()))
}

// TestGenAIJSCaptures replays what @google/genai sent with vertexai: true
// (testdata/captures/vertex-genai-js.jsonl): each request gets the status a
// correct server answers, and successes the shape the SDK parses.
func TestGenAIJSCaptures(t *testing.T) {
	base, _ := serve(t)
	captures := familytest.Captures(t, "../testdata/captures/vertex-genai-js.jsonl")
	require.Len(t, captures, 21)
	for _, c := range captures {
		t.Run(strings.TrimPrefix(c.URL, "/"), func(t *testing.T) {
			r := familytest.Replay(t, base, c)
			require.Equal(t, c.Status, r.Status, "%s\n%s", c.URL, r.Body)
			if r.Status != http.StatusOK {
				googleErr(t, r, r.Status)
				return
			}
			var req struct {
				Instances  []json.RawMessage `json:"instances"`
				Parameters struct {
					OutputDimensionality int `json:"outputDimensionality"`
				} `json:"parameters"`
				Config struct {
					OutputDimensionality int `json:"outputDimensionality"`
				} `json:"embedContentConfig"`
			}
			require.NoError(t, json.Unmarshal([]byte(c.Body), &req))
			if strings.HasSuffix(c.URL, ":predict") {
				a := decode[predictAnswer](t, r)
				require.Len(t, a.Predictions, len(req.Instances))
				for _, p := range a.Predictions {
					if d := req.Parameters.OutputDimensionality; d != 0 {
						assert.Len(t, p.Embeddings.Values, d)
					}
					assert.NotEmpty(t, p.Embeddings.Values)
					assert.Positive(t, p.Embeddings.Statistics.TokenCount)
				}
				return
			}
			a := decode[embedContentAnswer](t, r)
			want := 3072
			if d := req.Config.OutputDimensionality; d != 0 {
				want = d
			}
			assert.Len(t, a.Embedding.Values, want)
			assert.Positive(t, a.UsageMetadata.PromptTokenCount)
		})
	}
}
