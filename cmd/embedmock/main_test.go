package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/dnaeon/go-vcr.v3/cassette"

	"github.com/embedmock/embedmock/mockserver"
)

// startServe runs `embedmock serve args...` in the background and returns
// its base URL, a function that stops it (as SIGINT would), and a channel
// with its exit code.
func startServe(t *testing.T, args ...string) (string, context.CancelFunc, <-chan int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), pw, &stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err, stderr.String())
	go io.Copy(io.Discard, pr)
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "embedmock listening on ")
	require.True(t, ok, "first line: %q", line)
	t.Cleanup(cancel)
	return url, cancel, code
}

func post(t *testing.T, url, key, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	if key != "" {
		req.Header.Set("X-Goog-Api-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, data
}

const embedBody = `{"content":{"parts":[{"text":"hello"}]},"outputDimensionality":128}`

func TestServeAnswersAndStopsCleanly(t *testing.T) {
	url, stop, code := startServe(t)
	resp, err := http.Get(url + "/_embedmock/health")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "fake", resp.Header.Get("X-Embedmock-Source"))

	status, body := post(t, url+"/v1beta/models/gemini-embedding-001:embedContent", "k", embedBody)
	require.Equal(t, 200, status, string(body))
	var out struct {
		Embedding struct{ Values []float32 } `json:"embedding"`
	}
	require.NoError(t, json.Unmarshal(body, &out))
	assert.Len(t, out.Embedding.Values, 128)

	stop()
	select {
	case c := <-code:
		assert.Equal(t, 0, c)
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestServeFinishesInFlightRequestsOnShutdown(t *testing.T) {
	url, stop, code := startServe(t)
	// A request whose body is still arriving when shutdown starts.
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPost, url+"/v1beta/models/gemini-embedding-001:embedContent", pr)
	require.NoError(t, err)
	req.Header.Set("X-Goog-Api-Key", "k")
	result := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			result <- -1
			return
		}
		resp.Body.Close()
		result <- resp.StatusCode
	}()
	_, err = pw.Write([]byte(embedBody[:10]))
	require.NoError(t, err)
	time.Sleep(100 * time.Millisecond) // the server is now reading the body
	stop()
	time.Sleep(100 * time.Millisecond)
	_, err = pw.Write([]byte(embedBody[10:]))
	require.NoError(t, err)
	pw.Close()
	assert.Equal(t, 200, <-result, "the in-flight request completes")
	assert.Equal(t, 0, <-code)

	_, err = http.Get(url + "/_embedmock/health")
	assert.Error(t, err, "new connections are refused after shutdown")
}

func TestServeFlagsAndEnvironment(t *testing.T) {
	t.Setenv("EMBEDMOCK_API_KEYS", "key-a, key-b")
	t.Setenv("EMBEDMOCK_VECTORS", "hash")
	t.Setenv("EMBEDMOCK_LEGACY_MODELS", "true")
	url, _, _ := startServe(t, "--max-body", "1K")

	status, _ := post(t, url+"/v1beta/models/gemini-embedding-001:embedContent", "key-b", embedBody)
	assert.Equal(t, 200, status)
	status, body := post(t, url+"/v1beta/models/gemini-embedding-001:embedContent", "other", embedBody)
	assert.Equal(t, 400, status)
	assert.Contains(t, string(body), "API_KEY_INVALID")
	status, _ = post(t, url+"/v1beta/models/text-embedding-004:embedContent", "key-a", embedBody)
	assert.Equal(t, 200, status, "legacy models on")
	status, body = post(t, url+"/v1beta/models/gemini-embedding-001:embedContent", "key-a", `{"content":{"parts":[{"text":"`+strings.Repeat("x", 2000)+`"}]}}`)
	assert.Equal(t, 400, status)
	assert.Contains(t, string(body), "Request payload size exceeds the limit: 1024 bytes.")

	resp, err := http.Get(url + "/_embedmock/health")
	require.NoError(t, err)
	defer resp.Body.Close()
	health, _ := io.ReadAll(resp.Body)
	assert.Contains(t, string(health), `"vectors":"hash"`)
}

func TestCommandLineWinsOverEnvironment(t *testing.T) {
	t.Setenv("EMBEDMOCK_VECTORS", "hash")
	url, _, _ := startServe(t, "--vectors", "lexical")
	resp, err := http.Get(url + "/_embedmock/health")
	require.NoError(t, err)
	defer resp.Body.Close()
	health, _ := io.ReadAll(resp.Body)
	assert.Contains(t, string(health), `"vectors":"lexical"`)
}

func TestServeModelsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "models.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"models":[{"name":"models/tiny","inputTokenLimit":8,"outputTokenLimit":1,"embedmock":{"dimensions":32}}]}`), 0o644))
	url, _, _ := startServe(t, "--models", path)
	status, body := post(t, url+"/v1beta/models/tiny:embedContent", "k", `{"content":{"parts":[{"text":"hi"}]}}`)
	require.Equal(t, 200, status, string(body))
	status, _ = post(t, url+"/v1beta/models/gemini-embedding-001:embedContent", "k", embedBody)
	assert.Equal(t, 404, status)
}

func TestBadInvocations(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{}, "Usage:"},
		{[]string{"launch"}, `unknown command "launch"`},
		{[]string{"serve", "--vectors", "random"}, `unknown vector mode "random"`},
		{[]string{"serve", "--max-body", "lots"}, `invalid size "lots"`},
		{[]string{"serve", "--models", "/nonexistent/models.json"}, "--models"},
		{[]string{"serve", "--api-key", ""}, "must not be empty"},
		{[]string{"serve", "extra"}, `unexpected argument "extra"`},
		{[]string{"serve", "--addr", "not an address"}, "not an address"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tt.args, &stdout, &stderr)
		assert.NotZero(t, code, "%v", tt.args)
		assert.Contains(t, stderr.String(), tt.want, "%v", tt.args)
	}
}

func TestVersionAndHelp(t *testing.T) {
	var stdout bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"version"}, &stdout, io.Discard))
	assert.Regexp(t, `^embedmock \S+ \(vectors v1, go1\.\S+\)\n$`, stdout.String())

	stdout.Reset()
	require.Equal(t, 0, run(context.Background(), []string{"help"}, &stdout, io.Discard))
	assert.Contains(t, stdout.String(), "embedmock serve")

	var stderr bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"serve", "-h"}, io.Discard, &stderr))
	for _, flag := range []string{"--addr", "--vectors", "--models", "--legacy-models", "--api-key", "--max-body", "--shutdown-timeout", "EMBEDMOCK_ADDR"} {
		assert.Contains(t, stderr.String(), flag)
	}
}

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// buildBinary builds the embedmock binary once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "embedmock-test-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "embedmock")
		out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("%v: %s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return binary
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary != "" {
		os.RemoveAll(filepath.Dir(binary))
	}
	os.Exit(code)
}

// startBinary runs the built binary with serve args and returns the
// process and its base URL.
func startBinary(t *testing.T, args ...string) (*exec.Cmd, string) {
	t.Helper()
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		args = append([]string{"serve"}, args...)
	}
	cmd := exec.Command(buildBinary(t), append(append([]string{args[0]}, "--addr", "127.0.0.1:0"), args[1:]...)...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	return cmd, strings.TrimPrefix(strings.TrimSpace(line), "embedmock listening on ")
}

// TestBinaryStopsOnSIGTERM runs the real binary and stops it with SIGTERM.
func TestBinaryStopsOnSIGTERM(t *testing.T) {
	cmd, url := startBinary(t)
	status, _ := post(t, url+"/v1beta/models/gemini-embedding-001:embedContent", "k", embedBody)
	require.Equal(t, 200, status)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	waitExit(t, cmd, 10*time.Second)
}

// waitExit waits up to within for cmd to end, and checks that it exited
// with status 0.
func waitExit(t *testing.T, cmd *exec.Cmd, within time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		assert.NoError(t, err, "exit status 0")
	case <-time.After(within):
		t.Fatalf("no exit within %v", within)
	}
}

// request sends a request with the API key and returns status, headers and
// body.
func request(t *testing.T, method, url, body string, headers ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("X-Goog-Api-Key", "k")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, string(data)
}

