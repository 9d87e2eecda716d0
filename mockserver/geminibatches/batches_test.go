package geminibatches

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embedmock/embedmock/mockserver/geminifiles"
)

// TestInlineJobLifecycle follows an inline job through its states as the
// clock moves: PENDING for the first half of the delay, RUNNING for the
// second, then SUCCEEDED with one result per request.
func TestInlineJobLifecycle(t *testing.T) {
	h := newHarness(t, setup{cfg: testConfig()})
	body := `{"batch":{"displayName":"lifecycle","priority":"7","inputConfig":{"requests":{"requests":[
		{"request":{"content":{"parts":[{"text":"alpha"}]},"outputDimensionality":128},"metadata":{"key":"a"}},
		{"request":{"content":{"parts":[{"text":""}]}},"metadata":{"key":"b"}},
		{"request":{"model":"models/gemini-embedding-2","content":{"parts":[{"text":"beta"}]}}},
		{"request":{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"gamma"}]},"output_dimensionality":256}}]}}}}`
	created := h.create(asyncPath, body)
	assert.Regexp(t, `^batches/[a-z0-9]{36}$`, created.Name)
	assert.False(t, created.Done)
	assert.Nil(t, created.Error)
	assert.Nil(t, created.Response)
	assert.Equal(t, operationMetadata{
		Type: batchTypeURL, Model: "models/gemini-embedding-001", DisplayName: "lifecycle",
		CreateTime: stamp(0), UpdateTime: stamp(0),
		BatchStats: map[string]string{"requestCount": "4", "pendingRequestCount": "4"},
		State:      batchPending, Name: created.Name, Priority: "7",
	}, created.Metadata, "inline input is not echoed; no output yet")

	steps := []struct {
		at         time.Duration // since creation
		state      string
		updateTime time.Duration
	}{
		{0, batchPending, 0},
		{5*time.Minute - time.Nanosecond, batchPending, 0},
		{5 * time.Minute, batchRunning, 5 * time.Minute},
		{10*time.Minute - time.Nanosecond, batchRunning, 5 * time.Minute},
	}
	now := time.Duration(0)
	for _, step := range steps {
		h.clock.Advance(step.at - now)
		now = step.at
		op := h.get(created.Name)
		assert.Equal(t, step.state, op.Metadata.State, "at %v", step.at)
		assert.False(t, op.Done, "at %v", step.at)
		assert.Equal(t, stamp(step.updateTime), op.Metadata.UpdateTime, "at %v", step.at)
		assert.Empty(t, op.Metadata.EndTime, "at %v", step.at)
		assert.Equal(t, map[string]string{"requestCount": "4", "pendingRequestCount": "4"}, op.Metadata.BatchStats, "at %v", step.at)
		assert.Nil(t, op.Metadata.Output, "at %v", step.at)
		assert.Nil(t, op.Response, "at %v", step.at)
	}

	h.clock.Advance(10*time.Minute - now)
	done := h.get(created.Name)
	assert.True(t, done.Done)
	assert.Nil(t, done.Error, "a job with failed items still succeeds")
	assert.Equal(t, batchSucceeded, done.Metadata.State)
	assert.Equal(t, stamp(10*time.Minute), done.Metadata.EndTime)
	assert.Equal(t, stamp(10*time.Minute), done.Metadata.UpdateTime)
	assert.Equal(t, stamp(0), done.Metadata.CreateTime)
	assert.Equal(t, map[string]string{"requestCount": "4", "successfulRequestCount": "2", "failedRequestCount": "2"}, done.Metadata.BatchStats)

	items := done.items(t)
	require.Len(t, items, 4, "one result per request, in order")
	require.NotNil(t, items[0].Response)
	assert.Nil(t, items[0].Error)
	assert.JSONEq(t, `{"key":"a"}`, string(items[0].Metadata), "metadata is echoed")
	assert.Len(t, items[0].Response.Embedding.Values, 128)
	assert.Equal(t, "2", items[0].Response.TokenCount, "tokenCount is an int64 string")
	assert.Nil(t, items[0].Response.UsageMetadata)

	assert.Nil(t, items[1].Response)
	assert.Equal(t, &rpcStatus{Code: 3, Message: "EmbedContentRequest.content contains an empty Part."}, items[1].Error)
	assert.JSONEq(t, `{"key":"b"}`, string(items[1].Metadata))

	assert.Nil(t, items[2].Response)
	assert.Equal(t, &rpcStatus{Code: 3, Message: "* EmbedContentRequest.model: the model of each request must be the batch's model (models/gemini-embedding-001), got models/gemini-embedding-2\n"}, items[2].Error)
	assert.Empty(t, items[2].Metadata)

	require.NotNil(t, items[3].Response)
	assert.Len(t, items[3].Response.Embedding.Values, 256)

	// The results are the synchronous embedContent's vectors.
	sync := h.do(http.MethodPost, "/v1beta/models/gemini-embedding-001:embedContent", `{"content":{"parts":[{"text":"alpha"}]},"outputDimensionality":128}`)
	require.Equal(t, http.StatusOK, sync.Status, "%s", sync.Body)
	var syncResp embedResponse
	require.NoError(t, json.Unmarshal(sync.Body, &syncResp))
	assert.Equal(t, syncResp.Embedding.Values, items[0].Response.Embedding.Values)

	// The response repeats the output under its type URL.
	require.NotNil(t, done.Response)
	assert.JSONEq(t, `"`+batchOutputTypeURL+`"`, string(done.Response["@type"]))
	var repeated batchOutput
	decodeStrict(t, done.Response["inlinedResponses"], &repeated.InlinedResponses)
	assert.Equal(t, *done.Metadata.Output, repeated)
	assert.Len(t, done.Response, 2, "@type and inlinedResponses")

	// The results are fixed once computed, and v1 serves the same job.
	h.clock.Advance(time.Hour)
	assert.Equal(t, done, h.get(created.Name))
	assert.Equal(t, done, decodeOperation(t, h.do(http.MethodGet, "/v1/"+created.Name, "")))
}

