package geminibatches

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/embedmock/embedmock/mockserver/family/familytest"
	"github.com/embedmock/embedmock/mockserver/gemini"
	"github.com/embedmock/embedmock/mockserver/geminifiles"
	"github.com/embedmock/embedmock/mockserver/googleapi"
	"github.com/embedmock/embedmock/mockserver/store"
)

// t0 is when every test clock starts.
var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// testClock is a server clock the test moves by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock { return &testClock{now: t0} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// stamp renders t0+d as the API's timestamps.
func stamp(d time.Duration) string { return googleapi.Timestamp(t0.Add(d)) }

// testConfig is the batches configuration of most tests: ten-minute jobs
// that expire after two days.
func testConfig() Config {
	return Config{Delay: 10 * time.Minute, TTL: 48 * time.Hour, MaxJobs: 100, MaxRequests: 100}
}

// setup says how to build a server under test.
type setup struct {
	cfg    Config
	clock  *testClock // nil: a new clock at t0
	dir    string     // data dir; "" keeps everything in memory
	legacy bool       // serve the catalog's legacy models
	// maxBodyBytes replaces the env's body limit (which also bounds the
	// lines of input files) when not 0.
	maxBodyBytes int64
}

// harness is the models, files and batches families sharing one env and
// one clock, served alone on a loopback port.
type harness struct {
	t       *testing.T
	clock   *testClock
	models  *gemini.Family
	files   *geminifiles.Family
	batches *Family
	base    string
}

func newHarness(t *testing.T, s setup) *harness {
	t.Helper()
	if s.clock == nil {
		s.clock = newTestClock()
	}
	env := familytest.Env()
	env.Now = s.clock.Now
	if s.maxBodyBytes != 0 {
		env.MaxBodyBytes = s.maxBodyBytes
	}
	var back store.Backend = store.NewMemory()
	if s.dir != "" {
		dir, err := store.Open(s.dir)
		require.NoError(t, err)
		back = dir
	}
	models := gemini.New(env, gemini.Config{Models: gemini.DefaultModels(), Legacy: s.legacy})
	files, err := geminifiles.New(env, geminifiles.Config{MaxFileBytes: 1 << 20, MaxFiles: 100}, back)
	require.NoError(t, err)
	batches, err := New(env, s.cfg, models, files, back)
	require.NoError(t, err)
	return &harness{t: t, clock: s.clock, models: models, files: files, batches: batches,
		base: familytest.Serve(t, models, files, batches)}
}

type response = familytest.Response

// do sends a request with an API key; path is relative to the server.
func (h *harness) do(method, path, body string, headers ...string) response {
	h.t.Helper()
	return familytest.Do(h.t, method, h.base+path, body, append([]string{"X-Goog-Api-Key", "test-key"}, headers...)...)
}

const asyncPath = "/v1beta/models/gemini-embedding-001:asyncBatchEmbedContent"

// item is one inline request embedding text.
func item(text string) string {
	return fmt.Sprintf(`{"request":{"content":{"parts":[{"text":%q}]}}}`, text)
}

// inlineBody is an AsyncBatchEmbedContentRequest with the given items.
func inlineBody(items ...string) string {
	return `{"batch":{"inputConfig":{"requests":{"requests":[` + strings.Join(items, ",") + `]}}}}`
}

// fileBody is an AsyncBatchEmbedContentRequest reading file name.
func fileBody(name string) string {
	return `{"batch":{"inputConfig":{"fileName":"` + name + `"}}}`
}

// operation is a batch Operation. It is decoded strictly: a field the
// wire form should not have fails the test.
type operation struct {
	Name     string                     `json:"name"`
	Done     bool                       `json:"done"`
	Error    *googleapi.RPCStatus       `json:"error"`
	Metadata operationMetadata          `json:"metadata"`
	Response map[string]json.RawMessage `json:"response"`
}

type operationMetadata struct {
	Type        string `json:"@type"`
	Model       string `json:"model"`
	DisplayName string `json:"displayName"`
	InputConfig *struct {
		FileName string `json:"fileName"`
	} `json:"inputConfig"`
	CreateTime string            `json:"createTime"`
	EndTime    string            `json:"endTime"`
	UpdateTime string            `json:"updateTime"`
	BatchStats map[string]string `json:"batchStats"` // counts are int64 strings
	State      string            `json:"state"`
	Name       string            `json:"name"`
	Priority   string            `json:"priority"`
	Output     *batchOutput      `json:"output"`
}

// batchOutput is a finished job's output: inline results or a file.
type batchOutput struct {
	ResponsesFile    string `json:"responsesFile"`
	InlinedResponses *struct {
		InlinedResponses []inlinedResponse `json:"inlinedResponses"`
	} `json:"inlinedResponses"`
}

type inlinedResponse struct {
	Response *embedResponse       `json:"response"`
	Error    *googleapi.RPCStatus `json:"error"`
	Metadata json.RawMessage      `json:"metadata"`
}

type embedResponse struct {
	Embedding struct {
		Values []float32 `json:"values"`
	} `json:"embedding"`
	TokenCount    string `json:"tokenCount"`
	UsageMetadata *struct {
		PromptTokenCount int `json:"promptTokenCount"`
	} `json:"usageMetadata"`
}