func batchState(t *testing.T, url, name string) (string, string) {
	t.Helper()
	status, _, body := request(t, http.MethodGet, url+"/v1beta/"+name, "")
	require.Equal(t, 200, status, body)
	var op struct {
		Metadata struct {
			State string `json:"state"`
		} `json:"metadata"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &op))
	return op.Metadata.State, body
}

// TestBinarySurvivesSIGKILL kills the server with SIGKILL while it holds a
// finished job, pending jobs, a file and an unfinished upload, and checks
// that a new process on the same data dir loses none of them.
func TestBinarySurvivesSIGKILL(t *testing.T) {
	dir := t.TempDir()
	cmd, url := startBinary(t, "--data-dir", dir, "--batch-delay", "1s")

	status, hdr, _ := request(t, http.MethodPost, url+"/upload/v1beta/files", `{"file":{"name":"files/input"}}`,
		"X-Goog-Upload-Protocol", "resumable", "X-Goog-Upload-Command", "start")
	require.Equal(t, 200, status)
	upload := strings.TrimPrefix(hdr.Get("X-Goog-Upload-URL"), url)
	line := `{"key":"k1","request":{"content":{"parts":[{"text":"hello"}]}}}` + "\n"
	status, _, body := request(t, http.MethodPost, url+upload, line, "X-Goog-Upload-Command", "upload, finalize", "X-Goog-Upload-Offset", "0")
	require.Equal(t, 200, status, body)

	create := func(body string) string {
		status, _, resp := request(t, http.MethodPost, url+"/v1beta/models/gemini-embedding-001:asyncBatchEmbedContent", body)
		require.Equal(t, 200, status, resp)
		var op struct{ Name string }
		require.NoError(t, json.Unmarshal([]byte(resp), &op))
		return op.Name
	}
	inline := `{"batch":{"inputConfig":{"requests":{"requests":[{"request":{"content":{"parts":[{"text":"a"}]}}}]}}}}`
	finished := create(inline)
	time.Sleep(1100 * time.Millisecond)
	state, finishedBody := batchState(t, url, finished)
	require.Equal(t, "BATCH_STATE_SUCCEEDED", state)
	pendingInline := create(inline)
	pendingFile := create(`{"batch":{"inputConfig":{"fileName":"files/input"}}}`)

	status, hdr, _ = request(t, http.MethodPost, url+"/upload/v1beta/files", `{}`,
		"X-Goog-Upload-Protocol", "resumable", "X-Goog-Upload-Command", "start")
	require.Equal(t, 200, status)
	partial := strings.TrimPrefix(hdr.Get("X-Goog-Upload-URL"), url)
	status, _, _ = request(t, http.MethodPost, url+partial, "0123456789", "X-Goog-Upload-Command", "upload", "X-Goog-Upload-Offset", "0")
	require.Equal(t, 200, status)

	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	cmd.Wait()

	_, url = startBinary(t, "--data-dir", dir, "--batch-delay", "1s")
	state, body = batchState(t, url, finished)
	assert.Equal(t, "BATCH_STATE_SUCCEEDED", state)
	assert.JSONEq(t, finishedBody, body, "the finished job is served as it was")
	deadline := time.Now().Add(5 * time.Second)
	for _, name := range []string{pendingInline, pendingFile} {
		for {
			state, _ = batchState(t, url, name)
			if state == "BATCH_STATE_SUCCEEDED" || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		assert.Equal(t, "BATCH_STATE_SUCCEEDED", state, name)
	}
	status, _, body = request(t, http.MethodGet, url+"/v1beta/files/input:download?alt=media", "")
	assert.Equal(t, 200, status)
	assert.Equal(t, line, body)
	status, hdr, _ = request(t, http.MethodPost, url+partial, "", "X-Goog-Upload-Command", "query")
	assert.Equal(t, 200, status)
	assert.Equal(t, "10", hdr.Get("X-Goog-Upload-Size-Received"))
}

// recordThroughBinary starts `embedmock record` on the cassette at path, in
// front of an in-process embedmock, and sends it n embedContent requests
// with the texts "prefix 0", "prefix 1", ...
func recordThroughBinary(t *testing.T, path, prefix string, n int) *exec.Cmd {
	t.Helper()
	fake, err := mockserver.New()
	require.NoError(t, err)
	upstream := httptest.NewServer(fake)
	t.Cleanup(upstream.Close)
	cmd, url := startBinary(t, "record", "--upstream", upstream.URL, "--cassette", path)
	for i := range n {
		status, _, body := request(t, http.MethodPost, url+"/v1beta/models/gemini-embedding-001:embedContent",
			fmt.Sprintf(`{"content":{"parts":[{"text":"%s %d"}]}}`, prefix, i))
		require.Equal(t, 200, status, body)
	}
	return cmd
}

// TestRecordSurvivesSIGKILL records N requests through the real binary,
// kills it with SIGKILL and loads the cassette with plain go-vcr.
func TestRecordSurvivesSIGKILL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "killed")
	const n = 7
	cmd := recordThroughBinary(t, path, "request", n)
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	cmd.Wait()
	c, err := cassette.Load(path)
	require.NoError(t, err)
	require.Len(t, c.Interactions, n)
	for i, in := range c.Interactions {
		assert.Contains(t, in.Request.Body, fmt.Sprintf("request %d", i))
		assert.Equal(t, "REDACTED", in.Request.Headers.Get("X-Goog-Api-Key"))
	}

	// The cassette replays with `embedmock replay`.
	_, replayURL := startBinary(t, "replay", "--cassette", path)
	status, hdr, body := request(t, http.MethodPost, replayURL+"/v1beta/models/gemini-embedding-001:embedContent", `{"content":{"parts":[{"text":"request 3"}]}}`)
	assert.Equal(t, 200, status, body)
	assert.Equal(t, "cassette", hdr.Get("X-Embedmock-Source"))
	status, _, body = request(t, http.MethodPost, replayURL+"/v1beta/models/gemini-embedding-001:embedContent", `{"content":{"parts":[{"text":"request 33"}]}}`)
	assert.Equal(t, 400, status)
	assert.Contains(t, body, "no recorded interaction matches")
}

// TestRecordStoppedCleanlyLeavesTheBlockLayout records through the binary
// and stops it with SIGTERM: the cassette is then in go-vcr's usual block
// layout (one "- id: N" item per interaction), as go-vcr itself writes it.
func TestRecordStoppedCleanlyLeavesTheBlockLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clean.yaml")
	const n = 3
	cmd := recordThroughBinary(t, path, "clean", n)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	for i := range n {
		assert.Contains(t, string(data), fmt.Sprintf("\n- id: %d\n", i))
	}
	assert.NotContains(t, string(data), "\n- {", "no one-line items left")
	c, err := cassette.Load(strings.TrimSuffix(path, ".yaml"))
	require.NoError(t, err)
	assert.Len(t, c.Interactions, n)
}

func TestCassetteCheck(t *testing.T) {
	dir := t.TempDir()
	clean := filepath.Join(dir, "clean.yaml")
	require.NoError(t, os.WriteFile(clean, []byte("version: 2\ninteractions:\n- id: 0\n  request:\n    headers:\n      X-Goog-Api-Key:\n        - REDACTED\n"), 0o644))
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run(context.Background(), []string{"cassette", "check", dir}, &stdout, &stderr), stderr.String())
	assert.Contains(t, stdout.String(), "1 file(s) clean")

	leaky := filepath.Join(dir, "sub", "leaky.yaml")
	require.NoError(t, os.MkdirAll(filepath.Dir(leaky), 0o755))
	require.NoError(t, os.WriteFile(leaky, []byte("version: 2\ninteractions:\n- id: 0\n  request:\n    url: https://x/v1beta/models?key=AIzaSyA1234567890abcdefghijklmnopqrstuv\n"), 0o644))
	stdout.Reset()
	stderr.Reset()
	assert.Equal(t, 1, run(context.Background(), []string{"cassette", "check", clean, dir}, &stdout, &stderr))
	assert.Contains(t, stdout.String(), leaky+":5: looks like a Google API key (AIzaSyA1…)")
	assert.NotContains(t, stdout.String(), "1234567890abcdef", "the secret itself is not printed")

	assert.Equal(t, 2, run(context.Background(), []string{"cassette"}, &stdout, &stderr))
	assert.Equal(t, 2, run(context.Background(), []string{"cassette", "check"}, &stdout, &stderr))
	assert.Equal(t, 2, run(context.Background(), []string{"cassette", "check", filepath.Join(dir, "missing")}, &stdout, &stderr))
}

func TestReplayNeedsACassette(t *testing.T) {
	var stderr bytes.Buffer
	assert.Equal(t, 2, run(context.Background(), []string{"replay"}, io.Discard, &stderr))
	assert.Contains(t, stderr.String(), "--cassette is required")
	stderr.Reset()
	assert.Equal(t, 2, run(context.Background(), []string{"record"}, io.Discard, &stderr))
	assert.Contains(t, stderr.String(), "--cassette is required")
	stderr.Reset()
	assert.Equal(t, 2, run(context.Background(), []string{"serve", "--cassette", t.TempDir(), "--on-miss", "sometimes"}, io.Discard, &stderr))
	assert.Contains(t, stderr.String(), "unknown miss policy")
}

// TestAdminAPIThroughTheCommand drives every admin route of a server
// started by the command's own code path.
func TestAdminAPIThroughTheCommand(t *testing.T) {
	url, _, _ := startServe(t, "--fake-clock", "--batch-delay", "1h", "--rpm", "100")
	admin := func(method, path, body string) (int, string) {
		status, _, out := request(t, method, url+"/_embedmock/"+path, body)
		return status, out
	}
	embed := func() (int, http.Header) {
		status, hdr, _ := request(t, http.MethodPost, url+"/v1beta/models/gemini-embedding-001:embedContent", embedBody)
		return status, hdr
	}

	status, body := admin(http.MethodGet, "health", "")
	assert.Equal(t, 200, status)
	assert.Contains(t, body, `"status":"ok"`)

	// Faults.
	status, body = admin(http.MethodPost, "faults", `{"status":503,"count":2,"route":"embedContent"}`)
	require.Equal(t, 200, status, body)
	status, body = admin(http.MethodGet, "faults", "")
	assert.JSONEq(t, `{"faults":[{"status":503,"count":2,"route":"embedContent"}]}`, body)
	s1, hdr := embed()
	assert.Equal(t, 503, s1)
	assert.Equal(t, "503", hdr.Get("X-Embedmock-Fault"))
	status, _ = admin(http.MethodDelete, "faults", "")
	assert.Equal(t, 200, status)
	s2, _ := embed()
	assert.Equal(t, 200, s2)

	// Journal.
	status, body = admin(http.MethodGet, "requests?route=embedContent&status=200", "")
	assert.Equal(t, 200, status)
	var journal struct {
		Requests []struct {
			Route  string `json:"route"`
			Status int    `json:"status"`
			Path   string `json:"path"`
		} `json:"requests"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &journal))
	require.Len(t, journal.Requests, 1)
	status, _ = admin(http.MethodDelete, "requests", "")
	assert.Equal(t, 200, status)

	// Clock and batch failures.
	create := func() string {
		status, _, resp := request(t, http.MethodPost, url+"/v1beta/models/gemini-embedding-001:asyncBatchEmbedContent",
			`{"batch":{"inputConfig":{"requests":{"requests":[{"request":{"content":{"parts":[{"text":"a"}]}}}]}}}}`)
		require.Equal(t, 200, status, resp)
		var op struct{ Name string }
		require.NoError(t, json.Unmarshal([]byte(resp), &op))
		return op.Name
	}
	status, _ = admin(http.MethodPost, "batch-failures", `{"code":8}`)
	assert.Equal(t, 200, status)
	failing := create()
	ok := create()
	state, _ := batchState(t, url, ok)
	assert.Equal(t, "BATCH_STATE_PENDING", state)
	status, body = admin(http.MethodPost, "clock", `{"advance":"61m"}`)
	assert.Equal(t, 200, status, body)
	state, _ = batchState(t, url, ok)
	assert.Equal(t, "BATCH_STATE_SUCCEEDED", state)
	state, _ = batchState(t, url, failing)
	assert.Equal(t, "BATCH_STATE_FAILED", state)
	status, body = admin(http.MethodGet, "clock", "")
	assert.Contains(t, body, `"fake":true`)

	// Reset.
	status, _ = admin(http.MethodPost, "reset", "")
	assert.Equal(t, 200, status)
	status, body = admin(http.MethodGet, "requests", "")
	assert.JSONEq(t, `{"requests":[]}`, body)
	st, _, _ := request(t, http.MethodGet, url+"/v1beta/"+ok, "")
	assert.Equal(t, 404, st)
}

func TestHealthcheck(t *testing.T) {
	url, _, _ := startServe(t)
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 0, run(context.Background(), []string{"healthcheck", "--addr", strings.TrimPrefix(url, "http://")}, &stdout, &stderr), stderr.String())
	assert.Contains(t, stdout.String(), `"status":"ok"`)
	assert.Equal(t, 0, run(context.Background(), []string{"healthcheck", "--addr", url}, io.Discard, io.Discard))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := ln.Addr().String()
	ln.Close()
	assert.Equal(t, 1, run(context.Background(), []string{"healthcheck", "--addr", closed}, io.Discard, io.Discard))
}
