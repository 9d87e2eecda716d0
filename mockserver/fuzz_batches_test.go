package mockserver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// asyncFuzzRoutes are the routes FuzzAsyncBatchRequest picks from.
var asyncFuzzRoutes = []string{
	"/v1beta/models/gemini-embedding-001:asyncBatchEmbedContent",
	"/v1/models/gemini-embedding-2:asyncBatchEmbedContent",
	"/v1beta/models/no-such-model:asyncBatchEmbedContent",
}

// fuzzInputFile is the JSONL input file that FuzzAsyncBatchRequest's
// bodies can name (files/fuzz-input).
const fuzzInputFile = `{"key":"a","request":{"content":{"parts":[{"text":"alpha"}]}}}
{"key":"b","request":{"content":{"parts":[{"text":""}]}}}
`

var batchNamePattern = regexp.MustCompile(`^batches/[a-z0-9]{36}$`)

// fuzzOperation is a batch Operation as FuzzAsyncBatchRequest checks it.
type fuzzOperation struct {
	Name     string     `json:"name"`
	Done     bool       `json:"done"`
	Error    *rpcStatus `json:"error"`
	Metadata struct {
		Type       string            `json:"@type"`
		Name       string            `json:"name"`
		Model      string            `json:"model"`
		State      string            `json:"state"`
		BatchStats map[string]string `json:"batchStats"`
		Output     *struct {
			ResponsesFile    string `json:"responsesFile"`
			InlinedResponses *struct {
				InlinedResponses []map[string]json.RawMessage `json:"inlinedResponses"`
			} `json:"inlinedResponses"`
		} `json:"output"`
	} `json:"metadata"`
}

// stat reads a batchStats count ("" is 0).
func (op *fuzzOperation) stat(t *testing.T, name string) int {
	t.Helper()
	raw, ok := op.Metadata.BatchStats[name]
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n <= 0 {
		t.Fatalf("batchStats.%s is %q, want a positive count as a string", name, raw)
	}
	return n
}

// createAndFinishBatch posts body to an asyncBatchEmbedContent route and,
// if the job is created, checks the Operation, polls it once (the server
// has no batch delay, so it must then be finished), checks the finished
// Operation and returns it. It returns nil when the job is refused, after
// checking the error.
func createAndFinishBatch(t *testing.T, s *Server, route string, body []byte, chunked bool) *fuzzOperation {
	t.Helper()
	req := fuzzRequest(http.MethodPost, route, body, chunked, "X-Goog-Api-Key", "fuzz", "Content-Type", "application/json")
	rec := fuzzServe(s, req)
	if rec.Code != http.StatusOK {
		e := requireGoogleError(t, rec, "asyncBatchEmbedContent "+string(body))
		switch e.Code {
		case http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound:
		default:
			t.Fatalf("asyncBatchEmbedContent %q: unexpected status %d: %s", body, e.Code, rec.Body)
		}
		return nil
	}
	var op fuzzOperation
	requireOKJSON(t, rec, "asyncBatchEmbedContent "+string(body), &op)
	if !batchNamePattern.MatchString(op.Name) || op.Metadata.Name != op.Name || op.Done ||
		op.Metadata.State != batchPending || op.Metadata.Type != batchTypeURL || !strings.HasPrefix(op.Metadata.Model, "models/") {
		t.Fatalf("created job for %q is not a pending Operation: %s", body, rec.Body)
	}
	count := op.stat(t, "requestCount")
	if count == 0 || op.stat(t, "pendingRequestCount") != count {
		t.Fatalf("created job for %q: batchStats %v", body, op.Metadata.BatchStats)
	}

	version := strings.Split(route, "/")[1]
	rec = fuzzServe(s, fuzzRequest(http.MethodGet, "/"+version+"/"+op.Name, nil, false, "X-Goog-Api-Key", "fuzz"))
	var done fuzzOperation
	requireOKJSON(t, rec, "batches.get after "+string(body), &done)
	if !done.Done || done.Metadata.State != batchSucceeded || done.Error != nil || done.Name != op.Name {
		t.Fatalf("job for %q is not SUCCEEDED at the first poll: %.1000s", body, rec.Body)
	}
	if got := done.stat(t, "successfulRequestCount") + done.stat(t, "failedRequestCount"); got != count ||
		done.stat(t, "requestCount") != count || done.stat(t, "pendingRequestCount") != 0 {
		t.Fatalf("finished job for %q: batchStats %v for %d requests", body, done.Metadata.BatchStats, count)
	}
	if done.Metadata.Output == nil {
		t.Fatalf("finished job for %q has no output: %.1000s", body, rec.Body)
	}
	return &done
}

