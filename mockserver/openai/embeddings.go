package openai

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/embedmock/embedmock/fakeembed"
	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/mockserver/vectorwire"
	"github.com/embedmock/embedmock/schemas"
)

// OpenAI API limits on one embeddings request.
const (
	maxInputs         = 2048
	maxTokensPerInput = 8192
	maxTokensPerCall  = 300000
)

// input is one input of an embeddings request.
type input struct {
	text   string // the text, or "\x01tokens:" and the token ids for token input
	tokens int
}

// handleEmbeddings serves POST /v1/embeddings, /embeddings and Azure
// OpenAI's /openai/deployments/{deployment}/embeddings.
func (f *Family) handleEmbeddings(w http.ResponseWriter, r *http.Request, c *family.Call) {
	start := time.Now()
	deployment := c.Var("deployment")
	azure := deployment != ""
	fail := func(e *apiError) {
		if azure && e.status == http.StatusNotFound {
			e = &apiError{status: http.StatusNotFound, azure: true, code: "DeploymentNotFound",
				message: "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."}
		}
		writeError(w, e)
	}
	if azure && r.URL.Query().Get("api-version") == "" {
		writeError(w, &apiError{status: http.StatusNotFound, azure: true, code: "404", message: "Resource not found"})
		return
	}
	body, failure := family.ReadBody(w, r, f.env.MaxBodyBytes)
	if failure != nil {
		f.WriteFailure(w, r, c, failure)
		return
	}
	obj, fast := fastBody(body)
	if !fast {
		var e *apiError
		if obj, e = decodeBody(body); e != nil {
			fail(e)
			return
		}
	}
	modelName, _ := obj["model"].(string)
	if _, ok := obj["input"]; !ok {
		fail(newError(http.StatusBadRequest, "'input' is a required property", "", ""))
		return
	}
	if modelName == "" && !azure {
		fail(newError(http.StatusBadRequest, "you must provide a model parameter", "", ""))
		return
	}
	model, ok := f.lookupModel(deployment, modelName)
	if !ok {
		fail(newError(http.StatusNotFound, fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", modelName), "", "model_not_found"))
		return
	}
	dims := 0
	if d, ok := obj["dimensions"].(json.Number); ok {
		n := integerValue(d)
		switch {
		case !model.Shortening:
			fail(newError(http.StatusBadRequest, "This model does not support specifying dimensions.", "", ""))
			return
		case n > int64(model.Dimensions):
			fail(newError(http.StatusBadRequest, fmt.Sprintf(
				"This model's maximum number of dimensions is %d, however you requested %d dimensions.", model.Dimensions, n), "dimensions", ""))
			return
		}
		dims = int(n)
	}
	inputs, e := f.inputs(obj["input"])
	if e != nil {
		fail(e)
		return
	}
	format := encodingFormat(obj)

	buf := vectorwire.GetBody()
	defer vectorwire.PutBody(buf)
	stream := vectorwire.Stream{W: w, Slots: f.env.Slots, Header: func(h http.Header) {
		setHeaders(h)
		f.setRateLimitHeaders(h, r)
		h.Set("Openai-Processing-Ms", strconv.FormatInt(time.Since(start).Milliseconds(), 10))
		h.Set("Openai-Model", model.ID)
	}}
	b := AppendAnswerStart(*buf)
	total := 0
	stream.Compute()
	defer stream.Release()
	encode := vectorwire.AppendVector
	if format == "base64" {
		encode = vectorwire.AppendBase64Vector
	}
	kp := vectorwire.GetKey()
	defer vectorwire.PutKey(kp)
	mode := f.env.Mode
	for i, in := range inputs {
		b = AppendItemStart(b, i)
		key := (*kp)[:0].Add(name).AddInt(int(mode)).Add(model.ID).AddInt(model.Dimensions).
			Add(in.text).AddInt(dims).Add(format)
		*kp = key
		b = f.env.Vectors.Append(b, key, func(dst []float32) []float32 {
			return fakeembed.AppendVector(dst, mode, fakeembed.Input{Model: model.ID, Text: in.text},
				fakeembed.Shape{Dimensions: model.Dimensions, Output: dims, Truncation: fakeembed.Renormalize})
		}, encode)
		b = append(b, '}')
		total += in.tokens
		b = stream.Flush(b)
	}
	responseModel := model.ResponseModel
	if responseModel == "" {
		responseModel = model.ID
	}
	b = AppendAnswerEnd(b, responseModel, total)
	*buf = b
	stream.Finish(b)
}

// An embeddings answer is
// {"object":"list","data":[{"object":"embedding","index":i,"embedding":E},...],
// "model":M,"usage":{"prompt_tokens":N,"total_tokens":N}}. AppendAnswerStart,
// AppendItemStart and AppendAnswerEnd write it around the embeddings E,
// which the caller appends, each followed by '}'.

// AppendAnswerStart appends the start of an embeddings answer.
func AppendAnswerStart(b []byte) []byte { return append(b, `{"object":"list","data":[`...) }

// AppendItemStart appends the start of the answer's i-th item (from 0),
// up to its embedding.
func AppendItemStart(b []byte, i int) []byte {
	if i > 0 {
		b = append(b, ',')
	}
	b = append(b, `{"object":"embedding","index":`...)
	b = strconv.AppendInt(b, int64(i), 10)
	return append(b, `,"embedding":`...)
}

// AppendAnswerEnd appends the end of an embeddings answer: the model and
// the usage of tokens input tokens.
func AppendAnswerEnd(b []byte, model string, tokens int) []byte {
	b = append(b, `],"model":`...)
	b = append(b, vectorwire.MustMarshal(model)...)
	b = append(b, `,"usage":{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(tokens), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(tokens), 10)
	return append(b, "}}"...)
}

// inputs checks and measures the inputs: a string, strings, token ids or
// lists of token ids.
func (f *Family) inputs(v any) ([]input, *apiError) {
	var out []input
	addText := func(text, path string) *apiError {
		if text == "" && !f.emptyInput {
			return invalidInput(path)
		}
		out = append(out, input{text: text, tokens: max(fakeembed.EstimateTokens(text), 1)})
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
		out = append(out, input{text: b.String(), tokens: len(ids)})
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
		if in.tokens > maxTokensPerInput {
			return nil, newError(http.StatusBadRequest, fmt.Sprintf(
				"This model's maximum context length is %d tokens, however you requested %d tokens (%d in your prompt; 0 for the completion). Please reduce your prompt; or completion length.",
				maxTokensPerInput, in.tokens, in.tokens), "", "")
		}
		total += in.tokens
	}
	if total > maxTokensPerCall {
		e := newError(http.StatusBadRequest, fmt.Sprintf("Requested %d tokens, max %d tokens per request", total, maxTokensPerCall), "", "max_tokens_per_request")
		e.typ = "max_tokens_per_request"
		return nil, e
	}
	return out, nil
}

// setRateLimitHeaders reports the quotas: the configured ones, or generous
// nominal ones.
func (f *Family) setRateLimitHeaders(h http.Header, r *http.Request) {
	rpm, tpm := 10000, 10000000
	remainingRequests, remainingTokens := rpm-1, tpm
	if f.env.Quota != nil {
		q := f.env.Quota(f.Caller(r))
		if q.RequestsPerMinute > 0 {
			rpm, remainingRequests = q.RequestsPerMinute, q.RemainingRequests
		}
		if q.TokensPerMinute > 0 {
			tpm, remainingTokens = q.TokensPerMinute, q.RemainingTokens
		}
	}
	h.Set("X-Ratelimit-Limit-Requests", strconv.Itoa(rpm))
	h.Set("X-Ratelimit-Limit-Tokens", strconv.Itoa(tpm))
	h.Set("X-Ratelimit-Remaining-Requests", strconv.Itoa(max(remainingRequests, 0)))
	h.Set("X-Ratelimit-Remaining-Tokens", strconv.Itoa(max(remainingTokens, 0)))
	h.Set("X-Ratelimit-Reset-Requests", "6ms")
	h.Set("X-Ratelimit-Reset-Tokens", "0s")
}

// encodingFormat is the request's encoding_format ("" when absent).
func encodingFormat(obj map[string]any) string {
	f, _ := obj["encoding_format"].(string)
	return f
}

// decodeBody decodes and validates an embeddings request body the full
// way, answering the API's errors.
func decodeBody(body []byte) (map[string]any, *apiError) {
	doc, err := schemas.Decode(body)
	if err != nil {
		return nil, newError(http.StatusBadRequest, "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)", "", "")
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, invalidInput("$")
	}
	if in, ok := obj["input"].([]any); ok && len(in) > maxInputs {
		return nil, invalidInput("$.input") // before validation, which would look at every element
	}
	if v := schemas.Validate(schemas.OpenAIEmbeddingRequest, obj); v != nil {
		return nil, schemaError(v)
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
