package gemini

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/embedmock/embedmock/fakeembed"
	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/mockserver/googleapi"
	"github.com/embedmock/embedmock/mockserver/vectorwire"
	"github.com/embedmock/embedmock/schemas"
)

// maxBatchEmbedRequests is the real API's limit on requests in one
// batchEmbedContents call.
const maxBatchEmbedRequests = 100

// requestBuffers recycles the decoded requests of batchEmbedContents.
var requestBuffers = sync.Pool{New: func() any { r := make([]EmbedRequest, 0, maxBatchEmbedRequests); return &r }}

// lookupEmbedModel finds the URL's model, or answers 404.
func (g *Family) lookupEmbedModel(c *family.Call) (*Model, *googleapi.Error) {
	m, ok := g.catalog.Lookup(c.Model)
	if !ok {
		return nil, errEmbedModelNotFound(c.Model, c.APIVersion)
	}
	return m, nil
}

func (g *Family) handleEmbedContent(w http.ResponseWriter, r *http.Request, c *family.Call) {
	body, gerr := googleapi.ReadQueryBody(w, r, g.env.MaxBodyBytes)
	if gerr != nil {
		googleapi.WriteError(w, gerr)
		return
	}
	req, fast := fastEmbedContent(body)
	var obj map[string]any
	if !fast {
		if obj, gerr = googleapi.ParseBody(body, schemas.GeminiEmbedContentRequest, c.APIVersion); gerr != nil {
			googleapi.WriteError(w, gerr)
			return
		}
	}
	model, gerr := g.lookupEmbedModel(c)
	if gerr != nil {
		googleapi.WriteError(w, gerr)
		return
	}
	if !fast {
		if req, gerr = DecodeEmbedRequest(obj, nil, c.APIVersion); gerr != nil {
			googleapi.WriteError(w, gerr)
			return
		}
	}
	if lines := req.FieldViolations("EmbedContentRequest", model); len(lines) > 0 {
		googleapi.WriteError(w, googleapi.InvalidFields(lines...))
		return
	}
	if req.HasEmptyText() {
		googleapi.WriteError(w, EmptyPartError())
		return
	}

	buf := vectorwire.GetBody()
	defer vectorwire.PutBody(buf)
	b := append(*buf, `{"embedding":{"values":`...)
	var tokens int
	b, tokens = g.AppendEmbedding(b, model, req)
	b = append(b, '}')
	if model.Embedding.UsageMetadata {
		b = appendUsageMetadata(b, tokens)
	}
	b = append(b, '}')
	*buf = b
	vectorwire.WriteJSON(w, http.StatusOK, b)
}

