package mockserver

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/embedmock/embedmock/fakeembed"
	"github.com/embedmock/embedmock/schemas"
)

// OpenAI API limits on one embeddings request.
const (
	openAIMaxInputs         = 2048
	openAIMaxTokensPerInput = 8192
	openAIMaxTokensPerCall  = 300000
)

// OpenAIModel is an embedding model of the OpenAI API.
type OpenAIModel struct {
	ID string `json:"id"`
	// Dimensions is the native (default and largest) dimension.
	Dimensions int `json:"dimensions"`
	// Shortening models accept the dimensions parameter (text-embedding-3).
	Shortening bool `json:"shortening,omitempty"`
	// ResponseModel is the model name responses report; "" reports ID.
	// The real API answers text-embedding-ada-002 requests with
	// "text-embedding-ada-002-v2".
	ResponseModel string `json:"responseModel,omitempty"`
	// Created is the models API's creation time (Unix seconds).
	Created int64 `json:"created,omitempty"`
}

// DefaultOpenAIModels returns the built-in OpenAI embedding models.
func DefaultOpenAIModels() []OpenAIModel {
	return []OpenAIModel{
		{ID: "text-embedding-3-small", Dimensions: 1536, Shortening: true, Created: 1705948997},
		{ID: "text-embedding-3-large", Dimensions: 3072, Shortening: true, Created: 1705953180},
		{ID: "text-embedding-ada-002", Dimensions: 1536, ResponseModel: "text-embedding-ada-002-v2", Created: 1671217299},
	}
}

func validateOpenAIModels(models []OpenAIModel) error {
	seen := map[string]bool{}
	for _, m := range models {
		switch {
		case m.ID == "" || strings.ContainsAny(m.ID, "/ "):
			return fmt.Errorf("mockserver: OpenAI model id %q is empty or holds / or a space", m.ID)
		case m.Dimensions <= 0:
			return fmt.Errorf("mockserver: OpenAI model %s needs positive dimensions", m.ID)
		case seen[m.ID]:
			return fmt.Errorf("mockserver: OpenAI model %s is listed twice", m.ID)
		}
		seen[m.ID] = true
	}
	return nil
}

// openAIError is the OpenAI error envelope
// {"error": {"message", "type", "param", "code"}}, or Azure OpenAI's
// {"error": {"code", "message"}}.
type openAIError struct {
	status  int
	message string
	typ     string
	param   string // "" renders null
	code    string // "" renders null
	azure   bool
}

