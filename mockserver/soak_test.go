package mockserver_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embedmock/embedmock/mockserver"
)

// TestSoak is a bounded load test of one in-process server: ~8 goroutines
// mix every route (the three embedding APIs, async batches inline and from
// files, resumable and multipart uploads, cassette replays, the admin API
// and injected faults) for EMBEDMOCK_SOAK (a Go duration, default 5s).
//
// It fails on any unexpected 5xx or transport error, on any answer of the
// wrong shape, and when the heap grows by more than a stated bound between
// the end of a warm-up and the end of the run (see soakHeapBound).
//
//	EMBEDMOCK_SOAK=45s go test -race -run TestSoak -count=1 ./mockserver
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test")
	}
	duration := 5 * time.Second
	if v := os.Getenv("EMBEDMOCK_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(t, err, "EMBEDMOCK_SOAK must be a Go duration such as 45s")
		require.Positive(t, d, "EMBEDMOCK_SOAK")
		duration = d
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("EMBEDMOCK_SOAK_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		require.NoError(t, err)
		seed = s
	}
	t.Logf("soak: duration %v, seed %d (EMBEDMOCK_SOAK_SEED reproduces the mix)", duration, seed)

	recorded := recordSoakCassette(t)

	srv, err := mockserver.New(
		mockserver.WithCassettes(recorded.path),
		mockserver.WithMissPolicy(mockserver.MissFake),
		mockserver.WithJournalSize(soakJournalSize),
		mockserver.WithVectorCacheBytes(mockserver.DefaultVectorCacheBytes),
	)
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	transport := &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
	t.Cleanup(transport.CloseIdleConnections)
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}

	stats := newSoakStats()
	run := func(d time.Duration, round int) {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		var wg sync.WaitGroup
		for i := range soakWorkers {
			w := &soakWorker{
				id: i, base: ts.URL, client: client, stats: stats, recorded: recorded,
				rng:   rand.New(rand.NewPCG(seed, uint64(round*100+i))),
				admin: i == 0, // one worker owns the scheduled faults, so that no other request meets them
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				w.loop(ctx)
			}()
		}
		wg.Wait()
	}

	// Warm-up: fills the journal, the vector cache and the connection pool,
	// which are bounded by design, so that what is measured next is growth.
	warmUp := min(2*time.Second, duration/4)
	run(warmUp, 0)
	transport.CloseIdleConnections()
	time.Sleep(100 * time.Millisecond) // the server side notices the closed connections
	before := soakHeap()
	goroutinesBefore := runtime.NumGoroutine()
	start := time.Now()
	// The run is measured in quarters (the workers pause for each
	// measurement), so that a leak shows as steady growth and a cache
	// filling up as growth that levels off.
	series := []string{mib(before)}
	for quarter := 1; quarter <= 4; quarter++ {
		run((duration-warmUp)/4, quarter)
		if quarter < 4 {
			transport.CloseIdleConnections()
			series = append(series, mib(soakHeap()))
		}
	}
	elapsed := time.Since(start) + warmUp
	after := soakHeap()
	series = append(series, mib(after))

	// Nothing the workers created may be left over.
	left := soakGet(t, client, ts.URL+"/v1beta/files?pageSize=100")
	assert.JSONEq(t, `{}`, left, "every uploaded and generated file was deleted")
	left = soakGet(t, client, ts.URL+"/v1beta/batches?pageSize=1000")
	assert.JSONEq(t, `{}`, left, "every batch job was deleted")

	// Goroutines: every request finished, idle connections closed.
	transport.CloseIdleConnections()
	goroutinesAfter := runtime.NumGoroutine()
	for deadline := time.Now().Add(5 * time.Second); goroutinesAfter > goroutinesBefore+soakGoroutineSlack && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		transport.CloseIdleConnections() // also those whose dial finished late
		goroutinesAfter = runtime.NumGoroutine()
	}

	summary, slowest := stats.summary(), "none over 100ms"
	if stats.slowKind != "" {
		slowest = fmt.Sprintf("%v, %s", stats.slowest.Round(time.Millisecond), stats.slowKind)
	}
	t.Logf("soak: %v, %d requests (%s; slowest: %s); expected faults: %d injected 5xx, %d drops; unexpected: %d; heap %s before, %s after (bound +%s; by quarter: %s); goroutines %d before, %d after",
		elapsed.Round(time.Millisecond), stats.total(), summary, slowest, stats.fault5xx, stats.drops, stats.failures,
		mib(before), mib(after), mib(soakHeapBound), strings.Join(series, " → "), goroutinesBefore, goroutinesAfter)
	for _, f := range stats.samples {
		t.Errorf("unexpected: %s", f)
	}
	assert.Zero(t, stats.failures, "unexpected 5xx, transport errors or wrong shapes (samples above)")
	for _, kind := range soakKinds {
		assert.Positive(t, stats.byKind[kind], "requests of kind %s were sent", kind)
	}
	assert.Positive(t, stats.fault5xx, "injected 5xx faults were exercised")
	assert.Positive(t, stats.drops, "dropped connections were exercised")
	assert.LessOrEqual(t, after, before+soakHeapBound,
		"the heap grew from %s to %s, more than the bound of %s (journal of %d entries × 64 KiB bodies + %s vector cache + %s slack)",
		mib(before), mib(after), mib(soakHeapBound), soakJournalSize, mib(mockserver.DefaultVectorCacheBytes), mib(soakHeapSlack))
	assert.LessOrEqual(t, goroutinesAfter, goroutinesBefore+soakGoroutineSlack, "goroutines leaked")
}