// checkResultItem checks one result of a batch: exactly one of response
// and error, a response with an embedding, an error with a code and a
// message.
func checkResultItem(t *testing.T, item map[string]json.RawMessage, where string) {
	t.Helper()
	resp, hasResp := item["response"]
	errRaw, hasErr := item["error"]
	if hasResp == hasErr {
		t.Fatalf("%s: want exactly one of response and error: %v", where, item)
	}
	if hasResp {
		var r struct {
			Embedding *struct {
				Values []float32 `json:"values"`
			} `json:"embedding"`
		}
		if json.Unmarshal(resp, &r) != nil || r.Embedding == nil || len(r.Embedding.Values) == 0 {
			t.Fatalf("%s: response without an embedding: %.300s", where, resp)
		}
		return
	}
	var e rpcStatus
	if json.Unmarshal(errRaw, &e) != nil || e.Code == 0 || e.Message == "" {
		t.Fatalf("%s: error without code and message: %s", where, errRaw)
	}
}

// FuzzAsyncBatchRequest sends arbitrary bodies to asyncBatchEmbedContent.
// The server must never panic or answer 5xx; errors are Google's envelope
// (400, 403 for an unknown file, 404 for an unknown model); a 200 is a
// pending Operation, and the job is SUCCEEDED at the first poll with one
// result (a response or an error) per request.
func FuzzAsyncBatchRequest(f *testing.F) {
	for _, body := range captureBodies(f, ":asyncBatchEmbedContent", "go-genai.jsonl", "google-genai.jsonl") {
		f.Add(uint8(0), body)
		f.Add(uint8(1), body)
	}
	item := func(text string) string { return `{"request":{"content":{"parts":[{"text":"` + text + `"}]}}}` }
	for _, seed := range []string{
		``, `{}`, `null`, `[]`, `{"batch":null}`, `{"batch":{}}`, `{"batch":{"inputConfig":{}}}`,
		`{"batch":{"inputConfig":{"requests":{}}}}`,
		`{"batch":{"inputConfig":{"requests":{"requests":[]}}}}`,
		`{"batch":{"inputConfig":{"requests":{"requests":[null]}}}}`,
		`{"batch":{"inputConfig":{"requests":{"requests":[{}]}}}}`,
		`{"batch":{"inputConfig":{"requests":{"requests":[` + item("a") + `,` + item("") + `]}}}}`,
		`{"batch":{"display_name":"d","priority":"7","input_config":{"requests":{"requests":[{"request":{"content":{"parts":[{"text":"a"}]},"output_dimensionality":64},"metadata":{"k":[1,"x",null,{"y":true}]}}]}}}}`,
		`{"batch":{"inputConfig":{"requests":{"requests":[{"request":{"model":"models/gemini-embedding-2","content":{"parts":[{"text":"a"}]},"taskType":"RETRIEVAL_QUERY","title":"t"}}]}}}}`,
		`{"batch":{"inputConfig":{"requests":{"requests":[{"request":{"model":"gemini-embedding-001","content":{"parts":[{"text":"a"}]}}}]}}}}`,
		`{"batch":{"inputConfig":{"requests":{"requests":[{"request":{"content":{"parts":[{"text":"a","inlineData":{"data":"AA=="}}]}}}]}}}}`,
		`{"batch":{"inputConfig":{"requests":{"requests":[{"request":{"content":{"parts":[{"text":"a"}]},"embedContentConfig":{"taskType":99,"outputDimensionality":"128"}}}]}}}}`,
		`{"batch":{"model":"models/other","inputConfig":{"requests":{"requests":[` + item("a") + `]}}}}`,
		`{"batch":{"model":"bad name","inputConfig":{"requests":{"requests":[` + item("a") + `]}}}}`,
		`{"batch":{"priority":1e3,"inputConfig":{"requests":{"requests":[` + item("a") + `]}}}}`,
		`{"batch":{"priority":"x","inputConfig":{"requests":{"requests":[` + item("a") + `]}}}}`,
		`{"batch":{"inputConfig":{"fileName":"files/fuzz-input"}}}`,
		`{"batch":{"input_config":{"file_name":"files/fuzz-input"}}}`,
		`{"batch":{"inputConfig":{"fileName":"files/missing"}}}`,
		`{"batch":{"inputConfig":{"fileName":"fuzz-input"}}}`,
		`{"batch":{"inputConfig":{"fileName":"files/fuzz-input","requests":{"requests":[` + item("a") + `]}}}}`,
		`{"batch":{"inputConfig":{"fileName":null,"requests":{"requests":[` + item("a") + `]}}}}`,
		`{batch:{inputConfig:{requests:{requests:[{request:{content:{parts:[{text:'lenient',},],},},},],},},},}`,
		`{"batch":{"inputConfig":{"requests":{"requests":[` + strings.Repeat(item("many")+",", 7) + item("last") + `]}}}}`,
	} {
		f.Add(uint8(0), []byte(seed))
	}
	f.Add(uint8(0x11), []byte(`{"batch":{"inputConfig":{"requests":{"requests":[`+item("chunked")+`]}}}}`))
	f.Add(uint8(2), []byte(`{"batch":{"inputConfig":{"requests":{"requests":[`+item("a")+`]}}}}`))

	s := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		s.Reset() // a fresh store: no job limit, and the input file in place
		if err := s.files.PutGenerated("fuzz-input", "fuzz-input", "application/jsonl", []byte(fuzzInputFile), s.now()); err != nil {
			t.Fatal(err)
		}
		path := asyncFuzzRoutes[int(route&0x0f)%len(asyncFuzzRoutes)]
		op := createAndFinishBatch(t, s, path, body, route&0x10 != 0)
		if op == nil {
			return
		}
		count := op.stat(t, "requestCount")
		out := op.Metadata.Output
		switch {
		case out.InlinedResponses != nil:
			items := out.InlinedResponses.InlinedResponses
			if len(items) != count {
				t.Fatalf("%d inline results for %d requests: %q", len(items), count, body)
			}
			for i, it := range items {
				checkResultItem(t, it, "inlinedResponses["+strconv.Itoa(i)+"]")
			}
		case out.ResponsesFile != "":
			lines := downloadLines(t, s, out.ResponsesFile)
			if len(lines) != count {
				t.Fatalf("%d output lines for %d requests: %q", len(lines), count, body)
			}
		default:
			t.Fatalf("finished job for %q has an empty output", body)
		}
	})
}

