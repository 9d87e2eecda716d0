package mockserver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var fuzzRoutes = []string{
	"/v1beta/models/gemini-embedding-001:embedContent",
	"/v1beta/models/gemini-embedding-001:batchEmbedContents",
	"/v1/models/gemini-embedding-2:embedContent",
	"/v1/models/gemini-embedding-2:batchEmbedContents",
}

// FuzzGeminiRequest sends arbitrary bodies to the Gemini embed routes. The
// server must never panic or answer 5xx, and every error must be the API's
// envelope with a matching code.
func FuzzGeminiRequest(f *testing.F) {
	// Seeds: every request body official SDKs sent, plus the error table's.
	files, _ := filepath.Glob(filepath.Join("testdata", "captures", "*.jsonl"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for line := range strings.Lines(string(data)) {
			var c capturedRequest
			if json.Unmarshal([]byte(line), &c) == nil && c.Method == http.MethodPost {
				route := uint8(0)
				if strings.Contains(c.URL, "batchEmbedContents") {
					route = 1
				}
				f.Add(route, []byte(c.Body))
			}
		}
	}
	f.Add(uint8(1), []byte(batchOf(101, goodItem)))
	f.Add(uint8(0), []byte(`{"content":{"parts":[{"text":"a","inlineData":{"data":"AA=="}}]},"embedContentConfig":{"taskType":99}}`))

	s, err := New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		path := fuzzRoutes[int(route)%len(fuzzRoutes)]
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("X-Goog-Api-Key", "fuzz")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		checkGeminiAnswer(t, rec, body)
	})
}

func checkGeminiAnswer(t *testing.T, rec *httptest.ResponseRecorder, body []byte) {
	t.Helper()
	switch rec.Code {
	case http.StatusOK:
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("200 with invalid JSON for %q", body)
		}
		return
	case http.StatusBadRequest, http.StatusNotFound:
	default:
		t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
	}
	var env struct {
		Error *googleError `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Error == nil {
		t.Fatalf("%d without a Google error envelope for %q: %s", rec.Code, body, rec.Body)
	}
	if env.Error.Code != rec.Code || env.Error.Status != googleStatusName(rec.Code) || env.Error.Message == "" {
		t.Fatalf("inconsistent envelope %+v for status %d", env.Error, rec.Code)
	}
	if !strings.Contains(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("error without a JSON content type")
	}
}
