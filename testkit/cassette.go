package testkit

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/embedmock/embedmock/mockserver"
	"github.com/embedmock/embedmock/mockserver/recording"
)

// Environment variables of Cassette.
const (
	// RecordEnv set to 1 makes Cassette record against the real API.
	RecordEnv = "EMBEDMOCK_RECORD"
	// GeminiKeyEnv holds the real Gemini API key used when recording.
	GeminiKeyEnv = "GEMINI_API_KEY"
	// OpenAIKeyEnv holds the real OpenAI API key used when recording.
	OpenAIKeyEnv = "OPENAI_API_KEY"
	// UpstreamEnv overrides the API recorded (default the Gemini API).
	UpstreamEnv = "EMBEDMOCK_UPSTREAM"
)

// Cassette starts a server for the test that answers from the cassette at
// path (go-vcr format; the .yaml extension may be left out). Requests that
// the cassette does not hold get an error in the API's envelope naming the
// nearest recorded request, so the test fails with an explanation.
//
// With EMBEDMOCK_RECORD=1 the server instead forwards every request to the
// real API (EMBEDMOCK_UPSTREAM, default the Gemini API; for OpenAI set it to
// https://api.openai.com) and records the cassette afresh, redacted. The
// clients made by the returned Server send the real key while recording:
// GEMINI_API_KEY for GenAIClient, OPENAI_API_KEY for OpenAIClient. Matching and redaction are
// the same as embedmock replay's and embedmock record's.
//
// A missing cassette fails the test with the command that records it.
func Cassette(t testing.TB, path string, opts ...mockserver.Option) *Server {
	t.Helper()
	path = recording.CassettePath(path)
	var s *Server
	var err error
	if os.Getenv(RecordEnv) == "1" {
		key, openAIKey := os.Getenv(GeminiKeyEnv), os.Getenv(OpenAIKeyEnv)
		if key == "" && openAIKey == "" {
			t.Fatalf("testkit: %s=1 records against the real API and needs the key in %s (or %s for OpenAI)", RecordEnv, GeminiKeyEnv, OpenAIKeyEnv)
		}
		upstream := os.Getenv(UpstreamEnv)
		if upstream == "" {
			upstream = mockserver.DefaultUpstream
		}
		s, err = Start(append(opts, mockserver.WithProxy(), mockserver.WithUpstream(upstream), mockserver.WithRecordTo(path, true))...)
		if err == nil {
			s.apiKey, s.openAIAPIKey = key, openAIKey
		}
	} else {
		if _, statErr := os.Stat(path); errors.Is(statErr, os.ErrNotExist) {
			t.Fatalf("testkit: cassette %s does not exist; record it against the real API with:\n\t%s=1 %s=<your key> go test -run '%s' .",
				path, RecordEnv, GeminiKeyEnv, runPattern(t.Name()))
		}
		s, err = Start(append(opts, mockserver.WithCassettes(path), mockserver.WithMissPolicy(mockserver.MissError))...)
	}
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// runPattern is the go test -run pattern that selects exactly the test
// (or subtest) named name.
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = fmt.Sprintf("^%s$", p)
	}
	return strings.Join(parts, "/")
}
