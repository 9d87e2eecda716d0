package mockserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genai"
)

func TestJournalRecordsEveryCall(t *testing.T) {
	s, base := newTestServer(t)
	var wg sync.WaitGroup
	const n = 40
	for i := range n {
		wg.Go(func() {
			switch i % 4 {
			case 0:
				do(t, http.MethodPost, base+embedPath+"?key=SECRETKEY1", embedBody(fmt.Sprint("text ", i), `,"taskType":"CLUSTERING","outputDimensionality":256`), "X-Goog-Api-Key", "")
			case 1:
				do(t, http.MethodPost, base+batchPath, batchOf(3, goodItem))
			case 2:
				do(t, http.MethodGet, base+"/v1/models/gemini-embedding-2", "")
			case 3:
				do(t, http.MethodPost, base+"/v1beta/models/nope:embedContent", embedBody("x", ""))
			}
		})
	}
	wg.Wait()
	do(t, http.MethodGet, base+"/_embedmock/health", "") // admin calls are not journaled

	all := s.Requests()
	require.Len(t, all, n)
	embeds := s.Requests(ByRoute("embedContent"), ByStatus(200))
	require.Len(t, embeds, n/4)
	e := embeds[0]
	assert.Equal(t, "POST", e.Method)
	assert.Equal(t, "/v1beta/models/gemini-embedding-001:embedContent?key=REDACTED", e.Path)
	assert.Equal(t, Request{Family: "gemini", Route: "embedContent", Model: "gemini-embedding-001", Inputs: 1, TaskType: "CLUSTERING", Dimensions: 256, Status: 200, Source: "fake"},
		Request{Family: e.Family, Route: e.Route, Model: e.Model, Inputs: e.Inputs, TaskType: e.TaskType, Dimensions: e.Dimensions, Status: e.Status, Source: e.Source})
	assert.Contains(t, string(e.Body), `"taskType":"CLUSTERING"`)
	assert.False(t, e.Time.IsZero())

	batches := s.Requests(ByRoute("batchEmbedContents"))
	require.Len(t, batches, n/4)
	assert.Equal(t, 3, batches[0].Inputs)
	assert.Len(t, s.Requests(ByModel("gemini-embedding-2"), ByRoute("models.get")), n/4)
	assert.Len(t, s.Requests(ByStatus(404)), n/4)
	assert.Len(t, s.Requests(ByFamily("openai")), 0)

	// Accessors return copies.
	embeds[0].Body[0] = 'X'
	assert.NotEqual(t, embeds[0].Body, s.Requests(ByRoute("embedContent"), ByStatus(200))[0].Body)

	for _, e := range all {
		assert.NotContains(t, e.Path, "SECRETKEY1")
		assert.NotContains(t, string(e.Body), "SECRETKEY1")
	}

	s.ClearRequests()
	assert.Empty(t, s.Requests())
}

func TestJournalIsBounded(t *testing.T) {
	s, base := newTestServer(t, WithJournalSize(3))
	for i := range 5 {
		do(t, http.MethodPost, base+embedPath, embedBody(fmt.Sprint("t", i), ""))
	}
	got := s.Requests()
	require.Len(t, got, 3)
	for i, e := range got {
		assert.Contains(t, string(e.Body), fmt.Sprintf(`"t%d"`, i+2), "oldest first, oldest dropped")
	}
	off, base2 := newTestServer(t, WithJournalSize(0))
	do(t, http.MethodPost, base2+embedPath, embedBody("x", ""))
	assert.Empty(t, off.Requests())

	big, base3 := newTestServer(t)
	do(t, http.MethodPost, base3+embedPath, embedBody(strings.Repeat("long ", 20000), ""))
	assert.Contains(t, string(big.Requests()[0].Body), "not kept")
}

