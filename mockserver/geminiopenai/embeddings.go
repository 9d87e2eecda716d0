package geminiopenai

import (
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/mockserver/gemini"
	"github.com/embedmock/embedmock/mockserver/googleapi"
	"github.com/embedmock/embedmock/mockserver/openai"
	"github.com/embedmock/embedmock/mockserver/vectorwire"
	"github.com/embedmock/embedmock/schemas"
)

// request is an embeddings request as the endpoint reads it.
type request struct {
	model  string   // as sent
	texts  []string // the inputs
	dims   int      // dimensions; 0 for none
	base64 bool     // encoding_format base64
}

// handleEmbeddings serves POST /v1beta/openai/embeddings: the request is
// read as Google's front end reads a body, checked as BatchEmbedContents
// checks its requests, and answered in OpenAI's shape with the Gemini
// routes' vectors.
func (f *Family) handleEmbeddings(w http.ResponseWriter, r *http.Request, _ *family.Call) {
	body, gerr := googleapi.ReadQueryBody(w, r, f.Env.MaxBodyBytes)
	if gerr != nil {
		writeError(w, gerr)
		return
	}
	req, gerr := decodeRequest(body)
	if gerr != nil {
		writeError(w, gerr)
		return
	}
	model, reqs, gerr := f.embedRequests(req)
	if gerr != nil {
		writeError(w, gerr)
		return
	}

	googleapi.SetHeaders(w.Header())
	buf := vectorwire.GetBody()
	defer vectorwire.PutBody(buf)
	stream := vectorwire.Stream{W: w, Slots: f.Env.Slots}
	b := openai.AppendAnswerStart(*buf)
	total := 0
	stream.Compute()
	defer stream.Release()
	for i, er := range reqs {
		b = openai.AppendItemStart(b, i)
		var tokens int
		b, tokens = f.gemini.AppendEncodedEmbedding(b, model, er, req.base64)
		b = append(b, '}')
		total += tokens
		b = stream.Flush(b)
	}
	b = openai.AppendAnswerEnd(b, req.model, total)
	*buf = b
	stream.Finish(b)
}

// decodeRequest reads a body as Google's front end parses it into the
// request message: lenient JSON, fields in either spelling, null for
// unset, unknown fields and values of the wrong type refused.
func decodeRequest(body []byte) (request, *googleapi.Error) {
	var req request
	doc, syntaxErr := googleapi.ParseJSON(body)
	if syntaxErr != nil {
		return req, googleapi.JSONSyntax(syntaxErr)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return req, googleapi.NotAMessage()
	}
	for _, name := range slices.Sorted(maps.Keys(obj)) {
		switch name {
		case "model", "input", "dimensions", "encoding_format", "encodingFormat", "user":
		default:
			return req, unknownField(name)
		}
	}
	var gerr *googleapi.Error
	if req.model, gerr = stringValue(obj["model"], "model"); gerr != nil {
		return req, gerr
	}
	if _, gerr = stringValue(obj["user"], "user"); gerr != nil {
		return req, gerr
	}
	format, gerr := stringValue(googleapi.Field(obj, "encodingFormat", "encoding_format"), "encoding_format")
	switch {
	case gerr != nil:
		return req, gerr
	case format == "base64":
		req.base64 = true
	case format != "" && format != "float":
		return req, invalidValue(schemas.Path{"encoding_format"}, format, "TYPE_STRING")
	}
	switch v := obj["dimensions"].(type) {
	case map[string]any, []any:
		return req, invalidValue(schemas.Path{"dimensions"}, v, "TYPE_INT32")
	}
	if req.dims, gerr = googleapi.Int32(obj, "dimensions", "dimensions", nil); gerr != nil {
		return req, gerr
	}
	req.texts, gerr = inputTexts(obj["input"])
	return req, gerr
}

// stringValue reads a string field; nil is unset.
func stringValue(v any, field string) (string, *googleapi.Error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	}
	return "", invalidValue(schemas.Path{field}, v, "TYPE_STRING")
}

// inputTexts reads input: a string or a list of strings (token ids are
// refused).
func inputTexts(v any) ([]string, *googleapi.Error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{x}, nil
	case []any:
		texts := make([]string, len(x))
		for i, item := range x {
			s, ok := item.(string)
			if !ok {
				return nil, invalidValue(schemas.Path{"input", i}, item, "TYPE_STRING")
			}
			texts[i] = s
		}
		return texts, nil
	}
	return nil, invalidValue(schemas.Path{"input"}, v, "TYPE_STRING")
}

// embedRequests checks req as the BatchEmbedContentsRequest the endpoint
// makes of it (one request per input, each with outputDimensionality
// dimensions) and returns its model and requests: the model name (with
// "models/" put before a name without a slash), the model, the number of
// inputs, each request's fields, and empty texts, in the native method's
// order and words.
func (f *Family) embedRequests(req request) (*gemini.Model, []gemini.EmbedRequest, *googleapi.Error) {
	name := req.model
	if !strings.Contains(name, "/") {
		name = "models/" + name
	}
	if !gemini.ValidModelName(name) {
		return nil, nil, badModelName(len(req.texts))
	}
	model, ok := f.gemini.Catalog().Lookup(strings.TrimPrefix(name, "models/"))
	if !ok {
		return nil, nil, modelNotFound(name)
	}
	if gerr := gemini.BatchSizeError(len(req.texts)); gerr != nil {
		return nil, nil, gerr
	}
	reqs := make([]gemini.EmbedRequest, len(req.texts))
	var violations []string
	for i, text := range req.texts {
		reqs[i] = gemini.TextRequest(text, req.dims)
		violations = append(violations, reqs[i].FieldViolations(requestPrefix(i), model)...)
	}
	if len(violations) > 0 {
		return nil, nil, googleapi.InvalidFields(violations...)
	}
	for _, er := range reqs {
		if er.HasEmptyText() {
			return nil, nil, gemini.EmptyPartError()
		}
	}
	return model, reqs, nil
}
