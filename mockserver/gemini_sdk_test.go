package mockserver

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genai"
)

// newGenAIClient returns the official Go SDK pointed at base.
func newGenAIClient(t *testing.T, base string, apiVersion string) *genai.Client {
	t.Helper()
	client, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey:      testKey,
		Backend:     genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: base, APIVersion: apiVersion},
	})
	require.NoError(t, err)
	return client
}

func TestGenAISDKEmbedContent(t *testing.T) {
	ctx := context.Background()
	_, base := newTestServer(t)
	for _, version := range []string{"v1beta", "v1"} {
		t.Run(version, func(t *testing.T) {
			client := newGenAIClient(t, base, version)
			texts := []string{"The quick brown fox jumps over the lazy dog.", "Embeddings map text to points.", "Paris is in France."}

			one, err := client.Models.EmbedContent(ctx, "gemini-embedding-001", genai.Text(texts[0]), nil)
			require.NoError(t, err)
			require.Len(t, one.Embeddings, 1)
			require.Len(t, one.Embeddings[0].Values, 3072)
			assert.InDelta(t, 1, norm(one.Embeddings[0].Values), 1e-6, "unit length at full size")

			var contents []*genai.Content
			for _, text := range texts {
				contents = append(contents, genai.NewContentFromText(text, genai.RoleUser))
			}
			many, err := client.Models.EmbedContent(ctx, "gemini-embedding-001", contents, nil)
			require.NoError(t, err)
			require.Len(t, many.Embeddings, 3)
			assert.Equal(t, one.Embeddings[0].Values, many.Embeddings[0].Values, "identical input, identical vector")
			assert.NotEqual(t, many.Embeddings[0].Values, many.Embeddings[1].Values)
			assert.NotEqual(t, many.Embeddings[1].Values, many.Embeddings[2].Values)

			// Below the recommended 128 too, as Google's own SDK tests ask
			// (python-genai test_embed_content.py: 10).
			for _, dims := range []int32{1, 10, 256, 768} {
				resp, err := client.Models.EmbedContent(ctx, "gemini-embedding-001", contents,
					&genai.EmbedContentConfig{OutputDimensionality: genai.Ptr(dims)})
				require.NoError(t, err)
				for i, e := range resp.Embeddings {
					require.Len(t, e.Values, int(dims))
					assert.Equal(t, many.Embeddings[i].Values[:dims], e.Values)
				}
			}
		})
	}
}

func TestGenAISDKTaskTypesAndTitle(t *testing.T) {
	ctx := context.Background()
	_, base := newTestServer(t)
	client := newGenAIClient(t, base, "")
	text := genai.Text("What is the capital of France?")
	seen := map[float32]string{}
	for _, task := range taskTypeNames[1:] {
		resp, err := client.Models.EmbedContent(ctx, "gemini-embedding-001", text, &genai.EmbedContentConfig{TaskType: task})
		require.NoError(t, err, task)
		v := resp.Embeddings[0].Values
		require.Len(t, v, 3072)
		assert.NotContains(t, seen, v[0], "%s and %s give the same vector", task, seen[v[0]])
		seen[v[0]] = task
	}
	plain, err := client.Models.EmbedContent(ctx, "gemini-embedding-001", text, &genai.EmbedContentConfig{TaskType: "RETRIEVAL_DOCUMENT"})
	require.NoError(t, err)
	titled, err := client.Models.EmbedContent(ctx, "gemini-embedding-001", text,
		&genai.EmbedContentConfig{TaskType: "RETRIEVAL_DOCUMENT", Title: "Geography"})
	require.NoError(t, err)
	assert.NotEqual(t, plain.Embeddings[0].Values, titled.Embeddings[0].Values)
}

func TestGenAISDKErrors(t *testing.T) {
	ctx := context.Background()
	_, base := newTestServer(t)
	client := newGenAIClient(t, base, "")

	_, err := client.Models.EmbedContent(ctx, "no-such-model-xyz", genai.Text("hello"), nil)
	var apiErr genai.APIError
	require.True(t, errors.As(err, &apiErr), "%T %v", err, err)
	assert.Equal(t, 404, apiErr.Code)
	assert.Equal(t, "NOT_FOUND", apiErr.Status)

	// The Go SDK omits an empty text, so the part arrives with no data at all.
	_, err = client.Models.EmbedContent(ctx, "gemini-embedding-001", genai.Text(""), nil)
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, 400, apiErr.Code)
	assert.Equal(t, "* BatchEmbedContentsRequest.requests[0].content.parts[0].data: required oneof field 'data' must have one initialized field\n", apiErr.Message)

	_, err = client.Models.EmbedContent(ctx, "gemini-embedding-001", genai.Text("x"),
		&genai.EmbedContentConfig{OutputDimensionality: genai.Ptr[int32](5000)})
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, 400, apiErr.Code)
	assert.Equal(t, "INVALID_ARGUMENT", apiErr.Status)
}

func TestGenAISDKModels(t *testing.T) {
	ctx := context.Background()
	_, base := newTestServer(t)
	client := newGenAIClient(t, base, "")

	m, err := client.Models.Get(ctx, "gemini-embedding-001", nil)
	require.NoError(t, err)
	assert.Equal(t, "models/gemini-embedding-001", m.Name)
	assert.Equal(t, int32(2048), m.InputTokenLimit)
	assert.Contains(t, m.SupportedActions, "embedContent")

	_, err = client.Models.Get(ctx, "nope", nil)
	var apiErr genai.APIError
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, 404, apiErr.Code)

	var names []string
	for model, err := range client.Models.All(ctx) {
		require.NoError(t, err)
		names = append(names, model.Name)
	}
	assert.Equal(t, []string{"models/gemini-embedding-001", "models/gemini-embedding-2-preview", "models/gemini-embedding-2"}, names)

	page, err := client.Models.List(ctx, &genai.ListModelsConfig{PageSize: 2})
	require.NoError(t, err)
	assert.Len(t, page.Items, 2)
	next, err := page.Next(ctx)
	require.NoError(t, err)
	require.Len(t, next.Items, 1)
	assert.Equal(t, "models/gemini-embedding-2", next.Items[0].Name)
}

func TestGenAISDKWithAPIKeyRestriction(t *testing.T) {
	ctx := context.Background()
	_, base := newTestServer(t, WithAPIKeys("another-key"))
	client := newGenAIClient(t, base, "")
	_, err := client.Models.EmbedContent(ctx, "gemini-embedding-001", genai.Text("x"), nil)
	var apiErr genai.APIError
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, 400, apiErr.Code)
	assert.Equal(t, "API key not valid. Please pass a valid API key.", apiErr.Message)
	require.NotEmpty(t, apiErr.Details)
	assert.Equal(t, "API_KEY_INVALID", apiErr.Details[0]["reason"])
}