func TestJournalAdminAPI(t *testing.T) {
	_, base := newTestServer(t)
	do(t, http.MethodPost, base+embedPath, embedBody("a", ""))
	do(t, http.MethodPost, base+batchPath, batchOf(2, goodItem))
	do(t, http.MethodPost, base+batchPath, batchOf(2, goodItem))
	var out struct {
		Requests []Request `json:"requests"`
	}
	r := do(t, http.MethodGet, base+"/_embedmock/requests?route=batchEmbedContents&model=models/gemini-embedding-001&limit=1", "")
	require.Equal(t, 200, r.status)
	require.NoError(t, json.Unmarshal(r.body, &out))
	require.Len(t, out.Requests, 1)
	assert.Equal(t, 2, out.Requests[0].Inputs)
	assert.Equal(t, 400, do(t, http.MethodGet, base+"/_embedmock/requests?status=ok", "").status)
	assert.Equal(t, 200, do(t, http.MethodDelete, base+"/_embedmock/requests", "").status)
	r = do(t, http.MethodGet, base+"/_embedmock/requests", "")
	assert.JSONEq(t, `{"requests":[]}`, string(r.body))
}

func TestInjected429SurfacesInTheSDKAndItsRetrySucceeds(t *testing.T) {
	ctx := context.Background()
	s, base := newTestServer(t)
	require.NoError(t, s.InjectFault(Fault{Status: 429, Route: "batchEmbedContents", Model: "gemini-embedding-001"}))

	client := newGenAIClient(t, base, "")
	_, err := client.Models.EmbedContent(ctx, "gemini-embedding-001", genai.Text("hello"), nil)
	var apiErr genai.APIError
	require.True(t, errors.As(err, &apiErr), "%v", err)
	assert.Equal(t, 429, apiErr.Code)
	assert.Equal(t, "RESOURCE_EXHAUSTED", apiErr.Status)
	var types []any
	for _, d := range apiErr.Details {
		types = append(types, d["@type"])
		if d["@type"] == "type.googleapis.com/google.rpc.RetryInfo" {
			assert.Equal(t, "1s", d["retryDelay"])
		}
	}
	assert.Equal(t, []any{"type.googleapis.com/google.rpc.Help", "type.googleapis.com/google.rpc.QuotaFailure", "type.googleapis.com/google.rpc.RetryInfo"}, types)
	assert.Contains(t, apiErr.Message, "Quota exceeded for metric: generativelanguage.googleapis.com/embed_content_free_tier_requests")
	assert.Empty(t, s.Faults(), "used up")
	assert.Equal(t, "429", s.Requests()[0].Fault)

	// With the SDK's retry option, a call that meets one 429 succeeds.
	require.NoError(t, s.InjectFault(Fault{Status: 429}))
	retrying, err := genai.NewClient(ctx, &genai.ClientConfig{
		APIKey: testKey, Backend: genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: base, RetryOptions: &genai.HTTPRetryOptions{
			Attempts: genai.Ptr[int32](3), InitialDelay: genai.Ptr(0.01), Jitter: genai.Ptr(0.0),
		}},
	})
	require.NoError(t, err)
	resp, err := retrying.Models.EmbedContent(ctx, "gemini-embedding-001", genai.Text("hello"), nil)
	require.NoError(t, err)
	assert.Len(t, resp.Embeddings[0].Values, 3072)
	statuses := []int{}
	for _, e := range s.Requests()[1:] {
		statuses = append(statuses, e.Status)
	}
	assert.Equal(t, []int{429, 200}, statuses)
}

func TestDelayAndDropFaults(t *testing.T) {
	ctx := context.Background()
	s, base := newTestServer(t)
	require.NoError(t, s.InjectFault(Fault{Delay: 2 * time.Second}))
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err := newGenAIClient(t, base, "").Models.EmbedContent(short, "gemini-embedding-001", genai.Text("slow"), nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	require.NoError(t, s.InjectFault(Fault{Drop: true, Family: "gemini"}))
	_, err = newGenAIClient(t, base, "").Models.EmbedContent(ctx, "gemini-embedding-001", genai.Text("dropped"), nil)
	require.Error(t, err)
	var apiErr genai.APIError
	assert.False(t, errors.As(err, &apiErr), "a transport error, not an API error: %v", err)
	assert.Contains(t, err.Error(), "EOF")

	// A delay alone is followed by the normal answer.
	require.NoError(t, s.InjectFault(Fault{Delay: 50 * time.Millisecond}))
	start := time.Now()
	r := do(t, http.MethodPost, base+embedPath, embedBody("x", ""))
	assert.Equal(t, 200, r.status)
	assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)
	assert.Equal(t, "delay 50ms", r.header.Get("X-Embedmock-Fault"))
}