// TestInlineJobModels checks each batch model's result shape, and that a
// job with no delay is finished at its first poll.
func TestInlineJobModels(t *testing.T) {
	tests := []struct {
		name     string
		version  string
		model    string
		usage    bool // usageMetadata instead of tokenCount
		snakeCfg bool
	}{
		{"gemini-embedding-001 v1beta", "v1beta", "gemini-embedding-001", false, false},
		{"gemini-embedding-001 v1 snake case", "v1", "gemini-embedding-001", false, true},
		{"gemini-embedding-2 v1beta", "v1beta", "gemini-embedding-2", true, false},
		{"gemini-embedding-2-preview v1 snake case", "v1", "gemini-embedding-2-preview", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Delay = 0
			h := newHarness(t, setup{cfg: cfg})
			body := inlineBody(item("abcdefgh"))
			if tt.snakeCfg {
				body = `{"batch":{"display_name":"snake","input_config":{"requests":{"requests":[` + item("abcdefgh") + `]}}}}`
			}
			created := h.create("/"+tt.version+"/models/"+tt.model+":asyncBatchEmbedContent", body)
			assert.Equal(t, batchPending, created.Metadata.State, "answered as created")
			assert.Equal(t, "models/"+tt.model, created.Metadata.Model)
			if tt.snakeCfg {
				assert.Equal(t, "snake", created.Metadata.DisplayName)
			}

			done := h.get(created.Name)
			require.Equal(t, batchSucceeded, done.Metadata.State)
			assert.Equal(t, stamp(0), done.Metadata.EndTime)
			items := done.items(t)
			require.Len(t, items, 1)
			require.NotNil(t, items[0].Response)
			assert.Len(t, items[0].Response.Embedding.Values, 3072, "the native dimension")
			if tt.usage {
				require.NotNil(t, items[0].Response.UsageMetadata)
				assert.Equal(t, 2, items[0].Response.UsageMetadata.PromptTokenCount)
				assert.Empty(t, items[0].Response.TokenCount)
			} else {
				assert.Nil(t, items[0].Response.UsageMetadata)
				assert.Equal(t, "2", items[0].Response.TokenCount)
			}
		})
	}
}

// batchInputFile is a JSONL input file: blank and whitespace lines are
// skipped, every other line gets one output line, in order.
const batchInputFile = `{"key":"first","request":{"content":{"parts":[{"text":"alpha"}]},"output_dimensionality":128}}

{"key":"empty","request":{"content":{"parts":[{"text":""}]}}}
   ` + "\t" + `
{"request":{"content":{"parts":[{"text":"no key"}]},"outputDimensionality":128},"metadata":{"m":1}}
{"key":"bad-json","request":{
{"key":"unknown-field","request":{"content":{"parts":[{"text":"x"}]},"dims":3}}
{"key":"crlf","request":{"content":{"parts":[{"text":"gamma"}]},"outputDimensionality":128}}` + "\r\n" + `
[1,2]
{"key":"last","request":{"content":{"parts":[{"text":"omega"}]},"outputDimensionality":128}}`

// fileLine is one line of a results file.
type fileLine struct {
	Key      *string         `json:"key"`
	Response *embedResponse  `json:"response"`
	Error    *rpcStatus      `json:"error"`
	Metadata json.RawMessage `json:"metadata"`
}

