package gemini

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/mockserver/vectorwire"
	"github.com/embedmock/embedmock/schemas"
)

// int32Fields and int64Fields are the request fields that proto3 JSON
// lets a client send as a number or a numeric string.
var numericFields = []string{"output_dimensionality", "page_size", "size_bytes", "priority"}

// CanonicalValue spells task types by name (a number, as a JSON number or
// a string, is the same enum value) and numeric fields as numbers, so
// that recordings match every spelling the API accepts as one.
func (g *Family) CanonicalValue(field string, v any) (any, bool) {
	switch x := v.(type) {
	case json.Number:
		if field == "task_type" {
			if n, err := x.Int64(); err == nil && n >= 0 && int(n) < len(TaskTypeNames) {
				return TaskTypeNames[n], true
			}
		}
	case string:
		switch {
		case field == "task_type":
			if n, err := strconv.Atoi(x); err == nil && n >= 0 && n < len(TaskTypeNames) {
				return TaskTypeNames[n], true
			}
		case slices.Contains(numericFields, field):
			if _, err := strconv.ParseInt(x, 10, 64); err == nil {
				return json.Number(x), true
			}
		}
	}
	return nil, false
}

// ReplayInputs names the inputs of an embedContent or batchEmbedContents
// request: model, task type, title, output dimension and text. Requests
// with other parts than text, or that do not parse, are not replayed from
// vectors.
func (g *Family) ReplayInputs(c *family.Call, body []byte) ([]string, bool) {
	doc, err := schemas.Decode(bytes.TrimSpace(body))
	root, _ := doc.(map[string]any)
	if err != nil || root == nil || c.Model == "" {
		return nil, false
	}
	switch c.Kind {
	case "embedContent":
		k, ok := g.replayInput(c.Model, root)
		return []string{k}, ok
	case "batchEmbedContents":
		items, _ := root["requests"].([]any)
		if len(items) == 0 {
			return nil, false
		}
		keys := make([]string, len(items))
		for i, item := range items {
			obj, _ := item.(map[string]any)
			var ok bool
			if keys[i], ok = g.replayInput(c.Model, obj); !ok {
				return nil, false
			}
		}
		return keys, true
	}
	return nil, false
}

// replayInput names one EmbedContentRequest's input: what its vector
// depends on.
func (g *Family) replayInput(model string, obj map[string]any) (string, bool) {
	req, err := DecodeEmbedRequest(obj, nil, "v1beta")
	if err != nil || len(req.parts) == 0 {
		return "", false
	}
	for _, p := range req.parts {
		if !p.hasText || len(p.members) != 1 {
			return "", false
		}
	}
	key := vectorwire.Key(nil).Add(model).Add(req.task).Add(req.title).AddInt(req.outputDims).Add(req.joinedText())
	return string(key), true
}

// ReplayVectors returns the values arrays of an embedContent or
// batchEmbedContents answer, in order, with their number text as
// recorded.
func (g *Family) ReplayVectors(c *family.Call, answer []byte) ([]json.RawMessage, bool) {
	var resp struct {
		Embedding *struct {
			Values json.RawMessage `json:"values"`
		} `json:"embedding"`
		Embeddings []struct {
			Values json.RawMessage `json:"values"`
		} `json:"embeddings"`
	}
	if err := json.Unmarshal(answer, &resp); err != nil {
		return nil, false
	}
	switch {
	case c.Kind == "embedContent" && resp.Embedding != nil && len(resp.Embedding.Values) > 0:
		return []json.RawMessage{compact(resp.Embedding.Values)}, true
	case c.Kind == "batchEmbedContents" && len(resp.Embeddings) > 0:
		out := make([]json.RawMessage, len(resp.Embeddings))
		for i, e := range resp.Embeddings {
			if len(e.Values) == 0 {
				return nil, false
			}
			out[i] = compact(e.Values)
		}
		return out, true
	}
	return nil, false
}

// compact returns raw without insignificant white space (raw itself when
// it has none).
func compact(raw json.RawMessage) json.RawMessage {
	if bytes.IndexAny(raw, " \t\r\n") < 0 {
		return raw
	}
	var b bytes.Buffer
	b.Grow(len(raw))
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

// ReplayAnswer assembles an embedContent or batchEmbedContents answer.
func (g *Family) ReplayAnswer(c *family.Call, vectors []json.RawMessage) []byte {
	var b []byte
	if c.Kind == "embedContent" {
		b = append(b, `{"embedding":{"values":`...)
		b = append(b, vectors[0]...)
		return append(b, "}}"...)
	}
	b = append(b, `{"embeddings":[`...)
	for i, v := range vectors {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"values":`...)
		b = append(b, v...)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}
