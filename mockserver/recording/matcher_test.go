package recording

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testMatcher stands for a server's families in the library's tests:
// /{version}/models and /{version}/models/{model}:{verb} are family
// "gemini" with models.list or the verb as route (and the version left
// out of the compared path), and
// /toy/{model}:embed is family "toy", whose requests {"inputs": [...]}
// are answered {"vectors": [...]} from recorded vectors. Everything else
// is keyed as plainMatcher keys it.
type testMatcher struct{}

func (testMatcher) Key(method string, u *url.URL, h http.Header, body []byte) Key {
	if rest, ok := strings.CutPrefix(u.Path, "/toy/"); ok {
		model, verb, _ := strings.Cut(rest, ":")
		return NewKey("toy", verb, model, method, u.Path, u.Query(), body, nil)
	}
	parts := strings.SplitN(strings.TrimPrefix(u.Path, "/"), "/", 3)
	switch {
	case len(parts) == 3 && parts[1] == "models":
		model, verb, _ := strings.Cut(parts[2], ":")
		return NewKey("gemini", verb, model, method, "/models/"+parts[2], u.Query(), body, nil)
	case len(parts) == 2 && parts[1] == "models":
		return NewKey("gemini", "models.list", "", method, "/models", u.Query(), body, nil)
	}
	return plainMatcher{}.Key(method, u, h, body)
}

func (testMatcher) Inputs(k Key, body []byte) ([]string, bool) {
	var req struct{ Inputs []string }
	if k.Family != "toy" || json.Unmarshal(body, &req) != nil || len(req.Inputs) == 0 {
		return nil, false
	}
	for i, in := range req.Inputs {
		req.Inputs[i] = k.Model + "\x00" + in
	}
	return req.Inputs, true
}

func (testMatcher) Vectors(k Key, answer []byte) ([]json.RawMessage, bool) {
	var resp struct{ Vectors []json.RawMessage }
	if k.Family != "toy" || json.Unmarshal(answer, &resp) != nil {
		return nil, false
	}
	return resp.Vectors, true
}

func (testMatcher) Answer(_ Key, vectors []json.RawMessage) []byte {
	b, _ := json.Marshal(map[string]any{"vectors": vectors})
	return b
}

// lookup keys a request with testMatcher and looks it up.
func lookup(lib *Library, method string, u *url.URL, body []byte) (*Answer, *Miss) {
	return lib.Lookup(testMatcher{}.Key(method, u, nil, body), body)
}

func TestKeysAreCanonical(t *testing.T) {
	m := testMatcher{}
	u := mustURL(t, "http://h/v1beta/models/m:embed")
	base := m.Key("POST", u, nil, []byte(`{"a":1,"b":{"c":"x","d":[1.0,2e0]}}`))
	for name, r := range map[string]struct{ url, body string }{
		"key order, spacing":   {"http://h/v1beta/models/m:embed", ` { "b": {"d": [1, 2], "c": "x"}, "a": 1 } `},
		"camelCase":            {"http://h/v1beta/models/m:embed", `{"a":1,"b":{"c":"x","d":[1,2]}}`},
		"nulls":                {"http://h/v1beta/models/m:embed", `{"a":1,"b":{"c":"x","d":[1,2],"e":null}}`},
		"secret query":         {"http://h/v1beta/models/m:embed?key=secret&api_key=s", `{"a":1,"b":{"c":"x","d":[1,2]}}`},
		"version (the family)": {"http://h/v1/models/m:embed", `{"a":1,"b":{"c":"x","d":[1,2]}}`},
	} {
		assert.Equal(t, base, m.Key("POST", mustURL(t, r.url), nil, []byte(r.body)), name)
	}
	for name, body := range map[string]string{
		"value": `{"a":2,"b":{"c":"x","d":[1,2]}}`, "list order": `{"a":1,"b":{"c":"x","d":[2,1]}}`, "empty": ``,
		"stray brace": `{"a":1,"b":{"c":"x","d":[1,2]}}}`,
	} {
		assert.NotEqual(t, base, m.Key("POST", u, nil, []byte(body)), name)
	}
	// A body that is not JSON is matched by its bytes.
	a := m.Key("POST", u, nil, []byte("\x00\x01binary"))
	b := m.Key("POST", u, nil, []byte("\x00\x01binarz"))
	assert.NotEqual(t, a, b)
	assert.Contains(t, a.Request, "bytes:8:")
	// A family's rule spells values one way.
	rule := func(field string, v any) (any, bool) {
		if field == "task" && v == json.Number("1") {
			return "QUERY", true
		}
		return nil, false
	}
	assert.Equal(t,
		NewKey("f", "r", "", "POST", "/p", nil, []byte(`{"task":"QUERY"}`), rule),
		NewKey("f", "r", "", "POST", "/p", nil, []byte(`{"task":1}`), rule))
}

func TestPlainMatcherKeysByMethodAndPath(t *testing.T) {
	lib := NewLibrary(nil)
	lib.Add(interaction("GET", "http://h/any/path?x=1", "", 200, "ok"), "t#0")
	a, miss := lib.Lookup(plainMatcher{}.Key("GET", mustURL(t, "http://other/any/path?x=1"), nil, nil), nil)
	require.Nil(t, miss)
	assert.Equal(t, "ok", string(a.Body))
	assert.Equal(t, Key{Family: "http", Route: "GET /any/path", Request: "GET /any/path?x=1 {}"}, plainMatcher{}.Key("GET", mustURL(t, "http://h/any/path?x=1"), nil, nil))
}