const (
	soakWorkers        = 8
	soakJournalSize    = 256
	soakJournalBody    = 64 << 10 // the journal keeps at most this much of a request body (maxJournalBody, journal.go)
	soakHeapSlack      = 8 << 20
	soakGoroutineSlack = 10
	// soakHeapBound is how much the live heap may grow between the end of
	// the warm-up and the end of the run. Everything the server keeps is
	// bounded: the journal (soakJournalSize entries, each holding at most
	// soakJournalBody bytes of body), the vector cache (its byte budget),
	// and the store, which the workers empty (every file, upload and job
	// they create is deleted). Both may have been empty or full at either
	// measurement, so they are counted whole; the slack covers the runtime,
	// connection buffers and the client side. A leak of 40 bytes per
	// request exceeds it in a 5-minute run (about a million requests), one
	// of 1.3 KB per request in a 45 s -race run (about 25 000).
	soakHeapBound = soakJournalSize*soakJournalBody + mockserver.DefaultVectorCacheBytes + soakHeapSlack
)

// soakKinds are the request kinds counted in the summary.
var soakKinds = []string{
	"gemini.embedContent", "gemini.batchEmbedContents", "openai.float", "openai.base64", "gradient",
	"batch.inline", "batch.file", "upload.resumable", "upload.multipart", "files.download", "files.delete",
	"replay", "list", "admin.requests", "admin.faults", "fault.5xx", "fault.drop",
}

func soakHeap() uint64 {
	runtime.GC()
	runtime.GC() // the second cycle frees what finalizers released in the first
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func soakGet(t *testing.T, client *http.Client, url string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("X-Goog-Api-Key", "soak-key")
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode, string(body))
	return string(body)
}

// soakStats counts requests by kind and keeps a sample of failures.
type soakStats struct {
	mu       sync.Mutex
	byKind   map[string]int
	slowest  time.Duration
	slowKind string
	fault5xx int
	drops    int
	failures int
	samples  []string
}

func newSoakStats() *soakStats { return &soakStats{byKind: map[string]int{}} }

func (s *soakStats) count(kind string) {
	s.mu.Lock()
	s.byKind[kind]++
	s.mu.Unlock()
}

func (s *soakStats) took(kind string, d time.Duration) {
	s.mu.Lock()
	if d > s.slowest {
		s.slowest, s.slowKind = d, kind
	}
	s.mu.Unlock()
}

func (s *soakStats) fail(kind string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures++
	if len(s.samples) < 20 {
		s.samples = append(s.samples, kind+": "+err.Error())
	}
}

func (s *soakStats) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, v := range s.byKind {
		n += v
	}
	return n
}

func (s *soakStats) summary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	parts := make([]string, 0, len(s.byKind))
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range s.byKind {
			if !yield(k) {
				return
			}
		}
	}) {
		parts = append(parts, fmt.Sprintf("%s %d", k, s.byKind[k]))
	}
	return strings.Join(parts, ", ")
}

// soakRecorded is the cassette the server under test replays, and the
// exact requests and answers it holds.
type soakRecorded struct {
	path     string
	requests []soakRecordedRequest
	// batchTexts were recorded in one batchEmbedContents call with
	// batchDims; each alone is answered from the recorded vectors.
	batchTexts   []string
	batchDims    int
	batchVectors [][]float32
}

type soakRecordedRequest struct {
	kind    string
	path    string
	headers []string
	body    string
	answer  []byte // the body the recording proxy answered
}

// recordSoakCassette records a few requests of every embedding API through
// a recording proxy (mockserver.WithProxy) in front of another in-process
// embedmock.
func recordSoakCassette(t *testing.T) *soakRecorded {
	t.Helper()
	upstream, err := mockserver.New()
	require.NoError(t, err)
	up := httptest.NewServer(upstream)
	defer up.Close()
	path := filepath.Join(t.TempDir(), "soak.yaml")
	proxy, err := mockserver.New(mockserver.WithProxy(), mockserver.WithUpstream(up.URL), mockserver.WithRecordTo(path, true))
	require.NoError(t, err)
	ps := httptest.NewServer(proxy)
	defer func() { ps.Close(); proxy.Close() }()

	rec := &soakRecorded{path: path, batchTexts: []string{"recorded alpha river", "recorded beta mountain", "recorded gamma forest"}, batchDims: 256}
	batch := map[string]any{}
	var items []any
	for _, text := range rec.batchTexts {
		items = append(items, map[string]any{"model": "models/gemini-embedding-001", "content": map[string]any{"parts": []any{map[string]any{"text": text}}}, "outputDimensionality": rec.batchDims})
	}
	batch["requests"] = items
	batchBody, err := json.Marshal(batch)
	require.NoError(t, err)
	gemini := []string{"X-Goog-Api-Key", "soak-key"}
	openAI := []string{"Authorization", "Bearer soak-key"}
	gradient := []string{"Authorization", "Bearer soak-key", "X-Gradient-Workspace-Id", "soak-workspace"}
	rec.requests = []soakRecordedRequest{
		{kind: "gemini.embedContent", path: "/v1beta/models/gemini-embedding-001:embedContent", headers: gemini,
			body: `{"content":{"parts":[{"text":"recorded single query"}]},"taskType":"RETRIEVAL_QUERY","outputDimensionality":128}`},
		{kind: "gemini.batchEmbedContents", path: "/v1beta/models/gemini-embedding-001:batchEmbedContents", headers: gemini, body: string(batchBody)},
		{kind: "openai.float", path: "/v1/embeddings", headers: openAI,
			body: `{"model":"text-embedding-3-small","input":["recorded openai one","recorded openai two"],"dimensions":64}`},
		{kind: "openai.base64", path: "/v1/embeddings", headers: openAI,
			body: `{"model":"text-embedding-3-small","input":"recorded openai base64","encoding_format":"base64"}`},
		{kind: "gradient", path: "/api/embeddings/bge-large", headers: gradient,
			body: `{"inputs":[{"input":"recorded gradient one"},{"input":"recorded gradient two"}]}`},
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	for i := range rec.requests {
		r := &rec.requests[i]
		req, err := http.NewRequest(http.MethodPost, ps.URL+r.path, strings.NewReader(r.body))
		require.NoError(t, err)
		for j := 0; j+1 < len(r.headers); j += 2 {
			req.Header.Set(r.headers[j], r.headers[j+1])
		}
		resp, err := hc.Do(req)
		require.NoError(t, err)
		r.answer, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, 200, resp.StatusCode, string(r.answer))
		require.Equal(t, "upstream", resp.Header.Get("X-Embedmock-Source"))
		if r.kind == "gemini.batchEmbedContents" {
			var out struct {
				Embeddings []struct {
					Values []float32 `json:"values"`
				} `json:"embeddings"`
			}
			require.NoError(t, json.Unmarshal(r.answer, &out))
			for _, e := range out.Embeddings {
				rec.batchVectors = append(rec.batchVectors, e.Values)
			}
			require.Len(t, rec.batchVectors, len(rec.batchTexts))
		}
	}
	return rec
}

