package mockserver

import (
	"encoding/json"
	"math"
	"net/http"
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
