package mockserver

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// FuzzModelsFile loads arbitrary contents as a --models catalog file. Loading
// must not panic; a catalog that loads either makes New fail cleanly or gives
// a server that lists exactly the catalog's served models (page by page,
// without a 5xx), answers models.get for each, and embeds with the first
// one.
func FuzzModelsFile(f *testing.F) {
	builtIn, err := os.ReadFile(filepath.Join("gemini", "models.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(builtIn, false, uint8(0))
	f.Add(builtIn, true, uint8(2))
	for _, seed := range []string{
		``, `{}`, `null`, `[]`, `{"models":null}`, `{"models":[]}`, `{"models":[{}]}`, `{"models":[null]}`,
		`{"models":[{"name":"models/my-embedder","displayName":"My embedder","inputTokenLimit":512,"outputTokenLimit":1,"supportedGenerationMethods":["embedContent"],"embedmock":{"dimensions":384,"minOutputDimensionality":32,"maxOutputDimensionality":384,"usageMetadata":false,"ignoresTaskType":false,"legacy":false}}]}`,
		`{"models":[{"name":"models/a","inputTokenLimit":1,"embedmock":{"dimensions":1}},{"name":"models/b","inputTokenLimit":1,"embedmock":{"dimensions":2,"legacy":true}},{"name":"models/c%2Fd","inputTokenLimit":1,"embedmock":{"dimensions":3}}]}`,
		`{"models":[{"name":"models/only-legacy","inputTokenLimit":1,"embedmock":{"dimensions":8,"legacy":true}}]}`,
		`{"models":[{"name":"models/a","inputTokenLimit":1,"embedmock":{"dimensions":1}},{"name":"models/a","inputTokenLimit":1,"embedmock":{"dimensions":1}}]}`,
		`{"models":[{"name":"a","inputTokenLimit":1,"embedmock":{"dimensions":1}}]}`,
		`{"models":[{"name":"models/a:b","inputTokenLimit":1,"embedmock":{"dimensions":1}}]}`,
		`{"models":[{"name":"models/\u00e9\u0001..","inputTokenLimit":1,"embedmock":{"dimensions":4}}]}`,
		`{"models":[{"name":"models/a","inputTokenLimit":0,"embedmock":{"dimensions":1}}]}`,
		`{"models":[{"name":"models/a","inputTokenLimit":1,"embedmock":{"dimensions":0}}]}`,
		`{"models":[{"name":"models/a","inputTokenLimit":1,"embedmock":{"dimensions":8,"minOutputDimensionality":9,"maxOutputDimensionality":8}}]}`,
		`{"models":[{"name":"models/a","inputTokenLimit":1,"embedmock":{"dimensions":8,"maxOutputDimensionality":8}}]}`,
		`{"models":[{"name":"models/a","inputTokenLimit":1,"embedmock":{"dimensions":1e3}}]}`,
		`{"models":[{"name":"models/a","inputTokenLimit":1,"embedmock":{"dimensions":1}}],"extra":1}`,
		`{"models":[{"name":"models/a","inputTokenLimit":1,"embedmock":{"dimensions":1}}]} trailing`,
		`{"models":[{"name":"models/a","inputTokenLimit":2305843009213693951,"outputTokenLimit":-1,"embedmock":{"dimensions":16}}]}`,
	} {
		f.Add([]byte(seed), false, uint8(0))
	}

	f.Fuzz(func(t *testing.T, data []byte, legacy bool, pageSize uint8) {
		path := filepath.Join(t.TempDir(), "models.json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		models, err := LoadGeminiModelsFile(path)
		if err != nil {
			return
		}
		s, err := New(WithGeminiModels(models), WithLegacyModels(legacy))
		if err != nil {
			return
		}
		defer s.Close()
		var served []string
		for _, m := range models {
			if legacy || !m.Embedding.Legacy {
				served = append(served, m.Name)
			}
		}

		// models.list, page by page.
		var listed []string
		token := ""
		for page := 0; ; page++ {
			if page > len(served)+1 {
				t.Fatalf("models.list does not end after %d pages", page)
			}
			q := url.Values{}
			if pageSize%4 != 0 {
				q.Set("pageSize", strconv.Itoa(int(pageSize%4)))
			}
			if token != "" {
				q.Set("pageToken", token)
			}
			rec := fuzzServe(s, fuzzRequest(http.MethodGet, "/v1beta/models?"+q.Encode(), nil, false, "X-Goog-Api-Key", "fuzz"))
			var out struct {
				Models []struct {
					Name string `json:"name"`
				} `json:"models"`
				NextPageToken string `json:"nextPageToken"`
			}
			requireOKJSON(t, rec, "models.list", &out)
			for _, m := range out.Models {
				listed = append(listed, m.Name)
			}
			if token = out.NextPageToken; token == "" {
				break
			}
		}
		if !slices.Equal(listed, served) {
			t.Fatalf("models.list lists %q, the catalog serves %q", listed, served)
		}

		// models.get of each.
		for _, name := range served {
			id := name[len("models/"):]
			rec := fuzzServe(s, fuzzRequest(http.MethodGet, "/v1beta/models/"+url.PathEscape(id), nil, false, "X-Goog-Api-Key", "fuzz"))
			var got struct {
				Name string `json:"name"`
			}
			requireOKJSON(t, rec, "models.get "+name, &got)
			if got.Name != name {
				t.Fatalf("models.get %s answers %s", name, got.Name)
			}
		}

		// An embedding with the first served model (of a size that is
		// reasonable to compute).
		if len(served) == 0 {
			return
		}
		m := models[slices.IndexFunc(models, func(m GeminiModel) bool { return m.Name == served[0] })]
		if m.Embedding.Dimensions > 1<<14 {
			return
		}
		rec := fuzzServe(s, fuzzRequest(http.MethodPost, "/v1beta/models/"+url.PathEscape(m.ID())+":embedContent",
			[]byte(`{"content":{"parts":[{"text":"catalog"}]}}`), false, "X-Goog-Api-Key", "fuzz"))
		var out struct {
			Embedding struct {
				Values []json.Number `json:"values"`
			} `json:"embedding"`
		}
		requireOKJSON(t, rec, "embedContent with "+m.Name, &out)
		if len(out.Embedding.Values) != m.Embedding.Dimensions {
			t.Fatalf("embedContent with %s: %d values, want %d", m.Name, len(out.Embedding.Values), m.Embedding.Dimensions)
		}
	})
}
