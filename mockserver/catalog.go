package mockserver

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/embedmock/embedmock/schemas"
)

// GeminiModel is one entry of the Gemini model catalog: the Model resource
// that models.get and models.list serve, plus how embedmock embeds with it.
type GeminiModel struct {
	Name                       string   `json:"name"` // "models/{id}"
	Version                    string   `json:"version,omitempty"`
	DisplayName                string   `json:"displayName,omitempty"`
	Description                string   `json:"description,omitempty"`
	InputTokenLimit            int      `json:"inputTokenLimit"`
	OutputTokenLimit           int      `json:"outputTokenLimit"`
	SupportedGenerationMethods []string `json:"supportedGenerationMethods,omitempty"`

	// Embedding is embedmock's own data about the model; it is not part of
	// the served resource.
	Embedding EmbeddingBehavior `json:"embedmock"`
}

// EmbeddingBehavior says how a model's embeddings are shaped.
type EmbeddingBehavior struct {
	// Dimensions is the native (default and maximum) dimension.
	Dimensions int `json:"dimensions"`
	// MinOutputDimensionality and MaxOutputDimensionality bound the
	// outputDimensionality a request may ask for; both 0 means the model
	// does not accept outputDimensionality.
	MinOutputDimensionality int `json:"minOutputDimensionality,omitempty"`
	MaxOutputDimensionality int `json:"maxOutputDimensionality,omitempty"`
	// UsageMetadata adds usageMetadata (prompt token counts) to responses.
	UsageMetadata bool `json:"usageMetadata,omitempty"`
	// IgnoresTaskType makes the vector independent of taskType, as
	// gemini-embedding-2 is.
	IgnoresTaskType bool `json:"ignoresTaskType,omitempty"`
	// Legacy models are served only when legacy models are enabled; the
	// real API now answers 404 for them.
	Legacy bool `json:"legacy,omitempty"`
}

// ID returns the model id without the "models/" prefix.
func (m GeminiModel) ID() string { return strings.TrimPrefix(m.Name, "models/") }

// clone returns a deep copy, so that callers cannot change the catalog.
func (m GeminiModel) clone() GeminiModel {
	m.SupportedGenerationMethods = slices.Clone(m.SupportedGenerationMethods)
	return m
}

//go:embed gemini_models.json
var defaultGeminiModelsJSON []byte

// DefaultGeminiModels returns the built-in Gemini catalog, legacy models
// included (they are served only with WithLegacyModels).
func DefaultGeminiModels() []GeminiModel {
	models, err := LoadGeminiModels(bytes.NewReader(defaultGeminiModelsJSON))
	if err != nil {
		panic(err) // the embedded catalog is tested
	}
	return models
}

// LoadGeminiModels reads a catalog in the format of the built-in one:
// {"models": [GeminiModel, ...]}. Unknown fields are rejected so that typos
// do not pass silently.
func LoadGeminiModels(r io.Reader) ([]GeminiModel, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var file struct {
		Models []GeminiModel `json:"models"`
	}
	err := dec.Decode(&file)
	if err == nil {
		err = schemas.AtEnd(dec)
	}
	if err != nil {
		return nil, fmt.Errorf("model catalog: %w", err)
	}
	if err := validateGeminiModels(file.Models); err != nil {
		return nil, err
	}
	return file.Models, nil
}

// LoadGeminiModelsFile reads a catalog file (see LoadGeminiModels).
func LoadGeminiModelsFile(path string) ([]GeminiModel, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	models, err := LoadGeminiModels(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return models, nil
}

func validateGeminiModels(models []GeminiModel) error {
	if len(models) == 0 {
		return errors.New("model catalog: no models")
	}
	seen := map[string]bool{}
	for i, m := range models {
		where := fmt.Sprintf("model catalog: models[%d] (%s)", i, m.Name)
		id := m.ID()
		switch {
		case !strings.HasPrefix(m.Name, "models/") || id == "" || strings.ContainsAny(id, "/:?#& "):
			return fmt.Errorf("%s: name must be models/{id} with an id free of / : ? # & and spaces", where)
		case seen[id]:
			return fmt.Errorf("%s: duplicate model", where)
		case m.InputTokenLimit <= 0:
			return fmt.Errorf("%s: inputTokenLimit must be positive", where)
		case m.Embedding.Dimensions <= 0:
			return fmt.Errorf("%s: embedmock.dimensions must be positive", where)
		}
		lo, hi := m.Embedding.MinOutputDimensionality, m.Embedding.MaxOutputDimensionality
		if (lo != 0 || hi != 0) && (lo < 1 || lo > hi || hi > m.Embedding.Dimensions) {
			return fmt.Errorf("%s: need 1 <= minOutputDimensionality <= maxOutputDimensionality <= dimensions", where)
		}
		seen[id] = true
	}
	return nil
}

// geminiCatalog is the set of models a server answers for.
type geminiCatalog struct {
	models []GeminiModel // in listing order
	byID   map[string]*GeminiModel
}

func newGeminiCatalog(models []GeminiModel, legacy bool) *geminiCatalog {
	c := &geminiCatalog{byID: map[string]*GeminiModel{}}
	for _, m := range models {
		if m.Embedding.Legacy && !legacy {
			continue
		}
		c.models = append(c.models, m.clone())
	}
	for i := range c.models {
		c.byID[c.models[i].ID()] = &c.models[i]
	}
	return c
}

func (c *geminiCatalog) lookup(id string) (*GeminiModel, bool) {
	m, ok := c.byID[id]
	return m, ok
}
