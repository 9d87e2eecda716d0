package googleapi

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/embedmock/embedmock/mockserver/jsonscan"
)

// googleJSON parses a request body the way Google's API front end does:
// lenient (single-quoted strings, bare object keys and trailing commas are
// accepted, as Google's own curl examples rely on), an empty body is an empty
// object, and a syntax error is reported with the front end's message and a
// context snippet with a caret under the offending byte.
//
// The result uses the types encoding/json produces with UseNumber
// (map[string]any, []any, string, json.Number, bool, nil), which is what the
// schemas package validates.
func ParseJSON(body []byte) (any, *SyntaxError) {
	p := googleJSONParser{src: body}
	p.skipSpace()
	if p.pos == len(p.src) {
		return map[string]any{}, nil
	}
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.src) {
		return nil, p.fail("Parsing terminated before end of input.")
	}
	return v, nil
}

// SyntaxError is a body that is not (lenient) JSON.
type SyntaxError struct {
	// Message is the front end's text including the context snippet,
	// without the "Invalid JSON payload received. " prefix.
	Message string
}

// maxJSONDepth bounds nesting so that hostile bodies cannot exhaust the stack
// (Google's parser has the same limit).
const maxJSONDepth = 100

type googleJSONParser struct {
	src []byte
	pos int
}

// fail reports msg at the current position, with the snippet the front end
// appends: up to 20 bytes either side and a caret under the position.
func (p *googleJSONParser) fail(msg string) *SyntaxError {
	if p.pos >= len(p.src) {
		msg = "Unexpected end of string. " + msg
	}
	const contextLen = 20
	begin := max(p.pos-contextLen, 0)
	end := min(p.pos+contextLen, len(p.src))
	// Keep the snippet valid UTF-8: do not start or end inside a character.
	for begin < p.pos && !utf8.RuneStart(p.src[begin]) {
		begin++
	}
	for end < len(p.src) && end > p.pos && !utf8.RuneStart(p.src[end]) {
		end--
	}
	return &SyntaxError{Message: msg + "\n" + string(p.src[begin:end]) + "\n" + strings.Repeat(" ", p.pos-begin) + "^"}
}

func (p *googleJSONParser) skipSpace() { p.pos = jsonscan.SkipSpace(p.src, p.pos) }

func (p *googleJSONParser) value(depth int) (any, *SyntaxError) {
	p.skipSpace()
	if p.pos >= len(p.src) {
		return nil, p.fail("Expected a value.")
	}
	if depth >= maxJSONDepth {
		return nil, p.fail("Message too deep. Max recursion depth reached.")
	}
	switch c := p.src[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"' || c == '\'':
		return p.string()
	case c == '-' || ('0' <= c && c <= '9'):
		return p.number()
	case p.literal("true"):
		return true, nil
	case p.literal("false"):
		return false, nil
	case p.literal("null"):
		return nil, nil
	}
	return nil, p.fail("Unexpected token.")
}

// literal consumes word if it is next and not followed by a key character.
func (p *googleJSONParser) literal(word string) bool {
	end := p.pos + len(word)
	if end > len(p.src) || string(p.src[p.pos:end]) != word {
		return false
	}
	if end < len(p.src) && isKeyByte(p.src[end]) {
		return false
	}
	p.pos = end
	return true
}

func (p *googleJSONParser) object(depth int) (any, *SyntaxError) {
	p.pos++ // '{'
	obj := map[string]any{}
	for {
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.fail("Expected an object key or }.")
		}
		if p.src[p.pos] == '}' {
			p.pos++
			return obj, nil
		}
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != ':' {
			return nil, p.fail("Expected : between key:value pair.")
		}
		p.pos++
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		obj[key] = v // a repeated key: the last value wins, as in Google's parser
		if done, err := p.next('}', "Expected , or } after key:value pair."); err != nil || done {
			return obj, err
		}
	}
}

// next consumes the ',' or the closing byte after a member or an element
// (a trailing comma before the close is accepted); done reports the close.
func (p *googleJSONParser) next(close byte, msg string) (done bool, err *SyntaxError) {
	p.skipSpace()
	if p.pos >= len(p.src) {
		return false, p.fail(msg)
	}
	switch p.src[p.pos] {
	case ',':
		p.pos++
		return false, nil
	case close:
		p.pos++
		return true, nil
	}
	return false, p.fail(msg)
}

