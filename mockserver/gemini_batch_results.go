package mockserver

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/embedmock/embedmock/schemas"
)

// itemResult is the outcome of one request of a batch: a response body
// ({"embedding":...}) or an error.
type itemResult struct {
	response []byte
	err      *rpcStatus
}

// embedItem computes one batch request: the same checks and vector as a
// synchronous embedContent, with failures as a google.rpc.Status instead of
// an HTTP error.
func (s *Server) embedItem(req map[string]any, path schemas.Path, model *GeminiModel, apiVersion string) itemResult {
	fail := func(e *googleError) itemResult {
		return itemResult{err: &rpcStatus{Code: grpcCode(e.Code), Message: e.Message}}
	}
	if req == nil {
		return fail(invalidFields("InlinedEmbedContentRequest.request: request is not specified"))
	}
	er, gerr := decodeEmbedRequest(req, path, apiVersion)
	if gerr != nil {
		return fail(gerr)
	}
	var lines []string
	switch name := er.model; {
	case name == "":
	case !validModelName(name):
		lines = append(lines, "EmbedContentRequest.model: unexpected model name format")
	case name != model.Name:
		lines = append(lines, fmt.Sprintf("EmbedContentRequest.model: the model of each request must be the batch's model (%s), got %s", model.Name, name))
	}
	lines = append(lines, er.fieldViolations("EmbedContentRequest", model)...)
	if len(lines) > 0 {
		return fail(invalidFields(lines...))
	}
	if er.hasEmptyText() {
		return fail(errEmptyPart())
	}
	b := append([]byte(nil), `{"embedding":{"values":`...)
	var tokens int
	b, tokens = s.appendEmbedding(b, model, er)
	b = append(b, '}')
	if model.Embedding.UsageMetadata {
		b = append(b, `,"usageMetadata":{"promptTokenCount":`...)
		b = strconv.AppendInt(b, int64(tokens), 10)
		b = append(b, '}')
	} else {
		b = append(b, `,"tokenCount":"`...)
		b = strconv.AppendInt(b, int64(tokens), 10)
		b = append(b, '"')
	}
	return itemResult{response: append(b, '}')}
}

// grpcCode maps an HTTP status to the google.rpc.Code number.
func grpcCode(httpStatus int) int {
	switch httpStatus {
	case http.StatusBadRequest:
		return 3 // INVALID_ARGUMENT
	case http.StatusNotFound:
		return 5 // NOT_FOUND
	case http.StatusForbidden:
		return 7 // PERMISSION_DENIED
	case http.StatusTooManyRequests:
		return 8 // RESOURCE_EXHAUSTED
	case http.StatusServiceUnavailable:
		return 14 // UNAVAILABLE
	}
	return 13 // INTERNAL
}

// appendItem appends {"key"?, "response"|"error", "metadata"?}.
func appendItem(b []byte, key *string, res itemResult, metadata any) []byte {
	b = append(b, '{')
	if key != nil {
		b = append(b, `"key":`...)
		b = append(b, mustMarshal(*key)...)
		b = append(b, ',')
	}
	if res.err != nil {
		b = append(b, `"error":`...)
		b = append(b, mustMarshal(res.err)...)
	} else {
		b = append(b, `"response":`...)
		b = append(b, res.response...)
	}
	if metadata != nil {
		b = append(b, `,"metadata":`...)
		b = append(b, mustMarshal(metadata)...)
	}
	return append(b, '}')
}

// computeBatchResults runs every request of a job. Inline jobs return their
// output ({"inlinedResponses":{"inlinedResponses":[...]}}); file jobs write
// the output file and set rec.OutputFile. A job that cannot run at all
// returns a failure.
func (s *Server) computeBatchResults(rec *batchRecord) ([]byte, *rpcStatus) {
	model, ok := s.gemini.lookup(strings.TrimPrefix(rec.Model, "models/"))
	if !ok {
		return nil, &rpcStatus{Code: 5, Message: rec.Model + " is no longer served"}
	}
	if rec.InputFile != "" {
		return nil, s.computeFileResults(rec, model)
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Inline))
	dec.UseNumber()
	var items []any
	if err := dec.Decode(&items); err != nil {
		return nil, &rpcStatus{Code: 13, Message: "embedmock: stored requests are unreadable: " + err.Error()}
	}
	b := append([]byte(nil), `{"inlinedResponses":{"inlinedResponses":[`...)
	for i, item := range items {
		if i > 0 {
			b = append(b, ',')
		}
		obj, _ := item.(map[string]any)
		req, _ := obj["request"].(map[string]any)
		res := s.embedItem(req, schemas.Path{"batch", "input_config", "requests", "requests", i, "request"}, model, rec.APIVersion)
		rec.count(res)
		b = appendItem(b, nil, res, obj["metadata"])
	}
	return append(b, "]}}"...), nil
}

func (rec *batchRecord) count(res itemResult) {
	if res.err != nil {
		rec.Failed++
	} else {
		rec.Succeeded++
	}
}