func TestFaultMatchingAndCounts(t *testing.T) {
	s, base := newTestServer(t)
	require.NoError(t, s.InjectFault(Fault{Status: 503, Count: 2, Route: "batchEmbedContents"}))
	require.NoError(t, s.InjectFault(Fault{Status: 500, Model: "gemini-embedding-2"}))
	assert.Equal(t, 200, do(t, http.MethodPost, base+embedPath, embedBody("x", "")).status, "other routes pass")
	r := do(t, http.MethodPost, base+batchPath, batchOf(1, goodItem))
	assert.Equal(t, 503, r.status)
	assert.Equal(t, "The model is overloaded. Please try again later.", googleErr(t, r).Message)
	assert.Equal(t, []Fault{{Status: 503, Count: 1, Route: "batchEmbedContents"}, {Status: 500, Count: 1, Model: "gemini-embedding-2"}}, s.Faults())
	assert.Equal(t, 503, do(t, http.MethodPost, base+batchPath, batchOf(1, goodItem)).status)
	assert.Equal(t, 200, do(t, http.MethodPost, base+batchPath, batchOf(1, goodItem)).status)
	r = do(t, http.MethodPost, base+"/v1beta/models/gemini-embedding-2:embedContent", embedBody("x", ""))
	assert.Equal(t, 500, r.status)
	assert.Equal(t, "INTERNAL", googleErr(t, r).Status)
	assert.Empty(t, s.Faults())

	// Authentication comes before faults.
	require.NoError(t, s.InjectFault(Fault{Status: 500}))
	assert.Equal(t, 403, do(t, http.MethodPost, base+embedPath, embedBody("x", ""), "X-Goog-Api-Key", "").status)
	assert.Len(t, s.Faults(), 1)
	s.ClearFaults()

	for _, bad := range []Fault{{}, {Status: 200}, {Status: 429, Drop: true}, {Delay: -time.Second}} {
		assert.Error(t, s.InjectFault(bad), "%+v", bad)
	}
}

func TestFaultHeaders(t *testing.T) {
	_, base := newTestServer(t)
	r := do(t, http.MethodPost, base+embedPath, embedBody("x", ""), "X-Embedmock-Fault", "418")
	assert.Equal(t, 418, r.status)
	assert.Contains(t, googleErr(t, r).Message, "embedmock: injected fault (418")
	r = do(t, http.MethodPost, base+embedPath, embedBody("x", ""), "X-Embedmock-Fault", "429")
	assert.Equal(t, "1", r.header.Get("Retry-After"))
	r = do(t, http.MethodPost, base+embedPath, embedBody("x", ""), "X-Embedmock-Fault", "sometimes")
	assert.Equal(t, 400, r.status)
	assert.Contains(t, googleErr(t, r).Message, "X-Embedmock-Fault must be an HTTP status or drop")
	r = do(t, http.MethodPost, base+embedPath, embedBody("x", ""), "X-Embedmock-Delay", "10ms")
	assert.Equal(t, 200, r.status)

	req, _ := http.NewRequest(http.MethodPost, base+embedPath, strings.NewReader(embedBody("x", "")))
	req.Header.Set("X-Goog-Api-Key", testKey)
	req.Header.Set("X-Embedmock-Fault", "drop")
	_, err := http.DefaultClient.Do(req)
	assert.Error(t, err)
}

