package mockserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genai"
	"gopkg.in/dnaeon/go-vcr.v3/cassette"
)

// realLookingKey has the shape of a Google API key, so that redaction and
// the credential check are exercised for real.
const realLookingKey = "AIzaSyD4-embedmockTestKey-0123456789abc"

// recordingProxy starts a recording proxy in front of upstream and returns
// its URL and a function that stops it (closing the cassette).
func recordingProxy(t *testing.T, upstream, cassettePath string, opts ...Option) (string, func()) {
	t.Helper()
	s, err := New(append([]Option{WithProxy(), WithUpstream(upstream), WithRecordTo(cassettePath, false)}, opts...)...)
	require.NoError(t, err)
	ts := httptest.NewServer(s)
	stop := func() { ts.Close(); s.Close() }
	t.Cleanup(stop)
	return ts.URL, stop
}

func genaiClientWithKey(t *testing.T, base, key string) *genai.Client {
	t.Helper()
	client, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey: key, Backend: genai.BackendGeminiAPI, HTTPOptions: genai.HTTPOptions{BaseURL: base},
	})
	require.NoError(t, err)
	return client
}

func TestRecordThenReplayOffline(t *testing.T) {
	ctx := context.Background()
	fake, err := New(WithAPIKeys(realLookingKey))
	require.NoError(t, err)
	upstream := httptest.NewServer(fake)
	path := filepath.Join(t.TempDir(), "tape.yaml")
	proxy, stopProxy := recordingProxy(t, upstream.URL, path)

	client := genaiClientWithKey(t, proxy, realLookingKey)
	config := &genai.EmbedContentConfig{OutputDimensionality: genai.Ptr[int32](256), TaskType: "RETRIEVAL_DOCUMENT"}
	recorded, err := client.Models.EmbedContent(ctx, "gemini-embedding-001", textContents(batchTexts), config)
	require.NoError(t, err)
	rawRecorded := do(t, http.MethodPost, proxy+"/v1beta/models/gemini-embedding-001:embedContent?key="+realLookingKey,
		`{"content":{"parts":[{"text":"query by key"}]}}`, "X-Goog-Api-Key", "")
	require.Equal(t, 200, rawRecorded.status, string(rawRecorded.body))
	assert.Equal(t, "upstream", rawRecorded.header.Get("X-Embedmock-Source"))
	_, err = client.Models.Get(ctx, "gemini-embedding-001", nil)
	require.NoError(t, err)
	stopProxy()
	upstream.Close()

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(data), realLookingKey, "no trace of the key")
	assert.NotContains(t, string(data), "AIza")
	c, err := cassette.Load(strings.TrimSuffix(path, ".yaml"))
	require.NoError(t, err, "plain go-vcr loads it")
	require.Len(t, c.Interactions, 3)
	assert.Equal(t, "REDACTED", c.Interactions[0].Request.Headers.Get("X-Goog-Api-Key"))
	assert.Contains(t, c.Interactions[1].Request.URL, "key=REDACTED")

	// Replay with the upstream gone and a different key.
	_, replay := newTestServer(t, WithCassettes(path))
	replayed, err := genaiClientWithKey(t, replay, "another-key").Models.EmbedContent(ctx, "gemini-embedding-001", textContents(batchTexts), config)
	require.NoError(t, err)
	assert.Equal(t, recorded.Embeddings, replayed.Embeddings)
	rawReplayed := do(t, http.MethodPost, replay+"/v1beta/models/gemini-embedding-001:embedContent",
		`{"content": {"parts": [{"text": "query by key"}]}}`)
	require.Equal(t, 200, rawReplayed.status)
	assert.Equal(t, rawRecorded.body, rawReplayed.body, "byte-identical")
	assert.Equal(t, "cassette", rawReplayed.header.Get("X-Embedmock-Source"))
	assert.Equal(t, "scaffolding on HTTPServer2", rawReplayed.header.Get("Server"), "recorded headers are replayed")
}

