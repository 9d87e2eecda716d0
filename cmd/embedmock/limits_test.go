package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startServeLines runs `embedmock serve` and returns the addresses it
// prints: the API's, then the admin API's when it has its own.
func startServeLines(t *testing.T, lines int, args ...string) []string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), pw, &stderr)
		pw.Close()
	}()
	t.Cleanup(func() { cancel(); <-done })
	reader := bufio.NewReader(pr)
	var urls []string
	for range lines {
		line, err := reader.ReadString('\n')
		require.NoError(t, err, stderr.String())
		_, url, ok := strings.Cut(strings.TrimSpace(line), " on ")
		require.True(t, ok, line)
		urls = append(urls, url)
	}
	go io.Copy(io.Discard, reader)
	return urls
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestAdminAPIOnItsOwnAddress(t *testing.T) {
	urls := startServeLines(t, 2, "--admin-addr", "127.0.0.1:0")
	api, admin := urls[0], urls[1]
	require.NotEqual(t, api, admin)

	status, body := get(t, api+"/_embedmock/requests")
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, body, "admin API is not served on this address")
	status, _ = get(t, api+"/_embedmock/health")
	assert.Equal(t, http.StatusOK, status, "the health check stays on the API's address")

	status, _ = post(t, api+"/v1beta/models/gemini-embedding-001:embedContent", "k", embedBody)
	require.Equal(t, http.StatusOK, status)
	status, body = get(t, admin+"/_embedmock/requests")
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "embedContent", "the admin API sees the API's requests")
	status, _ = get(t, admin+"/v1beta/models")
	assert.Equal(t, http.StatusNotFound, status, "the admin address serves no API route")
}

func TestAdminAPICanBeTurnedOff(t *testing.T) {
	api := startServeLines(t, 1, "--admin=false")[0]
	for _, path := range []string{"/_embedmock/requests", "/_embedmock/faults", "/_embedmock/clock"} {
		status, _ := get(t, api+path)
		assert.Equal(t, http.StatusNotFound, status, path)
	}
	status, _ := post(t, api+"/_embedmock/reset", "", "")
	assert.Equal(t, http.StatusNotFound, status)
	status, _ = get(t, api+"/_embedmock/health")
	assert.Equal(t, http.StatusOK, status)
}

func TestSlowHeadersAreCutOff(t *testing.T) {
	api := startServeLines(t, 1, "--read-header-timeout", "300ms")[0]
	conn, err := net.Dial("tcp", strings.TrimPrefix(api, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	// A slowloris client: a request line, then nothing.
	_, err = conn.Write([]byte("POST /v1beta/models/gemini-embedding-001:embedContent HTTP/1.1\r\nHost: x\r\n"))
	require.NoError(t, err)
	start := time.Now()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = io.ReadAll(conn)
	require.NoError(t, err, "the server closes the connection")
	assert.Less(t, time.Since(start), 3*time.Second)
}

func TestOversizeHeadersAreRefused(t *testing.T) {
	api := startServeLines(t, 1, "--max-header-bytes", "8K")[0]
	req, err := http.NewRequest(http.MethodPost, api+"/v1beta/models/gemini-embedding-001:embedContent", strings.NewReader(embedBody))
	require.NoError(t, err)
	req.Header.Set("X-Goog-Api-Key", "k")
	req.Header.Set("X-Padding", strings.Repeat("x", 64<<10))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, resp.StatusCode)
	status, _ := post(t, api+"/v1beta/models/gemini-embedding-001:embedContent", "k", embedBody)
	assert.Equal(t, http.StatusOK, status, "the server goes on")
}

func TestConnectionCap(t *testing.T) {
	api := startServeLines(t, 1, "--max-connections", "2")[0]
	addr := strings.TrimPrefix(api, "http://")
	// Two connections hold both slots.
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		_, err = c.Write([]byte("GET /_embedmock/health HTTP/1.1\r\nHost: x\r\n\r\n"))
		require.NoError(t, err)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		require.NoError(t, err)
		resp.Body.Close()
		held = append(held, c)
	}
	// A third client waits...
	third := &http.Client{Timeout: 300 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	_, err := third.Get(api + "/_embedmock/health")
	require.Error(t, err, "no third connection is served while two are open")
	// ...until one of them closes.
	held[0].Close()
	third.Timeout = 5 * time.Second
	resp, err := third.Get(api + "/_embedmock/health")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}