func TestRandomFaultsAreSeeded(t *testing.T) {
	run := func() []int {
		_, base := newTestServer(t, WithRandomFaults(0.5, 503, 42))
		var statuses []int
		for range 20 {
			statuses = append(statuses, do(t, http.MethodPost, base+embedPath, embedBody("x", "")).status)
		}
		return statuses
	}
	first := run()
	assert.Equal(t, first, run(), "same seed, same faults")
	assert.Contains(t, first, 503)
	assert.Contains(t, first, 200)
	_, err := New(WithRandomFaults(2, 503, 1))
	assert.Error(t, err)
}

func TestFaultsAdminAPI(t *testing.T) {
	s, base := newTestServer(t)
	r := do(t, http.MethodPost, base+"/_embedmock/faults", `{"status":429,"count":2,"family":"gemini","route":"batchEmbedContents","model":"gemini-embedding-001","delay":"5ms","drop":false}`)
	require.Equal(t, 200, r.status, string(r.body))
	assert.Equal(t, []Fault{{Status: 429, Delay: 5 * time.Millisecond, Count: 2, Family: "gemini", Route: "batchEmbedContents", Model: "gemini-embedding-001"}}, s.Faults())
	r = do(t, http.MethodGet, base+"/_embedmock/faults", "")
	assert.JSONEq(t, `{"faults":[{"status":429,"delay":"5ms","count":2,"family":"gemini","route":"batchEmbedContents","model":"gemini-embedding-001"}]}`, string(r.body))
	for _, bad := range []string{`{}`, `{"status":200}`, `{"delay":"soon"}`, `{"status":500,"color":1}`, `{"drop":true,"status":500}`,
		`{"status":429}}`, `{"status":429} {"status":500}`} {
		assert.Equal(t, 400, do(t, http.MethodPost, base+"/_embedmock/faults", bad).status, bad)
	}
	assert.Equal(t, 200, do(t, http.MethodDelete, base+"/_embedmock/faults", "").status)
	assert.Empty(t, s.Faults())
}

func TestRateLimits(t *testing.T) {
	clock := NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	_, base := newTestServer(t, WithRateLimits(2, 0), WithFakeClock(clock))
	for range 2 {
		assert.Equal(t, 200, do(t, http.MethodPost, base+embedPath, embedBody("x", "")).status)
	}
	r := do(t, http.MethodPost, base+embedPath, embedBody("x", ""))
	assert.Equal(t, 429, r.status)
	assert.Equal(t, "30", r.header.Get("Retry-After"))
	e := googleErr(t, r)
	assert.Contains(t, e.Message, "limit: 2, model: gemini-embedding-001\nPlease retry in 30s.")
	assert.Equal(t, 200, do(t, http.MethodPost, base+embedPath, embedBody("x", ""), "X-Goog-Api-Key", "other-key").status, "per key")
	clock.Advance(30 * time.Second)
	assert.Equal(t, 200, do(t, http.MethodPost, base+embedPath, embedBody("x", "")).status, "refilled")
	assert.Equal(t, 429, do(t, http.MethodPost, base+embedPath, embedBody("x", "")).status)

	tokens, base2 := newTestServer(t, WithRateLimits(0, 10), WithFakeClock(clock))
	_ = tokens
	assert.Equal(t, 200, do(t, http.MethodPost, base2+embedPath, embedBody(strings.Repeat("a", 32), "")).status) // 8 tokens
	r = do(t, http.MethodPost, base2+embedPath, embedBody(strings.Repeat("a", 12), ""))                          // 3 more
	assert.Equal(t, 429, r.status)
	assert.Contains(t, googleErr(t, r).Message, "embed_content_free_tier_input_token_count, limit: 10")
	assert.Equal(t, 200, do(t, http.MethodPost, base2+embedPath, embedBody(strings.Repeat("a", 8), "")).status) // 2 fit
}