func TestRedactionOfEchoedKeys(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("X-Goog-Api-Key") + r.URL.Query().Get("key")
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "cookie-value-123"})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.DebugInfo","detail":"Invalid API key: %s"}]}}`, key)
	}))
	t.Cleanup(echo.Close)
	path := filepath.Join(t.TempDir(), "errors.yaml")
	proxy, stop := recordingProxy(t, echo.URL, path, WithRedaction([]string{"X-Trace"}, []string{"message"}))
	resp := do(t, http.MethodPost, proxy+"/v1beta/models/m:embedContent?key="+realLookingKey, `{}`, "X-Trace", "trace-abc")
	assert.Equal(t, 400, resp.status)
	assert.Contains(t, string(resp.body), realLookingKey, "the client gets the upstream's answer unchanged")
	stop()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, secret := range []string{realLookingKey, "cookie-value-123", "trace-abc", "API key not valid."} {
		assert.NotContains(t, string(data), secret)
	}
	assert.Contains(t, string(data), "Invalid API key: REDACTED")
}

func TestReplayOrderConcurrencyAndRegrouping(t *testing.T) {
	_, upstream := newTestServer(t)
	path := filepath.Join(t.TempDir(), "tape.yaml")
	proxy, stop := recordingProxy(t, upstream, path)
	one := do(t, http.MethodPost, proxy+embedPath, embedBody("first text", ""))
	two := do(t, http.MethodPost, proxy+embedPath, embedBody("second text", ""))
	batch := do(t, http.MethodPost, proxy+batchPath, `{"requests":[`+
		`{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"alpha"}]},"outputDimensionality":128},`+
		`{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"beta"}]},"outputDimensionality":128}]}`)
	require.Equal(t, 200, batch.status)
	stop()

	_, replay := newTestServer(t, WithCassettes(path))
	assert.Equal(t, two.body, do(t, http.MethodPost, replay+embedPath, embedBody("second text", "")).body, "reverse order")
	assert.Equal(t, one.body, do(t, http.MethodPost, replay+embedPath, embedBody("first text", "")).body)

	var wg sync.WaitGroup
	bodies := make([][]byte, 50)
	for i := range bodies {
		wg.Go(func() {
			r := do(t, http.MethodPost, replay+embedPath, embedBody("first text", ""))
			if r.status == 200 {
				bodies[i] = r.body
			}
		})
	}
	wg.Wait()
	for i, b := range bodies {
		assert.Equal(t, one.body, b, "concurrent replay %d", i)
	}

	// A single embed answered from the recorded batch, and a new batch
	// from recorded singles.
	single := decodeEmbed(t, do(t, http.MethodPost, replay+embedPath, embedBody("beta", `,"outputDimensionality":128`)))
	recordedBatch := decodeEmbed(t, batch)
	assert.Equal(t, recordedBatch.Embeddings[1].Values, single.Embedding.Values)
	regrouped := decodeEmbed(t, do(t, http.MethodPost, replay+batchPath, `{"requests":[`+
		`{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"second text"}]}},`+
		`{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"first text"}]}}]}`))
	assert.Equal(t, decodeEmbed(t, two).Embedding.Values, regrouped.Embeddings[0].Values)
	assert.Equal(t, decodeEmbed(t, one).Embedding.Values, regrouped.Embeddings[1].Values)
}

