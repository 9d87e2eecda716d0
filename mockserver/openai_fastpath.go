package mockserver

import (
	"encoding/json"
	"strconv"
)

// fastOpenAIBody decodes the embeddings request bodies OpenAI's SDKs send
// (model, input as a string or a list of strings, encoding_format,
// dimensions, user) into the document the full path would build, without
// the generic decoder and the JSON Schema validator. Anything else --
// token input, an unknown, repeated or null field, a value of another
// type, an empty or over-long input list -- makes it give up and the
// request takes the full path. FuzzOpenAIFastPath checks that whatever it
// accepts, the full path accepts and decodes the same.
func fastOpenAIBody(body []byte) (map[string]any, bool) {
	d := fastDecoder{src: body}
	if !d.byte('{') {
		return nil, false
	}
	obj := make(map[string]any, 5)
	if d.byte('}') {
		return obj, d.end()
	}
	for {
		name, ok := d.string()
		if !ok || !d.byte(':') {
			return nil, false
		}
		if _, repeated := obj[name]; repeated {
			return nil, false
		}
		switch name {
		case "model", "user":
			s, ok := d.string()
			if !ok {
				return nil, false
			}
			obj[name] = s
		case "encoding_format":
			s, ok := d.string()
			if !ok || (s != "float" && s != "base64") {
				return nil, false
			}
			obj[name] = s
		case "dimensions":
			n, ok := d.int32()
			if !ok || n < 1 {
				return nil, false
			}
			obj[name] = json.Number(strconv.Itoa(n))
		case "input":
			in, ok := d.openAIInput()
			if !ok {
				return nil, false
			}
			obj[name] = in
		default:
			return nil, false
		}
		if d.byte('}') {
			return obj, d.end()
		}
		if !d.byte(',') {
			return nil, false
		}
	}
}

// openAIInput reads a string or a list of 1 to openAIMaxInputs strings.
func (d *fastDecoder) openAIInput() (any, bool) {
	if !d.byte('[') {
		return d.string()
	}
	var texts []any
	for {
		s, ok := d.string()
		if !ok || len(texts) == openAIMaxInputs {
			return nil, false
		}
		texts = append(texts, s)
		if d.byte(']') {
			return texts, true
		}
		if !d.byte(',') {
			return nil, false
		}
	}
}
