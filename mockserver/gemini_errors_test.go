package mockserver

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	embedPath = "/v1beta/models/gemini-embedding-001:embedContent"
	batchPath = "/v1beta/models/gemini-embedding-001:batchEmbedContents"
)

// batchOf returns a batchEmbedContents body with n copies of item.
func batchOf(n int, item string) string {
	items := make([]string, n)
	for i := range items {
		items[i] = item
	}
	return `{"requests":[` + strings.Join(items, ",") + `]}`
}

const goodItem = `{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"hello"}]}}`

// TestGeminiErrors covers the error catalogue of the Gemini API: each case
// asserts the HTTP status, the google.rpc status name and the exact message.
func TestGeminiErrors(t *testing.T) {
	tests := []struct {
		name    string
		opts    []Option
		method  string
		path    string
		body    string
		headers []string
		status  int
		message string
		detail  string // an @type expected among the details
	}{
		{
			name: "missing API key", path: embedPath, body: `{"content":{"parts":[{"text":"a"}]}}`,
			headers: []string{"X-Goog-Api-Key", ""},
			status:  403, message: "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
		},
		{
			name: "invalid API key", opts: []Option{WithAPIKeys("good-key")}, path: embedPath,
			body: `{"content":{"parts":[{"text":"a"}]}}`, headers: []string{"X-Goog-Api-Key", "bad-key"},
			status: 400, message: "API key not valid. Please pass a valid API key.",
			detail: "type.googleapis.com/google.rpc.ErrorInfo",
		},
		{
			name: "invalid API key in the query", opts: []Option{WithAPIKeys("good-key")}, path: embedPath + "?key=bad-key",
			body: `{"content":{"parts":[{"text":"a"}]}}`, headers: []string{"X-Goog-Api-Key", ""},
			status: 400, message: "API key not valid. Please pass a valid API key.",
		},
		{
			name: "unknown field, top level", path: embedPath,
			body:   `{"content":{"parts":[{"text":"a"}]},"embedding_config":{"output_dimensionality":768}}`,
			status: 400, message: `Invalid JSON payload received. Unknown name "embedding_config": Cannot find field.`,
			detail: "type.googleapis.com/google.rpc.BadRequest",
		},
		{
			name: "unknown field, nested", path: batchPath,
			body:   `{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"a","id":7}]}}]}`,
			status: 400, message: `Invalid JSON payload received. Unknown name "id" at 'requests[0].content.parts[0]': Cannot find field.`,
		},
		{
			name: "unknown field in a batch item", path: batchPath,
			body:   `{"requests":[{"content":{"parts":[{"text":"a"}]},"x":1}]}`,
			status: 400, message: `Invalid JSON payload received. Unknown name "x" at 'requests[0]': Cannot find field.`,
		},
		{
			name: "bad task type", path: embedPath,
			body:   `{"content":{"parts":[{"text":"a"}]},"taskType":"NOT_A_REAL_TASK_TYPE"}`,
			status: 400, message: `Invalid value at 'task_type' (type.googleapis.com/google.ai.generativelanguage.v1beta.TaskType), "NOT_A_REAL_TASK_TYPE"`,
		},
		{
			name: "bad task type on v1, in a batch", path: "/v1/models/gemini-embedding-001:batchEmbedContents",
			body:   `{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"a"}]},"task_type":"QUERY"}]}`,
			status: 400, message: `Invalid value at 'requests[0].task_type' (type.googleapis.com/google.ai.generativelanguage.v1.TaskType), "QUERY"`,
		},
		{
			name: "int32 field given a word", path: embedPath,
			body:   `{"content":{"parts":[{"text":"a"}]},"outputDimensionality":"many"}`,
			status: 400, message: `Invalid value at 'output_dimensionality' (TYPE_INT32), "many"`,
		},
		{
			name: "int32 field given a fraction", path: embedPath,
			body:   `{"content":{"parts":[{"text":"a"}]},"output_dimensionality":256.5}`,
			status: 400, message: `Invalid value at 'output_dimensionality' (TYPE_INT32), 256.5`,
		},
		{
			name: "string field given a number", path: embedPath,
			body:   `{"content":{"parts":[{"text":5}]}}`,
			status: 400, message: `Invalid value at 'content.parts[0].text' (TYPE_STRING), 5`,
		},
		{
			name: "message field given a string", path: embedPath,
			body:   `{"content":"hello"}`,
			status: 400, message: `Invalid value at 'content' (type.googleapis.com/google.ai.generativelanguage.v1beta.Content), "hello"`,
		},
		{
			name: "list for a field that is not repeated", path: embedPath,
			body:   `{"content":[{"parts":[{"text":"a"}]}]}`,
			status: 400, message: `Invalid JSON payload received. Unknown name "content": Proto field is not repeating, cannot start list.`,
		},
		{
			name: "object for a scalar field", path: batchPath,
			body:   `{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"a"}]},"title":{"x":1}}]}`,
			status: 400, message: `Invalid value at 'requests[0]' (title), Starting an object on a scalar field`,
		},
		{
			name: "two members of a oneof", path: embedPath,
			body:   `{"content":{"parts":[{"text":"a","inlineData":{"mimeType":"image/png","data":"AAAA"}}]}}`,
			status: 400, message: `Invalid value at 'content.parts[0]' (oneof), oneof field 'data' is already set. Cannot set 'text'`,
		},
		{
			name: "malformed JSON", path: embedPath,
			body:   `{"content": {"parts": [{"text": "a"}]]}`,
			status: 400, message: "Invalid JSON payload received. Expected , or } after key:value pair.\nts\": [{\"text\": \"a\"}]]}\n                    ^",
		},
		{
			name: "truncated JSON", path: embedPath,
			body:   `{"content": {"parts": [{"text": "a"`,
			status: 400, message: "Invalid JSON payload received. Unexpected end of string. Expected , or } after key:value pair.\narts\": [{\"text\": \"a\"\n                    ^",
		},
		{
			name: "body that is not an object", path: embedPath, body: `["hello"]`,
			status: 400, message: `Invalid JSON payload received. Unknown name "": Root element must be a message.`,
		},
		{
			name: "unknown query parameter", path: embedPath + "?taskType=RETRIEVAL_QUERY",
			body:   `{"content":{"parts":[{"text":"a"}]}}`,
			status: 400, message: `Invalid JSON payload received. Unknown name "taskType": Cannot bind query parameter. Field 'taskType' could not be found in request message.`,
		},
		{
			name: "body over the limit", opts: []Option{WithMaxBodyBytes(64)}, path: batchPath, body: batchOf(3, goodItem),
			status: 400, message: "Request payload size exceeds the limit: 64 bytes.",
		},
		{
			name: "model not found, embedContent", path: "/v1beta/models/no-such-model-xyz:embedContent",
			body:   `{"content":{"parts":[{"text":"hello"}]}}`,
			status: 404, message: "models/no-such-model-xyz is not found for API version v1beta, or is not supported for embedContent. Call ListModels to see the list of available models and their supported methods.",
		},
		{
			name: "model not found, batchEmbedContents on v1", path: "/v1/models/no-such-model-xyz:batchEmbedContents",
			body:   `{"requests":[{"model":"models/no-such-model-xyz","content":{"parts":[{"text":"hello"}]}}]}`,
			status: 404, message: "models/no-such-model-xyz is not found for API version v1, or is not supported for embedContent. Call ListModels to see the list of available models and their supported methods.",
		},
		{
			name: "legacy model when legacy models are off", path: "/v1beta/models/text-embedding-004:embedContent",
			body:   `{"content":{"parts":[{"text":"hello"}]}}`,
			status: 404, message: "models/text-embedding-004 is not found for API version v1beta, or is not supported for embedContent. Call ListModels to see the list of available models and their supported methods.",
		},
		{
			name: "model not found, models.get", method: http.MethodGet, path: "/v1beta/models/invalid-model",
			status: 404, message: "Model is not found: models/invalid-model for api version v1beta",
		},
		{
			name: "batch item without a model", path: batchPath,
			body:   `{"requests":[{"content":{"parts":[{"text":"a"}]}}]}`,
			status: 400, message: "* BatchEmbedContentsRequest.requests[0].model: model is not specified\n",
		},
		{
			name: "batch item model without models/", path: batchPath,
			body:   `{"requests":[` + goodItem + `,{"model":"gemini-embedding-001","content":{"parts":[{"text":"a"}]}}]}`,
			status: 400, message: "* BatchEmbedContentsRequest.requests[1].model: unexpected model name format\n",
		},
		{
			name: "batch item model differs from the URL's", path: batchPath,
			body:   `{"requests":[{"model":"models/gemini-embedding-2","content":{"parts":[{"text":"a"}]}}]}`,
			status: 400, message: "* BatchEmbedContentsRequest.requests[0].model: the model in each request must match the model specified in BatchEmbedContentsRequest.model (models/gemini-embedding-001), got models/gemini-embedding-2\n",
		},
		{
			name: "several violations are all listed", path: batchPath,
			body:   `{"requests":[{"content":{"parts":[{"text":"a"}]}},{"model":"models/gemini-embedding-001"}]}`,
			status: 400, message: "* BatchEmbedContentsRequest.requests[0].model: model is not specified\n* BatchEmbedContentsRequest.requests[1].content.parts: contents.parts must not be empty.\n",
		},
		{
			name: "more than 100 requests", path: batchPath, body: batchOf(101, goodItem),
			status: 400, message: "* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch\n",
		},
		{
			name: "empty requests list", path: batchPath, body: `{"requests":[]}`,
			status: 400, message: "* BatchEmbedContentsRequest.requests: requests is not specified\n",
		},
		{
			name: "empty text, embedContent", path: embedPath, body: `{"content":{"parts":[{"text":""}]}}`,
			status: 400, message: "EmbedContentRequest.content contains an empty Part.",
		},
		{
			name: "empty text, batchEmbedContents", path: batchPath,
			body:   batchOf(1, goodItem)[:len(batchOf(1, goodItem))-2] + `,{"model":"models/gemini-embedding-001","content":{"parts":[{"text":""}]}}]}`,
			status: 400, message: "EmbedContentRequest.content contains an empty Part.",
		},
		{
			name: "part without data", path: batchPath,
			body:   `{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{}]}}]}`,
			status: 400, message: "* BatchEmbedContentsRequest.requests[0].content.parts[0].data: required oneof field 'data' must have one initialized field\n",
		},
		{
			name: "no parts", path: embedPath, body: `{"content":{"role":"user","parts":[]}}`,
			status: 400, message: "* EmbedContentRequest.content.parts: contents.parts must not be empty.\n",
		},
		{
			name: "no content", path: embedPath, body: `{}`,
			status: 400, message: "* EmbedContentRequest.content.parts: contents.parts must not be empty.\n",
		},
		{
			name: "empty body", path: embedPath, body: "",
			status: 400, message: "* EmbedContentRequest.content.parts: contents.parts must not be empty.\n",
		},
		{
			name: "non-text part", path: "/v1beta/models/gemini-embedding-2:embedContent",
			body:   `{"content":{"parts":[{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}}]}}`,
			status: 400, message: "* EmbedContentRequest.content.parts[0].inline_data: embedmock serves text parts only; inline_data input to models/gemini-embedding-2 is not supported\n",
		},
		{
			name: "outputDimensionality below a strict catalog's range", path: embedPath, opts: []Option{WithGeminiModels(strictCatalog())},
			body:   `{"content":{"parts":[{"text":"a"}]},"outputDimensionality":64}`,
			status: 400, message: "* EmbedContentRequest.output_dimensionality: outputDimensionality must be between 128 and 3072 for models/gemini-embedding-001, got 64\n",
		},
		{
			name: "outputDimensionality above the range", path: batchPath,
			body:   `{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"a"}]},"outputDimensionality":4096}]}`,
			status: 400, message: "* BatchEmbedContentsRequest.requests[0].output_dimensionality: outputDimensionality must be between 1 and 3072 for models/gemini-embedding-001, got 4096\n",
		},
		{
			name: "negative outputDimensionality", path: embedPath,
			body:   `{"content":{"parts":[{"text":"a"}]},"outputDimensionality":-1}`,
			status: 400, message: "* EmbedContentRequest.output_dimensionality: outputDimensionality must be between 1 and 3072 for models/gemini-embedding-001, got -1\n",
		},
		{
			name: "outputDimensionality on embedding-001", opts: []Option{WithLegacyModels(true)},
			path:   "/v1beta/models/embedding-001:embedContent",
			body:   `{"content":{"parts":[{"text":"a"}]},"outputDimensionality":256}`,
			status: 400, message: "* EmbedContentRequest.output_dimensionality: outputDimensionality is not supported by models/embedding-001\n",
		},
		{
			name: "negative page size", method: http.MethodGet, path: "/v1beta/models?pageSize=-1",
			status: 400, message: "* ListModelsRequest.page_size: page_size must not be negative\n",
		},
		{
			name: "page size that is not a number", method: http.MethodGet, path: "/v1beta/models?pageSize=ten",
			status: 400, message: `Invalid value at 'page_size' (TYPE_INT32), "ten"`,
		},
		{
			name: "bad page token", method: http.MethodGet, path: "/v1beta/models?pageToken=bm9wZQ==",
			status: 400, message: "* ListModelsRequest.page_token: invalid page token\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, base := newTestServer(t, tt.opts...)
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			resp := do(t, method, base+tt.path, tt.body, tt.headers...)
			e := googleErr(t, resp)
			assert.Equal(t, tt.status, resp.status)
			assert.Equal(t, tt.message, e.Message)
			if tt.detail != "" {
				var types []any
				for _, d := range e.Details {
					types = append(types, d["@type"])
				}
				assert.Contains(t, types, tt.detail)
			}
			assert.Equal(t, "fake", resp.header.Get("X-Embedmock-Source"))
		})
	}
}