// TestFileInputJob uploads a JSONL file through the Files API, runs a job
// over it and reads its results file: one line per non-blank input line,
// in order, with the key.
func TestFileInputJob(t *testing.T) {
	for _, protocol := range []string{"multipart", "resumable"} {
		t.Run(protocol, func(t *testing.T) {
			h := newHarness(t, setup{cfg: testConfig()})
			if protocol == "multipart" {
				h.uploadMultipart("input", batchInputFile)
			} else {
				h.uploadResumable("input", batchInputFile)
			}
			created := h.create(asyncPath, fileBody("files/input"))
			require.NotNil(t, created.Metadata.InputConfig, "file input is echoed")
			assert.Equal(t, "files/input", created.Metadata.InputConfig.FileName)
			assert.Equal(t, map[string]string{"requestCount": "8", "pendingRequestCount": "8"}, created.Metadata.BatchStats)

			h.clock.Advance(5 * time.Minute)
			assert.Equal(t, batchRunning, h.get(created.Name).Metadata.State)
			h.clock.Advance(5 * time.Minute)
			done := h.get(created.Name)
			require.Equal(t, batchSucceeded, done.Metadata.State, "%+v", done)
			assert.True(t, done.Done)
			assert.Equal(t, map[string]string{"requestCount": "8", "successfulRequestCount": "4", "failedRequestCount": "4"}, done.Metadata.BatchStats)
			id := strings.TrimPrefix(created.Name, "batches/")
			require.NotNil(t, done.Metadata.Output)
			assert.Equal(t, batchOutput{ResponsesFile: "files/batch-" + id}, *done.Metadata.Output)
			assert.JSONEq(t, `"files/batch-`+id+`"`, string(done.Response["responsesFile"]))
			assert.JSONEq(t, `"`+batchOutputTypeURL+`"`, string(done.Response["@type"]))

			content := h.download(done.Metadata.Output.ResponsesFile)
			require.True(t, strings.HasSuffix(content, "\n"))
			rawLines := strings.Split(strings.TrimSuffix(content, "\n"), "\n")
			require.Len(t, rawLines, 8, "one line per non-blank input line:\n%s", content)
			lines := make([]fileLine, len(rawLines))
			for i, l := range rawLines {
				decodeStrict(t, []byte(l), &lines[i])
			}
			key := func(i int) string {
				if lines[i].Key == nil {
					return "<none>"
				}
				return *lines[i].Key
			}
			var keys []string
			for i := range lines {
				keys = append(keys, key(i))
			}
			assert.Equal(t, []string{"first", "empty", "<none>", "<none>", "unknown-field", "crlf", "<none>", "last"}, keys)

			for _, i := range []int{0, 2, 5, 7} {
				require.NotNil(t, lines[i].Response, "line %d", i)
				assert.Nil(t, lines[i].Error, "line %d", i)
				assert.Len(t, lines[i].Response.Embedding.Values, 128, "line %d", i)
			}
			assert.JSONEq(t, `{"m":1}`, string(lines[2].Metadata))
			assert.Equal(t, &rpcStatus{Code: 3, Message: "EmbedContentRequest.content contains an empty Part."}, lines[1].Error)
			require.NotNil(t, lines[3].Error)
			assert.Equal(t, 3, lines[3].Error.Code)
			assert.Contains(t, lines[3].Error.Message, "Invalid JSON payload received.")
			assert.Equal(t, &rpcStatus{Code: 3, Message: `Invalid JSON payload received. Unknown name "dims" at 'request': Cannot find field.`}, lines[4].Error)
			assert.Equal(t, &rpcStatus{Code: 3, Message: `Invalid JSON payload received. Unknown name "": Root element must be a message.`}, lines[6].Error)

			// The same vectors as the synchronous method.
			sync := h.do(http.MethodPost, "/v1beta/models/gemini-embedding-001:embedContent", `{"content":{"parts":[{"text":"omega"}]},"outputDimensionality":128}`)
			require.Equal(t, http.StatusOK, sync.Status, "%s", sync.Body)
			var syncResp embedResponse
			require.NoError(t, json.Unmarshal(sync.Body, &syncResp))
			assert.Equal(t, syncResp.Embedding.Values, lines[7].Response.Embedding.Values)

			// The results file is a regular, generated file; it does not
			// change when the job is polled again.
			r := h.do(http.MethodGet, "/v1beta/"+done.Metadata.Output.ResponsesFile, "")
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			var file struct{ Source, MimeType, SizeBytes string }
			require.NoError(t, json.Unmarshal(r.Body, &file))
			assert.Equal(t, "GENERATED", file.Source)
			assert.Equal(t, "application/jsonl", file.MimeType)
			assert.Equal(t, fmt.Sprint(len(content)), file.SizeBytes)
			h.clock.Advance(time.Hour)
			assert.Equal(t, done, h.get(created.Name))
			assert.Equal(t, content, h.download(done.Metadata.Output.ResponsesFile))
		})
	}
}

