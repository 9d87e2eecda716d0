// Package familytest serves API families on their own, for the tests of
// the packages that implement them: an environment with test defaults, a
// loopback server over a route table, and a request helper.
//
// It is for tests only; the server, with its journal, test controls and
// replay, is package mockserver.
package familytest

import (
	"io"
	"net/http"
	"net/http/httptest"
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
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatalf("familytest: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
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
