package mockserver

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genai"
)

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