func TestMissPolicies(t *testing.T) {
	ctx := context.Background()
	_, upstream := newTestServer(t)
	path := filepath.Join(t.TempDir(), "tape.yaml")
	proxy, stop := recordingProxy(t, upstream, path)
	require.Equal(t, 200, do(t, http.MethodPost, proxy+embedPath, embedBody("the quick brown fox", "")).status)
	stop()

	// error: the API's envelope, naming the nearest recorded request.
	_, strict := newTestServer(t, WithCassettes(path))
	r := do(t, http.MethodPost, strict+embedPath, embedBody("the quick brown cat", ""))
	assert.Equal(t, 400, r.status)
	assert.Equal(t, "cassette", r.header.Get("X-Embedmock-Source"))
	e := googleErrorAllowingStatus(t, r)
	assert.Equal(t, "FAILED_PRECONDITION", e.Status)
	assert.Contains(t, e.Message, "no recorded interaction matches this request (gemini embedContent (gemini-embedding-001))")
	assert.Contains(t, e.Message, `which differs in content.parts[0].text (recorded "the quick brown fox", got "the quick brown cat")`)
	assert.Equal(t, "CASSETTE_MISS", e.Details[0]["reason"])
	_, err := genaiClientWithKey(t, strict, "k").Models.EmbedContent(ctx, "gemini-embedding-001", genai.Text("unrecorded"), nil)
	var apiErr genai.APIError
	require.True(t, errors.As(err, &apiErr), "%v", err)
	assert.Equal(t, 400, apiErr.Code)
	assert.Equal(t, "FAILED_PRECONDITION", apiErr.Status)

	// Authentication still comes first.
	assert.Equal(t, 403, do(t, http.MethodPost, strict+embedPath, embedBody("the quick brown fox", ""), "X-Goog-Api-Key", "").status)

	// fake: a fake vector, marked as such.
	_, lenient := newTestServer(t, WithCassettes(path), WithMissPolicy(MissFake))
	r = do(t, http.MethodPost, lenient+embedPath, embedBody("the quick brown cat", ""))
	assert.Equal(t, "fake", r.header.Get("X-Embedmock-Source"))
	assert.Equal(t, expectedVector("gemini-embedding-001", "", "", "the quick brown cat", 3072, 0), decodeEmbed(t, r).Embedding.Values)
	assert.Equal(t, "cassette", do(t, http.MethodPost, lenient+embedPath, embedBody("the quick brown fox", "")).header.Get("X-Embedmock-Source"))

	// record: forwarded, appended, then replayed without the upstream.
	_, upstream2 := newTestServer(t)
	recorder, err := New(WithCassettes(path), WithMissPolicy(MissRecord), WithUpstream(upstream2), WithRecordTo(path, false))
	require.NoError(t, err)
	rs := httptest.NewServer(recorder)
	r = do(t, http.MethodPost, rs.URL+embedPath, embedBody("a new text", ""))
	assert.Equal(t, "upstream", r.header.Get("X-Embedmock-Source"))
	again := do(t, http.MethodPost, rs.URL+embedPath, embedBody("a new text", ""))
	assert.Equal(t, "cassette", again.header.Get("X-Embedmock-Source"))
	assert.Equal(t, r.body, again.body)
	rs.Close()
	recorder.Close()
	c, err := cassette.Load(strings.TrimSuffix(path, ".yaml"))
	require.NoError(t, err)
	assert.Len(t, c.Interactions, 2)
}

// googleErrorAllowingStatus decodes a Google envelope whose status name
// is not the default one for its HTTP code.
func googleErrorAllowingStatus(t *testing.T, r response) googleError {
	t.Helper()
	var env struct {
		Error *googleError `json:"error"`
	}
	require.NoError(t, json.Unmarshal(r.body, &env), string(r.body))
	require.NotNil(t, env.Error)
	require.Equal(t, r.status, env.Error.Code)
	return *env.Error
}

