package geminibatches

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/embedmock/embedmock/mockserver/family"
)

func TestSummarize(t *testing.T) {
	h := newHarness(t, setup{cfg: testConfig()})
	tests := []struct {
		name string
		kind string
		body string
		want family.Summary
	}{
		{"inline, camel case", "asyncBatchEmbedContent",
			`{"batch":{"inputConfig":{"requests":{"requests":[
				{"request":{"content":{"parts":[{"text":"a"}]},"taskType":"RETRIEVAL_DOCUMENT","outputDimensionality":256}},
				{"request":{"content":{"parts":[{"text":"b"}]},"taskType":"RETRIEVAL_QUERY","outputDimensionality":128}},
				{"request":{"content":{"parts":[{"text":"c"}]}}}]}}}}`,
			family.Summary{Inputs: 3, TaskType: "RETRIEVAL_DOCUMENT", Dimensions: 256}},
		{"inline, snake case", "asyncBatchEmbedContent",
			`{"batch":{"input_config":{"requests":{"requests":[
				{"request":{"content":{"parts":[{"text":"a"}]},"task_type":"CLUSTERING","output_dimensionality":"512"}}]}}}}`,
			family.Summary{Inputs: 1, TaskType: "CLUSTERING", Dimensions: 512}},
		{"embedContentConfig wins", "asyncBatchEmbedContent",
			`{"batch":{"inputConfig":{"requests":{"requests":[
				{"request":{"content":{"parts":[{"text":"a"}]},"taskType":"CLUSTERING","outputDimensionality":64,
				 "embedContentConfig":{"taskType":"SEMANTIC_SIMILARITY","outputDimensionality":768}}},{}]}}}}`,
			family.Summary{Inputs: 2, TaskType: "SEMANTIC_SIMILARITY", Dimensions: 768}},
		{"task type as a number", "asyncBatchEmbedContent",
			`{"batch":{"inputConfig":{"requests":{"requests":[{"request":{"taskType":2}}]}}}}`,
			family.Summary{Inputs: 1, TaskType: "RETRIEVAL_DOCUMENT"}},
		{"first item without a request", "asyncBatchEmbedContent",
			`{"batch":{"inputConfig":{"requests":{"requests":[{"metadata":{}},{"request":{"taskType":"CLUSTERING"}}]}}}}`,
			family.Summary{Inputs: 2}},
		{"first item not an object", "asyncBatchEmbedContent",
			`{"batch":{"inputConfig":{"requests":{"requests":[7]}}}}`,
			family.Summary{Inputs: 1}},
		{"file input", "asyncBatchEmbedContent", fileBody("files/input"), family.Summary{}},
		{"no requests", "asyncBatchEmbedContent", inlineBody(), family.Summary{}},
		{"no batch", "asyncBatchEmbedContent", `{}`, family.Summary{}},
		{"batch not an object", "asyncBatchEmbedContent", `{"batch":[1]}`, family.Summary{}},
		{"not JSON", "asyncBatchEmbedContent", `{"batch":`, family.Summary{}},
		{"not an object", "asyncBatchEmbedContent", `[1,2]`, family.Summary{}},
		{"empty body", "asyncBatchEmbedContent", ``, family.Summary{}},
		{"batches.get", "batches.get", inlineBody(item("a")), family.Summary{}},
		{"batches.list", "batches.list", inlineBody(item("a")), family.Summary{}},
		{"batches.cancel", "batches.cancel", inlineBody(item("a")), family.Summary{}},
		{"batches.delete", "batches.delete", inlineBody(item("a")), family.Summary{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &family.Call{Family: "gemini", Kind: tt.kind, Model: "gemini-embedding-001", APIVersion: "v1beta"}
			assert.Equal(t, tt.want, h.batches.Summarize(c, []byte(tt.body)))
		})
	}
}

// TestRoutes: every method under both API versions, classified with its
// kind, version and model.
func TestRoutes(t *testing.T) {
	h := newHarness(t, setup{cfg: testConfig()})
	table, err := family.NewTable(h.models, h.files, h.batches)
	assert.NoError(t, err)
	want := []string{"asyncBatchEmbedContent", "batches.list", "batches.get", "batches.cancel", "batches.delete"}
	var kinds []string
	for _, r := range h.batches.Routes() {
		kinds = append(kinds, r.Kind)
		assert.False(t, r.Hot, r.Path)
		assert.False(t, r.Embeds, r.Path, "jobs embed later, outside the request")
	}
	assert.Equal(t, append(append([]string{}, want...), want...), kinds)

	for _, tc := range []struct{ method, path, kind, version, model string }{
		{"POST", "/v1beta/models/gemini-embedding-001:asyncBatchEmbedContent", "asyncBatchEmbedContent", "v1beta", "gemini-embedding-001"},
		{"POST", "/v1/models/gemini-embedding-2:asyncBatchEmbedContent", "asyncBatchEmbedContent", "v1", "gemini-embedding-2"},
		{"GET", "/v1beta/batches", "batches.list", "v1beta", ""},
		{"GET", "/v1/batches/abc", "batches.get", "v1", ""},
		{"POST", "/v1beta/batches/abc:cancel", "batches.cancel", "v1beta", ""},
		{"DELETE", "/v1/batches/abc", "batches.delete", "v1", ""},
	} {
		r := newRequest(t, tc.method, tc.path)
		c := table.Classify(r)
		assert.Equal(t, tc.kind, c.Kind, tc.path)
		assert.Equal(t, tc.version, c.APIVersion, tc.path)
		assert.Equal(t, tc.model, c.Model, tc.path)
		assert.Equal(t, family.Family(h.batches), c.Owner, tc.path)
		if tc.kind != "asyncBatchEmbedContent" && tc.kind != "batches.list" {
			assert.Equal(t, "abc", c.Var("batch"), tc.path)
		}
	}
}

func newRequest(t *testing.T, method, path string) *http.Request {
	t.Helper()
	return httptest.NewRequest(method, path, nil)
}
