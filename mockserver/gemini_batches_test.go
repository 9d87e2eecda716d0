package mockserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const asyncPath = "/v1beta/models/gemini-embedding-001:asyncBatchEmbedContent"

// operationJSON is the wire form of a batch Operation, decoded loosely.
type operationJSON struct {
	Name     string         `json:"name"`
	Done     bool           `json:"done"`
	Error    *rpcStatus     `json:"error"`
	Metadata map[string]any `json:"metadata"`
	Response map[string]any `json:"response"`
}

func createBatch(t *testing.T, base, path, body string) operationJSON {
	t.Helper()
	r := do(t, http.MethodPost, base+path, body)
	require.Equal(t, 200, r.status, string(r.body))
	var op operationJSON
	require.NoError(t, json.Unmarshal(r.body, &op))
	return op
}

func getBatch(t *testing.T, base, name string) operationJSON {
	t.Helper()
	r := do(t, http.MethodGet, base+"/v1beta/"+name, "")
	require.Equal(t, 200, r.status, string(r.body))
	var op operationJSON
	require.NoError(t, json.Unmarshal(r.body, &op))
	return op
}

func TestBatchOperationShape(t *testing.T) {
	clock := newTestClock()
	_, base := newTestServer(t, WithClock(clock.Now), WithBatchDelay(10*time.Minute))
	op := createBatch(t, base, asyncPath, `{"batch":{"display_name":"shape","priority":"7","input_config":{"requests":{"requests":[
		{"request":{"content":{"parts":[{"text":"alpha"}]},"output_dimensionality":128},"metadata":{"key":"a"}},
		{"request":{"content":{"parts":[{"text":""}]}},"metadata":{"key":"b"}},
		{"request":{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"gamma"}]},"outputDimensionality":128}}]}}}}`)
	assert.Regexp(t, `^batches/[a-z0-9]{36}$`, op.Name)
	assert.False(t, op.Done)
	m := op.Metadata
	assert.Equal(t, batchTypeURL, m["@type"])
	assert.Equal(t, "models/gemini-embedding-001", m["model"])
	assert.Equal(t, "shape", m["displayName"])
	assert.Equal(t, "7", m["priority"])
	assert.Equal(t, op.Name, m["name"])
	assert.Equal(t, "BATCH_STATE_PENDING", m["state"])
	assert.Equal(t, "2026-05-01T12:00:00Z", m["createTime"])
	assert.Equal(t, map[string]any{"requestCount": "3", "pendingRequestCount": "3"}, m["batchStats"])
	assert.NotContains(t, m, "inputConfig", "inline input is not echoed")
	assert.NotContains(t, m, "output")

	clock.Advance(5 * time.Minute)
	running := getBatch(t, base, op.Name)
	assert.Equal(t, "BATCH_STATE_RUNNING", running.Metadata["state"])
	assert.Equal(t, "2026-05-01T12:05:00Z", running.Metadata["updateTime"])

	clock.Advance(5 * time.Minute)
	done := getBatch(t, base, op.Name)
	assert.True(t, done.Done)
	m = done.Metadata
	assert.Equal(t, "BATCH_STATE_SUCCEEDED", m["state"])
	assert.Equal(t, "2026-05-01T12:10:00Z", m["endTime"])
	assert.Equal(t, map[string]any{"requestCount": "3", "successfulRequestCount": "2", "failedRequestCount": "1"}, m["batchStats"])
	output := m["output"].(map[string]any)
	items := output["inlinedResponses"].(map[string]any)["inlinedResponses"].([]any)
	require.Len(t, items, 3)
	first := items[0].(map[string]any)
	assert.Equal(t, map[string]any{"key": "a"}, first["metadata"], "metadata is echoed")
	resp := first["response"].(map[string]any)
	assert.Equal(t, "2", resp["tokenCount"], "tokenCount is an int64 string")
	assert.Len(t, resp["embedding"].(map[string]any)["values"], 128)
	second := items[1].(map[string]any)
	assert.Equal(t, map[string]any{"code": 3.0, "message": "EmbedContentRequest.content contains an empty Part."}, second["error"])
	assert.NotContains(t, items[2].(map[string]any), "metadata")

	require.NotNil(t, done.Response)
	assert.Equal(t, batchOutputTypeURL, done.Response["@type"])
	assert.Equal(t, output["inlinedResponses"], done.Response["inlinedResponses"], "response repeats metadata.output")

	// Results are fixed once computed.
	clock.Advance(time.Hour)
	assert.Equal(t, done, getBatch(t, base, op.Name))
}

