package gemini

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultCatalog(t *testing.T) {
	models := DefaultModels()
	byID := map[string]Model{}
	for _, m := range models {
		byID[m.ID()] = m
	}
	require.Contains(t, byID, "gemini-embedding-001")
	g1 := byID["gemini-embedding-001"]
	assert.Equal(t, 3072, g1.Embedding.Dimensions)
	assert.Equal(t, 1, g1.Embedding.MinOutputDimensionality, "any dimension up to 3072 (the real API returns exactly d values even below the recommended 128)")
	assert.Equal(t, 2048, g1.InputTokenLimit)
	for _, id := range []string{"gemini-embedding-2", "gemini-embedding-2-preview"} {
		assert.Equal(t, 8192, byID[id].InputTokenLimit, id)
		assert.Equal(t, 3072, byID[id].Embedding.Dimensions, id)
	}
	for _, id := range []string{"text-embedding-004", "embedding-001"} {
		assert.True(t, byID[id].Embedding.Legacy, id)
		assert.Equal(t, 768, byID[id].Embedding.Dimensions, id)
	}
}

func TestCatalogValidation(t *testing.T) {
	tests := []struct {
		json string
		want string
	}{
		{`{"models":[]}`, "no models"},
		{`{"models":[{"name":"gemini","inputTokenLimit":1,"embedmock":{"dimensions":8}}]}`, "name must be models/{id}"},
		{`{"models":[{"name":"models/a:b","inputTokenLimit":1,"embedmock":{"dimensions":8}}]}`, "name must be models/{id}"},
		{`{"models":[{"name":"models/a","inputTokenLimit":0,"embedmock":{"dimensions":8}}]}`, "inputTokenLimit must be positive"},
		{`{"models":[{"name":"models/a","inputTokenLimit":1,"embedmock":{"dimensions":0}}]}`, "dimensions must be positive"},
		{`{"models":[{"name":"models/a","inputTokenLimit":1,"embedmock":{"dimensions":8,"minOutputDimensionality":4,"maxOutputDimensionality":16}}]}`, "minOutputDimensionality"},
		{`{"models":[{"name":"models/a","inputTokenLimit":1,"embedmock":{"dimensions":8}},{"name":"models/a","inputTokenLimit":1,"embedmock":{"dimensions":8}}]}`, "duplicate model"},
		{`{"models":[{"name":"models/a","inputTokenLimit":1,"dims":8}]}`, `unknown field "dims"`},
		{`{"models":`, "unexpected EOF"},
		{`{"models":[{"name":"models/a","inputTokenLimit":1,"embedmock":{"dimensions":8}}]}}`, "trailing data"},
	}
	for _, tt := range tests {
		_, err := LoadModels(strings.NewReader(tt.json))
		assert.ErrorContains(t, err, tt.want, tt.json)
	}
	_, err := LoadModelsFile(filepath.Join(t.TempDir(), "missing.json"))
	assert.Error(t, err)

}

func TestCatalogFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "models.json")
	require.NoError(t, os.WriteFile(path, defaultModelsJSON, 0o644))
	models, err := LoadModelsFile(path)
	require.NoError(t, err)
	assert.Equal(t, DefaultModels(), models)
}