// TestFileInputDeletedBeforeFinish: a job whose input file is gone when it
// finishes ends FAILED with NOT_FOUND.
func TestFileInputDeletedBeforeFinish(t *testing.T) {
	h := newHarness(t, setup{cfg: testConfig()})
	h.uploadMultipart("doomed", `{"key":"a","request":{"content":{"parts":[{"text":"a"}]}}}`+"\n")
	created := h.create(asyncPath, fileBody("files/doomed"))
	require.Equal(t, http.StatusOK, h.do(http.MethodDelete, "/v1beta/files/doomed", "").Status)
	h.clock.Advance(10 * time.Minute)
	done := h.get(created.Name)
	assert.True(t, done.Done)
	assert.Equal(t, batchFailed, done.Metadata.State)
	assert.Equal(t, &rpcStatus{Code: 5, Message: "The input file files/doomed was not found."}, done.Error)
	assert.Nil(t, done.Metadata.Output)
	assert.Nil(t, done.Response)
	assert.Equal(t, map[string]string{"requestCount": "1"}, done.Metadata.BatchStats)
}

// TestCreateErrors checks the refusals of asyncBatchEmbedContent, in the
// API's words.
func TestCreateErrors(t *testing.T) {
	inline := `"requests":{"requests":[` + item("a") + `]}`
	three := strings.Repeat(`{"key":"k","request":{"content":{"parts":[{"text":"a"}]}}}`+"\n", 3)
	tests := []struct {
		name    string
		cfg     func(*Config)
		legacy  bool
		prepare func(h *harness)
		path    string
		body    string
		status  int
		message string
		partial bool // message is a part of the answer's
	}{
		{name: "no batch", body: `{}`, status: 400,
			message: "* AsyncBatchEmbedContentRequest.batch: batch is not specified\n"},
		{name: "not JSON", body: `{"batch":`, status: 400, message: "Invalid JSON payload received.", partial: true},
		{name: "no input config", body: `{"batch":{"displayName":"x"}}`, status: 400,
			message: "* EmbedContentBatch.input_config: input_config is not specified\n"},
		{name: "empty input config", body: `{"batch":{"inputConfig":{}}}`, status: 400,
			message: "* EmbedContentBatch.input_config: input_config is not specified\n"},
		{name: "both sources", body: `{"batch":{"inputConfig":{"file_name":"files/x",` + inline + `}}}`, status: 400,
			message: "Invalid value at 'batch.input_config' (oneof), oneof field 'source' is already set. Cannot set 'requests'"},
		{name: "empty requests", body: inlineBody(), status: 400,
			message: "* EmbedContentBatch.input_config.requests.requests: requests is not specified\n"},
		{name: "requests without a list", body: `{"batch":{"inputConfig":{"requests":{}}}}`, status: 400,
			message: "* EmbedContentBatch.input_config.requests.requests: requests is not specified\n"},
		{name: "more requests than MaxRequests", cfg: func(c *Config) { c.MaxRequests = 2 },
			body: inlineBody(item("a"), item("b"), item("c")), status: 400,
			message: "* EmbedContentBatch.input_config.requests.requests: at most 2 requests can be in one batch job (embedmock's limit, --max-batch-requests)\n"},
		{name: "MaxRequests requests", cfg: func(c *Config) { c.MaxRequests = 2 },
			body: inlineBody(item("a"), item("b")), status: 200},
		{name: "file with more lines than MaxRequests", cfg: func(c *Config) { c.MaxRequests = 2 },
			prepare: func(h *harness) { h.uploadMultipart("three", three) },
			body:    fileBody("files/three"), status: 400,
			message: "* EmbedContentBatch.input_config.file_name: at most 2 requests can be in one batch job (embedmock's limit, --max-batch-requests)\n"},
		{name: "file of blank lines", prepare: func(h *harness) { h.uploadMultipart("blank", "\n  \n\r\n") },
			body: fileBody("files/blank"), status: 400,
			message: "* EmbedContentBatch.input_config.file_name: files/blank holds no requests\n"},
		{name: "file that does not exist", body: fileBody("files/nope"), status: 403,
			message: geminifiles.FileNotFound("nope").Message},
		{name: "file name without files/", body: fileBody("nope"), status: 400,
			message: "* EmbedContentBatch.input_config.file_name: the file name must be files/{id}\n"},
		{name: "empty file id", body: fileBody("files/"), status: 400,
			message: "* EmbedContentBatch.input_config.file_name: the file name must be files/{id}\n"},
		{name: "batch model differs", body: `{"batch":{"model":"models/gemini-embedding-2","inputConfig":{` + inline + `}}}`, status: 400,
			message: "* EmbedContentBatch.model: the batch's model models/gemini-embedding-2 must match the model in the URL (models/gemini-embedding-001)\n"},
		{name: "batch model malformed", body: `{"batch":{"model":"gemini-embedding-2","inputConfig":{` + inline + `}}}`, status: 400,
			message: "* EmbedContentBatch.model: unexpected model name format\n"},
		{name: "batch model matches", body: `{"batch":{"model":"models/gemini-embedding-001","inputConfig":{` + inline + `}}}`, status: 200},
		{name: "unknown model", path: "/v1beta/models/nope:asyncBatchEmbedContent", body: inlineBody(item("a")), status: 404,
			message: "models/nope is not found for API version v1beta, or is not supported for asyncBatchEmbedContent. Call ListModels to see the list of available models and their supported methods."},
		{name: "model without async batches", legacy: true, path: "/v1/models/text-embedding-004:asyncBatchEmbedContent", body: inlineBody(item("a")), status: 404,
			message: "models/text-embedding-004 is not found for API version v1, or is not supported for asyncBatchEmbedContent. Call ListModels to see the list of available models and their supported methods."},
		{name: "unknown field", body: `{"batch":{"inputConfig":{` + inline + `},"colour":1}}`, status: 400,
			message: `Invalid JSON payload received. Unknown name "colour" at 'batch': Cannot find field.`},
		{name: "bad priority", body: `{"batch":{"priority":"high","inputConfig":{` + inline + `}}}`, status: 400,
			message: `Invalid value at 'batch.priority' (TYPE_INT64), "high"`},
		{name: "unknown query parameter", path: asyncPath + "?colour=red", body: inlineBody(item("a")), status: 400,
			message: `Invalid JSON payload received. Unknown name "colour": Cannot bind query parameter. Field 'colour' could not be found in request message.`},
		{name: "full store", cfg: func(c *Config) { c.MaxJobs = 1 },
			prepare: func(h *harness) { h.create(asyncPath, inlineBody(item("first"))) },
			body:    inlineBody(item("a")), status: 429,
			message: "embedmock: the store already holds 1 batch jobs, its limit; delete some or raise the limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			h := newHarness(t, setup{cfg: cfg, legacy: tt.legacy})
			if tt.prepare != nil {
				tt.prepare(h)
			}
			before, _ := h.listAll(1000)
			path := tt.path
			if path == "" {
				path = asyncPath
			}
			r := h.do(http.MethodPost, path, tt.body)
			require.Equal(t, tt.status, r.Status, "%s", r.Body)
			after, _ := h.listAll(1000)
			if tt.status == http.StatusOK {
				assert.Len(t, after, len(before)+1)
				return
			}
			e := decodeError(t, r)
			if tt.partial {
				assert.Contains(t, e.Message, tt.message)
			} else {
				assert.Equal(t, tt.message, e.Message)
			}
			assert.Equal(t, before, after, "a refused job is not stored")
		})
	}
}