func TestBatchForGeminiEmbedding2ReportsUsage(t *testing.T) {
	_, base := newTestServer(t)
	op := createBatch(t, base, "/v1beta/models/gemini-embedding-2:asyncBatchEmbedContent",
		`{"batch":{"inputConfig":{"requests":{"requests":[{"request":{"content":{"parts":[{"text":"abcdefgh"}]}}}]}}}}`)
	done := getBatch(t, base, op.Name)
	item := done.Metadata["output"].(map[string]any)["inlinedResponses"].(map[string]any)["inlinedResponses"].([]any)[0].(map[string]any)
	resp := item["response"].(map[string]any)
	assert.Equal(t, map[string]any{"promptTokenCount": 2.0}, resp["usageMetadata"])
	assert.NotContains(t, resp, "tokenCount")
}

func TestBatchCreateErrors(t *testing.T) {
	inline := `"requests":{"requests":[{"request":{"content":{"parts":[{"text":"a"}]}}}]}`
	tests := []struct {
		name    string
		opts    []Option
		path    string
		body    string
		status  int
		message string
	}{
		{"no batch", nil, asyncPath, `{}`, 400, "* AsyncBatchEmbedContentRequest.batch: batch is not specified\n"},
		{"no input", nil, asyncPath, `{"batch":{"displayName":"x"}}`, 400, "* EmbedContentBatch.input_config: input_config is not specified\n"},
		{"two sources", nil, asyncPath, `{"batch":{"inputConfig":{"file_name":"files/x",` + inline + `}}}`, 400,
			"Invalid value at 'batch.input_config' (oneof), oneof field 'source' is already set. Cannot set 'requests'"},
		{"no requests", nil, asyncPath, `{"batch":{"inputConfig":{"requests":{"requests":[]}}}}`, 400,
			"* EmbedContentBatch.input_config.requests.requests: requests is not specified\n"},
		{"unknown file", nil, asyncPath, `{"batch":{"inputConfig":{"fileName":"files/nope"}}}`, 403,
			"You do not have permission to access the File nope or it may not exist."},
		{"bad file name", nil, asyncPath, `{"batch":{"inputConfig":{"fileName":"nope"}}}`, 400,
			"* EmbedContentBatch.input_config.file_name: the file name must be files/{id}\n"},
		{"unknown field", nil, asyncPath, `{"batch":{"inputConfig":{` + inline + `},"colour":1}}`, 400,
			`Invalid JSON payload received. Unknown name "colour" at 'batch': Cannot find field.`},
		{"unknown field in an item", nil, asyncPath, `{"batch":{"inputConfig":{"requests":{"requests":[{"request":{"content":{"parts":[{"text":"a"}]}},"key":"k"}]}}}}`, 400,
			`Invalid JSON payload received. Unknown name "key" at 'batch.input_config.requests.requests[0]': Cannot find field.`},
		{"batch model differs", nil, asyncPath, `{"batch":{"model":"models/gemini-embedding-2","inputConfig":{` + inline + `}}}`, 400,
			"* EmbedContentBatch.model: the batch's model models/gemini-embedding-2 must match the model in the URL (models/gemini-embedding-001)\n"},
		{"unknown model", nil, "/v1beta/models/nope:asyncBatchEmbedContent", `{"batch":{"inputConfig":{` + inline + `}}}`, 404,
			"models/nope is not found for API version v1beta, or is not supported for asyncBatchEmbedContent. Call ListModels to see the list of available models and their supported methods."},
		{"model without async batches", []Option{WithLegacyModels(true)}, "/v1/models/text-embedding-004:asyncBatchEmbedContent", `{"batch":{"inputConfig":{` + inline + `}}}`, 404,
			"models/text-embedding-004 is not found for API version v1, or is not supported for asyncBatchEmbedContent. Call ListModels to see the list of available models and their supported methods."},
		{"bad priority", nil, asyncPath, `{"batch":{"priority":"high","inputConfig":{` + inline + `}}}`, 400,
			`Invalid value at 'batch.priority' (TYPE_INT64), "high"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, base := newTestServer(t, tt.opts...)
			r := do(t, http.MethodPost, base+tt.path, tt.body)
			assert.Equal(t, tt.status, r.status, string(r.body))
			assert.Equal(t, tt.message, googleErr(t, r).Message)
		})
	}
}

func TestBatchNotFoundAndLimits(t *testing.T) {
	_, base := newTestServer(t, WithMaxBatches(1))
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/v1beta/batches/nope"},
		{http.MethodPost, "/v1beta/batches/nope:cancel"},
		{http.MethodDelete, "/v1/batches/nope"},
	} {
		r := do(t, tc.method, base+tc.path, "")
		assert.Equal(t, 404, r.status)
		assert.Equal(t, "Requested entity was not found.", googleErr(t, r).Message)
	}
	body := `{"batch":{"inputConfig":{"requests":{"requests":[{"request":{"content":{"parts":[{"text":"a"}]}}}]}}}}`
	op := createBatch(t, base, asyncPath, body)
	r := do(t, http.MethodPost, base+asyncPath, body)
	assert.Equal(t, 429, r.status)
	assert.Equal(t, "RESOURCE_EXHAUSTED", googleErr(t, r).Status)
	assert.Equal(t, 200, do(t, http.MethodDelete, base+"/v1beta/"+op.Name, "").status)
	createBatch(t, base, asyncPath, body)
}

func TestBatchFailuresAdminAPI(t *testing.T) {
	s, base := newTestServer(t)
	r := do(t, http.MethodPost, base+"/_embedmock/batch-failures", `{"count":2,"code":13,"message":"boom"}`)
	require.Equal(t, 200, r.status, string(r.body))
	assert.Equal(t, []BatchFailure{{Count: 2, Code: 13, Message: "boom"}}, s.BatchFailures())
	r = do(t, http.MethodGet, base+"/_embedmock/batch-failures", "")
	assert.JSONEq(t, `{"batchFailures":[{"count":2,"code":13,"message":"boom"}]}`, string(r.body))

	body := `{"batch":{"inputConfig":{"requests":{"requests":[{"request":{"content":{"parts":[{"text":"a"}]}}}]}}}}`
	op := createBatch(t, base, asyncPath, body)
	failed := getBatch(t, base, op.Name)
	assert.True(t, failed.Done)
	assert.Equal(t, "BATCH_STATE_FAILED", failed.Metadata["state"])
	assert.Equal(t, &rpcStatus{Code: 13, Message: "boom"}, failed.Error)
	assert.NotContains(t, failed.Metadata, "output")
	assert.Nil(t, failed.Response)
	assert.Equal(t, []BatchFailure{{Count: 1, Code: 13, Message: "boom"}}, s.BatchFailures())

	assert.Equal(t, 200, do(t, http.MethodDelete, base+"/_embedmock/batch-failures", "").status)
	assert.Empty(t, s.BatchFailures())
	assert.Equal(t, "BATCH_STATE_SUCCEEDED", getBatch(t, base, createBatch(t, base, asyncPath, body).Name).Metadata["state"])

	r = do(t, http.MethodPost, base+"/_embedmock/batch-failures", `{"code":99}`)
	assert.Equal(t, 400, r.status)
	r = do(t, http.MethodPost, base+"/_embedmock/batch-failures", `{"colour":1}`)
	assert.Equal(t, 400, r.status)
	r = do(t, http.MethodPost, base+"/_embedmock/batch-failures", ``)
	assert.Equal(t, 200, r.status, "an empty body schedules one default failure")
	assert.Equal(t, []BatchFailure{{Count: 1, Code: 8, Message: "Enqueued token quota exceeded for this model."}}, s.BatchFailures())
}

func TestCancelledOperationShape(t *testing.T) {
	_, base := newTestServer(t, WithBatchDelay(time.Hour))
	op := createBatch(t, base, asyncPath, `{"batch":{"inputConfig":{"requests":{"requests":[{"request":{"content":{"parts":[{"text":"a"}]}}}]}}}}`)
	r := do(t, http.MethodPost, base+"/v1beta/"+op.Name+":cancel", "")
	require.Equal(t, 200, r.status)
	assert.Equal(t, "{}", string(r.body))
	r = do(t, http.MethodPost, base+"/v1beta/"+op.Name+":cancel", "{}")
	require.Equal(t, 200, r.status, "JS sends {}")
	got := getBatch(t, base, op.Name)
	assert.True(t, got.Done)
	assert.Equal(t, "BATCH_STATE_CANCELLED", got.Metadata["state"])
	assert.Equal(t, 1, got.Error.Code)
}

func TestListBatchesPaging(t *testing.T) {
	clock := newTestClock()
	_, base := newTestServer(t, WithClock(clock.Now))
	var created []string
	for range 3 {
		created = append(created, createBatch(t, base, asyncPath, `{"batch":{"inputConfig":{"requests":{"requests":[{"request":{"content":{"parts":[{"text":"a"}]}}}]}}}}`).Name)
		clock.Advance(time.Second)
	}
	var listed []string
	token := ""
	for range 5 {
		url := base + "/v1beta/batches?pageSize=2"
		if token != "" {
			url += "&pageToken=" + token
		}
		r := do(t, http.MethodGet, url, "")
		require.Equal(t, 200, r.status, string(r.body))
		var page struct {
			Operations    []operationJSON `json:"operations"`
			NextPageToken string          `json:"nextPageToken"`
		}
		require.NoError(t, json.Unmarshal(r.body, &page))
		for _, op := range page.Operations {
			listed = append(listed, op.Name)
			assert.Nil(t, op.Response, "listed operations carry no response")
			assert.Equal(t, "BATCH_STATE_SUCCEEDED", op.Metadata["state"])
			assert.Contains(t, op.Metadata, "output")
		}
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	assert.Equal(t, []string{created[2], created[1], created[0]}, listed)
	r := do(t, http.MethodGet, base+"/v1beta/batches?pageToken=garbage!", "")
	assert.Equal(t, 400, r.status)

	_, empty := newTestServer(t)
	r = do(t, http.MethodGet, empty+"/v1beta/batches", "")
	assert.Equal(t, "{}", strings.TrimSpace(string(r.body)))
}

func TestBatchRequestLimit(t *testing.T) {
	s, base := newTestServer(t, WithMaxBatchRequests(2), WithMaxBatches(1))
	item := `{"request":{"content":{"parts":[{"text":"a"}]}}}`
	r := do(t, http.MethodPost, base+asyncPath, `{"batch":{"inputConfig":{"requests":{"requests":[`+item+`,`+item+`,`+item+`]}}}}`)
	assert.Equal(t, 400, r.status)
	assert.Equal(t, "* EmbedContentBatch.input_config.requests.requests: at most 2 requests can be in one batch job (embedmock's limit, --max-batch-requests)\n", googleErr(t, r).Message)

	url := startUpload(t, base, `{"file":{"name":"files/three"}}`)
	decodeFile(t, chunk(t, base, url, "upload, finalize", 0, strings.Repeat(`{"key":"k","request":{"content":{"parts":[{"text":"a"}]}}}`+"\n", 3)))
	r = do(t, http.MethodPost, base+asyncPath, `{"batch":{"inputConfig":{"fileName":"files/three"}}}`)
	assert.Equal(t, 400, r.status)

	// A scheduled failure is not used up by a job refused for lack of room.
	createBatch(t, base, asyncPath, `{"batch":{"inputConfig":{"requests":{"requests":[`+item+`]}}}}`)
	require.NoError(t, s.FailBatches(BatchFailure{}))
	assert.Equal(t, 429, do(t, http.MethodPost, base+asyncPath, `{"batch":{"inputConfig":{"requests":{"requests":[`+item+`]}}}}`).status)
	assert.Len(t, s.BatchFailures(), 1)
}

func TestDeletedJobStaysDeletedAfterRestart(t *testing.T) {
	dir := t.TempDir()
	clock := newTestClock()
	opts := []Option{WithDataDir(dir), WithClock(clock.Now), WithBatchDelay(time.Minute)}
	s1, err := New(opts...)
	require.NoError(t, err)
	ts1 := httptest.NewServer(s1)
	item := `{"request":{"content":{"parts":[{"text":"a"}]}}}`
	pending := createBatch(t, ts1.URL, asyncPath, `{"batch":{"inputConfig":{"requests":{"requests":[`+item+`]}}}}`)
	finished := createBatch(t, ts1.URL, asyncPath, `{"batch":{"inputConfig":{"requests":{"requests":[`+item+`]}}}}`)
	clock.Advance(time.Minute)
	getBatch(t, ts1.URL, finished.Name)
	for _, op := range []operationJSON{pending, finished} {
		assert.Equal(t, 200, do(t, http.MethodDelete, ts1.URL+"/v1beta/"+op.Name, "").status)
		assert.Equal(t, 404, do(t, http.MethodGet, ts1.URL+"/v1beta/"+op.Name, "").status)
		assert.Equal(t, 404, do(t, http.MethodPost, ts1.URL+"/v1beta/"+op.Name+":cancel", "").status)
	}
	ts1.Close()
	s2, err := New(opts...)
	require.NoError(t, err)
	ts2 := httptest.NewServer(s2)
	defer ts2.Close()
	for _, op := range []operationJSON{pending, finished} {
		assert.Equal(t, 404, do(t, http.MethodGet, ts2.URL+"/v1beta/"+op.Name, "").status)
	}
	entries, err := os.ReadDir(filepath.Join(dir, "jobs"))
	require.NoError(t, err)
	assert.Empty(t, entries)
}

func TestConcurrentGetsListsAndDeletes(t *testing.T) {
	_, base := newTestServer(t, WithDataDir(t.TempDir()))
	item := `{"request":{"content":{"parts":[{"text":"a"}]}}}`
	var names []string
	for range 12 {
		names = append(names, createBatch(t, base, asyncPath, `{"batch":{"inputConfig":{"requests":{"requests":[`+item+`]}}}}`).Name)
	}
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() { do(t, http.MethodGet, base+"/v1beta/"+name, "") })
		wg.Go(func() {
			r := do(t, http.MethodGet, base+"/v1beta/batches?pageSize=5", "")
			assert.True(t, json.Valid(r.body), "a list racing with deletes: %s", r.body)
		})
		if i%3 == 0 {
			wg.Go(func() { do(t, http.MethodDelete, base+"/v1beta/"+name, "") })
		}
	}
	wg.Wait()
	r := do(t, http.MethodGet, base+"/v1beta/batches", "")
	var page struct {
		Operations []operationJSON `json:"operations"`
	}
	require.NoError(t, json.Unmarshal(r.body, &page))
	assert.Len(t, page.Operations, 8)
}

// A job is published when it is created, and with no delay a concurrent list
// finishes it at once: the create answer must not read the record that the
// list is rewriting (go test -race).
func TestCreateWhileListing(t *testing.T) {
	s := mustNew(t)
	serve := func(method, path, body string) *httptest.ResponseRecorder {
		return fuzzServe(s, fuzzRequest(method, path, []byte(body), false, "X-Goog-Api-Key", testKey))
	}
	body := `{"batch":{"inputConfig":{"requests":{"requests":[{"request":{"content":{"parts":[{"text":"a"}]}}}]}}}}`
	stop := make(chan struct{})
	var listers sync.WaitGroup
	for range 2 {
		listers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					serve(http.MethodGet, "/v1beta/batches?pageSize=2", "")
				}
			}
		})
	}
	var creators sync.WaitGroup
	for range 4 {
		creators.Go(func() {
			for range 50 {
				rec := serve(http.MethodPost, asyncPath, body)
				var op operationJSON
				if assert.Equal(t, 200, rec.Code, rec.Body.String()) && assert.NoError(t, json.Unmarshal(rec.Body.Bytes(), &op)) {
					assert.False(t, op.Done, "answered as created, whatever a list did since")
					assert.Equal(t, "BATCH_STATE_PENDING", op.Metadata["state"])
				}
			}
		})
	}
	creators.Wait()
	close(stop)
	listers.Wait()
}
