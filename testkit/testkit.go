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
// available: Requests, InjectFault, Vector, Reset, ...) behind a loopback
// httptest server; options are mockserver's. Its clock is a fake one,
// stopped at the time the server started: Advance and SetNow move it, so
// batch jobs, file expiry and rate limits follow the test, not the wall
// clock. Pass mockserver.WithClock(time.Now) for real time.
package testkit

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"google.golang.org/genai"

	"github.com/embedmock/embedmock/mockserver"
)

// APIKey is the key the clients made by Server send. Any non-empty key is
// accepted unless mockserver.WithAPIKeys restricts them.
const APIKey = "embedmock-test-key"

// Server is an embedmock server running in the test process.
type Server struct {
	*mockserver.Server
	http         *httptest.Server
	apiKey       string // the key the genai clients made by Server send
	openAIAPIKey string // the key the OpenAI clients made by Server send
	clock        *mockserver.FakeClock
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
	clock := mockserver.NewFakeClock(time.Now())
	ms, err := mockserver.New(append([]mockserver.Option{mockserver.WithFakeClock(clock)}, opts...)...)
	if err != nil {
		return nil, err
	}
	return &Server{Server: ms, http: httptest.NewServer(ms), apiKey: APIKey, openAIAPIKey: APIKey, clock: clock}, nil
}

// Advance moves the server clock forward by d: batch jobs progress, files
// expire and rate limits refill as if d had passed.
func (s *Server) Advance(d time.Duration) time.Time {
	return s.fakeClock().Advance(d)
}

// SetNow sets the server clock.
func (s *Server) SetNow(t time.Time) { s.fakeClock().SetNow(t) }

func (s *Server) fakeClock() *mockserver.FakeClock {
	if fc := s.Server.FakeClock(); fc != nil {
		return fc
	}
	panic("testkit: the server follows a clock given with mockserver.WithClock; move that clock instead")
}

var defaultServer = sync.OnceValue(func() *mockserver.Server {
	s, err := mockserver.New()
	if err != nil {
		panic(err)
	}
	return s
})

// Vector returns the vector a server with the default configuration
// (lexical vectors, the built-in models) answers q with. For a server
// configured otherwise, use its Vector method. It panics for a model or
// dimension the default server does not accept: a mistake in the test.
func Vector(q mockserver.VectorQuery) []float32 {
	v, err := defaultServer().Vector(q)
	if err != nil {
		panic("testkit: " + err.Error())
	}
	return v
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

// OpenAIOptions returns the options that point github.com/openai/openai-go
// at this server over its in-process HTTP client, with APIKey as the key
// (the real key when recording a cassette). Retries are off, so that a
// test sees each injected failure.
func (s *Server) OpenAIOptions() []option.RequestOption {
	return []option.RequestOption{
		option.WithBaseURL(s.URL() + "/v1/"),
		option.WithAPIKey(s.openAIAPIKey),
		option.WithHTTPClient(s.HTTPClient()),
		option.WithMaxRetries(0),
	}
}

// OpenAIClient returns a github.com/openai/openai-go client for this
// server; more options (which win) may be given.
func (s *Server) OpenAIClient(opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append(s.OpenAIOptions(), opts...)...)
}
