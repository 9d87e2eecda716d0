package mockserver

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	assert.Positive(t, s.vectors.size)
}

func TestVectorCacheIsBounded(t *testing.T) {
	c := newVectorCache(1000)
	for i := range 100 {
		k := cacheKey(nil).add(fmt.Sprint(i))
		c.put(k, make([]byte, 100))
		_, hit := c.appendTo(nil, k)
		require.False(t, hit, "kept only when asked for a second time")
		c.put(k, make([]byte, 100))
	}
	assert.LessOrEqual(t, c.size, 1000)
	assert.Len(t, c.items, c.order.Len())
	_, hit := c.appendTo(nil, cacheKey(nil).add("99"))
	assert.True(t, hit, "the newest stays")
	_, hit = c.appendTo(nil, cacheKey(nil).add("0"))
	assert.False(t, hit, "the oldest went")
	c.put(cacheKey(nil).add("big"), make([]byte, 600))
	c.put(cacheKey(nil).add("big"), make([]byte, 600))
	_, hit = c.appendTo(nil, cacheKey(nil).add("big"))
	assert.False(t, hit, "values over a quarter of the cache are not kept")

	var off *vectorCache
	out, hit := off.appendTo([]byte("x"), cacheKey(nil).add("k"))
	require.False(t, hit)
	assert.Equal(t, "x", string(out))
	off.put(cacheKey(nil).add("k"), []byte("v"))
}

func TestCacheKeysDoNotCollide(t *testing.T) {
	a := cacheKey(nil).add("ab").add("c")
	b := cacheKey(nil).add("a").add("bc")
	assert.NotEqual(t, string(a), string(b))
}
