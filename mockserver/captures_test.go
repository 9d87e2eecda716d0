package mockserver

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/embedmock/embedmock/mockserver/family/familytest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// capturedRequest is one line of testdata/captures/*.jsonl: a request an
// official client library sent, and the status a correct server answers.
type capturedRequest = familytest.Capture

func loadCaptures(t *testing.T, file string) []capturedRequest {
	return familytest.Captures(t, filepath.Join("testdata", "captures", file))
}

// replay sends a captured request with its original headers.
func replay(t *testing.T, base string, c capturedRequest) response {
	t.Helper()
	r := familytest.Replay(t, base, c)
	return response{status: r.Status, header: r.Header, body: r.Body}
}

// TestGeminiCaptures replays every Gemini request that official SDKs sent
// and checks that each gets the answer its client needs.
func TestGeminiCaptures(t *testing.T) {
	_, base := newTestServer(t)
	for _, file := range []string{"go-genai.jsonl", "google-genai.jsonl", "google-generative-ai.jsonl", "langchain-google-genai.jsonl"} {
		lastBatch := "" // the batch the file's last asyncBatchEmbedContent created
		for _, c := range loadCaptures(t, file) {
			t.Run(file+"/"+jsonInt(c.Seq), func(t *testing.T) {
				if prefix, _, ok := strings.Cut(c.URL, "/batches/"); ok {
					// The capture names the batch its recorder created.
					require.NotEmpty(t, lastBatch, "a batch was created before")
					c.URL = prefix + "/" + lastBatch
				}
				resp := replay(t, base, c)
				require.Equal(t, c.Status, resp.status, "%s %s\n%s", c.Method, c.URL, resp.body)
				if resp.status >= 400 {
					googleErr(t, resp)
					return
				}
				if name := assertGeminiSuccessShape(t, c, resp); name != "" {
					lastBatch = name
				}
			})
		}
	}
}

// assertGeminiSuccessShape checks a 2xx body against the spec's response for
// the captured route; for a batch creation it returns the batch's name.
func assertGeminiSuccessShape(t *testing.T, c capturedRequest, resp response) string {
	t.Helper()
	var req struct {
		Requests             []json.RawMessage `json:"requests"`
		OutputDimensionality int               `json:"outputDimensionality"`
	}
	if c.Body != "" {
		require.NoError(t, json.Unmarshal([]byte(c.Body), &req))
	}
	var got embedResponse
	require.NoError(t, json.Unmarshal(resp.body, &got))
	switch {
	case strings.HasSuffix(c.URL, ":embedContent"):
		want := 3072
		if req.OutputDimensionality != 0 {
			want = req.OutputDimensionality
		}
		assert.Len(t, got.Embedding.Values, want)
	case strings.HasSuffix(c.URL, ":batchEmbedContents"):
		require.Len(t, got.Embeddings, len(req.Requests))
		for i, raw := range req.Requests {
			var item struct {
				OutputDimensionality int `json:"outputDimensionality"`
			}
			require.NoError(t, json.Unmarshal(raw, &item))
			want := 3072
			if item.OutputDimensionality != 0 {
				want = item.OutputDimensionality
			}
			assert.Len(t, got.Embeddings[i].Values, want)
		}
	case strings.HasSuffix(c.URL, ":asyncBatchEmbedContent"):
		var op struct {
			Name     string `json:"name"`
			Metadata struct {
				Type       string `json:"@type"`
				State      string `json:"state"`
				BatchStats struct {
					RequestCount string `json:"requestCount"`
				} `json:"batchStats"`
			} `json:"metadata"`
		}
		require.NoError(t, json.Unmarshal(resp.body, &op))
		assert.Equal(t, batchTypeURL, op.Metadata.Type)
		assert.Equal(t, "BATCH_STATE_PENDING", op.Metadata.State)
		assert.Equal(t, "3", op.Metadata.BatchStats.RequestCount)
		require.True(t, strings.HasPrefix(op.Name, "batches/"), op.Name)
		return op.Name
	case strings.Contains(c.URL, "/batches/"):
		var op struct {
			Done     bool `json:"done"`
			Metadata struct {
				State  string `json:"state"`
				Output struct {
					InlinedResponses struct {
						InlinedResponses []struct {
							Response struct {
								Embedding struct {
									Values []float32 `json:"values"`
								} `json:"embedding"`
								TokenCount string `json:"tokenCount"`
							} `json:"response"`
						} `json:"inlinedResponses"`
					} `json:"inlinedResponses"`
				} `json:"output"`
			} `json:"metadata"`
		}
		require.NoError(t, json.Unmarshal(resp.body, &op))
		assert.True(t, op.Done)
		assert.Equal(t, "BATCH_STATE_SUCCEEDED", op.Metadata.State)
		items := op.Metadata.Output.InlinedResponses.InlinedResponses
		require.Len(t, items, 3)
		for _, item := range items {
			assert.Len(t, item.Response.Embedding.Values, 3072)
			assert.NotEmpty(t, item.Response.TokenCount)
		}
	default:
		t.Fatalf("no shape check for %s %s", c.Method, c.URL)
	}
	return ""
}

