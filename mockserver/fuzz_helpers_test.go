package mockserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Helpers shared by the fuzz targets of fuzz_*_test.go. They call the
// handler in-process (no TCP), which keeps every execution cheap; what a
// real client could not send (header values with control characters) is
// cleaned first, so that a finding is one a client could reproduce.

// fuzzRequest builds a request for s.ServeHTTP. Header arguments are name,
// value pairs; values are cleaned as an HTTP client and server would
// deliver them. With chunked, the body has no declared length (as with
// Transfer-Encoding: chunked), which takes the other read path.
func fuzzRequest(method, target string, body []byte, chunked bool, headers ...string) *http.Request {
	var r io.Reader = bytes.NewReader(body)
	if chunked {
		r = io.MultiReader(bytes.NewReader(body)) // unknown length: ContentLength -1
	}
	req := httptest.NewRequest(method, target, r)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headerValue(headers[i+1]))
	}
	return req
}

// fuzzServe sends a request to s and returns the recorded answer.
func fuzzServe(s http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// headerValue is v as an HTTP server would see it: without the bytes a
// client cannot send in a header value (CTLs but tab, DEL) and without
// surrounding spaces and tabs.
func headerValue(v string) string {
	clean := strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\t') || r == 0x7f {
			return -1
		}
		return r
	}, v)
	return strings.Trim(clean, " \t")
}

// requireGoogleError fails t unless rec is a 4xx in Google's envelope
// {"error": {"code", "message", "status"}} whose code matches the HTTP
// status, with a JSON content type.
func requireGoogleError(t *testing.T, rec *httptest.ResponseRecorder, what string) googleError {
	t.Helper()
	if rec.Code < 400 || rec.Code > 499 {
		t.Fatalf("%s: status %d, want 200 or a 4xx: %s", what, rec.Code, rec.Body)
	}
	if !strings.Contains(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("%s: %d error with Content-Type %q: %s", what, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	var env struct {
		Error *googleError `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Error == nil {
		t.Fatalf("%s: %d without a Google error envelope: %s", what, rec.Code, rec.Body)
	}
	if env.Error.Code != rec.Code || env.Error.Status != googleStatusName(rec.Code) || env.Error.Message == "" {
		t.Fatalf("%s: inconsistent envelope %+v for status %d", what, env.Error, rec.Code)
	}
	return *env.Error
}

// requireOKJSON fails t unless rec is a 200 with a valid JSON body, which
// it decodes into v (if v is not nil).
func requireOKJSON(t *testing.T, rec *httptest.ResponseRecorder, what string, v any) {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("%s: status %d, want 200: %s", what, rec.Code, rec.Body)
	}
	if !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("%s: 200 with invalid JSON: %q", what, rec.Body)
	}
	if v != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
			t.Fatalf("%s: %v: %s", what, err, rec.Body)
		}
	}
}

// captureBodies returns the bodies of the captured POST requests of the
// named capture files (testdata/captures) whose URL contains urlPart.
func captureBodies(f *testing.F, urlPart string, files ...string) [][]byte {
	var out [][]byte
	for _, name := range files {
		data, err := os.ReadFile(filepath.Join("testdata", "captures", name))
		if err != nil {
			f.Fatal(err)
		}
		for line := range strings.Lines(string(data)) {
			var c capturedRequest
			if json.Unmarshal([]byte(line), &c) == nil && c.Method == http.MethodPost && strings.Contains(c.URL, urlPart) {
				out = append(out, []byte(c.Body))
			}
		}
	}
	if len(out) == 0 {
		f.Fatalf("no captured %s requests in %v", urlPart, files)
	}
	return out
}

// newFuzzServer creates the one server a fuzz target uses.
func newFuzzServer(f *testing.F, opts ...Option) *Server {
	s, err := New(opts...)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	return s
}
