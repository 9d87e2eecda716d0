package mockserver

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// geminiOpenAIKey is a Gemini API key, sent as the openai SDKs send theirs.
const geminiOpenAIKey = "gemini-openai-key"

// newGeminiOpenAIClient points the official openai SDK at the server's
// Gemini OpenAI-compatible endpoint, as at
// https://generativelanguage.googleapis.com/v1beta/openai/.
func newGeminiOpenAIClient(base string, opts ...option.RequestOption) openai.Client {
	return newOpenAIClient(base, append([]option.RequestOption{
		option.WithBaseURL(base + "/v1beta/openai/"), option.WithAPIKey(geminiOpenAIKey),
	}, opts...)...)
}

func TestGeminiOpenAISDKEmbeddings(t *testing.T) {
	ctx := context.Background()
	s, base := newTestServer(t)
	client := newGeminiOpenAIClient(base)
	texts := []string{"The quick brown fox jumps over the lazy dog.", "Paris is the capital of France."}
	vector := func(model, text string, dims int) []float32 {
		v, err := s.Vector(VectorQuery{Model: model, Text: text, Dimensions: dims})
		require.NoError(t, err)
		return v
	}

	tests := []struct {
		name   string
		model  string
		dims   int
		base64 bool
	}{
		{name: "floats", model: "gemini-embedding-001"},
		{name: "models/ prefix", model: "models/gemini-embedding-001"},
		{name: "dimensions", model: "gemini-embedding-001", dims: 256},
		{name: "base64", model: "gemini-embedding-001", dims: 768, base64: true},
		{name: "gemini-embedding-2", model: "gemini-embedding-2", dims: 1536},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := openai.EmbeddingNewParams{
				Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: texts},
				Model: openai.EmbeddingModel(tt.model),
			}
			if tt.dims != 0 {
				params.Dimensions = openai.Int(int64(tt.dims))
			}
			if tt.base64 {
				params.EncodingFormat = openai.EmbeddingNewParamsEncodingFormatBase64
			}
			resp, err := client.Embeddings.New(ctx, params)
			require.NoError(t, err)
			assert.Equal(t, tt.model, resp.Model)
			require.Len(t, resp.Data, len(texts))
			for i, d := range resp.Data {
				assert.Equal(t, int64(i), d.Index)
				got := float32s(d.Embedding)
				if tt.base64 {
					got, err = openAIEmbedding(json.RawMessage(d.JSON.Embedding.Raw()), true)
					require.NoError(t, err)
				}
				want := vector(tt.model, texts[i], tt.dims)
				assert.Equal(t, want, got, "the vector of the Gemini routes")
				if tt.dims != 0 {
					full := vector(tt.model, texts[i], 0)
					assert.Equal(t, full[:tt.dims], got, "dimensions keeps the first components")
				}
			}
			assert.Equal(t, int64(11+8), resp.Usage.PromptTokens)
			assert.Equal(t, resp.Usage.PromptTokens, resp.Usage.TotalTokens)
		})
	}
}

func TestGeminiOpenAISDKErrors(t *testing.T) {
	ctx := context.Background()
	_, base := newTestServer(t, WithAPIKeys(geminiOpenAIKey))
	client := newGeminiOpenAIClient(base)
	text := openai.EmbeddingNewParamsInputUnion{OfString: openai.String("x")}
	many := make([]string, 101)
	for i := range many {
		many[i] = "x"
	}

	tests := []struct {
		name    string
		client  openai.Client
		params  openai.EmbeddingNewParams
		status  int
		message string
	}{
		{"unknown model", client, openai.EmbeddingNewParams{Input: text, Model: "no-such-model-xyz"}, 404,
			"models/no-such-model-xyz is not found for API version v1main, or is not supported for embedContent. Call ModelService.ListModels to see the list of available models and their supported methods."},
		{"bad key", newGeminiOpenAIClient(base, option.WithAPIKey("wrong-key")), openai.EmbeddingNewParams{Input: text, Model: "gemini-embedding-001"}, 400,
			"API key not valid. Please pass a valid API key."},
		{"empty input", client, openai.EmbeddingNewParams{Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{}}, Model: "gemini-embedding-001"}, 400,
			"* BatchEmbedContentsRequest.requests: requests is not specified\n"},
		{"empty text", client, openai.EmbeddingNewParams{Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("")}, Model: "gemini-embedding-001"}, 400,
			"EmbedContentRequest.content contains an empty Part."},
		{"too many inputs", client, openai.EmbeddingNewParams{Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: many}, Model: "gemini-embedding-001"}, 400,
			"* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch\n"},
		{"bad dimensions", client, openai.EmbeddingNewParams{Input: text, Model: "gemini-embedding-001", Dimensions: openai.Int(4000)}, 400,
			"* BatchEmbedContentsRequest.requests[0].output_dimensionality: outputDimensionality must be between 1 and 3072 for models/gemini-embedding-001, got 4000\n"},
		{"token ids", client, openai.EmbeddingNewParams{Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfTokens: []int64{791}}, Model: "gemini-embedding-001"}, 400,
			"Invalid value at 'input[0]' (TYPE_STRING), 791"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.client.Embeddings.New(ctx, tt.params)
			var apiErr *openai.Error
			require.True(t, errors.As(err, &apiErr), "%v", err)
			assert.Equal(t, tt.status, apiErr.StatusCode)
			assert.Equal(t, tt.message, apiErr.Message, "the SDK reads Google's error.message")
			var inner map[string]any
			require.NoError(t, json.Unmarshal([]byte(apiErr.RawJSON()), &inner))
			assert.Equal(t, googleStatusName(tt.status), inner["status"])
		})
	}
}

