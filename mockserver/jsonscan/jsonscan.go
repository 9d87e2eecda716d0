// Package jsonscan reads JSON bytes without building a document: the
// allocation-free scanner behind the fast paths of the request decoders,
// and the white-space and escape rules every JSON reader of embedmock
// shares.
//
// It is not a JSON parser: a Decoder accepts only strict JSON of the
// shapes its caller asks for and reports anything else as "not mine", so
// that the caller falls back to its full decoder, which owns the API's
// error messages.
package jsonscan

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Decoder reads a JSON text piece by piece. Every method skips leading
// white space and reports false when what follows is not what it reads.
type Decoder struct {
	src []byte
	pos int
}

// NewDecoder returns a Decoder at the start of src.
func NewDecoder(src []byte) *Decoder { return &Decoder{src: src} }

func (d *Decoder) space() { d.pos = SkipSpace(d.src, d.pos) }

// Byte consumes c if it comes next.
func (d *Decoder) Byte(c byte) bool {
	d.space()
	if d.pos < len(d.src) && d.src[d.pos] == c {
		d.pos++
		return true
	}
	return false
}

// End reports whether only white space is left.
func (d *Decoder) End() bool {
	d.space()
	return d.pos == len(d.src)
}

// Key consumes `"name":`.
func (d *Decoder) Key(name string) bool {
	k, ok := d.String()
	return ok && k == name && d.Byte(':')
}

// String reads a JSON string (double quotes, standard escapes, valid UTF-8).
func (d *Decoder) String() (string, bool) {
	if !d.Byte('"') {
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
func (d *Decoder) escapedString(start int) (string, bool) {
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
		if c, ok := Escape(esc); ok {
			buf = append(buf, c)
			i += 2
			continue
		}
		if esc != 'u' {
			return "", false
		}
		r, n, ok := HexRune(d.src[i+2:])
		if !ok {
			return "", false
		}
		buf = utf8.AppendRune(buf, r)
		i += n + 2
	}
	return "", false
}

// Int32 reads a plain JSON integer (no fraction, no exponent) that fits
// an int32.
func (d *Decoder) Int32() (int, bool) {
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

// HexRune reads the XXXX of a \uXXXX escape (b starts just after the u),
// joining a UTF-16 surrogate pair written as two escapes; a lone
// surrogate reads as U+FFFD. n is how many bytes of b it used (4 or 10).
func HexRune(b []byte) (r rune, n int, ok bool) {
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

// hex4 reads four hexadecimal digits.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// SkipSpace returns the position of the first byte at or after pos that
// is not JSON white space (space, tab, line feed, carriage return).
func SkipSpace(src []byte, pos int) int {
	for pos < len(src) {
		switch src[pos] {
		case ' ', '\t', '\n', '\r':
			pos++
		default:
			return pos
		}
	}
	return pos
}

// Escape is the character a one-letter JSON escape stands for: \" \\ \/
// \b \f \n \r \t.
func Escape(esc byte) (byte, bool) {
	switch esc {
	case '"', '\\', '/':
		return esc, true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	}
	return 0, false
}
