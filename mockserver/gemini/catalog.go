package gemini

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

// Model is one entry of the Gemini model catalog: the Model resource
// that models.get and models.list serve, plus how embedmock embeds with it.
type Model struct {
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
func (m Model) ID() string { return strings.TrimPrefix(m.Name, "models/") }

// Clone returns a deep copy, so that callers cannot change the catalog.
func (m Model) Clone() Model {
	m.SupportedGenerationMethods = slices.Clone(m.SupportedGenerationMethods)
	return m
}

//go:embed models.json
var defaultModelsJSON []byte

// DefaultModels returns the built-in Gemini catalog, legacy models
// included (they are served only with WithLegacyModels).
func DefaultModels() []Model {
	models, err := LoadModels(bytes.NewReader(defaultModelsJSON))
	if err != nil {
		panic(err) // the embedded catalog is tested
	}
	return models
}

// LoadModels reads a catalog in the format of the built-in one:
// {"models": [Model, ...]}. Unknown fields are rejected so that typos
// do not pass silently.
func LoadModels(r io.Reader) ([]Model, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var file struct {
		Models []Model `json:"models"`
	}
	err := dec.Decode(&file)
	if err == nil {
		err = schemas.AtEnd(dec)
	}
	if err != nil {
		return nil, fmt.Errorf("model catalog: %w", err)
	}
	if err := ValidateModels(file.Models); err != nil {
		return nil, err
	}
	return file.Models, nil
}

// LoadModelsFile reads a catalog file (see LoadModels).
func LoadModelsFile(path string) ([]Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	models, err := LoadModels(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return models, nil
}

func ValidateModels(models []Model) error {
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

// Catalog is the set of models a server answers for.
type Catalog struct {
	models []Model // in listing order
	byID   map[string]*Model
}

func NewCatalog(models []Model, legacy bool) *Catalog {
	c := &Catalog{byID: map[string]*Model{}}
	for _, m := range models {
		if m.Embedding.Legacy && !legacy {
			continue
		}
		c.models = append(c.models, m.Clone())
	}
	for i := range c.models {
		c.byID[c.models[i].ID()] = &c.models[i]
	}
	return c
}

func (c *Catalog) Lookup(id string) (*Model, bool) {
	m, ok := c.byID[id]
	return m, ok
}