func TestClockAdminAPI(t *testing.T) {
	clock := NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	_, base := newTestServer(t, WithFakeClock(clock), WithBatchDelay(time.Hour))
	op := createBatch(t, base, asyncPath, `{"batch":{"inputConfig":{"requests":{"requests":[{"request":{"content":{"parts":[{"text":"a"}]}}}]}}}}`)
	r := do(t, http.MethodPost, base+"/_embedmock/clock", `{"advance":"90m"}`)
	require.Equal(t, 200, r.status)
	assert.JSONEq(t, `{"now":"2026-01-01T01:30:00Z","fake":true}`, string(r.body))
	assert.Equal(t, "BATCH_STATE_SUCCEEDED", getBatch(t, base, op.Name).Metadata["state"])
	r = do(t, http.MethodPost, base+"/_embedmock/clock", `{"now":"2027-06-01T00:00:00Z"}`)
	assert.JSONEq(t, `{"now":"2027-06-01T00:00:00Z","fake":true}`, string(r.body))
	for _, bad := range []string{`{}`, `{"advance":"soon"}`, `{"now":"tomorrow"}`, `{"advance":"1h","now":"2027-06-01T00:00:00Z"}`, `{"advance":"1h"}]`} {
		assert.Equal(t, 400, do(t, http.MethodPost, base+"/_embedmock/clock", bad).status, bad)
	}
	_, real := newTestServer(t)
	assert.Equal(t, 409, do(t, http.MethodPost, real+"/_embedmock/clock", `{"advance":"1h"}`).status)
	r = do(t, http.MethodGet, real+"/_embedmock/clock", "")
	assert.Contains(t, string(r.body), `"fake":false`)
}

func TestResetForgetsEverything(t *testing.T) {
	s, base := newTestServer(t, WithDataDir(t.TempDir()), WithRateLimits(1, 0))
	do(t, http.MethodPost, base+embedPath, embedBody("x", ""))
	op := createBatch(t, base, asyncPath, `{"batch":{"inputConfig":{"requests":{"requests":[{"request":{"content":{"parts":[{"text":"a"}]}}}]}}}}`)
	url := startUpload(t, base, `{"file":{"name":"files/kept"}}`)
	_ = url
	require.NoError(t, s.InjectFault(Fault{Status: 500}))
	require.NoError(t, s.FailBatches(BatchFailure{}))
	r := do(t, http.MethodPost, base+"/_embedmock/reset", "")
	require.Equal(t, 200, r.status)
	assert.Empty(t, s.Requests())
	assert.Empty(t, s.Faults())
	assert.Empty(t, s.BatchFailures())
	assert.Equal(t, 404, do(t, http.MethodGet, base+"/v1beta/"+op.Name, "").status)
	assert.Equal(t, 200, do(t, http.MethodPost, base+embedPath, embedBody("x", "")).status, "rate limit state is reset too")
	r = do(t, http.MethodGet, base+"/v1beta/files", "")
	assert.Equal(t, "{}", strings.TrimSpace(string(r.body)))
}

func TestVectorAccessor(t *testing.T) {
	s, base := newTestServer(t)
	got := decodeEmbed(t, do(t, http.MethodPost, base+embedPath,
		embedBody("What is the capital of France?", `,"taskType":"RETRIEVAL_QUERY","outputDimensionality":768`))).Embedding.Values
	v, err := s.Vector(VectorQuery{Model: "models/gemini-embedding-001", Text: "What is the capital of France?", TaskType: "RETRIEVAL_QUERY", Dimensions: 768})
	require.NoError(t, err)
	assert.Equal(t, got, v)
	v2, err := s.Vector(VectorQuery{Model: "gemini-embedding-2", Text: "x", TaskType: "RETRIEVAL_QUERY"})
	require.NoError(t, err)
	v3, _ := s.Vector(VectorQuery{Model: "gemini-embedding-2", Text: "x"})
	assert.Equal(t, v3, v2, "gemini-embedding-2 ignores the task type")
	_, err = s.Vector(VectorQuery{Model: "nope", Text: "x"})
	assert.Error(t, err)
	_, err = s.Vector(VectorQuery{Model: "gemini-embedding-001", Text: "x", Dimensions: 5})
	assert.ErrorContains(t, err, "between 128 and 3072")
}
