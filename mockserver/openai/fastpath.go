package openai

import (
	"encoding/json"
	"strconv"

	"github.com/embedmock/embedmock/mockserver/jsonscan"
)

// fastBody decodes the embeddings request bodies OpenAI's SDKs send
// (model, input as a string or a list of strings, encoding_format,
// dimensions, user) into the document the full path would build, without
// the generic decoder and the JSON Schema validator. Anything else --
// token input, an unknown, repeated or null field, a value of another
// type, an empty or over-long input list -- makes it give up and the
// request takes the full path. FuzzOpenAIFastPath checks that whatever it
// accepts, the full path accepts and decodes the same.
func fastBody(body []byte) (map[string]any, bool) {
	d := jsonscan.NewDecoder(body)
	if !d.Byte('{') {
		return nil, false
	}
	obj := make(map[string]any, 5)
	if d.Byte('}') {
		return obj, d.End()
	}
	for {
		name, ok := d.String()
		if !ok || !d.Byte(':') {
			return nil, false
		}
		if _, repeated := obj[name]; repeated {
			return nil, false
		}
		switch name {
		case "model", "user":
			s, ok := d.String()
			if !ok {
				return nil, false
			}
			obj[name] = s
		case "encoding_format":
			s, ok := d.String()
			if !ok || (s != "float" && s != "base64") {
				return nil, false
			}
			obj[name] = s
		case "dimensions":
			n, ok := d.Int32()
			if !ok || n < 1 {
				return nil, false
			}
			obj[name] = json.Number(strconv.Itoa(n))
		case "input":
			in, ok := fastInput(d)
			if !ok {
				return nil, false
			}
			obj[name] = in
		default:
			return nil, false
		}
		if d.Byte('}') {
			return obj, d.End()
		}
		if !d.Byte(',') {
			return nil, false
		}
	}
}

// fastInput reads a string or a list of 1 to maxInputs strings.
func fastInput(d *jsonscan.Decoder) (any, bool) {
	if !d.Byte('[') {
		return d.String()
	}
	var texts []any
	for {
		s, ok := d.String()
		if !ok || len(texts) == maxInputs {
			return nil, false
		}
		texts = append(texts, s)
		if d.Byte(']') {
			return texts, true
		}
		if !d.Byte(',') {
			return nil, false
		}
	}
}