// soakWorker runs a random mix of operations until its context ends.
type soakWorker struct {
	id       int
	base     string
	client   *http.Client
	stats    *soakStats
	recorded *soakRecorded
	rng      *rand.Rand
	admin    bool
	seq      int
}

type soakResponse struct {
	status int
	header http.Header
	body   []byte
}

// soakError is an unexpected outcome.
func soakErrorf(format string, a ...any) error { return fmt.Errorf(format, a...) }

func (w *soakWorker) loop(ctx context.Context) {
	type op struct {
		kind   string
		weight int
		run    func(context.Context) error
	}
	ops := []op{
		{"gemini.embedContent", 12, w.geminiEmbed},
		{"gemini.batchEmbedContents", 8, w.geminiBatch},
		{"openai.float", 8, func(ctx context.Context) error { return w.openAI(ctx, false) }},
		{"openai.base64", 6, func(ctx context.Context) error { return w.openAI(ctx, true) }},
		{"gradient", 6, w.gradient},
		{"batch.inline", 3, w.inlineBatch},
		{"batch.file", 2, w.fileBatch},
		{"upload.resumable", 3, w.resumableUpload},
		{"upload.multipart", 3, w.multipartUpload},
		{"replay", 6, w.replay},
		{"list", 2, w.list},
		{"fault", 4, w.fault},
	}
	if w.admin {
		ops = append(ops, op{"admin", 6, w.adminCalls})
	}
	total := 0
	for _, o := range ops {
		total += o.weight
	}
	for ctx.Err() == nil {
		n := w.rng.IntN(total)
		var chosen op
		for _, o := range ops {
			if n < o.weight {
				chosen = o
				break
			}
			n -= o.weight
		}
		w.seq++
		if err := chosen.run(ctx); err != nil {
			w.stats.fail(chosen.kind, err)
		}
	}
}