func (p *googleJSONParser) key() (string, *SyntaxError) {
	c := p.src[p.pos]
	if c == '"' || c == '\'' {
		return p.string()
	}
	// A bare key (accepted for backwards compatibility): a letter, '_' or
	// '$' followed by letters, digits, '_' or '$'.
	if !(('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || c == '_' || c == '$') {
		return "", p.fail("Expected an object key or }.")
	}
	start := p.pos
	for p.pos < len(p.src) && isKeyByte(p.src[p.pos]) {
		p.pos++
	}
	return string(p.src[start:p.pos]), nil
}

func isKeyByte(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || c == '_' || c == '$'
}

func (p *googleJSONParser) array(depth int) (any, *SyntaxError) {
	p.pos++ // '['
	arr := []any{}
	for {
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.fail("Expected a value or ] within an array.")
		}
		if p.src[p.pos] == ']' {
			p.pos++
			return arr, nil
		}
		if !startsValue(p.src[p.pos]) {
			return nil, p.fail("Expected a value or ] within an array.")
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
		if done, err := p.next(']', "Expected , or ] after array value."); err != nil || done {
			return arr, err
		}
	}
}

func startsValue(c byte) bool {
	return c == '{' || c == '[' || c == '"' || c == '\'' || c == '-' || ('0' <= c && c <= '9') ||
		c == 't' || c == 'f' || c == 'n'
}

// string parses a string quoted with " or ' (closed by the same quote).
func (p *googleJSONParser) string() (string, *SyntaxError) {
	quote := p.src[p.pos]
	start := p.pos
	p.pos++
	// Fast path: no escapes.
	for i := p.pos; i < len(p.src); i++ {
		c := p.src[i]
		if c == quote {
			s := p.src[p.pos:i]
			if !utf8.Valid(s) {
				return "", p.fail("Encountered non UTF-8 code points.")
			}
			p.pos = i + 1
			return string(s), nil
		}
		if c == '\\' {
			break
		}
	}
	var b []byte
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == quote:
			p.pos++
			if !utf8.Valid(b) {
				p.pos = start
				return "", p.fail("Encountered non UTF-8 code points.")
			}
			return string(b), nil
		case c == '\\':
			if p.pos+1 >= len(p.src) {
				p.pos = len(p.src)
				return "", p.fail("Closing quote expected in string.")
			}
			esc := p.src[p.pos+1]
			p.pos += 2
			if c, ok := jsonscan.Escape(esc); ok {
				b = append(b, c)
				continue
			}
			switch esc {
			case '\'': // Google's parser takes \' too (single-quoted strings)
				b = append(b, esc)
			case 'u':
				r, ok := p.unicodeEscape()
				if !ok {
					return "", p.fail("Illegal hex string.")
				}
				b = utf8.AppendRune(b, r)
			default:
				p.pos -= 2
				return "", p.fail("Invalid escape sequence.")
			}
		default:
			b = append(b, c)
			p.pos++
		}
	}
	p.pos = len(p.src)
	return "", p.fail("Closing quote expected in string.")
}

// unicodeEscape parses the XXXX of \uXXXX (p.pos is just after the u),
// joining a UTF-16 surrogate pair written as two escapes.
func (p *googleJSONParser) unicodeEscape() (rune, bool) {
	r, n, ok := jsonscan.HexRune(p.src[p.pos:])
	p.pos += n
	return r, ok
}

// number parses a JSON number, keeping its text (json.Number).
func (p *googleJSONParser) number() (any, *SyntaxError) {
	start := p.pos
	i := p.pos
	if p.src[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(p.src) && '0' <= p.src[i] && p.src[i] <= '9' {
			i++
			n++
		}
		return n
	}
	intStart := i
	n := digits()
	if n == 0 {
		return nil, p.fail("Unable to parse number.")
	}
	if n > 1 && p.src[intStart] == '0' || (i < len(p.src) && (p.src[i] == 'x' || p.src[i] == 'X') && n == 1 && p.src[intStart] == '0') {
		return nil, p.fail("Octal/hex numbers are not valid JSON values.")
	}
	if i < len(p.src) && p.src[i] == '.' {
		i++
		if digits() == 0 {
			return nil, p.fail("Unable to parse number.")
		}
	}
	if i < len(p.src) && (p.src[i] == 'e' || p.src[i] == 'E') {
		i++
		if i < len(p.src) && (p.src[i] == '+' || p.src[i] == '-') {
			i++
		}
		if digits() == 0 {
			return nil, p.fail("Unable to parse number.")
		}
	}
	if i < len(p.src) && isKeyByte(p.src[i]) {
		return nil, p.fail("Unable to parse number.")
	}
	p.pos = i
	return json.Number(p.src[start:i]), nil
}