// downloadLines downloads a file (files/{id}) and splits it into lines; a
// JSONL output file ends with a newline.
func downloadLines(t *testing.T, s *Server, name string) [][]byte {
	t.Helper()
	rec := fuzzServe(s, fuzzRequest(http.MethodGet, "/v1beta/"+name+":download?alt=media", nil, false, "X-Goog-Api-Key", "fuzz"))
	if rec.Code != http.StatusOK {
		t.Fatalf("download %s: %d %s", name, rec.Code, rec.Body)
	}
	data := rec.Body.Bytes()
	if len(data) == 0 || data[len(data)-1] != '\n' {
		t.Fatalf("output file %s does not end with a newline: %q", name, data)
	}
	return bytes.Split(data[:len(data)-1], []byte("\n"))
}

// nonBlankLines returns the lines of a JSONL input that a batch job runs:
// every line (split at \n) that has anything but white space.
func nonBlankLines(content []byte) [][]byte {
	var out [][]byte
	for line := range bytes.Lines(content) {
		if len(bytes.TrimSpace(line)) > 0 {
			out = append(out, bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r")))
		}
	}
	return out
}

// FuzzBatchFileInput uploads arbitrary content as a file, runs an
// asyncBatchEmbedContent job on it (inputConfig.fileName) and reads the
// job's output file. The server must never panic or answer 5xx; a job is
// created exactly when the content has a non-blank line; it is SUCCEEDED at
// the first poll; its output file has exactly one line per non-blank input
// line, in order, each a JSON object with a response or an error, and the
// key of its input line when that line is an object with a string key.
func FuzzBatchFileInput(f *testing.F) {
	for _, seed := range []string{
		`{"key":"fox","request":{"content":{"parts":[{"text":"The quick brown fox"}]},"output_dimensionality":128}}
{"key":"paris","request":{"content":{"parts":[{"text":"Paris is in France"}]},"output_dimensionality":128}}
`,
		``, "\n", " \r\n\t\n", "\n\n{\"key\":\"a\",\"request\":{\"content\":{\"parts\":[{\"text\":\"x\"}]}}}\n\n",
		`{"key":"a","request":{"content":{"parts":[{"text":"no newline at the end"}]}}}`,
		"{\"key\":\"crlf\",\"request\":{\"content\":{\"parts\":[{\"text\":\"x\"}]}}}\r\n{\"key\":\"b\"}\r\n",
		`not json`, `[]`, `"string"`, `{"key":1,"request":{}}`, `{"key":"k"}`, `{"key":"k","request":null}`,
		`{"key":"k","request":{"content":{"parts":[{"text":""}]}}}`,
		`{"key":"k","request":{"content":{"parts":[{"text":"a"}]},"outputDimensionality":5}}`,
		`{"key":"k","request":{"model":"models/other","content":{"parts":[{"text":"a"}]}}}`,
		`{"key":"k","request":{"content":{"parts":[{"text":"a"}]}},"metadata":{"m":1}}`,
		`{"key":"k","request":{"content":{"parts":[{"text":"a"}]}},"extra":1}`,
		`{'key':'lenient',request:{content:{parts:[{text:'a',},],},},}`,
		`{"key":"dup","key":"last","request":{"content":{"parts":[{"text":"a"}]}}}`,
		`{"request":{"content":{"parts":[{"text":"a"}]}},"key":"\u00e9\ud83d\ude00"}`,
		"{\"key\":\"nbsp\"}\n\u00a0\n\u2028\n\x85\n",
		"\xff\xfe\n{\"key\":\"\xff\"}\n",
		strings.Repeat(`{"key":"r","request":{"content":{"parts":[{"text":"repeat"}]}}}`+"\n", 8),
	} {
		f.Add(uint8(0), []byte(seed))
	}
	f.Add(uint8(1), []byte(`{"key":"v1","request":{"content":{"parts":[{"text":"a"}]}}}`))
	f.Add(uint8(2), []byte(`{"key":"snake","request":{"content":{"parts":[{"text":"a"}]}}}`))

	s := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, mode uint8, content []byte) {
		s.Reset()
		// Upload the content (raw protocol).
		rec := fuzzServe(s, fuzzRequest(http.MethodPost, "/upload/v1beta/files", content, false,
			"X-Goog-Api-Key", "fuzz", "X-Goog-Upload-Protocol", "raw", "Content-Type", "application/jsonl"))
		var up struct {
			File fileJSON `json:"file"`
		}
		requireOKJSON(t, rec, "raw upload", &up)
		if up.File.SizeBytes != strconv.Itoa(len(content)) {
			t.Fatalf("uploaded %d bytes, sizeBytes %q", len(content), up.File.SizeBytes)
		}
		route, field := asyncFuzzRoutes[0], "fileName"
		if mode%3 == 1 {
			route = asyncFuzzRoutes[1]
		}
		if mode%3 == 2 {
			field = "file_name"
		}
		body := []byte(`{"batch":{"inputConfig":{"` + field + `":"` + up.File.Name + `"}}}`)

		lines := nonBlankLines(content)
		op := createAndFinishBatch(t, s, route, body, false)
		if op == nil {
			if len(lines) > 0 {
				t.Fatalf("no job for content with %d non-blank lines: %q", len(lines), content)
			}
			return
		}
		if len(lines) == 0 {
			t.Fatalf("a job for content without a non-blank line: %q", content)
		}
		if count := op.stat(t, "requestCount"); count != len(lines) {
			t.Fatalf("requestCount %d for %d non-blank lines: %q", count, len(lines), content)
		}
		if want := "files/batch-" + strings.TrimPrefix(op.Name, "batches/"); op.Metadata.Output.ResponsesFile != want {
			t.Fatalf("responsesFile %q, want %q", op.Metadata.Output.ResponsesFile, want)
		}
		out := downloadLines(t, s, op.Metadata.Output.ResponsesFile)
		if len(out) != len(lines) {
			t.Fatalf("%d output lines for %d non-blank input lines: %q", len(out), len(lines), content)
		}
		for i, line := range out {
			var item map[string]json.RawMessage
			if err := json.Unmarshal(line, &item); err != nil {
				t.Fatalf("output line %d is not a JSON object (%v): %q", i+1, err, line)
			}
			where := "output line " + strconv.Itoa(i+1)
			checkResultItem(t, item, where)
			var wantKey *string
			if doc, err := parseGoogleJSON(lines[i]); err == nil {
				if obj, ok := doc.(map[string]any); ok {
					if k, ok := obj["key"].(string); ok {
						wantKey = &k
					}
				}
			}
			raw, hasKey := item["key"]
			var key string
			switch {
			case hasKey && json.Unmarshal(raw, &key) != nil:
				t.Fatalf("%s: key is not a string: %s", where, raw)
			case wantKey != nil && (!hasKey || key != *wantKey):
				t.Fatalf("%s: key %s, want %q (input %q)", where, raw, *wantKey, lines[i])
			case wantKey == nil && hasKey:
				t.Fatalf("%s: key %s for an input line without one: %q", where, raw, lines[i])
			}
		}
	})
}
