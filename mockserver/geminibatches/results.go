package geminibatches

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/embedmock/embedmock/mockserver/gemini"
	"github.com/embedmock/embedmock/mockserver/googleapi"
	"github.com/embedmock/embedmock/mockserver/vectorwire"
	"github.com/embedmock/embedmock/schemas"
)

// itemResult is the outcome of one request of a batch: a response body
// ({"embedding":...}) or an error.
type itemResult struct {
	response []byte
	err      *googleapi.RPCStatus
}

// embedItem computes one batch request: the same checks and vector as a
// synchronous embedContent, with failures as a google.rpc.Status instead of
// an HTTP error.
func (g *Family) embedItem(req map[string]any, path schemas.Path, model *gemini.Model, apiVersion string) itemResult {
	fail := func(e *googleapi.Error) itemResult {
		return itemResult{err: &googleapi.RPCStatus{Code: googleapi.RPCCode(e.Code), Message: e.Message}}
	}
	if req == nil {
		return fail(googleapi.InvalidFields("InlinedEmbedContentRequest.request: request is not specified"))
	}
	er, gerr := gemini.DecodeEmbedRequest(req, path, apiVersion)
	if gerr != nil {
		return fail(gerr)
	}
	var lines []string
	switch name := er.Model(); {
	case name == "":
	case !gemini.ValidModelName(name):
		lines = append(lines, "EmbedContentRequest.model: unexpected model name format")
	case name != model.Name:
		lines = append(lines, fmt.Sprintf("EmbedContentRequest.model: the model of each request must be the batch's model (%s), got %s", model.Name, name))
	}
	lines = append(lines, er.FieldViolations("EmbedContentRequest", model)...)
	if len(lines) > 0 {
		return fail(googleapi.InvalidFields(lines...))
	}
	if er.HasEmptyText() {
		return fail(gemini.EmptyPartError())
	}
	b := append([]byte(nil), `{"embedding":{"values":`...)
	var tokens int
	b, tokens = g.gemini.AppendEmbedding(b, model, er)
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

// appendItem appends {"key"?, "response"|"error", "metadata"?}.
func appendItem(b []byte, key *string, res itemResult, metadata any) []byte {
	b = append(b, '{')
	if key != nil {
		b = append(b, `"key":`...)
		b = append(b, vectorwire.MustMarshal(*key)...)
		b = append(b, ',')
	}
	if res.err != nil {
		b = append(b, `"error":`...)
		b = append(b, vectorwire.MustMarshal(res.err)...)
	} else {
		b = append(b, `"response":`...)
		b = append(b, res.response...)
	}
	if metadata != nil {
		b = append(b, `,"metadata":`...)
		b = append(b, vectorwire.MustMarshal(metadata)...)
	}
	return append(b, '}')
}

// computeBatchResults runs every request of a job. Inline jobs return their
// output ({"inlinedResponses":{"inlinedResponses":[...]}}); file jobs write
// the output file and set rec.OutputFile. A job that cannot run at all
// returns a failure.
func (g *Family) computeBatchResults(rec *batchRecord) ([]byte, *googleapi.RPCStatus) {
	model, ok := g.gemini.Catalog().Lookup(strings.TrimPrefix(rec.Model, "models/"))
	if !ok {
		return nil, &googleapi.RPCStatus{Code: 5, Message: rec.Model + " is no longer served"}
	}
	if rec.InputFile != "" {
		return nil, g.computeFileResults(rec, model)
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Inline))
	dec.UseNumber()
	var items []any
	if err := dec.Decode(&items); err != nil {
		return nil, &googleapi.RPCStatus{Code: 13, Message: "embedmock: stored requests are unreadable: " + err.Error()}
	}
	b := append([]byte(nil), `{"inlinedResponses":{"inlinedResponses":[`...)
	for i, item := range items {
		if i > 0 {
			b = append(b, ',')
		}
		obj, _ := item.(map[string]any)
		req, _ := obj["request"].(map[string]any)
		res := g.embedItem(req, schemas.Path{"batch", "input_config", "requests", "requests", i, "request"}, model, rec.APIVersion)
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
func (g *Family) computeFileResults(rec *batchRecord, model *gemini.Model) *googleapi.RPCStatus {
	_, content, err := g.files.Open(rec.InputFile)
	if err != nil {
		return &googleapi.RPCStatus{Code: 5, Message: fmt.Sprintf("The input file files/%s was not found.", rec.InputFile)}
	}
	defer content.Close()
	var out []byte
	err = g.eachRequestLine(content, func(n int, line []byte, tooLong bool) {
		if len(out) > 0 {
			out = append(out, '\n')
		}
		res, key, metadata := g.fileLineResult(line, tooLong, model, rec.APIVersion)
		rec.count(res)
		out = appendItem(out, key, res, metadata)
	})
	if err != nil {
		return &googleapi.RPCStatus{Code: 13, Message: "embedmock: reading the input file: " + err.Error()}
	}
	out = append(out, '\n')
	id := "batch-" + rec.ID
	if err := g.files.PutGenerated(id, id, "application/jsonl", out, g.env.Now()); err != nil {
		return &googleapi.RPCStatus{Code: 14, Message: "embedmock: cannot store the output file: " + err.Error()}
	}
	rec.OutputFile = id
	return nil
}

// fileLineResult parses and runs one input line.
func (g *Family) fileLineResult(line []byte, tooLong bool, model *gemini.Model, apiVersion string) (itemResult, *string, any) {
	fail := func(e *googleapi.Error) itemResult {
		return itemResult{err: &googleapi.RPCStatus{Code: googleapi.RPCCode(e.Code), Message: e.Message}}
	}
	if tooLong {
		return fail(googleapi.PayloadTooLarge(g.env.MaxBodyBytes)), nil, nil
	}
	doc, syntaxErr := googleapi.ParseJSON(line)
	if syntaxErr != nil {
		return fail(googleapi.JSONSyntax(syntaxErr)), nil, nil
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return fail(googleapi.NotAMessage()), nil, nil
	}
	var key *string
	if k, ok := obj["key"].(string); ok {
		key = &k
	}
	if v := schemas.Validate(schemas.GeminiBatchFileLine, obj); v != nil {
		return fail(googleapi.SchemaViolation(v, apiVersion)), key, nil
	}
	req, _ := obj["request"].(map[string]any)
	return g.embedItem(req, schemas.Path{"request"}, model, apiVersion), key, obj["metadata"]
}

// eachRequestLine calls fn for every non-blank line of r (numbered from 1).
// Lines longer than the body limit are passed as tooLong without their
// content.
func (g *Family) eachRequestLine(r io.Reader, fn func(n int, line []byte, tooLong bool)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	limit := int(min(g.env.MaxBodyBytes, math.MaxInt32))
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
// longer line is consumed and reported as tooLong, unless it is blank,
// which is skipped like any blank line.
func readLine(br *bufio.Reader, limit int) (line []byte, tooLong bool, err error) {
	blank := true // of a line too long to keep
	for {
		chunk, isPrefix, err := br.ReadLine()
		switch {
		case tooLong:
			blank = blank && len(bytes.TrimSpace(chunk)) == 0
		case len(line)+len(chunk) > limit:
			tooLong, blank = true, len(bytes.TrimSpace(line)) == 0 && len(bytes.TrimSpace(chunk)) == 0
			line = nil
		default:
			line = append(line, chunk...)
		}
		if err != nil || !isPrefix {
			return line, tooLong && !blank, err
		}
	}
}

// countRequestLines counts the non-blank lines of the input file id.
func (g *Family) countRequestLines(id string) (int, error) {
	_, content, err := g.files.Open(id)
	if err != nil {
		return 0, err
	}
	defer content.Close()
	count := 0
	err = g.eachRequestLine(content, func(int, []byte, bool) { count++ })
	return count, err
}
