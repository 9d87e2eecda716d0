package mockserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// adminJournalRoutes are the API routes FuzzAdminAPI sends its body to
// before reading the journal, so that the journal holds arbitrary bodies
// of every family.
var adminJournalRoutes = []struct{ path, header, value string }{
	{"/v1beta/models/gemini-embedding-001:embedContent", "X-Goog-Api-Key", "fuzz"},
	{"/v1/models/gemini-embedding-2:batchEmbedContents", "X-Goog-Api-Key", "fuzz"},
	{"/v1beta/models/gemini-embedding-001:asyncBatchEmbedContent", "X-Goog-Api-Key", "fuzz"},
	{"/v1/embeddings", "Authorization", "Bearer sk-fuzz"},
	{"/api/embeddings/bge-large", "Authorization", "Bearer x"},
	{"/upload/v1beta/files?uploadType=media&key=secret", "X-Goog-Upload-File-Name", "f"},
}

// cleanQuery is a query string as a server can receive it in a request
// line: without spaces and control characters.
func cleanQuery(q string) string {
	return strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return -1
		}
		return r
	}, q)
}

// adminCall sends an admin request and checks the answer: a 200 with JSON,
// or a 400 in Google's envelope. It reports whether it was a 200.
func adminCall(t *testing.T, s *Server, method, target, query string, body []byte, v any) bool {
	t.Helper()
	req := fuzzRequest(method, target, body, false, "Content-Type", "application/json")
	if query != "" {
		req.URL.RawQuery = query
	}
	rec := fuzzServe(s, req)
	what := method + " " + target + "?" + query + " " + string(body)
	if rec.Code == http.StatusOK {
		requireOKJSON(t, rec, what, v)
		return true
	}
	if e := requireGoogleError(t, rec, what); e.Code != http.StatusBadRequest {
		t.Fatalf("%s: status %d, want 200 or 400: %s", what, e.Code, rec.Body)
	}
	return false
}

// postThenList posts body to an admin collection (faults, batch failures)
// and, when the server takes it, checks that a GET lists exactly what the POST
// answered, under the given key. It reports whether the POST was taken.
func postThenList[T comparable](t *testing.T, s *Server, target, listKey, query string, body []byte) (T, bool) {
	t.Helper()
	var got T
	if !adminCall(t, s, http.MethodPost, target, query, body, &got) {
		return got, false
	}
	var list map[string][]T
	adminCall(t, s, http.MethodGet, target, "", nil, &list)
	if len(list[listKey]) != 1 || list[listKey][0] != got {
		t.Fatalf("POST %s %q answered %+v, GET lists %+v", target, body, got, list[listKey])
	}
	return got, true
}

// embedAnswer sends a normal embedContent request.
func embedAnswer(s *Server) *httptest.ResponseRecorder {
	return fuzzServe(s, fuzzRequest(http.MethodPost, "/v1beta/models/gemini-embedding-001:embedContent",
		[]byte(`{"content":{"parts":[{"text":"still serving"}]},"outputDimensionality":128}`), false, "X-Goog-Api-Key", "fuzz"))
}

