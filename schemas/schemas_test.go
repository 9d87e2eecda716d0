package schemas

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func decode(t *testing.T, body string) any {
	t.Helper()
	v, err := Decode([]byte(body))
	require.NoError(t, err)
	return v
}

func TestSchemasCompileAndAreListed(t *testing.T) {
	assert.Equal(t, []Name{GeminiAsyncBatchEmbedContentRequest, GeminiBatchEmbedContentsRequest, GeminiBatchFileLine,
		GeminiCreateFileRequest, GeminiEmbedContentRequest, GradientGenerateEmbeddingRequest, OpenAIEmbeddingRequest}, Names())
	for _, name := range Names() {
		doc := Document(name)
		require.NotNil(t, doc, name)
		assert.True(t, json.Valid(doc), name)
	}
	assert.Nil(t, Document("nope"))
	assert.Panics(t, func() { Validate("nope", map[string]any{}) })
}

func TestValidBodies(t *testing.T) {
	valid := map[Name][]string{
		GeminiEmbedContentRequest: {
			`{}`,
			`{"model":"models/m","content":{"role":"user","parts":[{"text":"a"},{"text":"b"}]},"taskType":"RETRIEVAL_DOCUMENT","title":"t","outputDimensionality":256}`,
			`{"content":{"parts":[{"text":"a"}]},"task_type":3,"output_dimensionality":"128"}`,
			`{"content":{"parts":[{"inline_data":{"mime_type":"image/png","data":"iVBORw0KGgo="}},{"fileData":{"fileUri":"files/x"}}]}}`,
			`{"content":null,"taskType":null,"title":null,"outputDimensionality":null}`,
			`{"embedContentConfig":{"taskType":"CLUSTERING","autoTruncate":true,"output_dimensionality":64}}`,
			`{"content":{"parts":[{"text":"a"}]},"taskType":42}`,
		},
		GeminiBatchEmbedContentsRequest: {
			`{"requests":[]}`,
			`{"model":"models/m","requests":[{"model":"models/m","content":{"parts":[{"text":"a"}]}}]}`,
		},
	}
	for name, bodies := range valid {
		for _, body := range bodies {
			assert.Nil(t, Validate(name, decode(t, body)), "%s: %s", name, body)
		}
	}
}

func TestViolations(t *testing.T) {
	tests := []struct {
		name  Name
		body  string
		want  Violation
		proto string
	}{
		{GeminiEmbedContentRequest, `{"thinking":true}`, Violation{Kind: UnknownField, Path: Path{}, Field: "thinking"}, ""},
		{GeminiEmbedContentRequest, `{"content":{"parts":[{"text":"a","function_response_x":{}}]}}`,
			Violation{Kind: UnknownField, Path: Path{"content", "parts", 0}, Field: "function_response_x"}, "content.parts[0]"},
		{GeminiEmbedContentRequest, `{"taskType":"NOPE"}`,
			Violation{Kind: InvalidValue, Path: Path{"taskType"}, Value: "NOPE", ProtoType: "TaskType"}, "task_type"},
		{GeminiEmbedContentRequest, `{"outputDimensionality":1.5}`,
			Violation{Kind: InvalidValue, Path: Path{"outputDimensionality"}, Value: json.Number("1.5"), ProtoType: "TYPE_INT32"}, "output_dimensionality"},
		{GeminiEmbedContentRequest, `{"content":[]}`, Violation{Kind: NotRepeated, Path: Path{}, Field: "content"}, ""},
		{GeminiEmbedContentRequest, `{"title":{"a":1}}`, Violation{Kind: ObjectForScalar, Path: Path{}, Field: "title"}, ""},
		{GeminiEmbedContentRequest, `{"content":{"parts":["hi"]}}`,
			Violation{Kind: InvalidValue, Path: Path{"content", "parts", 0}, Value: "hi", ProtoType: "Part"}, "content.parts[0]"},
		{GeminiEmbedContentRequest, `{"content":{"parts":[{"inlineData":{"data":"not base64!"}}]}}`,
			Violation{Kind: InvalidValue, Path: Path{"content", "parts", 0, "inlineData", "data"}, Value: "not base64!", ProtoType: "TYPE_BYTES"}, "content.parts[0].inline_data.data"},
		{GeminiBatchEmbedContentsRequest, `{"requests":{"content":{}}}`,
			Violation{Kind: InvalidValue, Path: Path{"requests"}, Value: map[string]any{"content": map[string]any{}}, ProtoType: "EmbedContentRequest"}, "requests"},
		{GeminiBatchEmbedContentsRequest, `{"requests":[{"content":{}},{"bad":1},{"taskType":"X"}]}`,
			Violation{Kind: UnknownField, Path: Path{"requests", 1}, Field: "bad"}, "requests[1]"},
	}
	for _, tt := range tests {
		got := Validate(tt.name, decode(t, tt.body))
		require.NotNil(t, got, tt.body)
		assert.NotEmpty(t, got.Keyword)
		got.Keyword = ""
		assert.Equal(t, tt.want, *got, tt.body)
		assert.Equal(t, tt.proto, got.Path.ProtoPath(), tt.body)
	}
}

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{
		"outputDimensionality": "output_dimensionality", "task_type": "task_type", "text": "text",
		"inlineData": "inline_data", "embedContentConfig": "embed_content_config",
	} {
		assert.Equal(t, want, SnakeCase(in))
	}
}