func TestRecordedBatchAndUploadFlowReplays(t *testing.T) {
	ctx := context.Background()
	_, upstream := newTestServer(t)
	path := filepath.Join(t.TempDir(), "flow.yaml")
	proxy, stop := recordingProxy(t, upstream, path)

	flow := func(client *genai.Client) []byte {
		input := `{"key":"a","request":{"content":{"parts":[{"text":"from a file"}]}}}` + "\n"
		file, err := client.Files.Upload(ctx, strings.NewReader(input), &genai.UploadFileConfig{MIMEType: "application/jsonl", Name: "files/flow-input"})
		require.NoError(t, err)
		job, err := client.Batches.CreateEmbeddings(ctx, genai.Ptr("gemini-embedding-001"), &genai.EmbeddingsBatchJobSource{FileName: file.Name}, nil)
		require.NoError(t, err)
		done := waitForJob(t, client, job.Name)
		require.Equal(t, genai.JobStateSucceeded, done.State)
		out, err := client.Files.Download(ctx, genai.NewDownloadURIFromFile(&genai.File{DownloadURI: done.Dest.FileName}), nil)
		require.NoError(t, err)
		return out
	}
	recorded := flow(genaiClientWithKey(t, proxy, "k"))
	stop()

	_, replay := newTestServer(t, WithCassettes(path))
	replayed := flow(genaiClientWithKey(t, replay, "k"))
	assert.True(t, bytes.Equal(recorded, replayed), "the whole flow replays offline")
}

func TestReplayLatency(t *testing.T) {
	dir := t.TempDir()
	w, err := os.Create(filepath.Join(dir, "slow.yaml"))
	require.NoError(t, err)
	fmt.Fprint(w, "version: 2\ninteractions:\n- id: 0\n  request:\n    url: http://h/v1beta/models\n    method: GET\n    body: \"\"\n  response:\n    code: 200\n    body: '{}'\n    duration: 300ms\n")
	w.Close()
	_, fast := newTestServer(t, WithCassettes(dir))
	start := time.Now()
	require.Equal(t, 200, do(t, http.MethodGet, fast+"/v1beta/models", "").status)
	fastTook := time.Since(start)
	_, slow := newTestServer(t, WithCassettes(dir), WithReplayLatency(true))
	start = time.Now()
	require.Equal(t, 200, do(t, http.MethodGet, slow+"/v1beta/models", "").status)
	assert.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)
	assert.Less(t, fastTook, 300*time.Millisecond)
}

func TestRecordingOptionsAreChecked(t *testing.T) {
	_, err := New(WithCassettes(filepath.Join(t.TempDir(), "missing")))
	assert.Error(t, err)
	_, err = New(WithProxy())
	assert.ErrorContains(t, err, "needs a cassette to record to")
	_, err = New(WithProxy(), WithRecordTo(filepath.Join(t.TempDir(), "x"), false), WithUpstream("not a url"))
	assert.ErrorContains(t, err, "not an absolute URL")
	_, err = ParseMissPolicy("sometimes")
	assert.Error(t, err)
}

func TestErrorWithoutURLDropsTheKey(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", &url.Error{Op: "Post", URL: "http://127.0.0.1:1/v1beta/models/m:embedContent?key=AIzaSecretSecret", Err: io.EOF})
	assert.Equal(t, "Post: EOF", errorWithoutURL(err))
	assert.Equal(t, "plain", errorWithoutURL(errors.New("plain")))
}

// A cassette that can no longer be written is reported on the log output, one
// whole line per request, however many fail at once (go test -race).
func TestFailedRecordingsAreLogged(t *testing.T) {
	_, upstream := newTestServer(t)
	var log bytes.Buffer
	s := mustNew(t, WithProxy(), WithUpstream(upstream), WithRecordTo(filepath.Join(t.TempDir(), "tape.yaml"), true), WithLogOutput(&log))
	proxy := httptest.NewServer(s)
	t.Cleanup(proxy.Close)
	require.NoError(t, s.Close()) // closes the cassette; the proxy still answers
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			r := do(t, http.MethodPost, proxy.URL+embedPath, embedBody(fmt.Sprint("text ", i), ""))
			assert.Equal(t, 200, r.status, "the upstream's answer is passed on")
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(log.String(), "\n"), "\n")
	assert.Len(t, lines, 8)
	for _, line := range lines {
		assert.Regexp(t, `^embedmock: cannot record POST /v1beta/models/gemini-embedding-001:embedContent: .*closed$`, line)
	}
}