// TestCancel cancels jobs at each point of their life.
func TestCancel(t *testing.T) {
	tests := []struct {
		name  string
		at    time.Duration // when the cancel arrives, after creation
		body  string
		state string // after the cancel
	}{
		{"pending", 0, "", batchCancelled},
		{"pending, {} body as JS sends", time.Minute, "{}", batchCancelled},
		{"running", 7 * time.Minute, "", batchCancelled},
		{"due but never observed", 10 * time.Minute, "", batchSucceeded},
		{"long finished", 3 * time.Hour, "", batchSucceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, setup{cfg: testConfig()})
			created := h.create(asyncPath, inlineBody(item("a"), item("b")))
			h.clock.Advance(tt.at)
			r := h.do(http.MethodPost, "/v1beta/"+created.Name+":cancel", tt.body)
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			assert.JSONEq(t, "{}", string(r.Body))

			op := h.get(created.Name)
			assert.True(t, op.Done)
			assert.Equal(t, tt.state, op.Metadata.State)
			if tt.state == batchCancelled {
				assert.Equal(t, &rpcStatus{Code: 1, Message: "The batch was cancelled."}, op.Error)
				assert.Equal(t, stamp(tt.at), op.Metadata.EndTime)
				assert.Equal(t, stamp(tt.at), op.Metadata.UpdateTime)
				assert.Equal(t, map[string]string{"requestCount": "2"}, op.Metadata.BatchStats)
				assert.Nil(t, op.Metadata.Output)
				assert.Nil(t, op.Response)
			} else {
				assert.Nil(t, op.Error)
				assert.Equal(t, stamp(10*time.Minute), op.Metadata.EndTime)
				assert.Len(t, op.items(t), 2)
			}

			// Nothing changes it afterwards: time, nor another cancel.
			h.clock.Advance(time.Hour)
			r = h.do(http.MethodPost, "/v1/"+created.Name+":cancel", "")
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			assert.Equal(t, op, h.get(created.Name))
		})
	}
}

