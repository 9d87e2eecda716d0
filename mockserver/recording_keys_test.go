package mockserver

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/dnaeon/go-vcr.v3/cassette"

	"github.com/embedmock/embedmock/mockserver/recording"
)

// The server keys recordings by its route table and families (matcher):
// these tests check the keys of the families' requests.

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}

func recordedInteraction(method, rawURL, reqBody string, status int, respBody string) *cassette.Interaction {
	return &cassette.Interaction{
		Request:  cassette.Request{Method: method, URL: rawURL, Body: reqBody, Headers: http.Header{}},
		Response: cassette.Response{Code: status, Body: respBody, Headers: http.Header{"Content-Type": {"application/json"}}},
	}
}

func TestKeysIgnoreWhatDoesNotChangeTheAnswer(t *testing.T) {
	m := matcher{mustNew(t).table}
	base := m.Key("POST", mustURL(t, "http://h/v1beta/models/gemini-embedding-001:batchEmbedContents"), nil,
		[]byte(`{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"hi"}],"role":"user"},"taskType":"RETRIEVAL_QUERY","outputDimensionality":256}]}`))
	assert.Equal(t, "gemini", base.Family)
	assert.Equal(t, "batchEmbedContents", base.Route)
	assert.Equal(t, "gemini-embedding-001", base.Model)
	same := map[string]struct{ url, body string }{
		"key in the query":        {"http://other/v1beta/models/gemini-embedding-001:batchEmbedContents?key=AIzaSecret", `{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"hi"}],"role":"user"},"taskType":"RETRIEVAL_QUERY","outputDimensionality":256}]}`},
		"v1 instead of v1beta":    {"http://h/v1/models/gemini-embedding-001:batchEmbedContents", `{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"hi"}],"role":"user"},"taskType":"RETRIEVAL_QUERY","outputDimensionality":256}]}`},
		"key order, spacing":      {"http://h/v1beta/models/gemini-embedding-001:batchEmbedContents", `{ "requests": [ { "outputDimensionality": 256, "taskType": "RETRIEVAL_QUERY", "content": {"role":"user", "parts":[{"text":"hi"}]}, "model":"models/gemini-embedding-001" } ] }`},
		"snake_case":              {"http://h/v1beta/models/gemini-embedding-001:batchEmbedContents", `{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"hi"}],"role":"user"},"task_type":"RETRIEVAL_QUERY","output_dimensionality":256}]}`},
		"enum number, string int": {"http://h/v1beta/models/gemini-embedding-001:batchEmbedContents", `{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"hi"}],"role":"user"},"taskType":1,"outputDimensionality":"256"}]}`},
		"nulls":                   {"http://h/v1beta/models/gemini-embedding-001:batchEmbedContents", `{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"hi"}],"role":"user"},"taskType":"RETRIEVAL_QUERY","outputDimensionality":256,"title":null}]}`},
	}
	for name, r := range same {
		assert.Equal(t, base, m.Key("POST", mustURL(t, r.url), nil, []byte(r.body)), name)
	}
	different := map[string]string{
		"text":  `{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"hi!"}],"role":"user"},"taskType":"RETRIEVAL_QUERY","outputDimensionality":256}]}`,
		"task":  `{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"hi"}],"role":"user"},"taskType":"RETRIEVAL_DOCUMENT","outputDimensionality":256}]}`,
		"dims":  `{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"hi"}],"role":"user"},"taskType":"RETRIEVAL_QUERY","outputDimensionality":128}]}`,
		"empty": ``,
		// Not the same request: the API refuses it (a stray closing brace).
		"stray brace": `{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"hi"}],"role":"user"},"taskType":"RETRIEVAL_QUERY","outputDimensionality":256}]}}`,
	}
	for name, body := range different {
		k := m.Key("POST", mustURL(t, "http://h/v1beta/models/gemini-embedding-001:batchEmbedContents"), nil, []byte(body))
		assert.NotEqual(t, base, k, name)
	}
}

