package googleapi

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseGoogleJSONAcceptsWhatGooglesParserAccepts(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want any
	}{
		{"empty body", "", map[string]any{}},
		{"whitespace only", " \n\t", map[string]any{}},
		{"object", `{"a":1,"b":[true,false,null],"c":{"d":"e"}}`,
			map[string]any{"a": json.Number("1"), "b": []any{true, false, nil}, "c": map[string]any{"d": "e"}}},
		{"single quotes", `{'a':'it\'s "x"'}`, map[string]any{"a": `it's "x"`}},
		{"bare keys", `{a: 1, _b$2: "x"}`, map[string]any{"a": json.Number("1"), "_b$2": "x"}},
		{"trailing commas", `{"a":[1,2,],}`, map[string]any{"a": []any{json.Number("1"), json.Number("2")}}},
		{"numbers", `[0,-1,1.5,2e10,-3E-2,0.0]`, []any{json.Number("0"), json.Number("-1"), json.Number("1.5"),
			json.Number("2e10"), json.Number("-3E-2"), json.Number("0.0")}},
		{"escapes", `"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"`, "\"\\/\b\f\n\r\té😀"},
		{"lone surrogate", `"\ud800x"`, "\uFFFDx"},
		{"repeated key: last wins", `{"a":1,"a":2}`, map[string]any{"a": json.Number("2")}},
		{"unicode text", `{"t":"Grüße 東京 👋"}`, map[string]any{"t": "Grüße 東京 👋"}},
	}
	for _, tt := range tests {
		got, err := ParseJSON([]byte(tt.in))
		require.Nil(t, err, "%s: %v", tt.name, err)
		assert.Equal(t, tt.want, got, tt.name)
	}
}

func TestParseGoogleJSONErrors(t *testing.T) {
	tests := []struct {
		in   string
		want string // first line of the message
	}{
		{`{"a":1 "b":2}`, "Expected , or } after key:value pair."},
		{`{"a" 1}`, "Expected : between key:value pair."},
		{`{1:2}`, "Expected an object key or }."},
		{`{"a":1`, "Unexpected end of string. Expected , or } after key:value pair."},
		{`[1 2]`, "Expected , or ] after array value."},
		{`[1,}`, "Expected a value or ] within an array."},
		{`[`, "Unexpected end of string. Expected a value or ] within an array."},
		{`{"a":}`, "Unexpected token."},
		{`{"a":NaN}`, "Unexpected token."},
		{`{"a":"x`, "Unexpected end of string. Closing quote expected in string."},
		{`{"a":"x'}`, "Unexpected end of string. Closing quote expected in string."},
		{`{"a":"\q"}`, "Invalid escape sequence."},
		{`{"a":"\u12G4"}`, "Illegal hex string."},
		{`{"a":012}`, "Octal/hex numbers are not valid JSON values."},
		{`{"a":0x1F}`, "Octal/hex numbers are not valid JSON values."},
		{`{"a":-}`, "Unable to parse number."},
		{`{"a":1.}`, "Unable to parse number."},
		{`{"a":1e}`, "Unable to parse number."},
		{`{"a":12abc}`, "Unable to parse number."},
		{`{"a":1} x`, "Parsing terminated before end of input."},
		{`{"a":"` + "\xff" + `"}`, "Encountered non UTF-8 code points."},
		{strings.Repeat("[", 101) + strings.Repeat("]", 101), "Message too deep. Max recursion depth reached."},
		{`{"a":tru}`, "Unexpected token."},
	}
	for _, tt := range tests {
		_, err := ParseJSON([]byte(tt.in))
		require.NotNil(t, err, tt.in)
		first, _, _ := strings.Cut(err.Message, "\n")
		assert.Equal(t, tt.want, first, tt.in)
	}
}

func TestParseGoogleJSONSnippet(t *testing.T) {
	_, err := ParseJSON([]byte(`{"content": {"parts": [{"text": "hello"}, {"text": "world"]}}`))
	require.NotNil(t, err)
	assert.Equal(t, "Expected , or } after key:value pair.\n\"}, {\"text\": \"world\"]}}\n                    ^", err.Message)
}

// FuzzGoogleJSON checks the parser against encoding/json: it never panics,
// and every document encoding/json accepts (valid UTF-8, nesting within the
// limit) parses to the same value.
func FuzzGoogleJSON(f *testing.F) {
	for _, seed := range []string{
		`{"requests":[{"model":"models/m","content":{"parts":[{"text":"a"}]},"taskType":"RETRIEVAL_QUERY"}]}`,
		`{'a':'b',c:[1,2,],}`, `"\ud83d\ude00"`, `[1e5,-0.5,0]`, `{"a":"\u0000"}`, ``, `nul`, `{"a":01}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, perr := ParseJSON(data)
		if perr != nil && !utf8.ValidString(perr.Message) && utf8.Valid(data) {
			t.Fatalf("message of valid UTF-8 input is not valid UTF-8: %q", perr.Message)
		}
		if !json.Valid(data) || !utf8.Valid(data) {
			return
		}
		var want any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("json.Valid but Decode fails: %v", err)
		}
		if perr != nil && strings.HasPrefix(perr.Message, "Message too deep") {
			return
		}
		if perr != nil {
			t.Fatalf("encoding/json accepts %q but the parser says %s", data, perr.Message)
		}
		if !assert.ObjectsAreEqual(want, got) {
			t.Fatalf("%q: parsed %#v, encoding/json %#v", data, got, want)
		}
	})
}
