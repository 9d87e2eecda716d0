package main

import (
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/dnaeon/go-vcr.v3/cassette"

	"github.com/embedmock/embedmock/fakeembed"
)

// workload is one kind of request driven at both servers.
type workload struct {
	name        string
	description string
	method      string
	path        string
	headers     map[string]string
	// body returns request i's body; workloads with distinct texts put i
	// in the text, so no two requests of a run are alike.
	body func(i int) string
	// lua is the same body as a wrk Lua expression of the counter n.
	lua string
	// prepare returns the extra embedmock arguments the workload needs
	// (the replay cassette), writing what it needs under dir.
	prepare func(dir string) ([]string, error)
}

const geminiEmbed = "/v1beta/models/gemini-embedding-001:embedContent"

var geminiHeaders = map[string]string{"Content-Type": "application/json", "X-Goog-Api-Key": "bench"}
var openAIHeaders = map[string]string{"Content-Type": "application/json", "Authorization": "Bearer bench"}

// replayTexts is the number of interactions in the replay cassette.
const replayTexts = 10000

var workloads = map[string]workload{
	"embed768": {
		description: "embedContent, 768 dims, distinct texts",
		method:      http.MethodPost, path: geminiEmbed, headers: geminiHeaders,
		body: func(i int) string {
			return fmt.Sprintf(`{"content":{"parts":[{"text":"document %d about embeddings and vectors"}]},"outputDimensionality":768}`, i)
		},
		lua: `'{"content":{"parts":[{"text":"document ' .. n .. ' about embeddings and vectors"}]},"outputDimensionality":768}'`,
	},
	"embed3072": {
		description: "embedContent, 3072 dims, distinct texts",
		method:      http.MethodPost, path: geminiEmbed, headers: geminiHeaders,
		body: func(i int) string {
			return fmt.Sprintf(`{"content":{"parts":[{"text":"document %d about embeddings and vectors"}]}}`, i)
		},
		lua: `'{"content":{"parts":[{"text":"document ' .. n .. ' about embeddings and vectors"}]}}'`,
	},
	"repeated768": {
		description: "embedContent, 768 dims, the same text every time",
		method:      http.MethodPost, path: geminiEmbed, headers: geminiHeaders,
		body: func(int) string {
			return `{"content":{"parts":[{"text":"the same document about embeddings and vectors"}]},"outputDimensionality":768}`
		},
		lua: `'{"content":{"parts":[{"text":"the same document about embeddings and vectors"}]},"outputDimensionality":768}'`,
	},
	"batch100x768": {
		description: "batchEmbedContents, 100 × 768 dims, distinct texts",
		method:      http.MethodPost, path: "/v1beta/models/gemini-embedding-001:batchEmbedContents", headers: geminiHeaders,
		body: func(i int) string {
			items := make([]string, 100)
			for j := range items {
				items[j] = fmt.Sprintf(`{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"batch %d document %d about embeddings"}]},"outputDimensionality":768}`, i, j)
			}
			return `{"requests":[` + strings.Join(items, ",") + `]}`
		},
		lua: `batch(n)`,
	},
	"openai1536": {
		description: "OpenAI embeddings, 1536 floats, distinct texts",
		method:      http.MethodPost, path: "/v1/embeddings", headers: openAIHeaders,
		body: func(i int) string {
			return fmt.Sprintf(`{"model":"text-embedding-3-small","input":"document %d about embeddings and vectors"}`, i)
		},
		lua: `'{"model":"text-embedding-3-small","input":"document ' .. n .. ' about embeddings and vectors"}'`,
	},
	"openai1536base64": {
		description: "OpenAI embeddings, 1536 as base64, distinct texts",
		method:      http.MethodPost, path: "/v1/embeddings", headers: openAIHeaders,
		body: func(i int) string {
			return fmt.Sprintf(`{"model":"text-embedding-3-small","input":"document %d about embeddings and vectors","encoding_format":"base64"}`, i)
		},
		lua: `'{"model":"text-embedding-3-small","input":"document ' .. n .. ' about embeddings and vectors","encoding_format":"base64"}'`,
	},
	"replay768": {
		description: "replay from a 10,000-interaction cassette, 768 dims",
		method:      http.MethodPost, path: geminiEmbed, headers: geminiHeaders,
		body:    func(i int) string { return replayBody(i % replayTexts) },
		lua:     `'{"content":{"parts":[{"text":"recorded document ' .. (n % 10000) .. '"}]},"outputDimensionality":768}'`,
		prepare: func(dir string) ([]string, error) { return writeReplayCassette(dir, replayTexts) },
	},
}

// luaHelpers are Lua functions the workloads' bodies use.
const luaHelpers = `
function batch(n)
  local items = {}
  for j = 0, 99 do
    items[#items + 1] = '{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"batch ' .. n .. ' document ' .. j .. ' about embeddings"}]},"outputDimensionality":768}'
  end
  return '{"requests":[' .. table.concat(items, ",") .. ']}'
end
`

func workloadNames() []string {
	var names []string
	for n := range workloads {
		names = append(names, n)
	}
	order := []string{"embed768", "embed3072", "batch100x768", "repeated768", "openai1536", "openai1536base64", "replay768"}
	slices.SortFunc(names, func(a, b string) int { return slices.Index(order, a) - slices.Index(order, b) })
	return names
}

func init() {
	for name, w := range workloads {
		w.name = name
		workloads[name] = w
	}
}

func replayBody(i int) string {
	return fmt.Sprintf(`{"content":{"parts":[{"text":"recorded document %d"}]},"outputDimensionality":768}`, i)
}

// writeReplayCassette writes a cassette of n recorded embed calls (with
// embedmock's own vectors) for the replay workload.
func writeReplayCassette(dir string, n int) ([]string, error) {
	name := filepath.Join(dir, "replay")
	c := cassette.New(name) // go-vcr writes it in one go
	u, _ := url.Parse("https://generativelanguage.googleapis.com" + geminiEmbed)
	for i := range n {
		v := fakeembed.Vector(fakeembed.Lexical, fakeembed.Input{Model: "gemini-embedding-001", Text: fmt.Sprintf("recorded document %d", i)},
			fakeembed.Shape{Dimensions: 3072, Output: 768})
		var b strings.Builder
		b.WriteString(`{"embedding":{"values":[`)
		for j, x := range v {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprint(&b, x)
		}
		b.WriteString("]}}")
		in := &cassette.Interaction{
			Request: cassette.Request{Method: http.MethodPost, URL: u.String(), Body: replayBody(i),
				Headers: http.Header{"Content-Type": {"application/json"}, "X-Goog-Api-Key": {"REDACTED"}}},
			Response: cassette.Response{Code: 200, Status: "200 OK", Body: b.String(),
				Headers: http.Header{"Content-Type": {"application/json; charset=UTF-8"}}},
		}
		c.AddInteraction(in)
	}
	if err := c.Save(); err != nil {
		return nil, err
	}
	return []string{"--cassette", c.File, "--on-miss", "error"}, nil
}
