package mockserver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOptionsAreValidated(t *testing.T) {
	var err error
	_, err = New(WithGeminiModels(nil))
	assert.ErrorContains(t, err, "no models")
	_, err = New(WithMaxBodyBytes(0))
	assert.ErrorContains(t, err, "max body size")
}

func TestAccessorsReturnCopies(t *testing.T) {
	models := DefaultGeminiModels()
	s, err := New(WithGeminiModels(models))
	require.NoError(t, err)
	models[0].SupportedGenerationMethods[0] = "changed"
	got := s.GeminiModels()
	assert.Equal(t, "embedContent", got[0].SupportedGenerationMethods[0], "options copy their input")
	got[0].SupportedGenerationMethods[0] = "changed"
	got[0].Embedding.Dimensions = 1
	again := s.GeminiModels()
	assert.Equal(t, "embedContent", again[0].SupportedGenerationMethods[0], "accessors return copies")
	assert.Equal(t, 3072, again[0].Embedding.Dimensions)
	assert.Len(t, again, 3, "legacy models are off by default")
}
