package recording

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/embedmock/embedmock/schemas"
)

// vectorKey identifies one embedding input: what the vector depends on.
type vectorKey struct {
	model, task, title, text string
	dims                     int // outputDimensionality; 0 when unset
}

// geminiInputs returns the embedding inputs of an embedContent or
// batchEmbedContents request body, in order. It reports false for other
// routes and for requests it cannot index (non-text parts, bad JSON).
func geminiInputs(route, model string, body []byte) ([]vectorKey, bool) {
	doc, err := schemas.Decode(bytes.TrimSpace(body))
	root, _ := doc.(map[string]any)
	if err != nil || root == nil || model == "" {
		return nil, false
	}
	switch route {
	case "embedContent":
		k, ok := geminiInput(model, root)
		return []vectorKey{k}, ok
	case "batchEmbedContents":
		items, _ := root["requests"].([]any)
		if len(items) == 0 {
			return nil, false
		}
		keys := make([]vectorKey, len(items))
		for i, item := range items {
			obj, _ := item.(map[string]any)
			var ok bool
			if keys[i], ok = geminiInput(model, obj); !ok {
				return nil, false
			}
		}
		return keys, true
	}
	return nil, false
}

// pick returns obj's value for a field sent as camelCase or snake_case.
func pick(obj map[string]any, camel, snake string) any {
	if v, ok := obj[camel]; ok && v != nil {
		return v
	}
	return obj[snake]
}

func geminiInput(model string, req map[string]any) (vectorKey, bool) {
	k := vectorKey{model: model}
	content, _ := req["content"].(map[string]any)
	parts, _ := content["parts"].([]any)
	if len(parts) == 0 {
		return k, false
	}
	texts := make([]string, len(parts))
	for i, p := range parts {
		part, _ := p.(map[string]any)
		text, ok := part["text"].(string)
		if !ok || len(part) != 1 {
			return k, false
		}
		texts[i] = text
	}
	k.text = strings.Join(texts, "\n")
	apply := func(obj map[string]any) bool {
		if t := pick(obj, "taskType", "task_type"); t != nil {
			name, ok := canonicalValue(t, "task_type").(string)
			if !ok {
				return false
			}
			if name == taskTypeNames[0] {
				name = ""
			}
			k.task = name
		}
		if title, ok := pick(obj, "title", "title").(string); ok {
			k.title = title
		}
		if d := pick(obj, "outputDimensionality", "output_dimensionality"); d != nil {
			n, err := strconv.Atoi(string(canonicalValue(d, "output_dimensionality").(json.Number)))
			if err != nil {
				return false
			}
			k.dims = n
		}
		return true
	}
	if !apply(req) {
		return k, false
	}
	if cfg, ok := pick(req, "embedContentConfig", "embed_content_config").(map[string]any); ok && !apply(cfg) {
		return k, false
	}
	return k, true
}

// geminiVectors returns the values arrays of an embedContent or
// batchEmbedContents response, in order, with their number text as
// recorded.
func geminiVectors(route string, body []byte) ([]json.RawMessage, bool) {
	var resp struct {
		Embedding *struct {
			Values json.RawMessage `json:"values"`
		} `json:"embedding"`
		Embeddings []struct {
			Values json.RawMessage `json:"values"`
		} `json:"embeddings"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, false
	}
	switch {
	case route == "embedContent" && resp.Embedding != nil && len(resp.Embedding.Values) > 0:
		return []json.RawMessage{compact(resp.Embedding.Values)}, true
	case route == "batchEmbedContents" && len(resp.Embeddings) > 0:
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

// geminiResponse assembles an embedContent or batchEmbedContents response
// from recorded vectors.
func geminiResponse(route string, vectors []json.RawMessage) []byte {
	var b []byte
	if route == "embedContent" {
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
