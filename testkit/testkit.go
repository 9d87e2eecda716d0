// Package testkit starts embedmock in-process for Go tests: one fake server
// per test, closed automatically, with clients of the official SDKs already
// pointed at it.
//
//	func TestSearch(t *testing.T) {
//		srv := testkit.New(t)
//		client := srv.GenAIClient(t)
//		resp, err := client.Models.EmbedContent(ctx, "gemini-embedding-001", genai.Text("hello"), nil)
//		...
//	}
//
// The server is a mockserver.Server (embedded, so its accessors are
// available) behind a loopback httptest server; options are mockserver's.
package testkit

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"google.golang.org/genai"

	"github.com/embedmock/embedmock/mockserver"
)

// APIKey is the key the clients made by Server send. Any non-empty key is
// accepted unless mockserver.WithAPIKeys restricts them.
const APIKey = "embedmock-test-key"

// Server is an embedmock server running in the test process.
type Server struct {
	*mockserver.Server
	http   *httptest.Server
	apiKey string // the key the clients made by Server send
}

// New starts a server for the duration of the test; it is closed by
// t.Cleanup. It fails the test if opts are invalid.
func New(t testing.TB, opts ...mockserver.Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start starts a server outside a test (for TestMain or examples); call
// Close when done.
func Start(opts ...mockserver.Option) (*Server, error) {
	ms, err := mockserver.New(opts...)
	if err != nil {
		return nil, err
	}
	return &Server{Server: ms, http: httptest.NewServer(ms), apiKey: APIKey}, nil
}

// Close stops the server, closes its connections and the cassette it
// records to, if any.
func (s *Server) Close() {
	s.http.Close()
	s.Server.Close()
}

// URL returns the server's base URL (http://127.0.0.1:port), the value to
// give an SDK as its base URL.
func (s *Server) URL() string { return s.http.URL }

// HTTPClient returns a client that hands requests straight to the server's
// handler, without a TCP connection. Requests may use any host; only the
// path and query matter.
func (s *Server) HTTPClient() *http.Client {
	return &http.Client{Transport: handlerTransport{s.Server}}
}

// handlerTransport is an http.RoundTripper that serves each request with a
// handler in the same process.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	if req.Body == nil {
		req.Body = http.NoBody
	}
	t.h.ServeHTTP(rec, req)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// GenAIConfig returns a configuration for google.golang.org/genai that sends
// every request to this server over its in-process HTTP client, with
// APIKey as the key (the real key when recording a cassette).
func (s *Server) GenAIConfig() *genai.ClientConfig {
	return &genai.ClientConfig{
		APIKey:      s.apiKey,
		Backend:     genai.BackendGeminiAPI,
		HTTPClient:  s.HTTPClient(),
		HTTPOptions: genai.HTTPOptions{BaseURL: s.URL()},
	}
}

// GenAIClient returns a google.golang.org/genai client for this server.
func (s *Server) GenAIClient(t testing.TB) *genai.Client {
	t.Helper()
	client, err := genai.NewClient(context.Background(), s.GenAIConfig())
	if err != nil {
		t.Fatalf("testkit: genai client: %v", err)
	}
	return client
}
