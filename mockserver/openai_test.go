package mockserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embedmock/embedmock/fakeembed"
)

const openAIKey = "sk-test-embedmock-0123456789"

func newOpenAIClient(base string, opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append([]option.RequestOption{
		option.WithBaseURL(base + "/v1/"), option.WithAPIKey(openAIKey), option.WithMaxRetries(0),
	}, opts...)...)
}

func openAIVector(model, text string, dims, out int) []float32 {
	return fakeembed.Vector(fakeembed.Lexical, fakeembed.Input{Model: model, Text: text},
		fakeembed.Shape{Dimensions: dims, Output: out, Truncation: fakeembed.Renormalize})
}

func float32s(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

func norm64(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

func TestOpenAISDKEmbeddings(t *testing.T) {
	ctx := context.Background()
	_, base := newTestServer(t)
	client := newOpenAIClient(base)
	texts := []string{"The quick brown fox jumps over the lazy dog.", "Paris is the capital of France."}

	resp, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: texts},
		Model: openai.EmbeddingModelTextEmbedding3Small,
	})
	require.NoError(t, err)
	require.Len(t, resp.Data, 2)
	assert.Equal(t, "text-embedding-3-small", resp.Model)
	for i, d := range resp.Data {
		assert.Equal(t, int64(i), d.Index)
		require.Len(t, d.Embedding, 1536)
		assert.InDelta(t, 1, norm64(d.Embedding), 1e-6)
		assert.Equal(t, openAIVector("text-embedding-3-small", texts[i], 1536, 0), float32s(d.Embedding))
	}
	assert.Equal(t, int64(11+8), resp.Usage.PromptTokens)
	assert.Equal(t, resp.Usage.PromptTokens, resp.Usage.TotalTokens)

	// dimensions re-normalises the shortened vector.
	short, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{
		Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String(texts[0])},
		Model: openai.EmbeddingModelTextEmbedding3Large, Dimensions: openai.Int(256),
	})
	require.NoError(t, err)
	require.Len(t, short.Data[0].Embedding, 256)
	assert.InDelta(t, 1, norm64(short.Data[0].Embedding), 1e-6)
	assert.Equal(t, openAIVector("text-embedding-3-large", texts[0], 3072, 256), float32s(short.Data[0].Embedding))

	// base64: little-endian float32, standard base64, the same values.
	b64, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{
		Input:          openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: texts},
		Model:          openai.EmbeddingModelTextEmbedding3Small,
		EncodingFormat: openai.EmbeddingNewParamsEncodingFormatBase64,
	})
	require.NoError(t, err)
	for i, d := range b64.Data {
		decoded, err := openAIEmbedding(json.RawMessage(d.JSON.Embedding.Raw()), true)
		require.NoError(t, err)
		assert.Equal(t, float32s(resp.Data[i].Embedding), decoded)
	}

	// Token ids, as LangChain Python sends them.
	tokens, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfTokenArrays: [][]int64{{791, 4062}, {14198}}},
		Model: openai.EmbeddingModelTextEmbeddingAda002,
	})
	require.NoError(t, err)
	assert.Equal(t, "text-embedding-ada-002-v2", tokens.Model)
	assert.Equal(t, int64(3), tokens.Usage.PromptTokens)
	assert.Equal(t, openAIVector("text-embedding-ada-002", "\x01tokens:791,4062", 1536, 0), float32s(tokens.Data[0].Embedding))
	one, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfTokens: []int64{791, 4062}},
		Model: openai.EmbeddingModelTextEmbeddingAda002,
	})
	require.NoError(t, err)
	require.Len(t, one.Data, 1)
	assert.Equal(t, tokens.Data[0].Embedding, one.Data[0].Embedding)
}

