package mockserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"cloud.google.com/go/auth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genai"
)

// staticToken is a fake OAuth 2 token source for the Vertex AI backend.
type staticToken string

func (s staticToken) Token(context.Context) (*auth.Token, error) {
	return &auth.Token{Value: string(s), Type: "Bearer"}, nil
}

// authRecorder remembers the Authorization and x-goog-api-key headers the
// SDK sent, and the paths.
type authRecorder struct {
	next http.Handler
	mu   sync.Mutex
	seen []string // "path auth key"
}

func (a *authRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.seen = append(a.seen, r.URL.Path+" "+r.Header.Get("Authorization")+" "+r.Header.Get("X-Goog-Api-Key"))
	a.mu.Unlock()
	a.next.ServeHTTP(w, r)
}

// newVertexClient returns the official Go SDK with the Vertex AI backend
// pointed at base: with a project, a location and a static token, or in
// express mode with an API key.
func newVertexClient(t *testing.T, base, apiVersion, apiKey string) *genai.Client {
	t.Helper()
	cfg := &genai.ClientConfig{Backend: genai.BackendVertexAI, HTTPOptions: genai.HTTPOptions{BaseURL: base, APIVersion: apiVersion}}
	if apiKey != "" {
		cfg.APIKey = apiKey
	} else {
		cfg.Project, cfg.Location = "my-project", "us-central1"
		cfg.Credentials = auth.NewCredentials(&auth.CredentialsOptions{TokenProvider: staticToken("ya29.fake-token")})
	}
	client, err := genai.NewClient(context.Background(), cfg)
	require.NoError(t, err)
	return client
}

func TestGenAISDKVertex(t *testing.T) {
	ctx := context.Background()
	s, base := newTestServer(t)
	rec := &authRecorder{next: s}
	ts := httptest.NewServer(rec)
	t.Cleanup(ts.Close)
	vertexBase := ts.URL
	gemini := newGenAIClient(t, base, "v1beta")
	text := "The quick brown fox jumps over the lazy dog."

	for _, tc := range []struct{ name, version, key, prefix string }{
		{"v1beta1 project", "", "", "/v1beta1/projects/my-project/locations/us-central1/publishers/google/models/"},
		{"v1 project", "v1", "", "/v1/projects/my-project/locations/us-central1/publishers/google/models/"},
		{"express", "", "express-key", "/v1beta1/publishers/google/models/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec.mu.Lock()
			rec.seen = nil
			rec.mu.Unlock()
			client := newVertexClient(t, vertexBase, tc.version, tc.key)
			cfg := &genai.EmbedContentConfig{TaskType: "RETRIEVAL_DOCUMENT", Title: "Foxes", OutputDimensionality: genai.Ptr[int32](256)}

			// predict: gemini-embedding-001, one instance.
			one, err := client.Models.EmbedContent(ctx, "gemini-embedding-001", genai.Text(text), cfg)
			require.NoError(t, err)
			require.Len(t, one.Embeddings, 1)
			require.Len(t, one.Embeddings[0].Values, 256)
			require.NotNil(t, one.Embeddings[0].Statistics)
			assert.Equal(t, float32(11), one.Embeddings[0].Statistics.TokenCount)
			assert.False(t, one.Embeddings[0].Statistics.Truncated)
			require.NotNil(t, one.Metadata)
			assert.Equal(t, int32(36), one.Metadata.BillableCharacterCount)
			want, err := gemini.Models.EmbedContent(ctx, "gemini-embedding-001", genai.Text(text), cfg)
			require.NoError(t, err)
			assert.Equal(t, want.Embeddings[0].Values, one.Embeddings[0].Values, "the Gemini routes' vector")

			// predict: several instances for text-embedding-005; one is too
			// many for gemini-embedding-001.
			texts := []*genai.Content{genai.NewContentFromText("a", genai.RoleUser), genai.NewContentFromText("b", genai.RoleUser)}
			many, err := client.Models.EmbedContent(ctx, "text-embedding-005", texts, nil)
			require.NoError(t, err)
			require.Len(t, many.Embeddings, 2)
			assert.Len(t, many.Embeddings[0].Values, 768)
			_, err = client.Models.EmbedContent(ctx, "gemini-embedding-001", texts, nil)
			var apiErr genai.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, http.StatusBadRequest, apiErr.Code)
			assert.Contains(t, apiErr.Message, "batchSize must be 1 but the entered value was 2")

			// embedContent: gemini-embedding-2.
			two, err := client.Models.EmbedContent(ctx, "gemini-embedding-2", genai.Text(text), cfg)
			require.NoError(t, err)
			require.Len(t, two.Embeddings, 1)
			require.Len(t, two.Embeddings[0].Values, 256)
			assert.Equal(t, float32(11), two.Embeddings[0].Statistics.TokenCount)
			want, err = gemini.Models.EmbedContent(ctx, "gemini-embedding-2", genai.Text(text), cfg)
			require.NoError(t, err)
			assert.Equal(t, want.Embeddings[0].Values, two.Embeddings[0].Values, "the Gemini routes' vector")

			// Over the token limit: truncated silently (the Go SDK cannot
			// send autoTruncate false: the field is a bool with omitempty).
			long, err := client.Models.EmbedContent(ctx, "text-embedding-005", genai.Text(strings.Repeat("a", 4*2048+8)), &genai.EmbedContentConfig{AutoTruncate: true})
			require.NoError(t, err)
			assert.True(t, long.Embeddings[0].Statistics.Truncated)
			assert.Equal(t, float32(2048), long.Embeddings[0].Statistics.TokenCount)

			// Unknown model.
			_, err = client.Models.EmbedContent(ctx, "text-embedding-999", genai.Text(text), nil)
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, http.StatusNotFound, apiErr.Code)
			assert.Contains(t, apiErr.Message, "publishers/google/models/text-embedding-999` was not found")

			rec.mu.Lock()
			defer rec.mu.Unlock()
			require.NotEmpty(t, rec.seen)
			for _, seen := range rec.seen {
				assert.Contains(t, seen, tc.prefix)
				if tc.key != "" {
					assert.Contains(t, seen, " "+tc.key, "express mode sends the key")
				} else {
					assert.Contains(t, seen, "Bearer ya29.fake-token", "the token source's token")
				}
			}
		})
	}

	// The journal names the family and route.
	var kinds []string
	for _, e := range s.Requests(ByFamily("vertex")) {
		kinds = append(kinds, e.Route)
	}
	assert.Contains(t, kinds, "predict")
	assert.Contains(t, kinds, "embedContent")
}

