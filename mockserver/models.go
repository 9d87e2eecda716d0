package mockserver

import (
	"io"

	"github.com/embedmock/embedmock/mockserver/gemini"
	"github.com/embedmock/embedmock/mockserver/gradient"
	"github.com/embedmock/embedmock/mockserver/openai"
	"github.com/embedmock/embedmock/mockserver/vectorwire"
)

// The types and defaults of the families' catalogs, under the names this
// package has always exported.
type (
	// GeminiModel is one entry of the Gemini model catalog (see
	// gemini.Model).
	GeminiModel = gemini.Model
	// EmbeddingBehavior says how a Gemini model's embeddings are shaped.
	EmbeddingBehavior = gemini.EmbeddingBehavior
	// VectorQuery is an embedding input as a Gemini request gives it (see
	// Server.Vector).
	VectorQuery = gemini.VectorQuery
	// OpenAIModel is an embedding model of the OpenAI API.
	OpenAIModel = openai.Model
)

// Defaults of the Gradient API and of the vector cache.
const (
	DefaultGradientPrefix     = gradient.DefaultPrefix
	DefaultGradientDimensions = gradient.DefaultDimensions
	DefaultVectorCacheBytes   = vectorwire.DefaultCacheBytes
)

// DefaultGeminiModels returns the built-in Gemini catalog, legacy models
// included (they are served only with WithLegacyModels).
func DefaultGeminiModels() []GeminiModel { return gemini.DefaultModels() }

// LoadGeminiModels reads a catalog in the format of the built-in one:
// {"models": [GeminiModel, ...]}. Unknown fields are rejected so that typos
// do not pass silently.
func LoadGeminiModels(r io.Reader) ([]GeminiModel, error) { return gemini.LoadModels(r) }

// LoadGeminiModelsFile reads a catalog file (see LoadGeminiModels).
func LoadGeminiModelsFile(path string) ([]GeminiModel, error) { return gemini.LoadModelsFile(path) }

// DefaultOpenAIModels returns the built-in OpenAI embedding models.
func DefaultOpenAIModels() []OpenAIModel { return openai.DefaultModels() }
