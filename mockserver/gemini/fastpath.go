package gemini

import (
	"slices"

	"github.com/embedmock/embedmock/mockserver/jsonscan"
)

// The fast path decodes the request shapes the SDKs send (plain JSON
// objects of known fields with string, integer and task type values)
// straight into embedRequests, without building a generic document and
// without running the JSON Schema validator. Anything else -- an unknown
// or repeated field, null, a non-text part, embedContentConfig, lenient
// JSON, a malformed body -- makes it give up, and the request takes the
// full path: lenient parse, schema validation and the API's error
// messages. FuzzGeminiFastPath checks that whatever the fast path accepts,
// the full path accepts too and decodes to the same requests.

// fastEmbedContent decodes an embedContent body.
func fastEmbedContent(body []byte) (EmbedRequest, bool) {
	d := jsonscan.NewDecoder(body)
	req, ok := requestFrom(d, false)
	if !ok || !d.End() {
		return EmbedRequest{}, false
	}
	return req, true
}

// fastBatchEmbedContents decodes a batchEmbedContents body of 1 to 100
// requests.
func fastBatchEmbedContents(body []byte, dst []EmbedRequest) ([]EmbedRequest, bool) {
	d := jsonscan.NewDecoder(body)
	reqs := dst[:0]
	if !d.Byte('{') || !d.Key("requests") || !d.Byte('[') {
		return nil, false
	}
	for {
		req, ok := requestFrom(d, true)
		if !ok || len(reqs) == maxBatchEmbedRequests {
			return nil, false
		}
		reqs = append(reqs, req)
		if d.Byte(']') {
			break
		}
		if !d.Byte(',') {
			return nil, false
		}
	}
	if !d.Byte('}') || !d.End() {
		return nil, false
	}
	return reqs, true
}

// request reads an EmbedContentRequest object with the fields the SDKs
// send; withModel allows the model field batch items carry.
func requestFrom(d *jsonscan.Decoder, withModel bool) (EmbedRequest, bool) {
	var req EmbedRequest
	if !d.Byte('{') {
		return req, false
	}
	var seen [6]bool // content, model, taskType, title, outputDimensionality, role seen
	mark := func(i int) bool {
		if seen[i] {
			return false // a repeated field: the full path decides
		}
		seen[i] = true
		return true
	}
	if d.Byte('}') {
		return req, true
	}
	for {
		name, ok := d.String()
		if !ok || !d.Byte(':') {
			return req, false
		}
		switch name {
		case "content":
			if !mark(0) || !contentFrom(d, &req) {
				return req, false
			}
		case "model":
			if !withModel || !mark(1) {
				return req, false
			}
			if req.model, ok = d.String(); !ok {
				return req, false
			}
		case "taskType", "task_type":
			if !mark(2) {
				return req, false
			}
			task, ok := d.String()
			i := slices.Index(TaskTypeNames, task)
			if !ok || i < 0 {
				return req, false
			}
			if i > 0 {
				req.task = task
			}
		case "title":
			if !mark(3) {
				return req, false
			}
			if req.title, ok = d.String(); !ok {
				return req, false
			}
		case "outputDimensionality", "output_dimensionality":
			if !mark(4) {
				return req, false
			}
			if req.outputDims, ok = d.Int32(); !ok {
				return req, false
			}
		default:
			return req, false
		}
		if d.Byte('}') {
			return req, true
		}
		if !d.Byte(',') {
			return req, false
		}
	}
}

// content reads {"parts":[{"text":...},...],"role":...}.
func contentFrom(d *jsonscan.Decoder, req *EmbedRequest) bool {
	if !d.Byte('{') {
		return false
	}
	req.hasContent = true
	var sawParts, sawRole bool
	if d.Byte('}') {
		return true
	}
	for {
		name, ok := d.String()
		if !ok || !d.Byte(':') {
			return false
		}
		switch {
		case name == "parts" && !sawParts:
			sawParts = true
			if !partsFrom(d, req) {
				return false
			}
		case name == "role" && !sawRole:
			sawRole = true
			if _, ok := d.String(); !ok {
				return false
			}
		default:
			return false
		}
		if d.Byte('}') {
			return true
		}
		if !d.Byte(',') {
			return false
		}
	}
}

// parts reads a list of {"text": ...} parts.
func partsFrom(d *jsonscan.Decoder, req *EmbedRequest) bool {
	if !d.Byte('[') {
		return false
	}
	if d.Byte(']') {
		return true
	}
	for {
		if !d.Byte('{') || !d.Key("text") {
			return false
		}
		text, ok := d.String()
		if !ok || !d.Byte('}') {
			return false
		}
		req.parts = append(req.parts, embedPart{text: text, hasText: true, members: textMember})
		if d.Byte(']') {
			return true
		}
		if !d.Byte(',') {
			return false
		}
	}
}

// textMember is the members list of a text part (shared, never modified).
var textMember = []string{"text"}
