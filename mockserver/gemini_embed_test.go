package mockserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embedmock/embedmock/fakeembed"
)

func embedBody(text string, extra string) string {
	b, _ := json.Marshal(text)
	return `{"content":{"parts":[{"text":` + string(b) + `}]}` + extra + `}`
}

func expectedVector(model, task, title, text string, dims, out int) []float32 {
	return fakeembed.Vector(fakeembed.Lexical, fakeembed.Input{Model: model, Task: task, Title: title, Text: text},
		fakeembed.Shape{Dimensions: dims, Output: out})
}

func TestEmbedContentServesTheFakeembedVector(t *testing.T) {
	_, base := newTestServer(t)
	got := decodeEmbed(t, do(t, http.MethodPost, base+embedPath, embedBody("hello world", ""))).Embedding.Values
	require.Len(t, got, 3072)
	assert.Equal(t, expectedVector("gemini-embedding-001", "", "", "hello world", 3072, 0), got)
	assert.InDelta(t, 1, norm(got), 1e-6)
}

func TestOutputDimensionalityTruncatesWithoutRenormalising(t *testing.T) {
	_, base := newTestServer(t)
	full := decodeEmbed(t, do(t, http.MethodPost, base+embedPath, embedBody("hello world", ""))).Embedding.Values
	for _, dims := range []int{128, 256, 768, 1536, 3072} {
		body := embedBody("hello world", `,"outputDimensionality":`+jsonInt(dims))
		got := decodeEmbed(t, do(t, http.MethodPost, base+embedPath, body)).Embedding.Values
		require.Len(t, got, dims)
		assert.Equal(t, full[:dims], got, "a prefix of the full vector")
		if dims < 3072 {
			assert.Less(t, norm(got), 0.99)
		}
	}
}

