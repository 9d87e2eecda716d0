package mockserver

import (
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
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
func fastEmbedContent(body []byte) (embedRequest, bool) {
	d := fastDecoder{src: body}
	req, ok := d.request(false)
	if !ok || !d.end() {
		return embedRequest{}, false
	}
	return req, true
}

// fastBatchEmbedContents decodes a batchEmbedContents body of 1 to 100
// requests.
func fastBatchEmbedContents(body []byte, dst []embedRequest) ([]embedRequest, bool) {
	d := fastDecoder{src: body}
	reqs := dst[:0]
	if !d.byte('{') || !d.key("requests") || !d.byte('[') {
		return nil, false
	}
	for {
		req, ok := d.request(true)
		if !ok || len(reqs) == maxBatchRequests {
			return nil, false
		}
		reqs = append(reqs, req)
		if d.byte(']') {
			break
		}
		if !d.byte(',') {
			return nil, false
		}
	}
	if !d.byte('}') || !d.end() {
		return nil, false
	}
	return reqs, true
}

type fastDecoder struct {
	src []byte
	pos int
}

func (d *fastDecoder) space() { d.pos = skipJSONSpace(d.src, d.pos) }

// byte consumes c if it comes next (after white space).
func (d *fastDecoder) byte(c byte) bool {
	d.space()
	if d.pos < len(d.src) && d.src[d.pos] == c {
		d.pos++
		return true
	}
	return false
}

func (d *fastDecoder) end() bool {
	d.space()
	return d.pos == len(d.src)
}

// key consumes `"name":`.
func (d *fastDecoder) key(name string) bool {
	k, ok := d.string()
	return ok && k == name && d.byte(':')
}

// string reads a JSON string (double quotes, standard escapes, valid UTF-8).
func (d *fastDecoder) string() (string, bool) {
	if !d.byte('"') {
		return "", false
	}
	start := d.pos
	for i := start; i < len(d.src); i++ {
		switch c := d.src[i]; {
		case c == '"':
			s := d.src[start:i]
			if !utf8.Valid(s) {
				return "", false
			}
			d.pos = i + 1
			return string(s), true
		case c == '\\':
			return d.escapedString(start)
		case c < 0x20:
			return "", false
		}
	}
	return "", false
}

// escapedString reads the rest of a string that has escapes.
func (d *fastDecoder) escapedString(start int) (string, bool) {
	buf := make([]byte, 0, 64)
	for i := start; i < len(d.src); {
		c := d.src[i]
		switch {
		case c == '"':
			if !utf8.Valid(buf) {
				return "", false
			}
			d.pos = i + 1
			return string(buf), true
		case c < 0x20:
			return "", false
		case c != '\\':
			buf = append(buf, c)
			i++
			continue
		}
		if i+1 >= len(d.src) {
			return "", false
		}
		esc := d.src[i+1]
		if c, ok := jsonEscape(esc); ok {
			buf = append(buf, c)
			i += 2
			continue
		}
		if esc != 'u' {
			return "", false
		}
		r, n, ok := hexRune(d.src[i+2:])
		if !ok {
			return "", false
		}
		buf = utf8.AppendRune(buf, r)
		i += n + 2
	}
	return "", false
}

// hexRune reads the XXXX of \uXXXX (and a following \uXXXX of a surrogate
// pair); n is how many bytes beyond the first "\u" it used.
func hexRune(b []byte) (r rune, n int, ok bool) {
	hex4 := func(b []byte) (rune, bool) {
		if len(b) < 4 {
			return 0, false
		}
		v, err := strconv.ParseUint(string(b[:4]), 16, 16)
		return rune(v), err == nil
	}
	r, ok = hex4(b)
	if !ok {
		return 0, 0, false
	}
	if !utf16.IsSurrogate(r) {
		return r, 4, true
	}
	if len(b) >= 10 && b[4] == '\\' && b[5] == 'u' {
		if r2, ok := hex4(b[6:]); ok {
			if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
				return pair, 10, true
			}
		}
	}
	return utf8.RuneError, 4, true
}

// int32 reads a plain JSON integer (no fraction, no exponent).
func (d *fastDecoder) int32() (int, bool) {
	d.space()
	start := d.pos
	if d.pos < len(d.src) && d.src[d.pos] == '-' {
		d.pos++
	}
	digits := d.pos
	for d.pos < len(d.src) && '0' <= d.src[d.pos] && d.src[d.pos] <= '9' {
		d.pos++
	}
	if d.pos == digits || (d.pos-digits > 1 && d.src[digits] == '0') {
		return 0, false
	}
	if d.pos < len(d.src) {
		switch d.src[d.pos] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	n, err := strconv.ParseInt(string(d.src[start:d.pos]), 10, 32)
	return int(n), err == nil
}

// request reads an EmbedContentRequest object with the fields the SDKs
// send; withModel allows the model field batch items carry.
func (d *fastDecoder) request(withModel bool) (embedRequest, bool) {
	var req embedRequest
	if !d.byte('{') {
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
	if d.byte('}') {
		return req, true
	}
	for {
		name, ok := d.string()
		if !ok || !d.byte(':') {
			return req, false
		}
		switch name {
		case "content":
			if !mark(0) || !d.content(&req) {
				return req, false
			}
		case "model":
			if !withModel || !mark(1) {
				return req, false
			}
			if req.model, ok = d.string(); !ok {
				return req, false
			}
		case "taskType", "task_type":
			if !mark(2) {
				return req, false
			}
			task, ok := d.string()
			i := slices.Index(taskTypeNames, task)
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
			if req.title, ok = d.string(); !ok {
				return req, false
			}
		case "outputDimensionality", "output_dimensionality":
			if !mark(4) {
				return req, false
			}
			if req.outputDims, ok = d.int32(); !ok {
				return req, false
			}
		default:
			return req, false
		}
		if d.byte('}') {
			return req, true
		}
		if !d.byte(',') {
			return req, false
		}
	}
}

// content reads {"parts":[{"text":...},...],"role":...}.
func (d *fastDecoder) content(req *embedRequest) bool {
	if !d.byte('{') {
		return false
	}
	req.hasContent = true
	var sawParts, sawRole bool
	if d.byte('}') {
		return true
	}
	for {
		name, ok := d.string()
		if !ok || !d.byte(':') {
			return false
		}
		switch {
		case name == "parts" && !sawParts:
			sawParts = true
			if !d.parts(req) {
				return false
			}
		case name == "role" && !sawRole:
			sawRole = true
			if _, ok := d.string(); !ok {
				return false
			}
		default:
			return false
		}
		if d.byte('}') {
			return true
		}
		if !d.byte(',') {
			return false
		}
	}
}

// parts reads a list of {"text": ...} parts.
func (d *fastDecoder) parts(req *embedRequest) bool {
	if !d.byte('[') {
		return false
	}
	if d.byte(']') {
		return true
	}
	for {
		if !d.byte('{') || !d.key("text") {
			return false
		}
		text, ok := d.string()
		if !ok || !d.byte('}') {
			return false
		}
		req.parts = append(req.parts, embedPart{text: text, hasText: true, members: textMember})
		if d.byte(']') {
			return true
		}
		if !d.byte(',') {
			return false
		}
	}
}

// textMember is the members list of a text part (shared, never modified).
var textMember = []string{"text"}