func TestOpenAISDKErrors(t *testing.T) {
	ctx := context.Background()
	_, base := newTestServer(t, WithAPIKeys(openAIKey))
	client := newOpenAIClient(base)
	call := func(c openai.Client, p openai.EmbeddingNewParams) *openai.Error {
		_, err := c.Embeddings.New(ctx, p)
		var apiErr *openai.Error
		require.True(t, errors.As(err, &apiErr), "%v", err)
		return apiErr
	}
	text := openai.EmbeddingNewParamsInputUnion{OfString: openai.String("x")}

	e := call(client, openai.EmbeddingNewParams{Input: text, Model: "no-such-model-xyz"})
	assert.Equal(t, 404, e.StatusCode)
	assert.Equal(t, "model_not_found", e.Code)
	assert.Equal(t, "The model `no-such-model-xyz` does not exist or you do not have access to it.", e.Message)

	e = call(client, openai.EmbeddingNewParams{Input: text, Model: openai.EmbeddingModelTextEmbeddingAda002, Dimensions: openai.Int(256)})
	assert.Equal(t, 400, e.StatusCode)
	assert.Equal(t, "This model does not support specifying dimensions.", e.Message)
	assert.Equal(t, "invalid_request_error", e.Type)

	e = call(newOpenAIClient(base, option.WithAPIKey("sk-wrong-key-abcdefgh")), openai.EmbeddingNewParams{Input: text, Model: openai.EmbeddingModelTextEmbedding3Small})
	assert.Equal(t, 401, e.StatusCode)
	assert.Equal(t, "invalid_api_key", e.Code)
	assert.Equal(t, "Incorrect API key provided: sk-**************efgh. You can find your API key at https://platform.openai.com/account/api-keys.", e.Message)
}

// TestOpenAIErrors covers the error cases of the OpenAI spec, asserting
// status, type, code and message.

func TestAzureOpenAI(t *testing.T) {
	_, base := newTestServer(t)
	body := `{"model":"text-embedding-3-small","input":["x"],"encoding_format":"base64"}`
	r := do(t, http.MethodPost, base+"/openai/deployments/my-embedder/embeddings?api-version=2024-10-21", body, "X-Goog-Api-Key", "", "Api-Key", "azure-key")
	require.Equal(t, 200, r.status, string(r.body))
	assert.Contains(t, string(r.body), `"model":"text-embedding-3-small"`)
	r = do(t, http.MethodPost, base+"/openai/deployments/text-embedding-3-large/embeddings?api-version=2024-10-21", `{"input":"x"}`,
		"X-Goog-Api-Key", "", "Authorization", "Bearer entra-token")
	require.Equal(t, 200, r.status, string(r.body))
	assert.Contains(t, string(r.body), `"model":"text-embedding-3-large"`, "a deployment named after a model serves it")

	tests := []struct {
		path, body string
		headers    []string
		status     int
		code       string
	}{
		{"/openai/deployments/d/embeddings?api-version=2024-10-21", body, []string{"Api-Key", ""}, 401, "401"},
		{"/openai/deployments/d/embeddings", body, []string{"Api-Key", "k"}, 404, "404"},
		{"/openai/deployments/unknown/embeddings?api-version=2024-10-21", `{"input":"x"}`, []string{"Api-Key", "k"}, 404, "DeploymentNotFound"},
	}
	for _, tt := range tests {
		r := do(t, http.MethodPost, base+tt.path, tt.body, append([]string{"X-Goog-Api-Key", ""}, tt.headers...)...)
		assert.Equal(t, tt.status, r.status, tt.path)
		var env struct {
			Error map[string]any `json:"error"`
		}
		require.NoError(t, json.Unmarshal(r.body, &env))
		assert.Equal(t, tt.code, env.Error["code"], tt.path)
		assert.NotContains(t, env.Error, "type", "Azure's envelope has code and message only")
	}
}

func TestOpenAIModelsAndHeaders(t *testing.T) {
	ctx := context.Background()
	_, base := newTestServer(t)
	client := newOpenAIClient(base)
	page, err := client.Models.List(ctx)
	require.NoError(t, err)
	var ids []string
	for _, m := range page.Data {
		ids = append(ids, m.ID)
		assert.Equal(t, "system", m.OwnedBy)
	}
	assert.Equal(t, []string{"text-embedding-3-small", "text-embedding-3-large", "text-embedding-ada-002"}, ids)
	m, err := client.Models.Get(ctx, "text-embedding-3-large")
	require.NoError(t, err)
	assert.Equal(t, "text-embedding-3-large", m.ID)
	_, err = client.Models.Get(ctx, "nope")
	var apiErr *openai.Error
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, 404, apiErr.StatusCode)

	// The Gemini API keeps its /v1/models.
	r := do(t, http.MethodGet, base+"/v1/models", "")
	assert.Contains(t, string(r.body), "models/gemini-embedding-001")

	r = do(t, http.MethodPost, base+"/v1/embeddings", `{"model":"text-embedding-3-small","input":"x"}`, "X-Goog-Api-Key", "", "Authorization", "Bearer k")
	require.Equal(t, 200, r.status)
	for _, h := range []string{"X-Request-Id", "Openai-Version", "Openai-Processing-Ms", "X-Ratelimit-Limit-Requests", "X-Ratelimit-Remaining-Tokens", "X-Ratelimit-Reset-Requests"} {
		assert.NotEmpty(t, r.header.Get(h), h)
	}
	assert.Equal(t, "2020-10-01", r.header.Get("Openai-Version"))
	assert.Regexp(t, `^req_[0-9a-f]{32}$`, r.header.Get("X-Request-Id"))
}

