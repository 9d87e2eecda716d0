package vertex_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/mockserver/family/familytest"
	"github.com/embedmock/embedmock/mockserver/gemini"
	"github.com/embedmock/embedmock/mockserver/vertex"
)

// FuzzVertexRequest sends arbitrary bodies to :predict and :embedContent:
// every answer is a 200 or a Google error with a 4xx status; never a panic
// or a 5xx.
func FuzzVertexRequest(f *testing.F) {
	for _, seed := range []string{
		`{"instances":[{"content":"hello","task_type":"RETRIEVAL_QUERY","title":"t"}],"parameters":{"outputDimensionality":8,"autoTruncate":false}}`,
		`{"instances":[{"content":"a"},{"content":"b"}]}`, `{"instances":[]}`, `{"instances":[{"content":5}]}`,
		`{"content":{"parts":[{"text":"hello"}]},"embedContentConfig":{"taskType":"RETRIEVAL_DOCUMENT","outputDimensionality":16,"autoTruncate":true}}`,
		`{"content":{"parts":[]}}`, `{"content":{"parts":[{"text":""}]}}`, `[]`, `{`, ``,
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	env := familytest.Env()
	g := gemini.New(env, gemini.Config{Models: gemini.DefaultModels()})
	table, err := family.NewTable(vertex.New(env, g), g)
	if err != nil {
		f.Fatal(err)
	}
	handler := table.Handler()
	const scope = "/v1beta1/projects/p/locations/us-central1/publishers/google/models/"
	f.Fuzz(func(t *testing.T, body []byte, embedContent bool) {
		path := scope + "text-embedding-005:predict"
		if embedContent {
			path = scope + "gemini-embedding-2:embedContent"
		}
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer fuzz-token")
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		familytest.CheckGoogleAnswer(t, body, rec)

	})
}
