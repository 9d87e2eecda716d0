package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// errTrailingData is the error for a body with more than one JSON value.
var errTrailingData = errors.New("trailing data after the JSON value")

// decodeJSONDocument decodes a request body that must be exactly one JSON
// value, surrounded by nothing but whitespace, with numbers as json.Number.
func decodeJSONDocument(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if err := atEnd(dec); err != nil {
		return nil, err
	}
	return doc, nil
}

// atEnd returns errTrailingData unless dec has nothing but whitespace left.
// (dec.More cannot tell: it reports false before a stray '}' or ']'.)
func atEnd(dec *json.Decoder) error {
	if _, err := dec.Token(); err != io.EOF {
		return errTrailingData
	}
	return nil
}