// send performs one request; headers are name, value pairs.
func (w *soakWorker) send(ctx context.Context, kind, method, path string, body []byte, headers ...string) (soakResponse, error) {
	w.stats.count(kind)
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	// The request outlives the run's context by a little, so that an
	// operation that began (an upload, a job) can clean up after itself.
	reqCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, method, w.base+path, r)
	if err != nil {
		return soakResponse{}, err
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	// The slowest request is reported with the time it spent connecting:
	// a long connect is the network stack (a SYN retransmitted after the
	// connections closed by drop faults), not the server.
	// (A dial may finish after the request went out on another
	// connection, hence the atomics.)
	var connectStart, connect atomic.Int64
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		ConnectStart: func(string, string) { connectStart.Store(time.Now().UnixNano()) },
		ConnectDone:  func(string, string, error) { connect.Store(time.Now().UnixNano() - connectStart.Load()) },
	}))
	start := time.Now()
	defer func() {
		d := time.Since(start)
		if d > 100*time.Millisecond {
			w.stats.took(fmt.Sprintf("%s %s %s, of which connecting %v", kind, method, strings.SplitN(path, "?", 2)[0],
				time.Duration(connect.Load()).Round(time.Millisecond)), d)
		}
	}()
	resp, err := w.client.Do(req)
	if err != nil {
		return soakResponse{}, fmt.Errorf("%s %s: transport error: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return soakResponse{}, fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	return soakResponse{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// expect checks the status and decodes a JSON answer into v (if not nil).
func expect(r soakResponse, what string, status int, v any) error {
	if r.status != status {
		return soakErrorf("%s: status %d, want %d: %.300s", what, r.status, status, r.body)
	}
	if v != nil {
		if err := json.Unmarshal(r.body, v); err != nil {
			return soakErrorf("%s: answer is not the expected JSON: %v: %.300s", what, err, r.body)
		}
	}
	return nil
}

var soakWords = strings.Fields("river mountain forest ocean desert city bridge tower garden library engine planet signal vector memory window")

// text is a text made of a few common words (so that texts repeat and the
// vector cache is used) and sometimes a unique word.
func (w *soakWorker) text() string {
	n := 1 + w.rng.IntN(6)
	words := make([]string, 0, n+1)
	for range n {
		words = append(words, soakWords[w.rng.IntN(len(soakWords))])
	}
	if w.rng.IntN(3) == 0 {
		words = append(words, fmt.Sprintf("w%dn%d", w.id, w.seq))
	}
	return strings.Join(words, " ")
}

func (w *soakWorker) dims() int { return []int{128, 256, 768}[w.rng.IntN(3)] }

var (
	geminiHeaders   = []string{"X-Goog-Api-Key", "soak-key", "Content-Type", "application/json"}
	openAIHeaders   = []string{"Authorization", "Bearer soak-key", "Content-Type", "application/json"}
	gradientHeaders = []string{"Authorization", "Bearer soak-key", "X-Gradient-Workspace-Id", "soak-workspace", "Content-Type", "application/json"}
)

func withHeaders(base []string, more ...string) []string {
	return append(slices.Clone(base), more...)
}

type soakEmbedding struct {
	Values []float32 `json:"values"`
}

func checkSource(r soakResponse, what, want string) error {
	if got := r.header.Get("X-Embedmock-Source"); got != want {
		return soakErrorf("%s: X-Embedmock-Source %q, want %q", what, got, want)
	}
	return nil
}

func (w *soakWorker) geminiEmbed(ctx context.Context) error {
	dims := w.dims()
	body, _ := json.Marshal(map[string]any{"content": map[string]any{"parts": []any{map[string]any{"text": w.text()}}}, "outputDimensionality": dims})
	r, err := w.send(ctx, "gemini.embedContent", http.MethodPost, "/v1beta/models/gemini-embedding-001:embedContent", body, geminiHeaders...)
	if err != nil {
		return err
	}
	var out struct {
		Embedding soakEmbedding `json:"embedding"`
	}
	if err := expect(r, "embedContent", 200, &out); err != nil {
		return err
	}
	if len(out.Embedding.Values) != dims {
		return soakErrorf("embedContent: %d values, want %d", len(out.Embedding.Values), dims)
	}
	return checkSource(r, "embedContent", "fake")
}

func (w *soakWorker) geminiBatchBody(n, dims int) []byte {
	items := make([]any, n)
	for i := range items {
		items[i] = map[string]any{"model": "models/gemini-embedding-001", "content": map[string]any{"parts": []any{map[string]any{"text": w.text()}}}, "outputDimensionality": dims}
	}
	body, _ := json.Marshal(map[string]any{"requests": items})
	return body
}

func (w *soakWorker) geminiBatch(ctx context.Context) error {
	n, dims := 1+w.rng.IntN(8), w.dims()
	r, err := w.send(ctx, "gemini.batchEmbedContents", http.MethodPost, "/v1beta/models/gemini-embedding-001:batchEmbedContents", w.geminiBatchBody(n, dims), geminiHeaders...)
	if err != nil {
		return err
	}
	var out struct {
		Embeddings []soakEmbedding `json:"embeddings"`
	}
	if err := expect(r, "batchEmbedContents", 200, &out); err != nil {
		return err
	}
	if len(out.Embeddings) != n {
		return soakErrorf("batchEmbedContents: %d embeddings, want %d", len(out.Embeddings), n)
	}
	for i, e := range out.Embeddings {
		if len(e.Values) != dims {
			return soakErrorf("batchEmbedContents: embedding %d has %d values, want %d", i, len(e.Values), dims)
		}
	}
	return nil
}

func (w *soakWorker) openAIBody(n, dims int, b64 bool) []byte {
	inputs := make([]string, n)
	for i := range inputs {
		inputs[i] = w.text()
	}
	req := map[string]any{"model": "text-embedding-3-small", "input": inputs, "dimensions": dims}
	if b64 {
		req["encoding_format"] = "base64"
	}
	body, _ := json.Marshal(req)
	return body
}

func (w *soakWorker) openAI(ctx context.Context, b64 bool) error {
	n, dims := 1+w.rng.IntN(6), []int{64, 256, 1536}[w.rng.IntN(3)]
	kind := "openai.float"
	if b64 {
		kind = "openai.base64"
	}
	r, err := w.send(ctx, kind, http.MethodPost, "/v1/embeddings", w.openAIBody(n, dims, b64), openAIHeaders...)
	if err != nil {
		return err
	}
	var out struct {
		Object string `json:"object"`
		Model  string `json:"model"`
		Data   []struct {
			Object    string          `json:"object"`
			Index     int             `json:"index"`
			Embedding json.RawMessage `json:"embedding"`
		} `json:"data"`
		Usage struct {
			PromptTokens int `json:"prompt_tokens"`
			TotalTokens  int `json:"total_tokens"`
		} `json:"usage"`
	}
	if err := expect(r, kind, 200, &out); err != nil {
		return err
	}
	if out.Object != "list" || out.Model != "text-embedding-3-small" || len(out.Data) != n || out.Usage.PromptTokens <= 0 || out.Usage.TotalTokens != out.Usage.PromptTokens {
		return soakErrorf("%s: unexpected envelope: %.300s", kind, r.body)
	}
	for i, d := range out.Data {
		if d.Object != "embedding" || d.Index != i {
			return soakErrorf("%s: item %d: object %q index %d", kind, i, d.Object, d.Index)
		}
		if b64 {
			var s string
			if err := json.Unmarshal(d.Embedding, &s); err != nil {
				return soakErrorf("%s: item %d is not a base64 string: %.100s", kind, i, d.Embedding)
			}
			raw, err := base64.StdEncoding.DecodeString(s)
			if err != nil || len(raw) != 4*dims {
				return soakErrorf("%s: item %d decodes to %d bytes (%v), want %d", kind, i, len(raw), err, 4*dims)
			}
		} else {
			var v []float32
			if err := json.Unmarshal(d.Embedding, &v); err != nil || len(v) != dims {
				return soakErrorf("%s: item %d has %d floats (%v), want %d", kind, i, len(v), err, dims)
			}
		}
	}
	return nil
}

func (w *soakWorker) gradientBody(n int) []byte {
	inputs := make([]any, n)
	for i := range inputs {
		inputs[i] = map[string]any{"input": w.text()}
	}
	body, _ := json.Marshal(map[string]any{"inputs": inputs})
	return body
}

func (w *soakWorker) gradient(ctx context.Context) error {
	n := 1 + w.rng.IntN(4)
	r, err := w.send(ctx, "gradient", http.MethodPost, "/api/embeddings/bge-large", w.gradientBody(n), gradientHeaders...)
	if err != nil {
		return err
	}
	var out struct {
		Embeddings []struct {
			Embedding []float32 `json:"embedding"`
			Index     int       `json:"index"`
		} `json:"embeddings"`
	}
	if err := expect(r, "gradient", 200, &out); err != nil {
		return err
	}
	if len(out.Embeddings) != n {
		return soakErrorf("gradient: %d embeddings, want %d", len(out.Embeddings), n)
	}
	for i, e := range out.Embeddings {
		if e.Index != i || len(e.Embedding) != mockserver.DefaultGradientDimensions {
			return soakErrorf("gradient: item %d: index %d, %d values", i, e.Index, len(e.Embedding))
		}
	}
	return nil
}

type soakOperation struct {
	Name     string `json:"name"`
	Done     bool   `json:"done"`
	Metadata struct {
		State      string `json:"state"`
		BatchStats struct {
			RequestCount string `json:"requestCount"`
		} `json:"batchStats"`
		Output struct {
			InlinedResponses struct {
				InlinedResponses []struct {
					Response struct {
						Embedding soakEmbedding `json:"embedding"`
					} `json:"response"`
				} `json:"inlinedResponses"`
			} `json:"inlinedResponses"`
			ResponsesFile string `json:"responsesFile"`
		} `json:"output"`
	} `json:"metadata"`
	Error *struct {
		Code int `json:"code"`
	} `json:"error"`
}

// runBatch creates a job, polls it until done, checks it succeeded, and
// deletes it (and checks it is gone); check inspects the finished job.
func (w *soakWorker) runBatch(ctx context.Context, kind string, body []byte, n int, check func(soakOperation) error) error {
	r, err := w.send(ctx, kind, http.MethodPost, "/v1beta/models/gemini-embedding-001:asyncBatchEmbedContent", body, geminiHeaders...)
	if err != nil {
		return err
	}
	var op soakOperation
	if err := expect(r, kind+" create", 200, &op); err != nil {
		return err
	}
	if !strings.HasPrefix(op.Name, "batches/") || op.Metadata.State != "BATCH_STATE_PENDING" || op.Metadata.BatchStats.RequestCount != strconv.Itoa(n) {
		return soakErrorf("%s create: unexpected operation: %.300s", kind, r.body)
	}
	var done soakOperation
	for poll := 0; ; poll++ {
		if poll == 100 {
			return soakErrorf("%s: %s not done after 100 polls", kind, op.Name)
		}
		r, err := w.send(ctx, kind, http.MethodGet, "/v1beta/"+op.Name, nil, geminiHeaders...)
		if err != nil {
			return err
		}
		done = soakOperation{}
		if err := expect(r, kind+" get", 200, &done); err != nil {
			return err
		}
		if done.Done {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if done.Metadata.State != "BATCH_STATE_SUCCEEDED" || done.Error != nil {
		return soakErrorf("%s: %s ended %s", kind, op.Name, done.Metadata.State)
	}
	checkErr := check(done)
	r, err = w.send(ctx, kind, http.MethodDelete, "/v1beta/"+op.Name, nil, geminiHeaders...)
	if err != nil {
		return err
	}
	if err := expect(r, kind+" delete", 200, nil); err != nil {
		return err
	}
	r, err = w.send(ctx, kind, http.MethodGet, "/v1beta/"+op.Name, nil, geminiHeaders...)
	if err != nil {
		return err
	}
	if err := expect(r, kind+" get after delete", 404, nil); err != nil {
		return err
	}
	return checkErr
}

func (w *soakWorker) inlineBatch(ctx context.Context) error {
	n, dims := 1+w.rng.IntN(5), w.dims()
	items := make([]any, n)
	for i := range items {
		items[i] = map[string]any{"request": map[string]any{"content": map[string]any{"parts": []any{map[string]any{"text": w.text()}}}, "outputDimensionality": dims}}
	}
	body, _ := json.Marshal(map[string]any{"batch": map[string]any{"displayName": "soak", "inputConfig": map[string]any{"requests": map[string]any{"requests": items}}}})
	return w.runBatch(ctx, "batch.inline", body, n, func(op soakOperation) error {
		got := op.Metadata.Output.InlinedResponses.InlinedResponses
		if len(got) != n {
			return soakErrorf("batch.inline: %d results, want %d", len(got), n)
		}
		for i, item := range got {
			if len(item.Response.Embedding.Values) != dims {
				return soakErrorf("batch.inline: result %d has %d values, want %d", i, len(item.Response.Embedding.Values), dims)
			}
		}
		return nil
	})
}

func (w *soakWorker) fileBatch(ctx context.Context) error {
	n, dims := 1+w.rng.IntN(5), w.dims()
	var jsonl bytes.Buffer
	for i := range n {
		line, _ := json.Marshal(map[string]any{"key": fmt.Sprintf("k%d", i), "request": map[string]any{"content": map[string]any{"parts": []any{map[string]any{"text": w.text()}}}, "outputDimensionality": dims}})
		jsonl.Write(line)
		jsonl.WriteByte('\n')
	}
	input, err := w.upload(ctx, "batch.file", jsonl.Bytes(), "application/jsonl", w.rng.IntN(2) == 0)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(map[string]any{"batch": map[string]any{"inputConfig": map[string]any{"fileName": input}}})
	var output string
	err = w.runBatch(ctx, "batch.file", body, n, func(op soakOperation) error {
		output = op.Metadata.Output.ResponsesFile
		if !strings.HasPrefix(output, "files/batch-") {
			return soakErrorf("batch.file: responsesFile %q", output)
		}
		r, err := w.send(ctx, "files.download", http.MethodGet, "/v1beta/"+output+":download?alt=media", nil, geminiHeaders...)
		if err != nil {
			return err
		}
		if err := expect(r, "batch.file download", 200, nil); err != nil {
			return err
		}
		lines := strings.Split(strings.TrimSuffix(string(r.body), "\n"), "\n")
		if len(lines) != n {
			return soakErrorf("batch.file: %d output lines, want %d", len(lines), n)
		}
		for i, line := range lines {
			var item struct {
				Key      string `json:"key"`
				Response struct {
					Embedding soakEmbedding `json:"embedding"`
				} `json:"response"`
			}
			if err := json.Unmarshal([]byte(line), &item); err != nil || item.Key != fmt.Sprintf("k%d", i) || len(item.Response.Embedding.Values) != dims {
				return soakErrorf("batch.file: output line %d: %.200s", i, line)
			}
		}
		return nil
	})
	// The job's output file outlives the job; delete it and the input.
	for _, name := range []string{output, input} {
		if name == "" {
			continue
		}
		if derr := w.deleteFile(ctx, name); derr != nil && err == nil {
			err = derr
		}
	}
	return err
}

// upload stores content as a new file (resumable in two chunks, or
// multipart) and returns its name.
func (w *soakWorker) upload(ctx context.Context, kind string, content []byte, mimeType string, resumable bool) (string, error) {
	var r soakResponse
	var err error
	if resumable {
		r, err = w.send(ctx, kind, http.MethodPost, "/upload/v1beta/files", []byte(`{"file":{"displayName":"soak"}}`), withHeaders(geminiHeaders,
			"X-Goog-Upload-Protocol", "resumable", "X-Goog-Upload-Command", "start",
			"X-Goog-Upload-Header-Content-Length", strconv.Itoa(len(content)), "X-Goog-Upload-Header-Content-Type", mimeType)...)
		if err != nil {
			return "", err
		}
		if err := expect(r, kind+" start", 200, nil); err != nil {
			return "", err
		}
		url := r.header.Get("X-Goog-Upload-URL")
		path, ok := strings.CutPrefix(url, w.base)
		if !ok || r.header.Get("X-Goog-Upload-Status") != "active" {
			return "", soakErrorf("%s start: upload URL %q, status %q", kind, url, r.header.Get("X-Goog-Upload-Status"))
		}
		cut := len(content) / 2
		r, err = w.send(ctx, kind, http.MethodPost, path, content[:cut], withHeaders(geminiHeaders, "X-Goog-Upload-Command", "upload", "X-Goog-Upload-Offset", "0")...)
		if err != nil {
			return "", err
		}
		if err := expect(r, kind+" chunk", 200, nil); err != nil {
			return "", err
		}
		if got := r.header.Get("X-Goog-Upload-Size-Received"); got != strconv.Itoa(cut) {
			return "", soakErrorf("%s chunk: size received %q, want %d", kind, got, cut)
		}
		r, err = w.send(ctx, kind, http.MethodPost, path, content[cut:], withHeaders(geminiHeaders, "X-Goog-Upload-Command", "upload, finalize", "X-Goog-Upload-Offset", strconv.Itoa(cut))...)
	} else {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		meta, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/json; charset=UTF-8"}})
		meta.Write([]byte(`{"file":{"displayName":"soak","mimeType":"` + mimeType + `"}}`))
		part, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {mimeType}})
		part.Write(content)
		mw.Close()
		r, err = w.send(ctx, kind, http.MethodPost, "/upload/v1beta/files", body.Bytes(), withHeaders(geminiHeaders,
			"X-Goog-Upload-Protocol", "multipart", "Content-Type", "multipart/related; boundary="+mw.Boundary())...)
	}
	if err != nil {
		return "", err
	}
	var out struct {
		File struct {
			Name      string `json:"name"`
			SizeBytes string `json:"sizeBytes"`
			State     string `json:"state"`
		} `json:"file"`
	}
	if err := expect(r, kind+" final", 200, &out); err != nil {
		return "", err
	}
	if !strings.HasPrefix(out.File.Name, "files/") || out.File.SizeBytes != strconv.Itoa(len(content)) || out.File.State != "ACTIVE" || r.header.Get("X-Goog-Upload-Status") != "final" {
		return "", soakErrorf("%s final: unexpected file: %.300s", kind, r.body)
	}
	return out.File.Name, nil
}

func (w *soakWorker) deleteFile(ctx context.Context, name string) error {
	r, err := w.send(ctx, "files.delete", http.MethodDelete, "/v1beta/"+name, nil, geminiHeaders...)
	if err != nil {
		return err
	}
	if err := expect(r, "files.delete", 200, nil); err != nil {
		return err
	}
	r, err = w.send(ctx, "files.delete", http.MethodGet, "/v1beta/"+name, nil, geminiHeaders...)
	if err != nil {
		return err
	}
	return expect(r, "files.get after delete", 403, nil)
}

func (w *soakWorker) uploadRoundTrip(ctx context.Context, resumable bool) error {
	kind := "upload.multipart"
	if resumable {
		kind = "upload.resumable"
	}
	content := make([]byte, 1+w.rng.IntN(48<<10))
	for i := range content {
		content[i] = byte(w.rng.UintN(256))
	}
	name, err := w.upload(ctx, kind, content, "application/octet-stream", resumable)
	if err != nil {
		return err
	}
	r, err := w.send(ctx, "files.download", http.MethodGet, "/v1beta/"+name+":download?alt=media", nil, geminiHeaders...)
	if err == nil {
		err = expect(r, "files.download", 200, nil)
	}
	if err == nil && !bytes.Equal(r.body, content) {
		err = soakErrorf("files.download: %s: %d bytes differ from the %d uploaded", name, len(r.body), len(content))
	}
	if derr := w.deleteFile(ctx, name); derr != nil && err == nil {
		err = derr
	}
	return err
}

func (w *soakWorker) resumableUpload(ctx context.Context) error { return w.uploadRoundTrip(ctx, true) }
func (w *soakWorker) multipartUpload(ctx context.Context) error { return w.uploadRoundTrip(ctx, false) }

// list reads the listings other workers change concurrently (files and
// batch jobs come and go) and the model catalogs.
func (w *soakWorker) list(ctx context.Context) error {
	var files struct {
		Files []struct {
			Name      string `json:"name"`
			SizeBytes string `json:"sizeBytes"`
		} `json:"files"`
	}
	r, err := w.send(ctx, "list", http.MethodGet, "/v1beta/files?pageSize=100", nil, geminiHeaders...)
	if err != nil {
		return err
	}
	if err := expect(r, "files.list", 200, &files); err != nil {
		return err
	}
	for _, f := range files.Files {
		if !strings.HasPrefix(f.Name, "files/") || f.SizeBytes == "" {
			return soakErrorf("files.list: entry %+v", f)
		}
	}
	var ops struct {
		Operations []struct {
			Name     string `json:"name"`
			Metadata struct {
				State string `json:"state"`
			} `json:"metadata"`
		} `json:"operations"`
	}
	r, err = w.send(ctx, "list", http.MethodGet, "/v1beta/batches?pageSize=50", nil, geminiHeaders...)
	if err != nil {
		return err
	}
	if err := expect(r, "batches.list", 200, &ops); err != nil {
		return err
	}
	for _, op := range ops.Operations {
		if !strings.HasPrefix(op.Name, "batches/") || !strings.HasPrefix(op.Metadata.State, "BATCH_STATE_") {
			return soakErrorf("batches.list: entry %+v", op)
		}
	}
	var models struct {
		Models []struct {
			Name string `json:"name"`
		} `json:"models"`
	}
	r, err = w.send(ctx, "list", http.MethodGet, "/v1beta/models", nil, geminiHeaders...)
	if err != nil {
		return err
	}
	if err := expect(r, "models.list", 200, &models); err != nil {
		return err
	}
	if len(models.Models) == 0 {
		return soakErrorf("models.list: no models: %.200s", r.body)
	}
	var openAIModels struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	r, err = w.send(ctx, "list", http.MethodGet, "/v1/models", nil, openAIHeaders...)
	if err != nil {
		return err
	}
	if err := expect(r, "openai models", 200, &openAIModels); err != nil {
		return err
	}
	if len(openAIModels.Data) == 0 {
		return soakErrorf("openai models: none: %.200s", r.body)
	}
	return nil
}

// replay sends a recorded request (answered byte for byte from the
// cassette) or a single text of a recorded batch (answered from the
// recorded vectors).
func (w *soakWorker) replay(ctx context.Context) error {
	rec := w.recorded
	if i := w.rng.IntN(len(rec.requests) + 1); i < len(rec.requests) {
		req := rec.requests[i]
		r, err := w.send(ctx, "replay", http.MethodPost, req.path, []byte(req.body), withHeaders(req.headers, "Content-Type", "application/json")...)
		if err != nil {
			return err
		}
		if err := expect(r, "replay "+req.kind, 200, nil); err != nil {
			return err
		}
		if !bytes.Equal(r.body, req.answer) {
			return soakErrorf("replay %s: answer differs from the recorded one: %.200s", req.kind, r.body)
		}
		return checkSource(r, "replay "+req.kind, "cassette")
	}
	i := w.rng.IntN(len(rec.batchTexts))
	body, _ := json.Marshal(map[string]any{"content": map[string]any{"parts": []any{map[string]any{"text": rec.batchTexts[i]}}}, "outputDimensionality": rec.batchDims})
	r, err := w.send(ctx, "replay", http.MethodPost, "/v1beta/models/gemini-embedding-001:embedContent", body, geminiHeaders...)
	if err != nil {
		return err
	}
	var out struct {
		Embedding soakEmbedding `json:"embedding"`
	}
	if err := expect(r, "replay vector", 200, &out); err != nil {
		return err
	}
	if !slices.Equal(out.Embedding.Values, rec.batchVectors[i]) {
		return soakErrorf("replay vector: %q is not answered with its recorded vector", rec.batchTexts[i])
	}
	return checkSource(r, "replay vector", "cassette")
}

// fault sends an embedding request that asks for an injected fault: a 500
// or 503 in the API's own envelope, or a dropped connection.
func (w *soakWorker) fault(ctx context.Context) error {
	type target struct {
		family, path string
		headers      []string
		body         []byte
	}
	targets := []target{
		{"gemini", "/v1beta/models/gemini-embedding-001:embedContent", geminiHeaders, []byte(`{"content":{"parts":[{"text":"` + w.text() + `"}]}}`)},
		{"gemini", "/v1beta/models/gemini-embedding-001:batchEmbedContents", geminiHeaders, w.geminiBatchBody(2, 128)},
		{"openai", "/v1/embeddings", openAIHeaders, w.openAIBody(2, 64, false)},
		{"gradient", "/api/embeddings/bge-large", gradientHeaders, w.gradientBody(1)},
	}
	tg := targets[w.rng.IntN(len(targets))]
	mode := []string{"500", "503", "drop"}[w.rng.IntN(3)]
	if mode == "drop" {
		r, err := w.send(ctx, "fault.drop", http.MethodPost, tg.path, tg.body, withHeaders(tg.headers, "X-Embedmock-Fault", "drop")...)
		if err == nil {
			return soakErrorf("fault drop %s: answered %d instead of dropping the connection", tg.path, r.status)
		}
		w.stats.mu.Lock()
		w.stats.drops++
		w.stats.mu.Unlock()
		return nil
	}
	r, err := w.send(ctx, "fault.5xx", http.MethodPost, tg.path, tg.body, withHeaders(tg.headers, "X-Embedmock-Fault", mode)...)
	if err != nil {
		return err
	}
	status, _ := strconv.Atoi(mode)
	if r.status != status || r.header.Get("X-Embedmock-Fault") != mode {
		return soakErrorf("fault %s %s: status %d, X-Embedmock-Fault %q: %.200s", mode, tg.path, r.status, r.header.Get("X-Embedmock-Fault"), r.body)
	}
	if err := checkFaultBody(tg.family, status, r.body); err != nil {
		return soakErrorf("fault %s %s: %v", mode, tg.path, err)
	}
	w.stats.mu.Lock()
	w.stats.fault5xx++
	w.stats.mu.Unlock()
	return nil
}

// checkFaultBody checks an error body is the family's envelope.
func checkFaultBody(family string, status int, body []byte) error {
	switch family {
	case "gemini":
		var env struct {
			Error struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
				Status  string `json:"status"`
			} `json:"error"`
		}
		want := map[int]string{500: "INTERNAL", 503: "UNAVAILABLE", 429: "RESOURCE_EXHAUSTED"}[status]
		if err := json.Unmarshal(body, &env); err != nil || env.Error.Code != status || env.Error.Status != want || env.Error.Message == "" {
			return soakErrorf("not Google's error envelope for %d: %.200s", status, body)
		}
	case "openai":
		var env struct {
			Error *struct {
				Message string `json:"message"`
				Type    string `json:"type"`
			} `json:"error"`
		}
		if err := json.Unmarshal(body, &env); err != nil || env.Error == nil || env.Error.Message == "" {
			return soakErrorf("not OpenAI's error envelope: %.200s", body)
		}
	case "gradient":
		var env struct {
			Message string `json:"message"`
		}
		if err := json.Unmarshal(body, &env); err != nil || env.Message == "" {
			return soakErrorf("not Gradient's error body: %.200s", body)
		}
	}
	return nil
}

// adminCalls reads the journal with filters and schedules, lists, uses and
// clears faults. Only one worker does this, and it schedules faults for a
// route no other worker uses (models.get), so they meet only its requests.
func (w *soakWorker) adminCalls(ctx context.Context) error {
	type journal struct {
		Requests []struct {
			Method string `json:"method"`
			Path   string `json:"path"`
			Family string `json:"family"`
			Route  string `json:"route"`
			Model  string `json:"model"`
			Status int    `json:"status"`
			Source string `json:"source"`
		} `json:"requests"`
	}
	filters := []struct {
		query string
		check func(family, route, model string, status int) bool
	}{
		{"route=embedContent&limit=20", func(f, r, m string, s int) bool { return r == "embedContent" }},
		{"family=openai&status=200", func(f, r, m string, s int) bool { return f == "openai" && s == 200 }},
		{"route=batchEmbedContents&model=gemini-embedding-001&limit=5", func(f, r, m string, s int) bool {
			return r == "batchEmbedContents" && m == "gemini-embedding-001"
		}},
		{"status=503", func(f, r, m string, s int) bool { return s == 503 }},
		{"family=gradient&limit=3", func(f, r, m string, s int) bool { return f == "gradient" }},
	}
	fl := filters[w.rng.IntN(len(filters))]
	r, err := w.send(ctx, "admin.requests", http.MethodGet, "/_embedmock/requests?"+fl.query, nil)
	if err != nil {
		return err
	}
	var j journal
	if err := expect(r, "GET /_embedmock/requests?"+fl.query, 200, &j); err != nil {
		return err
	}
	if j.Requests == nil {
		return soakErrorf("GET /_embedmock/requests?%s: no requests list: %.200s", fl.query, r.body)
	}
	if limit := strings.Index(fl.query, "limit="); limit >= 0 {
		n, _ := strconv.Atoi(fl.query[limit+len("limit="):])
		if len(j.Requests) > n {
			return soakErrorf("GET /_embedmock/requests?%s: %d entries, limit %d", fl.query, len(j.Requests), n)
		}
	}
	for _, e := range j.Requests {
		if !fl.check(e.Family, e.Route, e.Model, e.Status) || e.Method == "" || e.Path == "" {
			return soakErrorf("GET /_embedmock/requests?%s: entry %+v does not match", fl.query, e)
		}
	}

	// Faults: schedule, list, meet, and clear.
	status := []int{429, 500, 503}[w.rng.IntN(3)]
	r, err = w.send(ctx, "admin.faults", http.MethodPost, "/_embedmock/faults", fmt.Appendf(nil, `{"status":%d,"count":2,"route":"models.get","model":"gemini-embedding-2"}`, status))
	if err != nil {
		return err
	}
	if err := expect(r, "POST /_embedmock/faults", 200, nil); err != nil {
		return err
	}
	r, err = w.send(ctx, "admin.faults", http.MethodGet, "/_embedmock/faults", nil)
	if err != nil {
		return err
	}
	var listed struct {
		Faults []struct {
			Status int    `json:"status"`
			Count  int    `json:"count"`
			Route  string `json:"route"`
		} `json:"faults"`
	}
	if err := expect(r, "GET /_embedmock/faults", 200, &listed); err != nil {
		return err
	}
	if len(listed.Faults) != 1 || listed.Faults[0].Status != status || listed.Faults[0].Count != 2 || listed.Faults[0].Route != "models.get" {
		return soakErrorf("GET /_embedmock/faults: %s", r.body)
	}
	r, err = w.send(ctx, "admin.faults", http.MethodGet, "/v1beta/models/gemini-embedding-2", nil, geminiHeaders...)
	if err != nil {
		return err
	}
	if r.status != status || r.header.Get("X-Embedmock-Fault") != strconv.Itoa(status) {
		return soakErrorf("scheduled fault %d: got %d (X-Embedmock-Fault %q): %.200s", status, r.status, r.header.Get("X-Embedmock-Fault"), r.body)
	}
	if err := checkFaultBody("gemini", status, r.body); err != nil {
		return err
	}
	if status >= 500 {
		w.stats.mu.Lock()
		w.stats.fault5xx++
		w.stats.mu.Unlock()
	}
	r, err = w.send(ctx, "admin.faults", http.MethodDelete, "/_embedmock/faults", nil)
	if err != nil {
		return err
	}
	if err := expect(r, "DELETE /_embedmock/faults", 200, nil); err != nil {
		return err
	}
	r, err = w.send(ctx, "admin.faults", http.MethodGet, "/_embedmock/faults", nil)
	if err != nil {
		return err
	}
	if err := expect(r, "GET /_embedmock/faults after DELETE", 200, nil); err != nil {
		return err
	}
	if string(bytes.TrimSpace(r.body)) != `{"faults":[]}` {
		return soakErrorf("GET /_embedmock/faults after DELETE: %s", r.body)
	}
	r, err = w.send(ctx, "admin.faults", http.MethodGet, "/v1beta/models/gemini-embedding-2", nil, geminiHeaders...)
	if err != nil {
		return err
	}
	return expect(r, "models.get after clearing faults", 200, nil)
}
