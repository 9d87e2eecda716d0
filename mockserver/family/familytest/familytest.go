// Package familytest serves API families on their own, for the tests of
// the packages that implement them: an environment with test defaults, a
// loopback server over a route table, and a request helper.
//
// It is for tests only; the server, with its journal, test controls and
// replay, is package mockserver.
package familytest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/embedmock/embedmock/fakeembed"
	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/mockserver/vectorwire"
)

// Env returns an environment for tests: lexical vectors, any non-empty
// key, the wall clock, a 1 MiB body limit, a vector cache and two compute
// slots.
func Env() *family.Env {
	return &family.Env{
		Mode: fakeembed.Lexical, Now: time.Now, MaxBodyBytes: 1 << 20,
		Vectors: vectorwire.NewCache(vectorwire.DefaultCacheBytes), Slots: vectorwire.NewSlots(2), Log: io.Discard,
	}
}

// Serve serves families on a loopback port until the test ends and
// returns the base URL. Requests are classified by the families' table,
// authenticated and answered by their route (see family.Table.Handler).
func Serve(t testing.TB, families ...family.Family) string {
	t.Helper()
	table, err := family.NewTable(families...)
	if err != nil {
		t.Fatalf("familytest: %v", err)
	}
	ts := httptest.NewServer(table.Handler())
	t.Cleanup(ts.Close)
	return ts.URL
}

// Response is an answer as a test reads it.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends a request with Content-Type application/json; headers are
// name, value pairs, and an empty value removes the header.
func Do(t testing.TB, method, url, body string, headers ...string) Response {
	t.Helper()
	return send(t, method, url, body, true, append([]string{"Content-Type", "application/json"}, headers...)...)
}

// send sends a request with headers (name, value pairs): set, or added
// when a name repeats in a replay; an empty value removes the header.
func send(t testing.TB, method, url, body string, set bool, headers ...string) Response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatalf("familytest: %v", err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		switch {
		case headers[i+1] == "" && set:
			req.Header.Del(headers[i])
		case set:
			req.Header.Set(headers[i], headers[i+1])
		default:
			req.Header.Add(headers[i], headers[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("familytest: %v", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("familytest: %v", err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// Capture is one request an official client library sent, as the files
// under mockserver/testdata/captures hold them (one JSON object a line),
// and the status a correct server answers.
type Capture struct {
	Seq        int        `json:"seq"`
	Method     string     `json:"method"`
	URL        string     `json:"url"`
	RawHeaders [][]string `json:"rawHeaders"`
	Body       string     `json:"body"`
	Status     int        `json:"status"`
}

// Captures reads a captures file; it fails the test if the file is
// missing, empty or not one JSON object a line.
func Captures(t testing.TB, path string) []Capture {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("familytest: %v", err)
	}
	var out []Capture
	for line := range strings.Lines(string(data)) {
		var c Capture
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatalf("familytest: %s: %v", path, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		t.Fatalf("familytest: %s holds no captures", path)
	}
	return out
}

// Replay sends a captured request to base with the headers the client
// sent (but those of its connection).
func Replay(t testing.TB, base string, c Capture) Response {
	t.Helper()
	var headers []string
	for _, h := range c.RawHeaders {
		switch strings.ToLower(h[0]) {
		case "host", "content-length", "connection":
			continue
		}
		headers = append(headers, h[0], h[1])
	}
	return send(t, c.Method, base+c.URL, c.Body, false, headers...)
}

// CheckGoogleAnswer fails the test unless rec holds a 200 with a JSON body
// or a 4xx in Google's error envelope whose code is the status: what
// every answer of a Google-style route must be, whatever input (for fuzz
// targets).
func CheckGoogleAnswer(t testing.TB, input []byte, rec *httptest.ResponseRecorder) {
	t.Helper()
	switch {
	case rec.Code == http.StatusOK:
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%q: 200 with %s", input, rec.Body)
		}
	case rec.Code >= 400 && rec.Code < 500:
		var e struct {
			Error *struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == nil || e.Error.Code != rec.Code || e.Error.Message == "" {
			t.Fatalf("%q: %d with %s", input, rec.Code, rec.Body)
		}
	default:
		t.Fatalf("%q: status %d: %s", input, rec.Code, rec.Body)
	}
}