// TestGeminiOpenAIPipeline checks that the server's stages treat the
// endpoint as a Gemini API route: journal, faults, rate limits.
func TestGeminiOpenAIPipeline(t *testing.T) {
	ctx := context.Background()
	s, base := newTestServer(t, WithRateLimits(3, 0))
	client := newGeminiOpenAIClient(base)
	params := openai.EmbeddingNewParams{
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}},
		Model: "models/gemini-embedding-001", Dimensions: openai.Int(64),
	}

	require.NoError(t, s.InjectFault(Fault{Status: 503, Family: "gemini", Route: "openai.embeddings"}))
	_, err := client.Embeddings.New(ctx, params)
	var apiErr *openai.Error
	require.True(t, errors.As(err, &apiErr), "%v", err)
	assert.Equal(t, 503, apiErr.StatusCode)
	assert.Equal(t, "The model is overloaded. Please try again later.", apiErr.Message)

	_, err = client.Embeddings.New(ctx, params)
	require.NoError(t, err)
	_, err = client.Embeddings.New(ctx, params)
	require.NoError(t, err)
	_, err = client.Embeddings.New(ctx, params)
	require.True(t, errors.As(err, &apiErr), "%v", err)
	assert.Equal(t, 429, apiErr.StatusCode)
	assert.Contains(t, apiErr.Message, "You exceeded your current quota")

	var statuses []int
	for _, r := range s.Requests(ByRoute("openai.embeddings")) {
		statuses = append(statuses, r.Status)
		assert.Equal(t, "gemini", r.Family)
		if r.Status == http.StatusOK { // the answered ones: their body was read
			assert.Equal(t, "gemini-embedding-001", r.Model)
			assert.Equal(t, 2, r.Inputs)
			assert.Equal(t, 64, r.Dimensions)
		}
	}
	assert.Equal(t, []int{503, 200, 200, 429}, statuses)

	// Another method on the path is Google's 404 page.
	r := do(t, http.MethodGet, base+"/v1beta/openai/embeddings", "", "Authorization", "Bearer "+geminiOpenAIKey)
	assert.Equal(t, http.StatusNotFound, r.status)
}

// TestGeminiOpenAICaptures replays the requests the official openai npm
// SDK sent to the endpoint and checks each gets the status and answer its
// client needs.
func TestGeminiOpenAICaptures(t *testing.T) {
	s, base := newTestServer(t)
	for _, c := range loadCaptures(t, "gemini-openai-node.jsonl") {
		t.Run(jsonInt(c.Seq), func(t *testing.T) {
			resp := replay(t, base, c)
			require.Equal(t, c.Status, resp.status, "%s %s\n%s", c.Method, c.URL, resp.body)
			if resp.status >= 400 {
				googleErr(t, resp)
				require.True(t, strings.HasPrefix(string(resp.body), "{"), "Google's envelope, not a list")
				return
			}
			var req struct {
				Model          string `json:"model"`
				Input          any    `json:"input"`
				Dimensions     int    `json:"dimensions"`
				EncodingFormat string `json:"encoding_format"`
			}
			require.NoError(t, json.Unmarshal([]byte(c.Body), &req))
			texts := []any{req.Input}
			if list, ok := req.Input.([]any); ok {
				texts = list
			}
			var got openAIAnswer
			require.NoError(t, json.Unmarshal(resp.body, &got))
			assert.Equal(t, "list", got.Object)
			assert.Equal(t, req.Model, got.Model)
			require.Len(t, got.Data, len(texts))
			require.NotNil(t, got.Usage)
			assert.Positive(t, got.Usage.PromptTokens)
			for i, text := range texts {
				want, err := s.Vector(VectorQuery{Model: req.Model, Text: text.(string), Dimensions: req.Dimensions})
				require.NoError(t, err)
				v, err := openAIEmbedding(got.Data[i].Embedding, req.EncodingFormat == "base64")
				require.NoError(t, err)
				assert.Equal(t, i, got.Data[i].Index)
				assert.Equal(t, want, v, "input %d: the Gemini routes' vector", i)
			}
		})
	}
}