// TestOpenAIAndGradientCaptures replays every OpenAI and Gradient request
// that official clients sent.
func TestOpenAIAndGradientCaptures(t *testing.T) {
	_, base := newTestServer(t)
	for _, file := range []string{"go-openai.jsonl", "openai-node.jsonl", "langchain-openai.jsonl", "gradient-sdk.jsonl", "langchain-community-gradient.jsonl"} {
		for _, c := range loadCaptures(t, file) {
			t.Run(file+"/"+jsonInt(c.Seq), func(t *testing.T) {
				resp := replay(t, base, c)
				require.Equal(t, c.Status, resp.status, "%s %s\n%s", c.Method, c.URL, resp.body)
				switch {
				case strings.HasPrefix(file, "gradient") || strings.HasPrefix(file, "langchain-community-gradient"):
					assertGradientAnswer(t, c, resp)
				default:
					assertOpenAIAnswer(t, c, resp)
				}
			})
		}
	}
}

func assertOpenAIAnswer(t *testing.T, c capturedRequest, resp response) {
	t.Helper()
	if resp.status >= 400 {
		var env struct {
			Error *struct {
				Message string `json:"message"`
				Type    string `json:"type"`
			} `json:"error"`
		}
		require.NoError(t, json.Unmarshal(resp.body, &env))
		require.NotNil(t, env.Error)
		assert.NotEmpty(t, env.Error.Message)
		assert.NotEmpty(t, env.Error.Type)
		return
	}
	var req struct {
		Input          any    `json:"input"`
		Dimensions     int    `json:"dimensions"`
		EncodingFormat string `json:"encoding_format"`
	}
	require.NoError(t, json.Unmarshal([]byte(c.Body), &req))
	inputs := 1
	if list, ok := req.Input.([]any); ok {
		inputs = len(list)
	}
	dims := 1536
	if req.Dimensions != 0 {
		dims = req.Dimensions
	}
	var got openAIAnswer
	require.NoError(t, json.Unmarshal(resp.body, &got))
	assert.Equal(t, "list", got.Object)
	require.Len(t, got.Data, inputs)
	require.NotNil(t, got.Usage)
	assert.Positive(t, got.Usage.PromptTokens)
	for i, d := range got.Data {
		assert.Equal(t, i, d.Index)
		v, err := openAIEmbedding(d.Embedding, req.EncodingFormat == "base64")
		require.NoError(t, err)
		assert.Len(t, v, dims)
	}
}

func assertGradientAnswer(t *testing.T, c capturedRequest, resp response) {
	t.Helper()
	if resp.status >= 400 {
		if strings.Contains(resp.header.Get("Content-Type"), "json") {
			var env map[string]string
			require.NoError(t, json.Unmarshal(resp.body, &env))
			assert.NotEmpty(t, env["message"])
		}
		return
	}
	if c.Method == http.MethodGet {
		assert.JSONEq(t, `{"embeddingsModels":[{"slug":"bge-large"}]}`, string(resp.body))
		return
	}
	var req struct {
		Inputs []any `json:"inputs"`
	}
	require.NoError(t, json.Unmarshal([]byte(c.Body), &req))
	var got struct {
		Embeddings []struct {
			Embedding []float32 `json:"embedding"`
			Index     int       `json:"index"`
		} `json:"embeddings"`
	}
	require.NoError(t, json.Unmarshal(resp.body, &got))
	require.Len(t, got.Embeddings, len(req.Inputs))
	for i, e := range got.Embeddings {
		assert.Equal(t, i, e.Index)
		assert.Len(t, e.Embedding, 1024)
	}
}
