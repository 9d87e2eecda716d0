package mockserver

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestVectorCacheGivesTheSameBytes(t *testing.T) {
	s, cached := newTestServer(t)
	_, plain := newTestServer(t, WithVectorCacheBytes(0))
	requests := []struct{ path, body string }{
		{embedPath, embedBody("repeat me", `,"outputDimensionality":256`)},
		{embedPath, embedBody("repeat me", `,"outputDimensionality":128`)},
		{embedPath, embedBody("repeat me", `,"taskType":"RETRIEVAL_QUERY"`)},
		{"/v1beta/models/gemini-embedding-2:embedContent", embedBody("repeat me", "")},
		{batchPath, batchOf(3, goodItem)},
	}
	for _, rq := range requests {
		want := do(t, http.MethodPost, plain+rq.path, rq.body).body
		for range 3 {
			assert.Equal(t, string(want), string(do(t, http.MethodPost, cached+rq.path, rq.body).body), rq.body)
		}
	}
	for _, format := range []string{"", `,"encoding_format":"float"`, `,"encoding_format":"base64"`, `,"dimensions":64`} {
		body := `{"model":"text-embedding-3-small","input":["a","b","a"]` + format + `}`
		headers := []string{"X-Goog-Api-Key", "", "Authorization", "Bearer k"}
		want := do(t, http.MethodPost, plain+"/v1/embeddings", body, headers...).body
		for range 2 {
			assert.Equal(t, string(want), string(do(t, http.MethodPost, cached+"/v1/embeddings", body, headers...).body), body)
		}
	}
	body := `{"inputs":[{"input":"a"},{"input":"a"}]}`
	assert.Equal(t, do(t, http.MethodPost, plain+"/api/embeddings/bge-large", body, gradientHeaders...).body,
		do(t, http.MethodPost, cached+"/api/embeddings/bge-large", body, gradientHeaders...).body)
	assert.Positive(t, s.env.Vectors.Size())
}