// TestGetCancelDeleteRefuseQueryParameters: only system parameters are
// accepted on a job.
func TestGetCancelDeleteRefuseQueryParameters(t *testing.T) {
	h := newHarness(t, setup{cfg: testConfig()})
	created := h.create(asyncPath, inlineBody(item("a")))
	for _, method := range []string{http.MethodPost, http.MethodGet, http.MethodDelete} {
		path := "/v1beta/" + created.Name + "?colour=red"
		if method == http.MethodPost {
			path = "/v1beta/" + created.Name + ":cancel?colour=red"
		}
		r := h.do(method, path, "")
		assert.Equal(t, http.StatusBadRequest, r.Status, "%s %s", method, r.Body)
	}
	assert.Equal(t, batchPending, h.get(created.Name).Metadata.State, "the refused requests changed nothing")
}

// TestDelete deletes jobs in each state: they are gone from get, cancel,
// list and the count of MaxJobs.
func TestDelete(t *testing.T) {
	for _, at := range []time.Duration{0, 6 * time.Minute, time.Hour} {
		t.Run(fmt.Sprint(at), func(t *testing.T) {
			cfg := testConfig()
			cfg.MaxJobs = 2
			h := newHarness(t, setup{cfg: cfg})
			keep := h.create(asyncPath, inlineBody(item("keep")))
			doomed := h.create(asyncPath, inlineBody(item("doomed")))
			h.clock.Advance(at)
			h.get(doomed.Name)
			assert.Equal(t, http.StatusTooManyRequests, h.do(http.MethodPost, asyncPath, inlineBody(item("c"))).Status)

			r := h.do(http.MethodDelete, "/v1beta/"+doomed.Name, "")
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			assert.JSONEq(t, "{}", string(r.Body))
			for _, req := range []struct{ method, path string }{
				{http.MethodGet, "/v1beta/" + doomed.Name},
				{http.MethodGet, "/v1/" + doomed.Name},
				{http.MethodPost, "/v1beta/" + doomed.Name + ":cancel"},
				{http.MethodDelete, "/v1beta/" + doomed.Name},
			} {
				r := h.do(req.method, req.path, "")
				assert.Equal(t, http.StatusNotFound, r.Status, "%s %s", req.method, req.path)
				assert.Equal(t, "Requested entity was not found.", decodeError(t, r).Message)
			}
			names, _ := h.listAll(10)
			assert.Equal(t, []string{keep.Name}, names)
			h.create(asyncPath, inlineBody(item("room again")))
		})
	}
}

// TestUnknownBatch: get, cancel and delete of ids never created are 404.
func TestUnknownBatch(t *testing.T) {
	h := newHarness(t, setup{cfg: testConfig()})
	h.create(asyncPath, inlineBody(item("a")))
	for _, version := range []string{"v1beta", "v1"} {
		for _, req := range []struct{ method, path string }{
			{http.MethodGet, "/batches/nope"},
			{http.MethodPost, "/batches/nope:cancel"},
			{http.MethodDelete, "/batches/nope"},
			{http.MethodGet, "/batches/" + strings.Repeat("a", 36)},
		} {
			t.Run(version+" "+req.method+" "+req.path, func(t *testing.T) {
				r := h.do(req.method, "/"+version+req.path, "")
				require.Equal(t, http.StatusNotFound, r.Status, "%s", r.Body)
				e := decodeError(t, r)
				assert.Equal(t, "Requested entity was not found.", e.Message)
				assert.Equal(t, "NOT_FOUND", e.Status)
			})
		}
	}
}

