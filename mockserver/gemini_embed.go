package mockserver

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/embedmock/embedmock/fakeembed"
	"github.com/embedmock/embedmock/schemas"
)

// maxBatchRequests is the real API's limit on requests in one
// batchEmbedContents call.
const maxBatchRequests = 100

// geminiCall identifies the Gemini route a request arrived on.
type geminiCall struct {
	apiVersion string // "v1beta" or "v1"
	route      string // "embedContent", "batches.get", "files.upload", ...
	modelID    string // from the URL, without "models/"
	batchID    string // from the URL, without "batches/"
	fileID     string // from the URL, without "files/"
}

// systemParameters are the query parameters every Google API accepts.
var systemParameters = map[string]bool{
	"key": true, "alt": true, "$alt": true, "prettyPrint": true, "$prettyPrint": true, "fields": true,
	"$fields": true, "callback": true, "$callback": true, "quotaUser": true, "$quotaUser": true,
	"access_token": true, "oauth_token": true, "$.xgafv": true, "upload_protocol": true,
	"uploadType": true, "userIp": true, "$userIp": true,
}

// geminiAuth checks the API key before the Gemini routes.
func (s *Server) geminiAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setGoogleHeaders(w.Header())
		if err := s.geminiKeyError(r); err != nil {
			writeGoogleError(w, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// geminiKeyError checks the API key, from the x-goog-api-key header or else
// the key query parameter.
func (s *Server) geminiKeyError(r *http.Request) *googleError {
	key := r.Header.Get("X-Goog-Api-Key")
	if key == "" && r.URL.RawQuery != "" {
		key = r.URL.Query().Get("key")
	}
	switch {
	case key == "":
		return errMissingAPIKey()
	case s.keys != nil && !s.keys[key]:
		return errInvalidAPIKey()
	}
	return nil
}

// checkQuery rejects query parameters that are neither system parameters
// nor among allowed.
func checkQuery(r *http.Request, allowed ...string) *googleError {
	if r.URL.RawQuery == "" {
		return nil
	}
next:
	for name := range r.URL.Query() {
		if systemParameters[name] {
			continue
		}
		for _, a := range allowed {
			if name == a {
				continue next
			}
		}
		return errUnknownQueryParameter(name)
	}
	return nil
}

// readGeminiBody reads, parses and validates a request body against the
// named schema, answering any failure with the API's error.
func (s *Server) readGeminiBody(w http.ResponseWriter, r *http.Request, call geminiCall, schema schemas.Name) (map[string]any, *googleError) {
	if err := checkQuery(r); err != nil {
		return nil, err
	}
	body, gerr := s.readBody(w, r)
	if gerr != nil {
		return nil, gerr
	}
	return parseGeminiBody(body, call, schema)
}

// parseGeminiBody parses (leniently, as Google's front end does) and
// validates a request body.
func parseGeminiBody(body []byte, call geminiCall, schema schemas.Name) (map[string]any, *googleError) {
	doc, syntaxErr := parseGoogleJSON(body)
	if syntaxErr != nil {
		return nil, errJSONSyntax(syntaxErr)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, errBadPayload("", `Invalid JSON payload received. Unknown name "": Root element must be a message.`)
	}
	if v := schemas.Validate(schema, obj); v != nil {
		return nil, errSchemaViolation(v, call.apiVersion)
	}
	return obj, nil
}

// readBody reads the whole request body within the configured limit.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *googleError) {
	limit := s.cfg.maxBodyBytes
	if r.ContentLength > limit {
		return nil, errPayloadTooLarge(limit)
	}
	var body []byte
	var err error
	if r.ContentLength > 0 {
		body = make([]byte, r.ContentLength)
		_, err = io.ReadFull(r.Body, body)
	} else {
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, errPayloadTooLarge(limit)
	case err != nil:
		return nil, newGoogleError(http.StatusBadRequest, "Failed to read the request body: "+err.Error())
	}
	return body, nil
}

// lookupEmbedModel finds the URL's model, or answers 404.
func (s *Server) lookupEmbedModel(call geminiCall) (*GeminiModel, *googleError) {
	m, ok := s.gemini.lookup(call.modelID)
	if !ok {
		return nil, errEmbedModelNotFound(call.modelID, call.apiVersion)
	}
	return m, nil
}

func (s *Server) handleEmbedContent(w http.ResponseWriter, r *http.Request, call geminiCall) {
	if err := checkQuery(r); err != nil {
		writeGoogleError(w, err)
		return
	}
	body, gerr := s.readBody(w, r)
	if gerr != nil {
		writeGoogleError(w, gerr)
		return
	}
	req, fast := fastEmbedContent(body)
	var obj map[string]any
	if !fast {
		if obj, gerr = parseGeminiBody(body, call, schemas.GeminiEmbedContentRequest); gerr != nil {
			writeGoogleError(w, gerr)
			return
		}
	}
	model, gerr := s.lookupEmbedModel(call)
	if gerr != nil {
		writeGoogleError(w, gerr)
		return
	}
	if !fast {
		if req, gerr = decodeEmbedRequest(obj, nil, call.apiVersion); gerr != nil {
			writeGoogleError(w, gerr)
			return
		}
	}
	if lines := req.fieldViolations("EmbedContentRequest", model); len(lines) > 0 {
		writeGoogleError(w, invalidFields(lines...))
		return
	}
	if req.hasEmptyText() {
		writeGoogleError(w, errEmptyPart())
		return
	}

	buf := getBody()
	defer putBody(buf)
	b := append(*buf, `{"embedding":{"values":`...)
	var tokens int
	b, tokens = s.appendEmbedding(b, model, req)
	b = append(b, '}')
	if model.Embedding.UsageMetadata {
		b = appendUsageMetadata(b, tokens)
	}
	b = append(b, '}')
	*buf = b
	writeJSON(w, http.StatusOK, b)
}

func (s *Server) handleBatchEmbedContents(w http.ResponseWriter, r *http.Request, call geminiCall) {
	if err := checkQuery(r); err != nil {
		writeGoogleError(w, err)
		return
	}
	body, gerr := s.readBody(w, r)
	if gerr != nil {
		writeGoogleError(w, gerr)
		return
	}
	rp := requestBuffers.Get().(*[]embedRequest)
	defer requestBuffers.Put(rp)
	reqs, fast := fastBatchEmbedContents(body, *rp)
	var items []any
	if fast {
		*rp = reqs
	} else {
		obj, gerr := parseGeminiBody(body, call, schemas.GeminiBatchEmbedContentsRequest)
		if gerr != nil {
			writeGoogleError(w, gerr)
			return
		}
		items, _ = obj["requests"].([]any)
	}
	model, gerr := s.lookupEmbedModel(call)
	if gerr != nil {
		writeGoogleError(w, gerr)
		return
	}
	if !fast {
		switch {
		case len(items) == 0:
			writeGoogleError(w, invalidFields("BatchEmbedContentsRequest.requests: requests is not specified"))
			return
		case len(items) > maxBatchRequests:
			writeGoogleError(w, invalidFields(fmt.Sprintf("BatchEmbedContentsRequest.requests: at most %d requests can be in one batch", maxBatchRequests)))
			return
		}
		reqs = make([]embedRequest, len(items))
		for i, item := range items {
			itemObj, _ := item.(map[string]any)
			if reqs[i], gerr = decodeEmbedRequest(itemObj, schemas.Path{"requests", i}, call.apiVersion); gerr != nil {
				writeGoogleError(w, gerr)
				return
			}
		}
	}
	var violations []string
	for i, req := range reqs {
		prefix := "BatchEmbedContentsRequest.requests[" + strconv.Itoa(i) + "]"
		switch name := req.model; {
		case name == "":
			violations = append(violations, prefix+".model: model is not specified")
		case !validModelName(name):
			violations = append(violations, prefix+".model: unexpected model name format")
		case name != model.Name:
			violations = append(violations, fmt.Sprintf(
				"%s.model: the model in each request must match the model specified in BatchEmbedContentsRequest.model (%s), got %s",
				prefix, model.Name, name))
		}
		violations = append(violations, req.fieldViolations(prefix, model)...)
	}
	if len(violations) > 0 {
		writeGoogleError(w, invalidFields(violations...))
		return
	}
	for _, req := range reqs {
		if req.hasEmptyText() {
			writeGoogleError(w, errEmptyPart())
			return
		}
	}

	// The answer is written as it is computed, in pieces of streamPiece
	// bytes: the buffer stays in the processor's cache and the client
	// reads the first embeddings while the last are computed. Nothing can
	// fail any more, so the status is settled.
	buf := getBody()
	defer putBody(buf)
	stream := responseStream{w: w}
	b := append(*buf, `{"embeddings":[`...)
	total := 0
	stream.compute()
	defer stream.release()
	for i, req := range reqs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"values":`...)
		var tokens int
		b, tokens = s.appendEmbedding(b, model, req)
		b = append(b, '}')
		total += tokens
		b = stream.flush(b, streamPiece)
	}
	b = append(b, ']')
	if model.Embedding.UsageMetadata {
		b = appendUsageMetadata(b, total)
	}
	b = append(b, '}')
	*buf = b
	stream.finish(b)
}

// appendEmbedding appends the JSON array of req's vector and returns the
// input's token estimate.
func (s *Server) appendEmbedding(b []byte, model *GeminiModel, req embedRequest) ([]byte, int) {
	task, text := s.geminiInput(model, req.task, req.joinedText())
	tokens := fakeembed.EstimateTokens(text)
	kp := keyBuffers.Get().(*cacheKey)
	defer keyBuffers.Put(kp)
	key := (*kp)[:0].add("gemini").addInt(int(s.cfg.vectorMode)).add(model.ID()).addInt(model.Embedding.Dimensions).
		add(task).add(req.title).add(text).addInt(req.outputDims)
	*kp = key
	b = s.appendCachedVector(b, key, func(dst []float32) []float32 {
		return s.geminiVector(dst, model, task, req.title, text, req.outputDims)
	}, appendVector)
	return b, tokens
}

// appendCachedVector appends the encoded vector cached under key or, on a
// miss, computes it (into a pooled buffer), encodes it and caches the
// encoding. Every family's vectors go through it.
func (s *Server) appendCachedVector(b []byte, key cacheKey, compute func(dst []float32) []float32, encode func([]byte, []float32) []byte) []byte {
	if out, hit := s.vectors.appendTo(b, key); hit {
		return out
	}
	vp := vectorBuffers.Get().(*[]float32)
	*vp = compute((*vp)[:0])
	start := len(b)
	b = encode(b, *vp)
	vectorBuffers.Put(vp)
	s.vectors.put(key, b[start:])
	return b
}

// geminiInput is what the vector of a Gemini request depends on: the task
// type (none for models that ignore it) and the text, cut to the model's
// token limit silently, as Vertex AI's default autoTruncate does.
func (s *Server) geminiInput(model *GeminiModel, task, text string) (string, string) {
	if model.Embedding.IgnoresTaskType {
		task = ""
	}
	return task, fakeembed.TruncateToTokens(text, model.InputTokenLimit)
}

// geminiVector appends the vector for a Gemini input (see geminiInput) to
// dst.
func (s *Server) geminiVector(dst []float32, model *GeminiModel, task, title, text string, dims int) []float32 {
	return fakeembed.AppendVector(dst, s.cfg.vectorMode,
		fakeembed.Input{Model: model.ID(), Task: task, Title: title, Text: text},
		fakeembed.Shape{Dimensions: model.Embedding.Dimensions, Output: dims})
}

// VectorQuery is an embedding input as a Gemini request gives it.
type VectorQuery struct {
	Model      string // model id, with or without "models/"
	Text       string // the text parts, joined with "\n"
	TaskType   string // TaskType name; "" for none
	Title      string
	Dimensions int // outputDimensionality; 0 for the model's full dimension
}

// Vector returns the exact vector the server answers q with, so that tests
// can assert on values without a round trip. It fails for a model the
// server does not serve and for a dimension the model does not accept.
func (s *Server) Vector(q VectorQuery) ([]float32, error) {
	id := strings.TrimPrefix(q.Model, "models/")
	model, ok := s.gemini.lookup(id)
	if !ok {
		return nil, fmt.Errorf("mockserver: no model %q is served", id)
	}
	req := embedRequest{outputDims: q.Dimensions, parts: []embedPart{{text: q.Text, hasText: true, members: []string{"text"}}}, hasContent: true}
	if lines := req.fieldViolations("VectorQuery", model); len(lines) > 0 {
		return nil, fmt.Errorf("mockserver: %s", strings.Join(lines, "; "))
	}
	task := q.TaskType
	if task == taskTypeNames[0] {
		task = ""
	}
	task, text := s.geminiInput(model, task, q.Text)
	return s.geminiVector(nil, model, task, q.Title, text, q.Dimensions), nil
}

func appendUsageMetadata(b []byte, tokens int) []byte {
	b = append(b, `,"usageMetadata":{"promptTokenCount":`...)
	b = strconv.AppendInt(b, int64(tokens), 10)
	b = append(b, `,"promptTokenDetails":[{"modality":"TEXT","tokenCount":`...)
	b = strconv.AppendInt(b, int64(tokens), 10)
	return append(b, `}]}`...)
}