func TestUnknownRoutesGetGooglesHTMLNotFound(t *testing.T) {
	_, base := newTestServer(t)
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/v1beta/nothing"},
		{http.MethodGet, embedPath}, // wrong method
		{http.MethodPost, "/v1beta/models"},
		{http.MethodGet, "/v2/models"},
		{http.MethodPost, "/v1beta/models/gemini-embedding-001:generateContent"},
	} {
		resp := do(t, tc.method, base+tc.path, "")
		assert.Equal(t, http.StatusNotFound, resp.status, "%s %s", tc.method, tc.path)
		assert.Contains(t, resp.header.Get("Content-Type"), "text/html")
		assert.Contains(t, string(resp.body), "<code>"+tc.path+"</code> was not found on this server.")
	}
}

func TestAPIKeys(t *testing.T) {
	_, base := newTestServer(t, WithAPIKeys("k1", "k2"))
	body := `{"content":{"parts":[{"text":"a"}]}}`
	tests := []struct {
		name    string
		path    string
		header  string
		status  int
		comment string
	}{
		{"header key", embedPath, "k1", 200, ""},
		{"second key", embedPath, "k2", 200, ""},
		{"query key", embedPath + "?key=k2", "", 200, ""},
		{"header wins over query", embedPath + "?key=bad", "k1", 200, ""},
		{"bad header, good query", embedPath + "?key=k1", "bad", 400, ""},
		{"no key", embedPath, "", 403, ""},
	}
	for _, tt := range tests {
		resp := do(t, http.MethodPost, base+tt.path, body, "X-Goog-Api-Key", tt.header)
		assert.Equal(t, tt.status, resp.status, "%s: %s", tt.name, resp.body)
	}
	// Health needs no key.
	assert.Equal(t, 200, do(t, http.MethodGet, base+"/_embedmock/health", "", "X-Goog-Api-Key", "").status)
}

func TestAnyNonEmptyKeyIsAcceptedByDefault(t *testing.T) {
	_, base := newTestServer(t)
	for _, key := range []string{"x", "AIzaFAKE", strings.Repeat("k", 200)} {
		resp := do(t, http.MethodPost, base+embedPath, `{"content":{"parts":[{"text":"a"}]}}`, "X-Goog-Api-Key", key)
		require.Equal(t, 200, resp.status, fmt.Sprintf("%s: %s", key, resp.body))
	}
}

// strictCatalog is the default catalog with gemini-embedding-001 held to
// the recommended range, 128 to 3072, as a --models file can ask.
func strictCatalog() []GeminiModel {
	models := DefaultGeminiModels()
	for i := range models {
		if models[i].ID() == "gemini-embedding-001" {
			models[i].Embedding.MinOutputDimensionality = 128
		}
	}
	return models
}