// newOpenAIError builds an error whose type follows the status as the API's
// does; param and code may be "".
func newOpenAIError(status int, message, param, code string) *openAIError {
	typ := "invalid_request_error"
	switch {
	case status == http.StatusTooManyRequests:
		typ = "requests"
	case status >= 500:
		typ = "server_error"
	}
	return &openAIError{status: status, message: message, typ: typ, param: param, code: code}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func writeOpenAIError(w http.ResponseWriter, e *openAIError) {
	var body []byte
	if e.azure {
		code := e.code
		if code == "" {
			code = strconv.Itoa(e.status)
		}
		body = mustMarshal(map[string]any{"error": map[string]any{"code": code, "message": e.message}})
	} else {
		body = mustMarshal(map[string]any{"error": map[string]any{
			"message": e.message, "type": e.typ, "param": nullable(e.param), "code": nullable(e.code),
		}})
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Del("Content-Length")
	setOpenAIHeaders(h)
	w.WriteHeader(e.status)
	w.Write(append(body, '\n'))
}

// setOpenAIHeaders sets the headers every OpenAI response has.
func setOpenAIHeaders(h http.Header) {
	var id [16]byte
	rand.Read(id[:])
	h.Set("X-Request-Id", "req_"+hex.EncodeToString(id[:]))
	h.Set("Openai-Version", "2020-10-01")
	h.Set("Openai-Organization", "embedmock")
}

// invalidInput is the API's answer to an input it cannot embed.
func invalidInput(path string) *openAIError {
	return newOpenAIError(http.StatusBadRequest,
		"'"+path+"' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", "", "")
}

// maskKey shows a key the way the API's errors do: its start and end.
func maskKey(key string) string {
	if len(key) <= 8 {
		return strings.Repeat("*", len(key))
	}
	return key[:3] + strings.Repeat("*", len(key)-7) + key[len(key)-4:]
}

// openAIKeyError checks the API key: Authorization: Bearer, or for Azure
// OpenAI's deployment routes the api-key header.
func (s *Server) openAIKeyError(r *http.Request) *openAIError {
	azure := strings.HasPrefix(r.URL.Path, "/openai/")
	key, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	key = strings.TrimSpace(key)
	if azure && key == "" {
		key = r.Header.Get("Api-Key")
	}
	switch {
	case key == "" && azure:
		return &openAIError{status: http.StatusUnauthorized, azure: true, code: "401",
			message: "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}
	case key == "":
		return newOpenAIError(http.StatusUnauthorized, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.", "", "")
	case s.keys != nil && !s.keys[key] && azure:
		return &openAIError{status: http.StatusUnauthorized, azure: true, code: "401",
			message: "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}
	case s.keys != nil && !s.keys[key]:
		return newOpenAIError(http.StatusUnauthorized, "Incorrect API key provided: "+maskKey(key)+". You can find your API key at https://platform.openai.com/account/api-keys.", "", "invalid_api_key")
	}
	return nil
}

// withOpenAIAuth checks the key before the OpenAI routes.
func (s *Server) withOpenAIAuth(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e := s.openAIKeyError(r); e != nil {
			writeOpenAIError(w, e)
			return
		}
		h(w, r)
	})
}

// openAIInput is one input of an embeddings request.
type openAIInput struct {
	text   string // the text, or "\x01tokens:" and the token ids for token input
	tokens int
}

// handleOpenAIEmbeddings serves POST /v1/embeddings, /embeddings and Azure
// OpenAI's /openai/deployments/{deployment}/embeddings.
func (s *Server) handleOpenAIEmbeddings(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	deployment := mux.Vars(r)["deployment"]
	azure := deployment != ""
	fail := func(e *openAIError) {
		if azure && e.status == http.StatusNotFound {
			e = &openAIError{status: http.StatusNotFound, azure: true, code: "DeploymentNotFound",
				message: "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."}
		}
		writeOpenAIError(w, e)
	}
	if azure && r.URL.Query().Get("api-version") == "" {
		writeOpenAIError(w, &openAIError{status: http.StatusNotFound, azure: true, code: "404", message: "Resource not found"})
		return
	}
	body, gerr := s.readBody(w, r)
	if gerr != nil {
		status := gerr.Code
		if status == http.StatusBadRequest && strings.HasPrefix(gerr.Message, "Request payload size") {
			status = http.StatusRequestEntityTooLarge
		}
		fail(newOpenAIError(status, gerr.Message, "", ""))
		return
	}
	obj, fast := fastOpenAIBody(body)
	if !fast {
		var e *openAIError
		if obj, e = decodeOpenAIBody(body); e != nil {
			fail(e)
			return
		}
	}
	modelName, _ := obj["model"].(string)
	if _, ok := obj["input"]; !ok {
		fail(newOpenAIError(http.StatusBadRequest, "'input' is a required property", "", ""))
		return
	}
	if modelName == "" && !azure {
		fail(newOpenAIError(http.StatusBadRequest, "you must provide a model parameter", "", ""))
		return
	}
	model, ok := s.lookupOpenAIModel(deployment, modelName)
	if !ok {
		fail(newOpenAIError(http.StatusNotFound, fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", modelName), "", "model_not_found"))
		return
	}
	dims := 0
	if d, ok := obj["dimensions"].(json.Number); ok {
		n := integerValue(d)
		switch {
		case !model.Shortening:
			fail(newOpenAIError(http.StatusBadRequest, "This model does not support specifying dimensions.", "", ""))
			return
		case n > int64(model.Dimensions):
			fail(newOpenAIError(http.StatusBadRequest, fmt.Sprintf(
				"This model's maximum number of dimensions is %d, however you requested %d dimensions.", model.Dimensions, n), "dimensions", ""))
			return
		}
		dims = int(n)
	}
	inputs, e := s.openAIInputs(obj["input"])
	if e != nil {
		fail(e)
		return
	}
	base64Format := obj["encoding_format"] == "base64"

	buf := getBody()
	defer putBody(buf)
	stream := responseStream{w: w, header: func(h http.Header) {
		setOpenAIHeaders(h)
		s.setOpenAIRateLimitHeaders(h, r)
		h.Set("Openai-Processing-Ms", strconv.FormatInt(time.Since(start).Milliseconds(), 10))
		h.Set("Openai-Model", model.ID)
	}}
	b := append(*buf, `{"object":"list","data":[`...)
	total := 0
	stream.compute()
	defer stream.release()
	encode := appendVector
	if base64Format {
		encode = appendBase64Vector
	}
	kp := keyBuffers.Get().(*cacheKey)
	defer keyBuffers.Put(kp)
	for i, in := range inputs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"object":"embedding","index":`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `,"embedding":`...)
		key := (*kp)[:0].add("openai").addInt(int(s.cfg.vectorMode)).add(model.ID).addInt(model.Dimensions).
			add(in.text).addInt(dims).add(encodingFormat(obj))
		*kp = key
		b = s.appendCachedVector(b, key, func(dst []float32) []float32 {
			return fakeembed.AppendVector(dst, s.cfg.vectorMode, fakeembed.Input{Model: model.ID, Text: in.text},
				fakeembed.Shape{Dimensions: model.Dimensions, Output: dims, Truncation: fakeembed.Renormalize})
		}, encode)
		b = append(b, '}')
		total += in.tokens
		b = stream.flush(b, streamPiece)
	}
	responseModel := model.ResponseModel
	if responseModel == "" {
		responseModel = model.ID
	}
	b = append(b, `],"model":`...)
	b = append(b, mustMarshal(responseModel)...)
	b = append(b, `,"usage":{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(total), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(total), 10)
	b = append(b, "}}"...)
	*buf = b
	stream.finish(b)
}

// lookupOpenAIModel finds the model of a request: the body's, or for
// Azure the deployment's (a deployment named after a model serves it;
// otherwise the body's model is used).
func (s *Server) lookupOpenAIModel(deployment, name string) (OpenAIModel, bool) {
	find := func(id string) (OpenAIModel, bool) {
		i := slices.IndexFunc(s.openAIModels, func(m OpenAIModel) bool { return m.ID == id })
		if i < 0 {
			return OpenAIModel{}, false
		}
		return s.openAIModels[i], true
	}
	if deployment != "" {
		if m, ok := find(deployment); ok {
			return m, true
		}
	}
	return find(name)
}

// openAIInputs checks and measures the inputs: a string, strings, token ids
// or lists of token ids.
func (s *Server) openAIInputs(v any) ([]openAIInput, *openAIError) {
	var out []openAIInput
	addText := func(text, path string) *openAIError {
		if text == "" && !s.cfg.openAIEmptyInput {
			return invalidInput(path)
		}
		out = append(out, openAIInput{text: text, tokens: max(fakeembed.EstimateTokens(text), 1)})
		return nil
	}
	addTokens := func(ids []any) {
		var b strings.Builder
		b.WriteString("\x01tokens:")
		for i, id := range ids {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(id.(json.Number).String())
		}
		out = append(out, openAIInput{text: b.String(), tokens: len(ids)})
	}
	switch x := v.(type) {
	case string:
		if e := addText(x, "$.input"); e != nil {
			return nil, e
		}
	case []any:
		if len(x) == 0 {
			return nil, invalidInput("$.input")
		}
		switch x[0].(type) {
		case json.Number:
			addTokens(x)
		case []any:
			for _, ids := range x {
				addTokens(ids.([]any))
			}
		default:
			for i, t := range x {
				if e := addText(t.(string), fmt.Sprintf("$.input[%d]", i)); e != nil {
					return nil, e
				}
			}
		}
	}
	total := 0
	for _, in := range out {
		if in.tokens > openAIMaxTokensPerInput {
			return nil, newOpenAIError(http.StatusBadRequest, fmt.Sprintf(
				"This model's maximum context length is %d tokens, however you requested %d tokens (%d in your prompt; 0 for the completion). Please reduce your prompt; or completion length.",
				openAIMaxTokensPerInput, in.tokens, in.tokens), "", "")
		}
		total += in.tokens
	}
	if total > openAIMaxTokensPerCall {
		e := newOpenAIError(http.StatusBadRequest, fmt.Sprintf("Requested %d tokens, max %d tokens per request", total, openAIMaxTokensPerCall), "", "max_tokens_per_request")
		e.typ = "max_tokens_per_request"
		return nil, e
	}
	return out, nil
}

// openAISchemaError renders a schema violation as the API does.
func openAISchemaError(v *schemas.Violation) *openAIError {
	if v.Kind == schemas.UnknownField {
		return newOpenAIError(http.StatusBadRequest, "Unrecognized request argument supplied: "+v.Field, "", "")
	}
	path := "$"
	for _, seg := range v.Path {
		switch x := seg.(type) {
		case int:
			path += "[" + strconv.Itoa(x) + "]"
		case string:
			path += "." + x
		}
	}
	if v.Kind == schemas.NotRepeated || v.Kind == schemas.ObjectForScalar {
		path += "." + v.Field
	}
	return invalidInput(path)
}

// appendBase64Vector appends v as a JSON string: the standard base64 of its
// float32 values, little-endian.
func appendBase64Vector(b []byte, v []float32) []byte {
	// In blocks of 192 values (768 bytes, a multiple of base64's 3-byte
	// groups, so the blocks' encodings join into the whole's) through a
	// buffer on the stack.
	var raw [768]byte
	b = append(b, '"')
	for len(v) > 0 {
		block := v[:min(len(v), len(raw)/4)]
		v = v[len(block):]
		for i, x := range block {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
		}
		b = base64.StdEncoding.AppendEncode(b, raw[:4*len(block)])
	}
	return append(b, '"')
}

// setOpenAIRateLimitHeaders reports the quotas: the configured ones, or
// generous nominal ones.
func (s *Server) setOpenAIRateLimitHeaders(h http.Header, r *http.Request) {
	rpm, tpm := 10000, 10000000
	remainingRequests, remainingTokens := rpm-1, tpm
	if s.limiter != nil {
		rr, rt := s.limiter.remaining(apiKey(r), s.now())
		if s.limiter.rpm > 0 {
			rpm, remainingRequests = s.limiter.rpm, rr
		}
		if s.limiter.tpm > 0 {
			tpm, remainingTokens = s.limiter.tpm, rt
		}
	}
	h.Set("X-Ratelimit-Limit-Requests", strconv.Itoa(rpm))
	h.Set("X-Ratelimit-Limit-Tokens", strconv.Itoa(tpm))
	h.Set("X-Ratelimit-Remaining-Requests", strconv.Itoa(max(remainingRequests, 0)))
	h.Set("X-Ratelimit-Remaining-Tokens", strconv.Itoa(max(remainingTokens, 0)))
	h.Set("X-Ratelimit-Reset-Requests", "6ms")
	h.Set("X-Ratelimit-Reset-Tokens", "0s")
}

// openAIModelObject is a model of the models API.
type openAIModelObject struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

func (m OpenAIModel) object() openAIModelObject {
	return openAIModelObject{ID: m.ID, Object: "model", Created: m.Created, OwnedBy: "system"}
}

// handleOpenAIModels serves GET /v1/models and /v1/models/{id}.
func (s *Server) handleOpenAIModels(w http.ResponseWriter, r *http.Request) {
	setOpenAIHeaders(w.Header())
	if id, ok := mux.Vars(r)["model"]; ok {
		m, found := s.lookupOpenAIModel("", id)
		if !found {
			writeOpenAIError(w, newOpenAIError(http.StatusNotFound, fmt.Sprintf("The model '%s' does not exist", id), "model", "model_not_found"))
			return
		}
		writeJSON(w, http.StatusOK, mustMarshal(m.object()))
		return
	}
	list := struct {
		Object string              `json:"object"`
		Data   []openAIModelObject `json:"data"`
	}{Object: "list", Data: []openAIModelObject{}}
	for _, m := range s.openAIModels {
		list.Data = append(list.Data, m.object())
	}
	writeJSON(w, http.StatusOK, mustMarshal(list))
}

// encodingFormat is the request's encoding_format ("" when absent).
func encodingFormat(obj map[string]any) string {
	f, _ := obj["encoding_format"].(string)
	return f
}

// decodeOpenAIBody decodes and validates an embeddings request body the
// full way, answering the API's errors.
func decodeOpenAIBody(body []byte) (map[string]any, *openAIError) {
	doc, err := schemas.Decode(body)
	if err != nil {
		return nil, newOpenAIError(http.StatusBadRequest, "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)", "", "")
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, invalidInput("$")
	}
	if in, ok := obj["input"].([]any); ok && len(in) > openAIMaxInputs {
		return nil, invalidInput("$.input") // before validation, which would look at every element
	}
	if v := schemas.Validate(schemas.OpenAIEmbeddingRequest, obj); v != nil {
		return nil, openAISchemaError(v)
	}
	return obj, nil
}

// integerValue is the value of a JSON number the schema accepted as an
// integer: 8, but also 8.0 or 8e0 (JSON Schema's integers are the numbers
// without a fraction). Values beyond int64 saturate.
func integerValue(d json.Number) int64 {
	if n, err := d.Int64(); err == nil {
		return n
	}
	f, _ := strconv.ParseFloat(string(d), 64)
	switch {
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}