// TestList pages through batches.list with every page size: newest first
// (ties by id), each job exactly once, listed operations without a
// response.
func TestList(t *testing.T) {
	h := newHarness(t, setup{cfg: testConfig()})
	type job struct {
		name    string
		created time.Duration
	}
	var jobs []job
	at := time.Duration(0)
	// Three jobs share each instant, so that ties are ordered by id.
	for i := range 9 {
		if i%3 == 0 && i > 0 {
			h.clock.Advance(time.Second)
			at += time.Second
		}
		jobs = append(jobs, job{h.create(asyncPath, inlineBody(item(fmt.Sprint(i)))).Name, at})
	}
	slices.SortFunc(jobs, func(a, b job) int {
		if a.created != b.created {
			return int(b.created - a.created)
		}
		return strings.Compare(a.name, b.name)
	})
	var want []string
	for _, j := range jobs {
		want = append(want, j.name)
	}

	tests := []struct {
		size  int
		pages int
	}{
		{1, 9}, {2, 5}, {3, 3}, {4, 3}, {8, 2}, {9, 1}, {10, 1}, {0, 1}, {5000, 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("pageSize ", tt.size), func(t *testing.T) {
			got, pages := h.listAll(tt.size)
			assert.Equal(t, want, got)
			assert.Equal(t, tt.pages, pages)
		})
	}

	t.Run("snake case parameters", func(t *testing.T) {
		first := h.list("?page_size=4")
		require.Len(t, first.Operations, 4)
		second := h.list("?page_size=4&page_token=" + first.NextPageToken)
		require.Len(t, second.Operations, 4)
		assert.Equal(t, want[4], second.Operations[0].Name)
	})

	t.Run("listed operations", func(t *testing.T) {
		page := h.list("?pageSize=1")
		require.Len(t, page.Operations, 1)
		op := page.Operations[0]
		assert.Equal(t, batchPending, op.Metadata.State)
		assert.Equal(t, map[string]string{"requestCount": "1", "pendingRequestCount": "1"}, op.Metadata.BatchStats)

		h.clock.Advance(time.Hour)
		for _, op := range h.list("").Operations {
			assert.Equal(t, batchSucceeded, op.Metadata.State)
			assert.True(t, op.Done)
			assert.Nil(t, op.Response, "listed operations carry no response")
			assert.Len(t, op.items(t), 1, "but their metadata has the output")
		}
	})

	t.Run("deletes between pages", func(t *testing.T) {
		first := h.list("?pageSize=3")
		require.Len(t, first.Operations, 3)
		// One job of the first page, one not listed yet.
		for _, name := range []string{want[1], want[5]} {
			require.Equal(t, http.StatusOK, h.do(http.MethodDelete, "/v1beta/"+name, "").Status)
		}
		var rest []string
		for token := first.NextPageToken; token != ""; {
			page := h.list("?pageSize=3&pageToken=" + token)
			for _, op := range page.Operations {
				rest = append(rest, op.Name)
			}
			token = page.NextPageToken
		}
		assert.Equal(t, []string{want[3], want[4], want[6], want[7], want[8]}, rest)
	})

	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct{ query, message string }{
			{"?pageToken=garbage!", "* ListOperationsRequest.page_token: invalid page token\n"},
			{"?pageToken=" + "MTIz", "* ListOperationsRequest.page_token: invalid page token\n"}, // "123": no id
			{"?colour=red", `Invalid JSON payload received. Unknown name "colour": Cannot bind query parameter. Field 'colour' could not be found in request message.`},
			{"?pageSize=-1", "* ListOperationsRequest.page_size: page_size must not be negative\n"},
			{"?pageSize=many", `Invalid value at 'page_size' (TYPE_INT32), "many"`},
		} {
			r := h.do(http.MethodGet, "/v1beta/batches"+tc.query, "")
			require.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", tc.query, r.Body)
			assert.Equal(t, tc.message, decodeError(t, r).Message, tc.query)
		}
		for _, query := range []string{"?filter=x", "?returnPartialSuccess=true", "?alt=json"} {
			assert.Equal(t, http.StatusOK, h.do(http.MethodGet, "/v1beta/batches"+query, "").Status, query)
		}
	})
}

func TestListEmpty(t *testing.T) {
	h := newHarness(t, setup{cfg: testConfig()})
	for _, path := range []string{"/v1beta/batches", "/v1/batches?pageSize=3"} {
		r := h.do(http.MethodGet, path, "")
		require.Equal(t, http.StatusOK, r.Status)
		assert.JSONEq(t, "{}", string(r.Body))
		assert.Equal(t, "application/json; charset=UTF-8", r.Header.Get("Content-Type"))
	}
}