func TestOpenAIFaultsRateLimitsAndJournal(t *testing.T) {
	ctx := context.Background()
	s, base := newTestServer(t, WithRateLimits(3, 0)) // the faulted request counts too
	client := newOpenAIClient(base)
	params := openai.EmbeddingNewParams{Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("x")}, Model: openai.EmbeddingModelTextEmbedding3Small}

	require.NoError(t, s.InjectFault(Fault{Status: 503, Family: "openai"}))
	_, err := client.Embeddings.New(ctx, params)
	var apiErr *openai.Error
	require.True(t, errors.As(err, &apiErr), "%v", err)
	assert.Equal(t, 503, apiErr.StatusCode)
	assert.Equal(t, "server_error", apiErr.Type)

	_, err = client.Embeddings.New(ctx, params)
	require.NoError(t, err)
	_, err = client.Embeddings.New(ctx, params)
	require.NoError(t, err)
	_, err = client.Embeddings.New(ctx, params)
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, 429, apiErr.StatusCode)
	assert.Equal(t, "rate_limit_exceeded", apiErr.Code)
	assert.Contains(t, apiErr.Message, "Rate limit reached for text-embedding-3-small in organization org-embedmock on requests per min (RPM): Limit 3")

	got := s.Requests(ByFamily("openai"))
	require.Len(t, got, 4)
	assert.Equal(t, "embeddings", got[0].Route)
	assert.Equal(t, "text-embedding-3-small", got[1].Model)
	assert.Equal(t, 1, got[1].Inputs)
	assert.Equal(t, []int{503, 200, 200, 429}, []int{got[0].Status, got[1].Status, got[2].Status, got[3].Status})
}

func TestOpenAIRecordAndReplay(t *testing.T) {
	ctx := context.Background()
	_, upstream := newTestServer(t)
	path := filepath.Join(t.TempDir(), "openai.yaml")
	proxy, stop := recordingProxy(t, upstream, path)
	params := openai.EmbeddingNewParams{Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}}, Model: openai.EmbeddingModelTextEmbedding3Small, Dimensions: openai.Int(64)}
	recordingClient := newOpenAIClient(proxy)
	recorded, err := recordingClient.Embeddings.New(ctx, params)
	require.NoError(t, err)
	stop()

	_, replay := newTestServer(t, WithCassettes(path))
	replayClient := newOpenAIClient(replay, option.WithAPIKey("sk-another-key-0000"))
	replayed, err := replayClient.Embeddings.New(ctx, params)
	require.NoError(t, err)
	assert.Equal(t, recorded.Data[1].Embedding, replayed.Data[1].Embedding)

	_, err = replayClient.Embeddings.New(ctx, openai.EmbeddingNewParams{Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("c")}, Model: openai.EmbeddingModelTextEmbedding3Small})
	var apiErr *openai.Error
	require.True(t, errors.As(err, &apiErr), "%v", err)
	assert.Equal(t, "cassette_miss", apiErr.Code)
	assert.Contains(t, apiErr.Message, "no recorded interaction matches this request (openai embeddings (text-embedding-3-small))")
}

func TestOpenAIEmptyInputToggle(t *testing.T) {
	_, base := newTestServer(t, WithOpenAIEmptyInput(true))
	r := do(t, http.MethodPost, base+"/v1/embeddings", `{"model":"text-embedding-3-small","input":""}`, "X-Goog-Api-Key", "", "Authorization", "Bearer k")
	require.Equal(t, 200, r.status, string(r.body))
	assert.Contains(t, string(r.body), `"prompt_tokens":1`)
}

func ExampleDefaultOpenAIModels() {
	for _, m := range DefaultOpenAIModels() {
		fmt.Println(m.ID, m.Dimensions, m.Shortening)
	}
	// Output:
	// text-embedding-3-small 1536 true
	// text-embedding-3-large 3072 true
	// text-embedding-ada-002 1536 false
}