// FuzzAdminAPI sends fuzzed bodies to POST /_embedmock/faults, /clock and
// /batch-failures, and fuzzed query strings (after a fuzzed API request) to
// GET /_embedmock/requests. The server must never panic or answer 5xx;
// admin errors are 400s in Google's envelope; what a POST accepts is what
// the matching GET lists and what then happens (a scheduled fault answers
// the next matching request, a scheduled batch failure fails the next job,
// the clock reads what was set); and after clearing the faults a normal
// embedContent is answered 200.
func FuzzAdminAPI(f *testing.F) {
	// op % 4: 0 faults, 1 clock, 2 batch-failures, 3 requests (op/4 picks the
	// route the body is sent to first).
	for _, seed := range []string{
		``, ` `, `{}`, `null`, `[]`, `1`, `"x"`, `{"status":429}`, `{"status":429,"count":2,"family":"gemini","route":"embedContent","model":"models/gemini-embedding-001"}`,
		`{"status":503,"model":"gemini-embedding-001"}`, `{"status":400,"route":"batchEmbedContents"}`, `{"status":600}`, `{"status":399}`,
		`{"delay":"250ms"}`, `{"delay":"-1s"}`, `{"delay":"1x"}`, `{"delay":"87600h","status":500}`, `{"drop":true}`, `{"drop":true,"status":500}`,
		`{"status":429,"count":-1}`, `{"status":429,"count":1e100}`, `{"status":"429"}`, `{"unknown":1}`, `{"status":429}{"status":500}`, `{"status":429} trailing`,
		`{"advance":"90m"}`, `{"advance":"-2562047h"}`, `{"advance":"2562047h"}`, `{"advance":"1.5h","now":"2026-01-02T15:04:05Z"}`,
		`{"now":"2026-01-02T15:04:05Z"}`, `{"now":"0000-01-01T00:00:00Z"}`, `{"now":"9999-12-31T23:59:59.999999999+14:00"}`, `{"now":"yesterday"}`, `{"advance":""}`,
		`{"count":1,"code":8,"message":"Enqueued token quota exceeded for this model."}`, `{"code":16}`, `{"code":17}`, `{"code":-1}`, `{"count":-3}`,
		`{"message":"\ud800 broken"}`, `{"count":2147483648}`,
		`{"content":{"parts":[{"text":"journal me"}]},"taskType":"RETRIEVAL_QUERY","outputDimensionality":"256"}`,
		`{"requests":[{"model":"models/gemini-embedding-2","content":{"parts":[{"text":"a"}]}}]}`,
		`{"model":"text-embedding-3-small","input":[[1,2],[3]],"dimensions":8}`, `{"inputs":[{"input":"g"}]}`, `not json at all`,
	} {
		for op := range uint8(4) {
			f.Add(op, []byte(seed), "")
		}
	}
	for i, q := range []string{"", "route=embedContent", "family=openai&limit=1", "model=models/gemini-embedding-001&status=200",
		"status=x", "limit=-1", "limit=99999999999999999999", "status=%zz", "route=a&route=b", "key=secret&limit=0", "family=http&route=POST+/upload/v1beta/files"} {
		f.Add(uint8(3+4*(i%len(adminJournalRoutes))), []byte(`{"content":{"parts":[{"text":"q"}]}}`), q)
	}

	clock := NewFakeClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	start := clock.Now()
	s := newFuzzServer(f, WithFakeClock(clock))
	f.Fuzz(func(t *testing.T, op uint8, body []byte, query string) {
		s.Reset()
		clock.SetNow(start)
		query = cleanQuery(query)
		switch op % 4 {
		case 0:
			got, ok := postThenList[faultJSON](t, s, "/_embedmock/faults", "faults", query, body)
			if !ok {
				break
			}
			matches := (got.Family == "" || got.Family == "gemini") && (got.Route == "" || got.Route == "embedContent") &&
				(got.Model == "" || got.Model == "gemini-embedding-001")
			if matches && got.Status != 0 && got.Delay == "" {
				rec := embedAnswer(s)
				if rec.Code != got.Status || rec.Header().Get("X-Embedmock-Fault") == "" {
					t.Fatalf("fault %+v scheduled, embedContent answered %d: %s", got, rec.Code, rec.Body)
				}
				var env struct {
					Error *googleError `json:"error"`
				}
				if json.Unmarshal(rec.Body.Bytes(), &env) != nil || env.Error == nil || env.Error.Code != got.Status {
					t.Fatalf("fault %+v answered without the Google envelope: %s", got, rec.Body)
				}
			}
		case 1:
			var got struct {
				Now  string `json:"now"`
				Fake bool   `json:"fake"`
			}
			if !adminCall(t, s, http.MethodPost, "/_embedmock/clock", query, body, &got) {
				if !clock.Now().Equal(start) {
					t.Fatalf("a refused clock change %q moved the clock to %v", body, clock.Now())
				}
				break
			}
			if !got.Fake || got.Now != formatTimestamp(clock.Now()) {
				t.Fatalf("POST clock %q answered %+v, the clock is at %v", body, got, clock.Now())
			}
			var read struct {
				Now string `json:"now"`
			}
			adminCall(t, s, http.MethodGet, "/_embedmock/clock", "", nil, &read)
			if read.Now != got.Now {
				t.Fatalf("POST clock answered %q, GET reads %q", got.Now, read.Now)
			}
		case 2:
			got, ok := postThenList[BatchFailure](t, s, "/_embedmock/batch-failures", "batchFailures", query, body)
			if !ok {
				break
			}
			rec := fuzzServe(s, fuzzRequest(http.MethodPost, "/v1beta/models/gemini-embedding-001:asyncBatchEmbedContent",
				[]byte(`{"batch":{"inputConfig":{"requests":{"requests":[{"request":{"content":{"parts":[{"text":"a"}]}}}]}}}}`), false, "X-Goog-Api-Key", "fuzz"))
			var op fuzzOperation
			requireOKJSON(t, rec, "asyncBatchEmbedContent", &op)
			rec = fuzzServe(s, fuzzRequest(http.MethodGet, "/v1beta/"+op.Name, nil, false, "X-Goog-Api-Key", "fuzz"))
			var done fuzzOperation
			requireOKJSON(t, rec, "batches.get", &done)
			if !done.Done || done.Metadata.State != batchFailed || done.Error == nil ||
				done.Error.Code != got.Code || done.Error.Message != got.Message {
				t.Fatalf("batch failure %+v scheduled, the job ends %s", got, rec.Body)
			}
			adminCall(t, s, http.MethodDelete, "/_embedmock/batch-failures", "", nil, nil)
		case 3:
			r := adminJournalRoutes[int(op/4)%len(adminJournalRoutes)]
			rec := fuzzServe(s, fuzzRequest(http.MethodPost, r.path, body, false, r.header, r.value, "X-Gradient-Workspace-Id", "w"))
			if rec.Code >= 500 {
				t.Fatalf("POST %s %q: %d %s", r.path, body, rec.Code, rec.Body)
			}
			var list struct {
				Requests []Request `json:"requests"`
			}
			if adminCall(t, s, http.MethodGet, "/_embedmock/requests", query, nil, &list) && list.Requests == nil {
				t.Fatalf("GET requests?%s: no requests list", query)
			}
			for _, req := range list.Requests {
				if strings.Contains(req.Path, "secret") {
					t.Fatalf("the journal shows a key: %s", req.Path)
				}
			}
			adminCall(t, s, http.MethodDelete, "/_embedmock/requests", "", nil, nil)
		}

		adminCall(t, s, http.MethodDelete, "/_embedmock/faults", "", nil, nil)
		if rec := embedAnswer(s); rec.Code != http.StatusOK {
			t.Fatalf("after op %d with %q, embedContent answers %d: %s", op%4, body, rec.Code, rec.Body)
		}
		adminCall(t, s, http.MethodGet, "/_embedmock/health", "", nil, nil)
	})
}
