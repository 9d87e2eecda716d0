package mockserver

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
	small, err := s.Vector(VectorQuery{Model: "gemini-embedding-001", Text: "x", Dimensions: 5})
	require.NoError(t, err)
	assert.Len(t, small, 5)
	_, err = s.Vector(VectorQuery{Model: "gemini-embedding-001", Text: "x", Dimensions: 4000})
	assert.ErrorContains(t, err, "between 1 and 3072")
}