// computeFileResults reads the job's JSONL input file and writes one output
// line per input line, in order: {"key", "response"} or {"key", "error"}.
// Lines that are not valid requests get an error line; the job goes on.
func (s *Server) computeFileResults(rec *batchRecord, model *GeminiModel) *rpcStatus {
	f, ok := s.store.getFile(rec.InputFile, s.now())
	if !ok {
		return &rpcStatus{Code: 5, Message: fmt.Sprintf("The input file files/%s was not found.", rec.InputFile)}
	}
	content, err := s.store.content(f)
	if err != nil {
		return &rpcStatus{Code: 5, Message: fmt.Sprintf("The input file files/%s was not found.", rec.InputFile)}
	}
	defer content.Close()
	var out []byte
	err = s.eachRequestLine(content, func(n int, line []byte, tooLong bool) {
		if len(out) > 0 {
			out = append(out, '\n')
		}
		res, key, metadata := s.fileLineResult(line, tooLong, model, rec.APIVersion)
		rec.count(res)
		out = appendItem(out, key, res, metadata)
	})
	if err != nil {
		return &rpcStatus{Code: 13, Message: "embedmock: reading the input file: " + err.Error()}
	}
	out = append(out, '\n')
	id := "batch-" + rec.ID
	if err := s.store.putGeneratedFile(id, id, "application/jsonl", out, s.now()); err != nil {
		return &rpcStatus{Code: 14, Message: "embedmock: cannot store the output file: " + err.Error()}
	}
	rec.OutputFile = id
	return nil
}

// fileLineResult parses and runs one input line.
func (s *Server) fileLineResult(line []byte, tooLong bool, model *GeminiModel, apiVersion string) (itemResult, *string, any) {
	fail := func(e *googleError) itemResult {
		return itemResult{err: &rpcStatus{Code: grpcCode(e.Code), Message: e.Message}}
	}
	if tooLong {
		return fail(errPayloadTooLarge(s.cfg.maxBodyBytes)), nil, nil
	}
	doc, syntaxErr := parseGoogleJSON(line)
	if syntaxErr != nil {
		return fail(errJSONSyntax(syntaxErr)), nil, nil
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return fail(errBadPayload("", `Invalid JSON payload received. Unknown name "": Root element must be a message.`)), nil, nil
	}
	var key *string
	if k, ok := obj["key"].(string); ok {
		key = &k
	}
	if v := schemas.Validate(schemas.GeminiBatchFileLine, obj); v != nil {
		return fail(errSchemaViolation(v, apiVersion)), key, nil
	}
	req, _ := obj["request"].(map[string]any)
	return s.embedItem(req, schemas.Path{"request"}, model, apiVersion), key, obj["metadata"]
}

// eachRequestLine calls fn for every non-blank line of r (numbered from 1).
// Lines longer than the body limit are passed as tooLong without their
// content.
func (s *Server) eachRequestLine(r io.Reader, fn func(n int, line []byte, tooLong bool)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	limit := int(min(s.cfg.maxBodyBytes, math.MaxInt32))
	n := 0
	for {
		line, tooLong, err := readLine(br, limit)
		if len(bytes.TrimSpace(line)) > 0 || tooLong {
			n++
			fn(n, line, tooLong)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readLine reads one line (without its newline) of at most limit bytes; a
// longer line is consumed and reported as tooLong.
func readLine(br *bufio.Reader, limit int) (line []byte, tooLong bool, err error) {
	for {
		chunk, isPrefix, err := br.ReadLine()
		if !tooLong {
			if len(line)+len(chunk) > limit {
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		if err != nil || !isPrefix {
			return line, tooLong, err
		}
	}
}

// countRequestLines counts the non-blank lines of a batch input file.
func (s *Server) countRequestLines(f fileRecord) (int, error) {
	content, err := s.store.content(f)
	if err != nil {
		return 0, err
	}
	defer content.Close()
	count := 0
	err = s.eachRequestLine(content, func(int, []byte, bool) { count++ })
	return count, err
}

// decodeInt64 reads an int64 field sent as a number or a numeric string.
func decodeInt64(obj map[string]any, camel, snake string, path schemas.Path) (int64, *googleError) {
	var text string
	switch x := field(obj, camel, snake).(type) {
	case nil:
		return 0, nil
	case json.Number:
		if n, err := strconv.ParseInt(x.String(), 10, 64); err == nil {
			return n, nil
		}
		// 1e3 and 10.0 are integers too, as Google's parser reads them.
		if f, err := x.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f), nil
		}
		text = x.String()
	case string:
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			return n, nil
		}
		text = `"` + x + `"`
	}
	name := snake
	if name == "" {
		name = camel
	}
	where := append(path[:len(path):len(path)], name).ProtoPath()
	return 0, errBadPayload(where, fmt.Sprintf("Invalid value at '%s' (TYPE_INT64), %s", where, text))
}
