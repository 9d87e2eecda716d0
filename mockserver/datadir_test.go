package mockserver

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDataDirSurvivesRestart stores files, an unfinished upload and jobs in
// every state, then serves the same directory from a new server.
func TestDataDirSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	clock := newTestClock()
	opts := []Option{WithDataDir(dir), WithClock(clock.Now), WithBatchDelay(time.Hour)}
	s1, err := New(opts...)
	require.NoError(t, err)
	first := httptest.NewServer(s1)
	base := first.URL

	url := startUpload(t, base, `{"file":{"name":"files/input","displayName":"in.jsonl"}}`)
	decodeFile(t, chunk(t, base, url, "upload, finalize", 0, `{"key":"k1","request":{"content":{"parts":[{"text":"from a file"}]}}}`+"\n"))
	partial := startUpload(t, base, `{"file":{"name":"files/partial"}}`)
	require.Equal(t, 200, chunk(t, base, partial, "upload", 0, "first half, ").status)

	finished := createBatch(t, base, asyncPath, `{"batch":{"inputConfig":{"requests":{"requests":[{"request":{"content":{"parts":[{"text":"done before"}]}}}]}}}}`)
	clock.Advance(time.Hour)
	before := getBatch(t, base, finished.Name)
	require.Equal(t, "BATCH_STATE_SUCCEEDED", before.Metadata["state"])
	pendingInline := createBatch(t, base, asyncPath, `{"batch":{"inputConfig":{"requests":{"requests":[{"request":{"content":{"parts":[{"text":"pending"}]}}}]}}}}`)
	pendingFile := createBatch(t, base, asyncPath, `{"batch":{"inputConfig":{"fileName":"files/input"}}}`)
	first.Close()

	s2, err := New(opts...)
	require.NoError(t, err)
	second := httptest.NewServer(s2)
	t.Cleanup(second.Close)
	base = second.URL

	after := getBatch(t, base, finished.Name)
	assert.Equal(t, before.Metadata, after.Metadata, "a finished job is served as it was")
	assert.Equal(t, "BATCH_STATE_PENDING", getBatch(t, base, pendingInline.Name).Metadata["state"])
	clock.Advance(time.Hour)
	for _, op := range []operationJSON{pendingInline, pendingFile} {
		got := getBatch(t, base, op.Name)
		assert.Equal(t, "BATCH_STATE_SUCCEEDED", got.Metadata["state"], "pending jobs resume and finish")
	}
	out := getBatch(t, base, pendingFile.Name).Metadata["output"].(map[string]any)["responsesFile"].(string)
	r := do(t, http.MethodGet, base+"/v1beta/"+out+":download?alt=media", "")
	require.Equal(t, 200, r.status)
	assert.Contains(t, string(r.body), `"key":"k1","response":{"embedding":{"values":[`)

	r = do(t, http.MethodGet, base+"/v1beta/files/input:download?alt=media", "")
	assert.Equal(t, `{"key":"k1","request":{"content":{"parts":[{"text":"from a file"}]}}}`+"\n", string(r.body))

	// The unfinished upload resumes where it stopped.
	r = do(t, http.MethodPost, base+partial, "", "X-Goog-Upload-Command", "query")
	assert.Equal(t, "12", r.header.Get("X-Goog-Upload-Size-Received"))
	decodeFile(t, chunk(t, base, partial, "upload, finalize", 12, "second half"))
	r = do(t, http.MethodGet, base+"/v1beta/files/partial:download?alt=media", "")
	assert.Equal(t, "first half, second half", string(r.body))
}

func TestDataDirIgnoresLeftovers(t *testing.T) {
	dir := t.TempDir()
	s, err := New(WithDataDir(dir))
	require.NoError(t, err)
	ts := httptest.NewServer(s)
	url := startUpload(t, ts.URL, `{"file":{"name":"files/kept"}}`)
	decodeFile(t, chunk(t, ts.URL, url, "upload, finalize", 0, "kept"))
	ts.Close()

	// What a crash can leave: a temporary file, content without metadata,
	// and a partial upload longer than its acknowledged size.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "jobs", ".tmp-x.json-123"), []byte("{"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "files", "orphan.data"), []byte("orphan"), 0o644))
	s2, err := New(WithDataDir(dir))
	require.NoError(t, err)
	assert.NoFileExists(t, filepath.Join(dir, "jobs", ".tmp-x.json-123"))
	ts2 := httptest.NewServer(s2)
	defer ts2.Close()
	assert.Equal(t, 200, do(t, http.MethodGet, ts2.URL+"/v1beta/files/kept", "").status)
	assert.Equal(t, 403, do(t, http.MethodGet, ts2.URL+"/v1beta/files/orphan", "").status)

	// A corrupt record is reported, not silently dropped.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "jobs", "broken.json"), []byte("{"), 0o644))
	_, err = New(WithDataDir(dir))
	assert.ErrorContains(t, err, "jobs/broken.json")
}
