package vertex

import (
	"net/http"
	"strconv"
	"unicode"

	"github.com/embedmock/embedmock/fakeembed"
	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/mockserver/gemini"
	"github.com/embedmock/embedmock/mockserver/googleapi"
	"github.com/embedmock/embedmock/mockserver/vectorwire"
)

// lookupFor finds the URL's model for the route's method, or answers 404
// (unknown model) or 400 (a model of the other method).
func (f *Family) lookupFor(c *family.Call) (model, *googleapi.Error) {
	m, ok := f.lookup(c.Model)
	switch {
	case !ok:
		return m, modelNotFound(c)
	case c.Kind == KindPredict && !m.predict:
		return m, wrongMethod(c, KindEmbedContent)
	case c.Kind == KindEmbedContent && !m.embedContent:
		return m, wrongMethod(c, KindPredict)
	}
	return m, nil
}

// checkInput checks a request's fields against the model (prefix names
// the request in field violations) and, with autoTruncate false, its
// length.
func checkInput(in input, prefix string, m model, autoTruncate bool) *googleapi.Error {
	if lines := in.req.FieldViolations(prefix, m.Model); len(lines) > 0 {
		return googleapi.InvalidFields(lines...)
	}
	if in.req.HasEmptyText() {
		return gemini.EmptyPartError()
	}
	if !autoTruncate && in.tokens() > m.InputTokenLimit {
		return overLimit(in.tokens(), m.InputTokenLimit)
	}
	return nil
}

// readRequest reads and decodes a request's body and finds the model of
// its path, answering any failure (ok false).
func readRequest[T any](f *Family, w http.ResponseWriter, r *http.Request, c *family.Call,
	decode func(body []byte, apiVersion string) (T, *googleapi.Error)) (req T, m model, ok bool) {
	body, gerr := googleapi.ReadQueryBody(w, r, f.env.MaxBodyBytes)
	if gerr == nil {
		req, gerr = decode(body, c.APIVersion)
	}
	if gerr == nil {
		m, gerr = f.lookupFor(c)
	}
	if gerr != nil {
		writeError(w, gerr)
		return req, m, false
	}
	return req, m, true
}

// handlePredict serves :predict: one prediction per instance, each the
// Gemini routes' vector for the same model, task, title, text and
// dimension.
func (f *Family) handlePredict(w http.ResponseWriter, r *http.Request, c *family.Call) {
	req, m, ok := readRequest(f, w, r, c, decodePredict)
	if !ok {
		return
	}
	switch n := len(req.inputs); {
	case n == 0:
		writeError(w, noInstances())
		return
	case n > m.maxInstances:
		writeError(w, tooManyInstances(n, m.maxInstances))
		return
	}
	for _, in := range req.inputs {
		if gerr := checkInput(in, "PredictRequest.parameters", m, req.autoTruncate); gerr != nil {
			writeError(w, gerr)
			return
		}
	}

	googleapi.SetHeaders(w.Header())
	buf := vectorwire.GetBody()
	defer vectorwire.PutBody(buf)
	stream := vectorwire.Stream{W: w, Slots: f.env.Slots}
	b := append(*buf, `{"predictions":[`...)
	billable := 0
	stream.Compute()
	defer stream.Release()
	for i, in := range req.inputs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"embeddings":{"values":`...)
		var tokens int
		b, tokens = f.gemini.AppendEmbedding(b, m.Model, in.req)
		b = append(b, `,"statistics":{"truncated":`...)
		b = strconv.AppendBool(b, in.tokens() > m.InputTokenLimit)
		b = append(b, `,"token_count":`...)
		b = strconv.AppendInt(b, int64(tokens), 10)
		b = append(b, `}}}`...)
		billable += billableCharacters(fakeembed.TruncateToTokens(in.text, m.InputTokenLimit))
		b = stream.Flush(b)
	}
	b = append(b, `],"metadata":{"billableCharacterCount":`...)
	b = strconv.AppendInt(b, int64(billable), 10)
	b = append(b, `}}`...)
	*buf = b
	stream.Finish(b)
}

// billableCharacters counts text as Vertex AI bills it: characters
// (Unicode code points), white space excluded.
func billableCharacters(text string) int {
	n := 0
	for _, r := range text {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// handleEmbedContent serves :embedContent: the one Content's vector, as
// the Gemini routes answer it.
func (f *Family) handleEmbedContent(w http.ResponseWriter, r *http.Request, c *family.Call) {
	req, m, ok := readRequest(f, w, r, c, decodeEmbedContent)
	if !ok {
		return
	}
	if gerr := checkInput(req.input, "EmbedContentRequest", m, req.autoTruncate); gerr != nil {
		writeError(w, gerr)
		return
	}

	googleapi.SetHeaders(w.Header())
	buf := vectorwire.GetBody()
	defer vectorwire.PutBody(buf)
	b := append(*buf, `{"embedding":{"values":`...)
	var tokens int
	b, tokens = f.gemini.AppendEmbedding(b, m.Model, req.req)
	b = append(b, `},"usageMetadata":{"promptTokenCount":`...)
	b = strconv.AppendInt(b, int64(tokens), 10)
	b = append(b, `,"totalTokenCount":`...)
	b = strconv.AppendInt(b, int64(tokens), 10)
	b = append(b, `,"promptTokensDetails":[{"modality":"TEXT","tokenCount":`...)
	b = strconv.AppendInt(b, int64(tokens), 10)
	b = append(b, `}]},"truncated":`...)
	b = strconv.AppendBool(b, req.tokens() > m.InputTokenLimit)
	b = append(b, '}')
	*buf = b
	vectorwire.WriteJSON(w, http.StatusOK, b)
}

// Summarize implements family.Family: the inputs, the first input's task
// type and dimension, and the token estimate of a predict or embedContent
// body. The model is the URL's.
func (f *Family) Summarize(c *family.Call, body []byte) family.Summary {
	doc, err := googleapi.ParseJSON(body)
	if err != nil {
		return family.Summary{}
	}
	obj, _ := doc.(map[string]any)
	switch c.Kind {
	case KindPredict:
		items, _ := obj["instances"].([]any)
		params, _ := obj["parameters"].(map[string]any)
		dims, _ := googleapi.Int32(params, "outputDimensionality", "output_dimensionality", nil)
		s := family.Summary{Inputs: len(items), Dimensions: dims}
		for i, item := range items {
			inst, _ := item.(map[string]any)
			text, _ := inst["content"].(string)
			if i == 0 {
				task, _ := googleapi.Field(inst, "task_type", "taskType").(string)
				if task != gemini.TaskTypeNames[0] {
					s.TaskType = task
				}
			}
			s.Tokens += fakeembed.EstimateTokens(text)
		}
		return s
	case KindEmbedContent:
		req, _ := decodeEmbedContent(body, c.APIVersion)
		summary := gemini.SummarizeRequest(obj)
		return family.Summary{Inputs: 1, TaskType: summary.TaskType(), Dimensions: summary.OutputDimensionality(), Tokens: req.tokens()}
	}
	return family.Summary{}
}
