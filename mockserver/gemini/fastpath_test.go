package gemini

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/embedmock/embedmock/mockserver/family/familytest"
	"github.com/embedmock/embedmock/mockserver/googleapi"
	"github.com/embedmock/embedmock/schemas"
)

// slowEmbedContent decodes a body the full way; ok is false when the full
// path answers an error.
func slowEmbedContent(body []byte) (EmbedRequest, bool) {
	obj, gerr := googleapi.ParseBody(body, schemas.GeminiEmbedContentRequest, "v1beta")
	if gerr != nil {
		return EmbedRequest{}, false
	}
	req, gerr := DecodeEmbedRequest(obj, nil, "v1beta")
	return req, gerr == nil
}

func slowBatchEmbedContents(body []byte) ([]EmbedRequest, bool) {
	obj, gerr := googleapi.ParseBody(body, schemas.GeminiBatchEmbedContentsRequest, "v1beta")
	if gerr != nil {
		return nil, false
	}
	items, _ := obj["requests"].([]any)
	if len(items) == 0 || len(items) > maxBatchEmbedRequests {
		return nil, false
	}
	reqs := make([]EmbedRequest, len(items))
	for i, item := range items {
		itemObj, _ := item.(map[string]any)
		if reqs[i], gerr = DecodeEmbedRequest(itemObj, schemas.Path{"requests", i}, "v1beta"); gerr != nil {
			return nil, false
		}
	}
	return reqs, true
}

func TestFastPathTakesWhatSDKsSend(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "captures", "*.jsonl"))
	fast := 0
	for _, file := range files {
		for _, c := range familytest.Captures(t, file) {
			if strings.Contains(c.URL, "/publishers/") {
				continue // Vertex AI's routes, package vertex's
			}
			body := []byte(c.Body)
			switch {
			case strings.HasSuffix(c.URL, ":embedContent") && c.Status == 200:
				_, ok := fastEmbedContent(body)
				assert.True(t, ok, c.Body)
				fast++
			case strings.HasSuffix(c.URL, ":batchEmbedContents") && c.Status == 200:
				_, ok := fastBatchEmbedContents(body, nil)
				assert.True(t, ok, c.Body)
				fast++
			}
		}
	}
	assert.Greater(t, fast, 40)
}

// FuzzGeminiFastPath checks the fast path against the full one: whatever
// the fast path decodes, the full path decodes the same.
func FuzzGeminiFastPath(f *testing.F) {
	for _, seed := range []string{
		`{"content":{"parts":[{"text":"a"}],"role":"user"},"taskType":"RETRIEVAL_QUERY","outputDimensionality":256}`,
		`{"content":{"parts":[{"text":"a\nb \u00e9 \ud83d\ude00 \"q\""}]},"task_type":"CLUSTERING","title":"t","output_dimensionality":-1}`,
		`{"content":{"parts":[]}}`, `{}`, `{"content":{}}`, `{"taskType":"TASK_TYPE_UNSPECIFIED"}`,
		`{"requests":[{"model":"models/m","content":{"parts":[{"text":"x"},{"text":""}]}},{"model":"m"}]}`,
		`{"content":{"parts":[{"text":"\ud800"}]}}`, `{"outputDimensionality":2147483648}`, `{"outputDimensionality":007}`,
		`{"content":{"parts":[{"text":"a"}]},"taskType":"RETRIEVAL_QUERY","task_type":"CLUSTERING"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if req, ok := fastEmbedContent(body); ok {
			slow, slowOK := slowEmbedContent(body)
			if !slowOK {
				t.Fatalf("fast path took %q, the full path refuses it", body)
			}
			if !assert.ObjectsAreEqual(slow, req) {
				t.Fatalf("%q: fast %+v, full %+v", body, req, slow)
			}
		}
		if reqs, ok := fastBatchEmbedContents(body, nil); ok {
			slow, slowOK := slowBatchEmbedContents(body)
			if !slowOK {
				t.Fatalf("fast path took batch %q, the full path refuses it", body)
			}
			if !assert.ObjectsAreEqual(slow, reqs) {
				t.Fatalf("%q: fast %+v, full %+v", body, reqs, slow)
			}
		}
	})
}
