package mockserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