func TestPathRendering(t *testing.T) {
	p := Path{"requests", 3, "content", "parts", 0, "inlineData"}
	assert.Equal(t, "requests[3].content.parts[0].inline_data", p.ProtoPath())
	assert.Equal(t, "/requests/3/content/parts/0/inlineData", p.String())
}

func TestLongListsReportTheFirstBadElement(t *testing.T) {
	item := `{"content":{"parts":[{"text":"a"}]}}`
	items := make([]string, 0, 50)
	for range 20 {
		items = append(items, item)
	}
	items = append(items, "1")
	for range 29 {
		items = append(items, `{"bad":true}`)
	}
	body := `{"requests":[` + strings.Join(items, ",") + `]}`
	v := Validate(GeminiBatchEmbedContentsRequest, decode(t, body))
	require.NotNil(t, v)
	assert.Equal(t, Violation{Kind: InvalidValue, Path: Path{"requests", 20}, Value: json.Number("1"), ProtoType: "EmbedContentRequest", Keyword: "type"}, *v)

	parts := make([]string, 40)
	for i := range parts {
		parts[i] = `{"text":"p"}`
	}
	parts[30] = `{"text":"p","id":1}`
	body = `{"requests":[` + item + `,{"content":{"parts":[` + strings.Join(parts, ",") + `]}}]}`
	v = Validate(GeminiBatchEmbedContentsRequest, decode(t, body))
	require.NotNil(t, v)
	assert.Equal(t, Violation{Kind: UnknownField, Path: Path{"requests", 1, "content", "parts", 30}, Field: "id", Keyword: "additionalProperties"}, *v)
	assert.Equal(t, "requests[1].content.parts[30]", v.Path.ProtoPath())

	// A long valid list is valid.
	valid := make([]string, 500)
	for i := range valid {
		valid[i] = item
	}
	assert.Nil(t, Validate(GeminiBatchEmbedContentsRequest, decode(t, `{"requests":[`+strings.Join(valid, ",")+`]}`)))
}

// TestListItemsAreReferences checks what long-list validation relies on:
// every list's item schema is a $ref that can be compiled on its own.
func TestListItemsAreReferences(t *testing.T) {
	var walk func(node any, where string)
	walk = func(node any, where string) {
		switch x := node.(type) {
		case map[string]any:
			if items, ok := x["items"].(map[string]any); ok {
				ref, ok := items["$ref"].(string)
				assert.True(t, ok, "%s: list items must be a $ref", where)
				if ok {
					full := ref
					if strings.HasPrefix(ref, "#") {
						full = strings.SplitN(where, "#", 2)[0] + ref
					}
					_, err := compiled().schema(full)
					assert.NoError(t, err, full)
				}
			}
			for k, v := range x {
				walk(v, where+"/"+k)
			}
		case []any:
			for i, v := range x {
				walk(v, fmt.Sprintf("%s/%d", where, i))
			}
		}
	}
	for file, doc := range compiled().raw {
		walk(doc, file+"#")
	}
}

func BenchmarkValidateLongInvalidList(b *testing.B) {
	body := `{"requests":[` + strings.Repeat("1,", 100000) + `1]}`
	var doc any
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if Validate(GeminiBatchEmbedContentsRequest, doc) == nil {
			b.Fatal("valid?")
		}
	}
}

func TestOtherFamiliesViolations(t *testing.T) {
	tests := []struct {
		name Name
		body string
		want Violation
	}{
		{OpenAIEmbeddingRequest, `{"model":"m","input":"x","colour":1}`, Violation{Kind: UnknownField, Path: Path{}, Field: "colour", Keyword: "additionalProperties"}},
		{OpenAIEmbeddingRequest, `{"model":"m","input":[1,"a"]}`, Violation{Kind: InvalidValue, Path: Path{"input"}, Value: []any{json.Number("1"), "a"}, Keyword: "anyOf"}},
		{OpenAIEmbeddingRequest, `{"model":"m","input":"x","encoding_format":"hex"}`, Violation{Kind: InvalidValue, Path: Path{"encoding_format"}, Value: "hex", Keyword: "enum"}},
		{OpenAIEmbeddingRequest, `{"model":"m","input":"x","dimensions":0}`, Violation{Kind: InvalidValue, Path: Path{"dimensions"}, Value: json.Number("0"), Keyword: "minimum"}},
		{GradientGenerateEmbeddingRequest, `{}`, Violation{Kind: MissingField, Path: Path{}, Field: "inputs", Keyword: "required"}},
		{GradientGenerateEmbeddingRequest, `{"inputs":[]}`, Violation{Kind: InvalidValue, Path: Path{"inputs"}, Value: []any{}, Keyword: "minItems"}},
		{GradientGenerateEmbeddingRequest, `{"inputs":[{"input":""}]}`, Violation{Kind: InvalidValue, Path: Path{"inputs", 0, "input"}, Value: "", Keyword: "minLength"}},
	}
	for _, tt := range tests {
		got := Validate(tt.name, decode(t, tt.body))
		require.NotNil(t, got, tt.body)
		assert.Equal(t, tt.want, *got, tt.body)
	}
	assert.Nil(t, Validate(OpenAIEmbeddingRequest, decode(t, `{"model":"m","input":[[1,2],[3]],"encoding_format":"base64","dimensions":256,"user":"u"}`)))
	assert.Nil(t, Validate(GradientGenerateEmbeddingRequest, decode(t, `{"inputs":[{"input":"a"},{"input":"b"}]}`)))
}