// TestRequiresAPIKey: the family authenticates like every Gemini route.
func TestRequiresAPIKey(t *testing.T) {
	h := newHarness(t, setup{cfg: testConfig()})
	r := h.do(http.MethodPost, asyncPath, inlineBody(item("a")), "X-Goog-Api-Key", "")
	assert.Equal(t, http.StatusForbidden, r.Status)
	r = h.do(http.MethodGet, "/v1beta/batches?key=from-query", "", "X-Goog-Api-Key", "")
	assert.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
}

// TestFileInputLongLines: an input line longer than the body limit gets an
// error line (without its key, which is not read); the lines around it run;
// a blank line longer than the limit is skipped like any blank line.
func TestFileInputLongLines(t *testing.T) {
	const limit = 300
	line := func(key string, n int) string {
		head, tail := `{"key":"`+key+`","request":{"content":{"parts":[{"text":"`, `"}]}}}`
		return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
	}
	h := newHarness(t, setup{cfg: testConfig(), maxBodyBytes: limit})
	h.uploadMultipart("long", line("fits", limit)+"\n"+line("over", limit+1)+"\n"+
		line("far-over", 100_000)+"\r\n"+strings.Repeat(" \t", 100_000)+"\n"+line("after", 200)+"\n\n")
	created := h.create(asyncPath, fileBody("files/long"))
	assert.Equal(t, "4", created.Metadata.BatchStats["requestCount"])
	h.clock.Advance(10 * time.Minute)
	done := h.get(created.Name)
	require.Equal(t, batchSucceeded, done.Metadata.State)
	assert.Equal(t, map[string]string{"requestCount": "4", "successfulRequestCount": "2", "failedRequestCount": "2"}, done.Metadata.BatchStats)

	rawLines := strings.Split(strings.TrimSuffix(h.download(done.Metadata.Output.ResponsesFile), "\n"), "\n")
	require.Len(t, rawLines, 4)
	tooLarge := &rpcStatus{Code: 3, Message: fmt.Sprintf("Request payload size exceeds the limit: %d bytes.", limit)}
	for i, want := range []struct {
		key string
		err *rpcStatus
	}{{"fits", nil}, {"", tooLarge}, {"", tooLarge}, {"after", nil}} {
		var l fileLine
		decodeStrict(t, []byte(rawLines[i]), &l)
		if want.key == "" {
			assert.Nil(t, l.Key, "line %d", i)
		} else if assert.NotNil(t, l.Key, "line %d", i) {
			assert.Equal(t, want.key, *l.Key, "line %d", i)
		}
		assert.Equal(t, want.err, l.Error, "line %d", i)
		assert.Equal(t, want.err == nil, l.Response != nil, "line %d", i)
	}
}

// TestListDefaultPageSize: without pageSize a page holds 50 jobs.
func TestListDefaultPageSize(t *testing.T) {
	h := newHarness(t, setup{cfg: testConfig()})
	for i := range 51 {
		h.create(asyncPath, inlineBody(item(fmt.Sprint(i))))
	}
	first := h.list("")
	assert.Len(t, first.Operations, 50)
	require.NotEmpty(t, first.NextPageToken)
	second := h.list("?pageToken=" + first.NextPageToken)
	assert.Len(t, second.Operations, 1)
	assert.Empty(t, second.NextPageToken)
	assert.Len(t, h.list("?pageSize=5000").Operations, 51, "large page sizes are capped, not refused")
}

// TestSmallDimensions: a batch asks for fewer dimensions than the
// recommended 128, as the js-genai sample batch_embedding_file.ts does
// (5, in a JSONL file), and gets exactly that many values, inline and
// from a file.
func TestSmallDimensions(t *testing.T) {
	h := newHarness(t, setup{cfg: testConfig()})
	h.uploadMultipart("small", `{"key":"k","request":{"content":{"parts":[{"text":"tiny"}]},"output_dimensionality":5}}`)
	fromFile := h.create(asyncPath, fileBody("files/small"))
	inline := h.create(asyncPath, inlineBody(`{"request":{"content":{"parts":[{"text":"tiny"}]},"outputDimensionality":5}}`))
	h.clock.Advance(10 * time.Minute)

	done := h.get(inline.Name)
	require.Equal(t, batchSucceeded, done.Metadata.State)
	items := done.items(t)
	require.Len(t, items, 1)
	require.NotNil(t, items[0].Response, "%+v", items[0])
	assert.Len(t, items[0].Response.Embedding.Values, 5)

	done = h.get(fromFile.Name)
	require.Equal(t, batchSucceeded, done.Metadata.State)
	var line fileLine
	decodeStrict(t, []byte(strings.TrimSpace(h.download(done.Metadata.Output.ResponsesFile))), &line)
	require.NotNil(t, line.Response)
	assert.Equal(t, items[0].Response.Embedding.Values, line.Response.Embedding.Values)
}
