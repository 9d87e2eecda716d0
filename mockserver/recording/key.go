package recording

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/embedmock/embedmock/schemas"
)

// Key is what a request is matched on: its API family, route kind, model
// and canonical form. Two requests with equal keys get the same recorded
// answer.
type Key struct {
	Family string // the API family ("gemini", "openai", ...); "http" for requests no family claims
	Route  string // e.g. "batchEmbedContents", "batches.get", "files.upload"
	Model  string // model id, without "models/"; "" when the route has none
	// Request is the canonical request: method, path without the API
	// version, sorted query without secrets, and the canonical body.
	Request string
}

// String renders the key for messages.
func (k Key) String() string {
	s := k.Family + " " + k.Route
	if k.Model != "" {
		s += " (" + k.Model + ")"
	}
	return s
}

// secretQueryParams are the query parameters that carry credentials.
var secretQueryParams = map[string]bool{"key": true, "access_token": true, "api-key": true, "api_key": true}

// SecretQueryParam reports whether a query parameter carries credentials:
// it is dropped from canonical requests and redacted everywhere.
func SecretQueryParam(name string) bool { return secretQueryParams[name] }

// Matcher is what a Library needs to know of the APIs whose traffic it
// replays: which family, route and model a recorded request is for and how
// its family spells it canonically (Key, usually by way of NewKey), and,
// for families that allow it, the embedding inputs of a request and the
// vectors of an answer, so that answers can be assembled from recorded
// vectors. The server implements it from its API families.
type Matcher interface {
	// Key computes the key of a request.
	Key(method string, u *url.URL, header http.Header, body []byte) Key
	// Inputs returns one string per embedding input of a request, naming
	// everything its vector depends on; false when the request cannot be
	// answered from recorded vectors.
	Inputs(k Key, body []byte) ([]string, bool)
	// Vectors returns the vectors of a recorded answer, one per input,
	// as recorded JSON.
	Vectors(k Key, answer []byte) ([]json.RawMessage, bool)
	// Answer assembles the answer to a request from its inputs' vectors.
	Answer(k Key, vectors []json.RawMessage) []byte
}

// ValueRule rewrites the value of a JSON field (by its snake_case name)
// into the one canonical spelling of its family (an enum by name rather
// than number, an int64 as a number rather than a string); ok false keeps
// the value.
type ValueRule func(field string, v any) (out any, ok bool)

// NewKey builds the key of a request that its family classified: path is
// the path as the family compares it (without what does not change the
// answer), and rule, if not nil, the family's canonical field values.
// The canonical request is the method, the path, the sorted query without
// secrets, and the body as JSON with sorted keys, snake_case names, nulls
// dropped, numbers in one form and rule applied; a body that is not JSON
// is represented by its length and SHA-256.
func NewKey(family, route, model, method, path string, query url.Values, body []byte, rule ValueRule) Key {
	k := Key{Family: family, Route: route, Model: model}
	var b strings.Builder
	b.WriteString(method)
	b.WriteByte(' ')
	b.WriteString(path)
	if q := canonicalQuery(query); q != "" {
		b.WriteByte('?')
		b.WriteString(q)
	}
	b.WriteByte(' ')
	b.WriteString(canonicalBody(body, rule))
	k.Request = b.String()
	return k
}

// plainMatcher keys requests by method, path and body alone, for a
// Library that was given no Matcher.
type plainMatcher struct{}

func (plainMatcher) Key(method string, u *url.URL, _ http.Header, body []byte) Key {
	return NewKey("http", method+" "+u.Path, "", method, u.Path, u.Query(), body, nil)
}
func (plainMatcher) Inputs(Key, []byte) ([]string, bool)           { return nil, false }
func (plainMatcher) Vectors(Key, []byte) ([]json.RawMessage, bool) { return nil, false }
func (plainMatcher) Answer(Key, []json.RawMessage) []byte          { return nil }

func canonicalQuery(q url.Values) string {
	var names []string
	for name := range q {
		if !secretQueryParams[name] {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	var b strings.Builder
	for _, name := range names {
		values := slices.Clone(q[name])
		slices.Sort(values)
		for _, v := range values {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(schemas.SnakeCase(name)))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(v))
		}
	}
	return b.String()
}

// canonicalBody is the body as JSON with sorted keys, snake_case names,
// task types as names and numbers in one form; a body that is not JSON is
// represented by its length and SHA-256.
func canonicalBody(body []byte, rule ValueRule) string {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return "{}"
	}
	doc, err := schemas.Decode(trimmed)
	if err != nil {
		sum := sha256.Sum256(body)
		return "bytes:" + strconv.Itoa(len(body)) + ":" + hex.EncodeToString(sum[:])
	}
	out, _ := json.Marshal(canonicalValue(doc, "", rule))
	return string(out)
}

// canonicalValue rewrites a decoded JSON value into its canonical form;
// field is the snake_case name of the field holding it.
func canonicalValue(v any, field string, rule ValueRule) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			name := schemas.SnakeCase(k)
			if val == nil {
				continue // proto3 JSON: null is the same as absent
			}
			out[name] = canonicalValue(val, name, rule)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = canonicalValue(val, field, rule)
		}
		return out
	}
	if rule != nil {
		if out, ok := rule(field, v); ok {
			v = out
		}
	}
	if n, ok := v.(json.Number); ok {
		return canonicalNumber(string(n))
	}
	return v
}

// canonicalNumber writes integers without a fraction and other numbers in
// Go's shortest float form, so 256, 256.0 and "256" agree.
func canonicalNumber(s string) json.Number {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return json.Number(strconv.FormatInt(n, 10))
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return json.Number(s)
	}
	if f == float64(int64(f)) && f < 1e18 && f > -1e18 {
		return json.Number(strconv.FormatInt(int64(f), 10))
	}
	return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
}
