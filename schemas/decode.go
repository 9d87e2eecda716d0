package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// ErrTrailingData is Decode's error for a body with more than one JSON value.
var ErrTrailingData = errors.New("trailing data after the JSON value")

// Decode decodes a request body into the form Validate takes: exactly one
// JSON value, surrounded by nothing but white space, with numbers as
// json.Number.
func Decode(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if err := AtEnd(dec); err != nil {
		return nil, err
	}
	return doc, nil
}

// AtEnd returns ErrTrailingData unless dec has nothing but white space left.
// (dec.More cannot tell: it reports false before a stray '}' or ']'.)
func AtEnd(dec *json.Decoder) error {
	if _, err := dec.Token(); err != io.EOF {
		return ErrTrailingData
	}
	return nil
}