// TestVertexPipeline checks the server's stages on the Vertex routes: the
// journal's summary, rate limits in Vertex AI's words, restricted keys and
// the claim of other Vertex AI paths.
func TestVertexPipeline(t *testing.T) {
	s, base := newTestServer(t, WithRateLimits(2, 0), WithAPIKeys(testKey))
	url := base + "/v1/projects/p/locations/us-central1/publishers/google/models/text-embedding-005:predict"
	body := `{"instances":[{"content":"abcdefgh","task_type":"RETRIEVAL_QUERY"},{"content":"b"}],"parameters":{"outputDimensionality":64}}`
	bearer := "Bearer " + testKey

	r := do(t, http.MethodPost, url, body, "X-Goog-Api-Key", "", "Authorization", bearer)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	entries := s.Requests(ByFamily("vertex"))
	require.Len(t, entries, 1)
	e := entries[0]
	assert.Equal(t, "predict", e.Route)
	assert.Equal(t, "text-embedding-005", e.Model)
	assert.Equal(t, 2, e.Inputs)
	assert.Equal(t, "RETRIEVAL_QUERY", e.TaskType)
	assert.Equal(t, 64, e.Dimensions)

	r = do(t, http.MethodPost, url, body, "X-Goog-Api-Key", "", "Authorization", "Bearer other-token")
	assert.Equal(t, http.StatusUnauthorized, r.status, string(r.body))

	require.Equal(t, http.StatusOK, do(t, http.MethodPost, url, body, "X-Goog-Api-Key", "", "Authorization", bearer).status)
	r = do(t, http.MethodPost, url, body, "X-Goog-Api-Key", "", "Authorization", bearer)
	require.Equal(t, http.StatusTooManyRequests, r.status, string(r.body))
	ge := googleErr(t, r)
	assert.Equal(t, "RESOURCE_EXHAUSTED", ge.Status)
	assert.Contains(t, ge.Message, "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: text-embedding-005.")

	// Another Vertex AI method: not served, but journaled as family vertex.
	r = do(t, http.MethodPost, base+"/v1beta1/projects/p/locations/l/publishers/google/models/gemini-2.5-flash:generateContent", `{}`,
		"X-Goog-Api-Key", "", "Authorization", bearer)
	assert.Equal(t, http.StatusNotFound, r.status)
	entries = s.Requests(ByFamily("vertex"), ByRoute("generateContent"))
	require.Len(t, entries, 1)
	assert.Equal(t, "gemini-2.5-flash", entries[0].Model)
}
