package mockserver

import (
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embedmock/embedmock/fakeembed"
)

var gradientHeaders = []string{"X-Goog-Api-Key", "", "Authorization", "Bearer gradient-token", "X-Gradient-Workspace-Id", "workspace"}

type gradientResponse struct {
	Embeddings []struct {
		Embedding []float64 `json:"embedding"`
		Index     *int      `json:"index"`
	} `json:"embeddings"`
}

func TestGradientEmbeddings(t *testing.T) {
	_, base := newTestServer(t)
	r := do(t, http.MethodGet, base+"/api/embeddings", "", gradientHeaders...)
	require.Equal(t, 200, r.status)
	assert.JSONEq(t, `{"embeddingsModels":[{"slug":"bge-large"}]}`, string(r.body), "only bge-large: the Python SDK rejects any other slug")

	texts := []string{"The quick brown fox", "Represent this sentence for searching relevant passages: where is Paris?"}
	body := `{"inputs":[{"input":"` + texts[0] + `"},{"input":"` + texts[1] + `"}]}`
	r = do(t, http.MethodPost, base+"/api/embeddings/bge-large", body, gradientHeaders...)
	require.Equal(t, 200, r.status, string(r.body))
	var resp gradientResponse
	require.NoError(t, json.Unmarshal(r.body, &resp))
	require.Len(t, resp.Embeddings, 2)
	for i, e := range resp.Embeddings {
		require.NotNil(t, e.Index)
		assert.Equal(t, i, *e.Index)
		require.Len(t, e.Embedding, 1024)
		var sum float64
		for _, x := range e.Embedding {
			sum += x * x
		}
		assert.InDelta(t, 1, math.Sqrt(sum), 1e-6, "unit vectors")
		want := fakeembed.Vector(fakeembed.Lexical, fakeembed.Input{Model: "bge-large", Text: texts[i]}, fakeembed.Shape{Dimensions: 1024})
		assert.Equal(t, want, float32s(e.Embedding))
	}

	// A base URL with a trailing slash doubles the slash; no redirect.
	r = do(t, http.MethodPost, base+"/api//embeddings/bge-large", body, gradientHeaders...)
	assert.Equal(t, 200, r.status)
}

func TestGradientErrors(t *testing.T) {
	many := strings.TrimSuffix(strings.Repeat(`{"input":"x"},`, 257), ",")
	tests := []struct {
		name    string
		method  string
		path    string
		body    string
		headers []string
		status  int
		message string
	}{
		{"no token", "POST", "/api/embeddings/bge-large", `{"inputs":[{"input":"x"}]}`, []string{"Authorization", ""}, 401,
			"Unauthorized: an access token is required (Authorization: Bearer <token>)"},
		{"no workspace", "GET", "/api/embeddings", "", []string{"X-Gradient-Workspace-Id", ""}, 401,
			"Unauthorized: a workspace id is required (x-gradient-workspace-id)"},
		{"unknown slug", "POST", "/api/embeddings/e5-large", `{"inputs":[{"input":"x"}]}`, nil, 404, "Embeddings model not found for slug e5-large"},
		{"no inputs", "POST", "/api/embeddings/bge-large", `{"inputs":[]}`, nil, 400, "inputs: between 1 and 256 inputs are allowed"},
		{"missing inputs", "POST", "/api/embeddings/bge-large", `{}`, nil, 400, "body: inputs is required"},
		{"too many inputs", "POST", "/api/embeddings/bge-large", `{"inputs":[` + many + `]}`, nil, 400, "inputs: between 1 and 256 inputs are allowed, got 257"},
		{"empty input", "POST", "/api/embeddings/bge-large", `{"inputs":[{"input":"a"},{"input":""}]}`, nil, 400, "inputs.1.input: must not be empty"},
		{"unknown field", "POST", "/api/embeddings/bge-large", `{"inputs":[{"input":"a","weight":2}]}`, nil, 400, `inputs.0: unknown field "weight"`},
		{"wrong type", "POST", "/api/embeddings/bge-large", `{"inputs":[{"input":5}]}`, nil, 400, "inputs.0.input: invalid value 5"},
		{"not JSON", "POST", "/api/embeddings/bge-large", `{"inputs":`, nil, 400, "The request body is not valid JSON."},
		{"stray closing brace", "POST", "/api/embeddings/bge-large", `{"inputs":[{"input":"0"}]}}`, nil, 400, "The request body is not valid JSON."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, base := newTestServer(t)
			r := do(t, tt.method, base+tt.path, tt.body, append(append([]string{}, gradientHeaders...), tt.headers...)...)
			assert.Equal(t, tt.status, r.status, string(r.body))
			var env map[string]string
			require.NoError(t, json.Unmarshal(r.body, &env), string(r.body))
			assert.Equal(t, map[string]string{"message": tt.message}, env)
		})
	}
}

func TestGradientConfiguration(t *testing.T) {
	s, base := newTestServer(t, WithGradient("/gradient/api", 384), WithAPIKeys("good-token"))
	body := `{"inputs":[{"input":"x"}]}`
	r := do(t, http.MethodPost, base+"/gradient/api/embeddings/bge-large", body, append(append([]string{}, gradientHeaders...), "Authorization", "Bearer good-token")...)
	require.Equal(t, 200, r.status, string(r.body))
	var resp gradientResponse
	require.NoError(t, json.Unmarshal(r.body, &resp))
	assert.Len(t, resp.Embeddings[0].Embedding, 384)
	r = do(t, http.MethodPost, base+"/gradient/api/embeddings/bge-large", body, gradientHeaders...)
	assert.Equal(t, 401, r.status)
	assert.Equal(t, 404, do(t, http.MethodPost, base+"/api/embeddings/bge-large", body, gradientHeaders...).status)

	require.NoError(t, s.InjectFault(Fault{Status: 503, Family: "gradient"}))
	r = do(t, http.MethodPost, base+"/gradient/api/embeddings/bge-large", body, append(append([]string{}, gradientHeaders...), "Authorization", "Bearer good-token")...)
	assert.Equal(t, 503, r.status)
	assert.JSONEq(t, `{"message":"Service unavailable"}`, string(r.body))
	got := s.Requests(ByFamily("gradient"))
	require.NotEmpty(t, got)
	assert.Equal(t, "embeddings", got[0].Route)
	assert.Equal(t, "bge-large", got[0].Model)
	assert.Equal(t, 1, got[0].Inputs)

	for _, bad := range []string{"api", "/api/", "/v1"} {
		_, err := New(WithGradient(bad, 8))
		assert.Error(t, err, bad)
	}
	_, err := New(WithGradient("/x", 0))
	assert.Error(t, err)
}
