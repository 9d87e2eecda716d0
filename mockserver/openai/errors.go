package openai

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"

	"github.com/embedmock/embedmock/mockserver/vectorwire"
	"github.com/embedmock/embedmock/schemas"
)

// apiError is the OpenAI error envelope
// {"error": {"message", "type", "param", "code"}}, or Azure OpenAI's
// {"error": {"code", "message"}}.
type apiError struct {
	status  int
	message string
	typ     string
	param   string // "" renders null
	code    string // "" renders null
	azure   bool
}

// newError builds an error whose type follows the status as the API's
// does; param and code may be "".
func newError(status int, message, param, code string) *apiError {
	typ := "invalid_request_error"
	switch {
	case status == http.StatusTooManyRequests:
		typ = "requests"
	case status >= 500:
		typ = "server_error"
	}
	return &apiError{status: status, message: message, typ: typ, param: param, code: code}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func writeError(w http.ResponseWriter, e *apiError) {
	var body []byte
	if e.azure {
		code := e.code
		if code == "" {
			code = strconv.Itoa(e.status)
		}
		body = vectorwire.MustMarshal(map[string]any{"error": map[string]any{"code": code, "message": e.message}})
	} else {
		body = vectorwire.MustMarshal(map[string]any{"error": map[string]any{
			"message": e.message, "type": e.typ, "param": nullable(e.param), "code": nullable(e.code),
		}})
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Del("Content-Length")
	setHeaders(h)
	w.WriteHeader(e.status)
	w.Write(append(body, '\n'))
}

// setHeaders sets the headers every OpenAI response has.
func setHeaders(h http.Header) {
	var id [16]byte
	rand.Read(id[:])
	h.Set("X-Request-Id", "req_"+hex.EncodeToString(id[:]))
	h.Set("Openai-Version", "2020-10-01")
	h.Set("Openai-Organization", "embedmock")
}

// invalidInput is the API's answer to an input it cannot embed.
func invalidInput(path string) *apiError {
	return newError(http.StatusBadRequest,
		"'"+path+"' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", "", "")
}

// schemaError renders a schema violation as the API does.
func schemaError(v *schemas.Violation) *apiError {
	if v.Kind == schemas.UnknownField {
		return newError(http.StatusBadRequest, "Unrecognized request argument supplied: "+v.Field, "", "")
	}
	path := "$"
	for _, seg := range v.Path {
		switch x := seg.(type) {
		case int:
			path += "[" + strconv.Itoa(x) + "]"
		case string:
			path += "." + x
		}
	}
	if v.Kind == schemas.NotRepeated || v.Kind == schemas.ObjectForScalar {
		path += "." + v.Field
	}
	return invalidInput(path)
}