// items returns the inline results of a finished operation.
func (op operation) items(t *testing.T) []inlinedResponse {
	t.Helper()
	require.NotNil(t, op.Metadata.Output, "no output: %+v", op)
	require.NotNil(t, op.Metadata.Output.InlinedResponses, "no inline output: %+v", op)
	return op.Metadata.Output.InlinedResponses.InlinedResponses
}

func decodeStrict(t *testing.T, data []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(v), "%s", data)
}

func decodeOperation(t *testing.T, r response) operation {
	t.Helper()
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var op operation
	decodeStrict(t, r.Body, &op)
	return op
}

// create posts body to path and returns the created operation.
func (h *harness) create(path, body string) operation {
	h.t.Helper()
	return decodeOperation(h.t, h.do(http.MethodPost, path, body))
}

// get returns the operation name ("batches/{id}") from batches.get.
func (h *harness) get(name string) operation {
	h.t.Helper()
	return decodeOperation(h.t, h.do(http.MethodGet, "/v1beta/"+name, ""))
}

type rpcStatus = googleapi.RPCStatus

// googleError is the error envelope.
type googleError struct {
	Code    int              `json:"code"`
	Message string           `json:"message"`
	Status  string           `json:"status"`
	Details []map[string]any `json:"details"`
}

func decodeError(t *testing.T, r response) googleError {
	t.Helper()
	var env struct {
		Error googleError `json:"error"`
	}
	decodeStrict(t, r.Body, &env)
	require.Equal(t, r.Status, env.Error.Code, "%s", r.Body)
	require.Equal(t, googleapi.StatusName(r.Status), env.Error.Status, "%s", r.Body)
	return env.Error
}

// listPage is a batches.list answer.
type listPage struct {
	Operations    []operation `json:"operations"`
	NextPageToken string      `json:"nextPageToken"`
}

func (h *harness) list(query string) listPage {
	h.t.Helper()
	r := h.do(http.MethodGet, "/v1beta/batches"+query, "")
	require.Equal(h.t, http.StatusOK, r.Status, "%s", r.Body)
	var page listPage
	decodeStrict(h.t, r.Body, &page)
	return page
}

// listAll pages through batches.list with pageSize size and returns the
// names listed, in order, and the number of pages.
func (h *harness) listAll(size int) (names []string, pages int) {
	h.t.Helper()
	token := ""
	for pages < 1000 {
		query := fmt.Sprintf("?pageSize=%d", size)
		if token != "" {
			query += "&pageToken=" + token
		}
		page := h.list(query)
		pages++
		for _, op := range page.Operations {
			names = append(names, op.Name)
		}
		if token = page.NextPageToken; token == "" {
			return names, pages
		}
	}
	h.t.Fatal("batches.list does not end")
	return nil, 0
}

// uploadMultipart stores content as file id by a multipart/related upload.
func (h *harness) uploadMultipart(id, content string) {
	h.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	meta, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/json; charset=UTF-8"}})
	require.NoError(h.t, err)
	fmt.Fprintf(meta, `{"file":{"name":"files/%s","mimeType":"application/jsonl"}}`, id)
	data, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/jsonl"}})
	require.NoError(h.t, err)
	data.Write([]byte(content))
	require.NoError(h.t, mw.Close())
	r := h.do(http.MethodPost, "/upload/v1beta/files", body.String(),
		"X-Goog-Upload-Protocol", "multipart", "Content-Type", "multipart/related; boundary="+mw.Boundary())
	require.Equal(h.t, http.StatusOK, r.Status, "%s", r.Body)
}

// uploadResumable stores content as file id by the resumable protocol,
// in two chunks.
func (h *harness) uploadResumable(id, content string) {
	h.t.Helper()
	r := h.do(http.MethodPost, "/upload/v1beta/files", fmt.Sprintf(`{"file":{"name":"files/%s","mimeType":"application/jsonl"}}`, id),
		"X-Goog-Upload-Protocol", "resumable", "X-Goog-Upload-Command", "start",
		"X-Goog-Upload-Header-Content-Length", fmt.Sprint(len(content)))
	require.Equal(h.t, http.StatusOK, r.Status, "%s", r.Body)
	url := strings.TrimPrefix(r.Header.Get("X-Goog-Upload-URL"), h.base)
	require.NotEmpty(h.t, url)
	half := len(content) / 2
	r = h.do(http.MethodPost, url, content[:half], "X-Goog-Upload-Command", "upload", "X-Goog-Upload-Offset", "0")
	require.Equal(h.t, http.StatusOK, r.Status, "%s", r.Body)
	r = h.do(http.MethodPost, url, content[half:], "X-Goog-Upload-Command", "upload, finalize", "X-Goog-Upload-Offset", fmt.Sprint(half))
	require.Equal(h.t, http.StatusOK, r.Status, "%s", r.Body)
}

// download returns the content of file name ("files/{id}").
func (h *harness) download(name string) string {
	h.t.Helper()
	r := h.do(http.MethodGet, "/v1beta/"+name+":download?alt=media", "")
	require.Equal(h.t, http.StatusOK, r.Status, "%s", r.Body)
	return string(r.Body)
}