func TestRouteKinds(t *testing.T) {
	m := matcher{mustNew(t).table}
	tests := map[string][3]string{
		"POST /v1/embeddings":                          {"openai", "embeddings", ""},
		"POST /openai/deployments/dep/embeddings":      {"openai", "embeddings", "dep"},
		"GET /v1beta/models":                           {"gemini", "models.list", ""},
		"GET /v1beta/models/gemini-embedding-001":      {"gemini", "models.get", "gemini-embedding-001"},
		"POST /v1/models/m:embedContent":               {"gemini", "embedContent", "m"},
		"POST /v1beta/models/m:asyncBatchEmbedContent": {"gemini", "asyncBatchEmbedContent", "m"},
		"GET /v1beta/batches":                          {"gemini", "batches.list", ""},
		"GET /v1beta/batches/abc":                      {"gemini", "batches.get", ""},
		"POST /v1beta/batches/abc:cancel":              {"gemini", "batches.cancel", ""},
		"DELETE /v1beta/batches/abc":                   {"gemini", "batches.delete", ""},
		"POST /upload/v1beta/files":                    {"gemini", "files.upload", ""},
		"GET /v1beta/files/x:download":                 {"gemini", "files.download", ""},
		"GET /download/v1beta/files/x:download":        {"gemini", "files.download", ""},
		"GET /api/embeddings":                          {"gradient", "embeddings.list", ""},
		"POST /api/embeddings/bge-large":               {"gradient", "embeddings", "bge-large"},
		"GET /elsewhere":                               {"http", "GET /elsewhere", ""},
	}
	for req, want := range tests {
		method, path, _ := strings.Cut(req, " ")
		k := m.Key(method, mustURL(t, "http://h"+path), nil, nil)
		assert.Equal(t, want, [3]string{k.Family, k.Route, k.Model}, req)
	}
	// A body that is not JSON is matched by its bytes.
	a := m.Key("POST", mustURL(t, "http://h/upload/v1beta/files?upload_id=1"), nil, []byte("\x00\x01binary"))
	b := m.Key("POST", mustURL(t, "http://h/upload/v1beta/files?upload_id=1"), nil, []byte("\x00\x01binarz"))
	assert.NotEqual(t, a, b)
	assert.Contains(t, a.Request, "bytes:8:")
}

func TestVectorLevelReplay(t *testing.T) {
	m := matcher{mustNew(t).table}
	lib := recording.NewLibrary(m)
	batch := "http://h/v1beta/models/m:batchEmbedContents"
	lib.Add(recordedInteraction("POST", batch,
		`{"requests":[{"model":"models/m","content":{"parts":[{"text":"a"}]},"outputDimensionality":2},{"model":"models/m","content":{"parts":[{"text":"b"}]},"outputDimensionality":2}]}`,
		200, "{\n  \"embeddings\": [\n    {\"values\": [0.5,\n 1e-05]},\n    {\"values\": [3, 4]}\n  ]\n}"), "t#0")
	lib.Add(recordedInteraction("POST", "http://h/v1beta/models/m:embedContent", `{"content":{"parts":[{"text":"c"}]},"task_type":"RETRIEVAL_QUERY"}`,
		200, `{"embedding":{"values":[5,6]}}`), "t#1")

	// A single from a batch.
	a, miss := lib.Lookup(m.Key("POST", mustURL(t, "http://h/v1beta/models/m:embedContent"), nil, []byte(`{"content":{"parts":[{"text":"b"}]},"output_dimensionality":2}`)), []byte(`{"content":{"parts":[{"text":"b"}]},"output_dimensionality":2}`))
	require.Nil(t, miss)
	assert.Equal(t, `{"embedding":{"values":[3,4]}}`, string(a.Body))
	// A new batch from a batch's items and a single, in another order.
	a, miss = lib.Lookup(m.Key("POST", mustURL(t, batch), nil, []byte(`{"requests":[{"model":"models/m","content":{"parts":[{"text":"c"}]},"taskType":1},{"model":"models/m","content":{"parts":[{"text":"a"}]},"outputDimensionality":"2"}]}`)), []byte(`{"requests":[{"model":"models/m","content":{"parts":[{"text":"c"}]},"taskType":1},{"model":"models/m","content":{"parts":[{"text":"a"}]},"outputDimensionality":"2"}]}`))
	require.Nil(t, miss)
	assert.Equal(t, `{"embeddings":[{"values":[5,6]},{"values":[0.5,1e-05]}]}`, string(a.Body))
	// One unrecorded input is a miss.
	_, miss = lib.Lookup(m.Key("POST", mustURL(t, batch), nil, []byte(`{"requests":[{"model":"models/m","content":{"parts":[{"text":"a"}]},"outputDimensionality":2},{"model":"models/m","content":{"parts":[{"text":"z"}]}}]}`)), []byte(`{"requests":[{"model":"models/m","content":{"parts":[{"text":"a"}]},"outputDimensionality":2},{"model":"models/m","content":{"parts":[{"text":"z"}]}}]}`))
	require.NotNil(t, miss)
}