func (g *Family) handleBatchEmbedContents(w http.ResponseWriter, r *http.Request, c *family.Call) {
	body, gerr := googleapi.ReadQueryBody(w, r, g.env.MaxBodyBytes)
	if gerr != nil {
		googleapi.WriteError(w, gerr)
		return
	}
	rp := requestBuffers.Get().(*[]EmbedRequest)
	defer requestBuffers.Put(rp)
	reqs, fast := fastBatchEmbedContents(body, *rp)
	var items []any
	if fast {
		*rp = reqs
	} else {
		obj, gerr := googleapi.ParseBody(body, schemas.GeminiBatchEmbedContentsRequest, c.APIVersion)
		if gerr != nil {
			googleapi.WriteError(w, gerr)
			return
		}
		items, _ = obj["requests"].([]any)
	}
	model, gerr := g.lookupEmbedModel(c)
	if gerr != nil {
		googleapi.WriteError(w, gerr)
		return
	}
	if !fast {
		if gerr := BatchSizeError(len(items)); gerr != nil {
			googleapi.WriteError(w, gerr)
			return
		}
		reqs = make([]EmbedRequest, len(items))
		for i, item := range items {
			itemObj, _ := item.(map[string]any)
			if reqs[i], gerr = DecodeEmbedRequest(itemObj, schemas.Path{"requests", i}, c.APIVersion); gerr != nil {
				googleapi.WriteError(w, gerr)
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
		case !ValidModelName(name):
			violations = append(violations, prefix+".model: unexpected model name format")
		case name != model.Name:
			violations = append(violations, fmt.Sprintf(
				"%s.model: the model in each request must match the model specified in BatchEmbedContentsRequest.model (%s), got %s",
				prefix, model.Name, name))
		}
		violations = append(violations, req.FieldViolations(prefix, model)...)
	}
	if len(violations) > 0 {
		googleapi.WriteError(w, googleapi.InvalidFields(violations...))
		return
	}
	for _, req := range reqs {
		if req.HasEmptyText() {
			googleapi.WriteError(w, EmptyPartError())
			return
		}
	}

	// The answer is written as it is computed, in pieces of vectorwire.StreamPiece
	// bytes: the buffer stays in the processor's cache and the client
	// reads the first embeddings while the last are computed. Nothing can
	// fail any more, so the status is settled.
	buf := vectorwire.GetBody()
	defer vectorwire.PutBody(buf)
	stream := vectorwire.Stream{W: w, Slots: g.env.Slots}
	b := append(*buf, `{"embeddings":[`...)
	total := 0
	stream.Compute()
	defer stream.Release()
	for i, req := range reqs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"values":`...)
		var tokens int
		b, tokens = g.AppendEmbedding(b, model, req)
		b = append(b, '}')
		total += tokens
		b = stream.Flush(b)
	}
	b = append(b, ']')
	if model.Embedding.UsageMetadata {
		b = appendUsageMetadata(b, total)
	}
	b = append(b, '}')
	*buf = b
	stream.Finish(b)
}

// BatchSizeError is the answer to a batch of n requests, too few or too
// many for batchEmbedContents; nil when n is allowed.
func BatchSizeError(n int) *googleapi.Error {
	switch {
	case n == 0:
		return googleapi.InvalidFields("BatchEmbedContentsRequest.requests: requests is not specified")
	case n > maxBatchEmbedRequests:
		return googleapi.InvalidFields(fmt.Sprintf("BatchEmbedContentsRequest.requests: at most %d requests can be in one batch", maxBatchEmbedRequests))
	}
	return nil
}

// AppendEmbedding appends the JSON array of req's vector and returns the
// input's token estimate.
func (g *Family) AppendEmbedding(b []byte, model *Model, req EmbedRequest) ([]byte, int) {
	return g.AppendEncodedEmbedding(b, model, req, false)
}

// AppendEncodedEmbedding is AppendEmbedding with the vector written, when
// b64 is set, as a JSON string: the standard base64 of its little-endian
// float32 values. The vector is the same either way.
func (g *Family) AppendEncodedEmbedding(b []byte, model *Model, req EmbedRequest, b64 bool) ([]byte, int) {
	task, text := g.geminiInput(model, req.task, req.joinedText())
	tokens := fakeembed.EstimateTokens(text)
	kp := vectorwire.GetKey()
	defer vectorwire.PutKey(kp)
	key := kp.Add("gemini").AddInt(int(g.env.Mode)).Add(model.ID()).AddInt(model.Embedding.Dimensions).
		Add(task).Add(req.title).Add(text).AddInt(req.outputDims)
	encode := vectorwire.AppendVector
	if b64 {
		key, encode = key.Add("base64"), vectorwire.AppendBase64Vector
	}
	*kp = key
	b = g.env.Vectors.Append(b, key, func(dst []float32) []float32 {
		return g.geminiVector(dst, model, task, req.title, text, req.outputDims)
	}, encode)
	return b, tokens
}

// geminiInput is what the vector of a Gemini request depends on: the task
// type (none for models that ignore it) and the text, cut to the model's
// token limit silently, as Vertex AI's default autoTruncate does.
func (g *Family) geminiInput(model *Model, task, text string) (string, string) {
	if model.Embedding.IgnoresTaskType {
		task = ""
	}
	return task, fakeembed.TruncateToTokens(text, model.InputTokenLimit)
}

// geminiVector appends the vector for a Gemini input (see geminiInput) to
// dst.
func (g *Family) geminiVector(dst []float32, model *Model, task, title, text string, dims int) []float32 {
	return fakeembed.AppendVector(dst, g.env.Mode,
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
func (g *Family) Vector(q VectorQuery) ([]float32, error) {
	id := strings.TrimPrefix(q.Model, "models/")
	model, ok := g.catalog.Lookup(id)
	if !ok {
		return nil, fmt.Errorf("mockserver: no model %q is served", id)
	}
	req := TextRequest(q.Text, q.Dimensions)
	if lines := req.FieldViolations("VectorQuery", model); len(lines) > 0 {
		return nil, fmt.Errorf("mockserver: %s", strings.Join(lines, "; "))
	}
	task := q.TaskType
	if task == TaskTypeNames[0] {
		task = ""
	}
	task, text := g.geminiInput(model, task, q.Text)
	return g.geminiVector(nil, model, task, q.Title, text, q.Dimensions), nil
}

func appendUsageMetadata(b []byte, tokens int) []byte {
	b = append(b, `,"usageMetadata":{"promptTokenCount":`...)
	b = strconv.AppendInt(b, int64(tokens), 10)
	b = append(b, `,"promptTokenDetails":[{"modality":"TEXT","tokenCount":`...)
	b = strconv.AppendInt(b, int64(tokens), 10)
	return append(b, `}]}`...)
}