func jsonInt(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestRequestFormsThatMeanTheSame(t *testing.T) {
	_, base := newTestServer(t)
	want := decodeEmbed(t, do(t, http.MethodPost, base+embedPath,
		`{"content":{"parts":[{"text":"q"}]},"taskType":"RETRIEVAL_DOCUMENT","title":"T","outputDimensionality":256}`)).Embedding.Values
	forms := map[string]string{
		"snake_case":           `{"content":{"parts":[{"text":"q"}]},"task_type":"RETRIEVAL_DOCUMENT","title":"T","output_dimensionality":256}`,
		"enum as number":       `{"content":{"parts":[{"text":"q"}]},"taskType":2,"title":"T","outputDimensionality":256}`,
		"enum number string":   `{"content":{"parts":[{"text":"q"}]},"taskType":"2","title":"T","outputDimensionality":256}`,
		"int32 as string":      `{"content":{"parts":[{"text":"q"}]},"taskType":"RETRIEVAL_DOCUMENT","title":"T","outputDimensionality":"256"}`,
		"body model and role":  `{"model":"models/gemini-embedding-001","content":{"role":"user","parts":[{"text":"q"}]},"taskType":"RETRIEVAL_DOCUMENT","title":"T","outputDimensionality":256}`,
		"embedContentConfig":   `{"content":{"parts":[{"text":"q"}]},"embedContentConfig":{"taskType":"RETRIEVAL_DOCUMENT","title":"T","outputDimensionality":256}}`,
		"config wins":          `{"content":{"parts":[{"text":"q"}]},"taskType":"CLUSTERING","title":"X","outputDimensionality":128,"embed_content_config":{"task_type":"RETRIEVAL_DOCUMENT","title":"T","output_dimensionality":256}}`,
		"nulls are unset":      `{"content":{"parts":[{"text":"q","inlineData":null}]},"taskType":"RETRIEVAL_DOCUMENT","title":"T","outputDimensionality":256,"embedContentConfig":null}`,
		"single quotes":        `{'content':{'parts':[{'text':'q'}]},'taskType':'RETRIEVAL_DOCUMENT','title':'T','outputDimensionality':256}`,
		"bare keys and commas": `{content:{parts:[{text:"q"},],},taskType:"RETRIEVAL_DOCUMENT",title:"T",outputDimensionality:256,}`,
		"escapes":              `{"content":{"parts":[{"text":"\u0071"}]},"taskType":"RETRIEVAL_DOCUMENT","title":"\u0054","outputDimensionality":256}`,
	}
	for name, body := range forms {
		got := decodeEmbed(t, do(t, http.MethodPost, base+embedPath, body)).Embedding.Values
		assert.Equal(t, want, got, name)
	}
}

func TestTaskTypeAndTitleFeedTheVector(t *testing.T) {
	_, base := newTestServer(t)
	seen := map[string]string{}
	for i, task := range taskTypeNames {
		body := embedBody("same text", `,"taskType":"`+task+`"`)
		v := decodeEmbed(t, do(t, http.MethodPost, base+embedPath, body)).Embedding.Values
		want := task
		if i == 0 {
			want = ""
		}
		assert.Equal(t, expectedVector("gemini-embedding-001", want, "", "same text", 3072, 0), v, task)
		key := string(mustJSON(v[:4]))
		assert.NotContains(t, seen, key, "%s gives the same vector as %s", task, seen[key])
		seen[key] = task
	}
	withTitle := decodeEmbed(t, do(t, http.MethodPost, base+embedPath,
		embedBody("same text", `,"taskType":"RETRIEVAL_DOCUMENT","title":"A title"`))).Embedding.Values
	assert.Equal(t, expectedVector("gemini-embedding-001", "RETRIEVAL_DOCUMENT", "A title", "same text", 3072, 0), withTitle)
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

func TestGeminiEmbedding2IgnoresTaskType(t *testing.T) {
	_, base := newTestServer(t)
	path := "/v1beta/models/gemini-embedding-2:embedContent"
	plain := decodeEmbed(t, do(t, http.MethodPost, base+path, embedBody("x y", "")))
	query := decodeEmbed(t, do(t, http.MethodPost, base+path, embedBody("x y", `,"taskType":"RETRIEVAL_QUERY"`)))
	assert.Equal(t, plain.Embedding.Values, query.Embedding.Values)
	require.NotNil(t, plain.UsageMetadata, "gemini-embedding-2 reports usage")
	assert.Equal(t, 1, plain.UsageMetadata.PromptTokenCount)

	g1 := decodeEmbed(t, do(t, http.MethodPost, base+embedPath, embedBody("x y", "")))
	assert.Nil(t, g1.UsageMetadata, "gemini-embedding-001 does not")
}

func TestMultiplePartsAreOneEmbeddingOfTheJoinedText(t *testing.T) {
	_, base := newTestServer(t)
	got := decodeEmbed(t, do(t, http.MethodPost, base+embedPath,
		`{"content":{"parts":[{"text":"a"},{"text":"b"},{"text":"c"}]}}`)).Embedding.Values
	assert.Equal(t, expectedVector("gemini-embedding-001", "", "", "a\nb\nc", 3072, 0), got)
}

func TestBatchMatchesSingleCalls(t *testing.T) {
	_, base := newTestServer(t)
	texts := []string{"alpha", "beta gamma", "Grüße 東京"}
	var items []string
	for _, text := range texts {
		b, _ := json.Marshal(text)
		items = append(items, `{"model":"models/gemini-embedding-001","content":{"parts":[{"text":`+string(b)+`}]},"outputDimensionality":768}`)
	}
	batch := decodeEmbed(t, do(t, http.MethodPost, base+batchPath, `{"requests":[`+strings.Join(items, ",")+`]}`))
	require.Len(t, batch.Embeddings, len(texts))
	for i, text := range texts {
		single := decodeEmbed(t, do(t, http.MethodPost, base+embedPath, embedBody(text, `,"outputDimensionality":768`)))
		assert.Equal(t, single.Embedding.Values, batch.Embeddings[i].Values, "request order is kept")
	}
	assert.NotEqual(t, batch.Embeddings[0].Values, batch.Embeddings[1].Values)
}

func TestFullBatchOf100(t *testing.T) {
	_, base := newTestServer(t)
	resp := decodeEmbed(t, do(t, http.MethodPost, base+batchPath, batchOf(100, goodItem)))
	assert.Len(t, resp.Embeddings, 100)
}

func TestOverlongInputIsTruncatedToTheTokenLimit(t *testing.T) {
	_, base := newTestServer(t)
	limitBytes := 4 * 2048 // gemini-embedding-001: 2048 tokens of 4 bytes
	long := strings.Repeat("word ", 3*limitBytes/5)
	atLimit := long[:limitBytes]
	a := decodeEmbed(t, do(t, http.MethodPost, base+embedPath, embedBody(long, ""))).Embedding.Values
	b := decodeEmbed(t, do(t, http.MethodPost, base+embedPath, embedBody(atLimit, ""))).Embedding.Values
	assert.Equal(t, b, a)
	c := decodeEmbed(t, do(t, http.MethodPost, base+embedPath, embedBody(long[:limitBytes-1], ""))).Embedding.Values
	assert.NotEqual(t, b, c)

	// gemini-embedding-2 allows 8192 tokens, and reports the tokens it used.
	path := "/v1beta/models/gemini-embedding-2:embedContent"
	resp := decodeEmbed(t, do(t, http.MethodPost, base+path, embedBody(strings.Repeat("x", 40000), "")))
	assert.Equal(t, 8192, resp.UsageMetadata.PromptTokenCount)
}

func TestHashMode(t *testing.T) {
	_, base := newTestServer(t, WithVectorMode(fakeembed.Hash))
	got := decodeEmbed(t, do(t, http.MethodPost, base+embedPath, embedBody("hello", ""))).Embedding.Values
	assert.Equal(t, fakeembed.Vector(fakeembed.Hash, fakeembed.Input{Model: "gemini-embedding-001", Text: "hello"},
		fakeembed.Shape{Dimensions: 3072}), got)
}

func TestLegacyModels(t *testing.T) {
	_, base := newTestServer(t, WithLegacyModels(true))
	for _, model := range []string{"text-embedding-004", "embedding-001"} {
		got := decodeEmbed(t, do(t, http.MethodPost, base+"/v1beta/models/"+model+":embedContent", embedBody("hi", "")))
		assert.Len(t, got.Embedding.Values, 768, model)
	}
	got := decodeEmbed(t, do(t, http.MethodPost, base+"/v1beta/models/text-embedding-004:embedContent",
		embedBody("hi", `,"outputDimensionality":256`)))
	assert.Len(t, got.Embedding.Values, 256)
}

func TestResponseHeaders(t *testing.T) {
	_, base := newTestServer(t)
	resp := do(t, http.MethodPost, base+embedPath, embedBody("hi", ""))
	assert.Equal(t, "application/json; charset=UTF-8", resp.header.Get("Content-Type"))
	assert.Equal(t, "fake", resp.header.Get("X-Embedmock-Source"))
	assert.Equal(t, "nosniff", resp.header.Get("X-Content-Type-Options"))
	assert.Equal(t, "scaffolding on HTTPServer2", resp.header.Get("Server"))
}

func TestModelsListAndGet(t *testing.T) {
	_, base := newTestServer(t)
	var page struct {
		Models []struct {
			Name                       string   `json:"name"`
			InputTokenLimit            int      `json:"inputTokenLimit"`
			SupportedGenerationMethods []string `json:"supportedGenerationMethods"`
			Embedmock                  any      `json:"embedmock"`
		} `json:"models"`
		NextPageToken string `json:"nextPageToken"`
	}
	resp := do(t, http.MethodGet, base+"/v1beta/models", "")
	require.Equal(t, 200, resp.status)
	require.NoError(t, json.Unmarshal(resp.body, &page))
	var names []string
	for _, m := range page.Models {
		names = append(names, m.Name)
		assert.Nil(t, m.Embedmock, "embedmock's own fields are not served")
	}
	assert.Equal(t, []string{"models/gemini-embedding-001", "models/gemini-embedding-2-preview", "models/gemini-embedding-2"}, names)
	assert.Empty(t, page.NextPageToken)

	// Paging one model at a time visits the same models.
	var paged []string
	token := ""
	for range 10 {
		url := base + "/v1/models?pageSize=1"
		if token != "" {
			url += "&pageToken=" + token
		}
		resp := do(t, http.MethodGet, url, "")
		require.Equal(t, 200, resp.status, string(resp.body))
		page.NextPageToken = ""
		require.NoError(t, json.Unmarshal(resp.body, &page))
		for _, m := range page.Models {
			paged = append(paged, m.Name)
		}
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	assert.Equal(t, names, paged)

	resp = do(t, http.MethodGet, base+"/v1beta/models/gemini-embedding-001", "")
	require.Equal(t, 200, resp.status)
	var m map[string]any
	require.NoError(t, json.Unmarshal(resp.body, &m))
	assert.Equal(t, map[string]any{
		"name": "models/gemini-embedding-001", "version": "001", "displayName": "Gemini Embedding 001",
		"description": "Obtain a distributed representation of a text.", "inputTokenLimit": 2048.0, "outputTokenLimit": 1.0,
		"supportedGenerationMethods": []any{"embedContent", "countTextTokens", "countTokens", "asyncBatchEmbedContent"},
	}, m)
}

func TestCustomCatalog(t *testing.T) {
	models, err := LoadGeminiModels(strings.NewReader(`{"models":[{"name":"models/tiny","inputTokenLimit":4,"outputTokenLimit":1,
		"embedmock":{"dimensions":16,"minOutputDimensionality":4,"maxOutputDimensionality":16}}]}`))
	require.NoError(t, err)
	_, base := newTestServer(t, WithGeminiModels(models))
	got := decodeEmbed(t, do(t, http.MethodPost, base+"/v1beta/models/tiny:embedContent", embedBody("abcdefghijklmnopqrstuvwxyz", "")))
	assert.Equal(t, expectedVector("tiny", "", "", "abcdefghijklmnop", 16, 0), got.Embedding.Values, "cut to 4 tokens")
	assert.Equal(t, 404, do(t, http.MethodPost, base+embedPath, embedBody("a", "")).status)
}

func TestLargeBatchIsStreamedAndExact(t *testing.T) {
	s, base := newTestServer(t)
	var body strings.Builder
	body.WriteString(`{"requests":[`)
	for i := range 100 {
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"streamed text %d"}]}}`, i)
	}
	body.WriteString(`]}`)
	r := do(t, http.MethodPost, base+"/v1beta/models/gemini-embedding-001:batchEmbedContents", body.String())
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	assert.Empty(t, r.header.Get("Content-Length"), "an answer of %d bytes is written in pieces", len(r.body))
	assert.Equal(t, "application/json; charset=UTF-8", r.header.Get("Content-Type"))
	got := decodeEmbed(t, r)
	require.Len(t, got.Embeddings, 100)
	for i, e := range got.Embeddings {
		want, err := s.Vector(VectorQuery{Model: "gemini-embedding-001", Text: fmt.Sprintf("streamed text %d", i)})
		require.NoError(t, err)
		require.Equal(t, want, e.Values, "embedding %d", i)
	}

	small := do(t, http.MethodPost, base+"/v1beta/models/gemini-embedding-001:batchEmbedContents",
		`{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"one"}]}}]}`)
	require.Equal(t, http.StatusOK, small.status)
	assert.Equal(t, strconv.Itoa(len(small.body)), small.header.Get("Content-Length"), "a small answer has its length")
}

// TestReadmeTryIt sends the README's "Try it" request as written.
func TestReadmeTryIt(t *testing.T) {
	_, base := newTestServer(t)
	r := do(t, http.MethodPost, base+"/v1beta/models/gemini-embedding-001:embedContent",
		`{"content":{"parts":[{"text":"What is the meaning of life?"}]},"outputDimensionality":8}`, "X-Goog-Api-Key", "any-key")
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	assert.Len(t, decodeEmbed(t, r).Embedding.Values, 8)
}
