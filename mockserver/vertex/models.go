package vertex

import (
	"strings"

	"github.com/embedmock/embedmock/mockserver/gemini"
)

// maxTextInstances is the instance limit of predict for the text
// embedding models (250, see the package doc).
const maxTextInstances = 250

// textModels are the Vertex-only text embedding models, as catalog entries
// of package gemini so that their vectors are defined the same way: 768
// dimensions (outputDimensionality 1 to 768), 2048 input tokens.
var textModels = []gemini.Model{
	{Name: "models/text-embedding-005", Version: "005", DisplayName: "Text Embedding 005",
		InputTokenLimit: 2048, Embedding: gemini.EmbeddingBehavior{Dimensions: 768, MinOutputDimensionality: 1, MaxOutputDimensionality: 768}},
	{Name: "models/text-multilingual-embedding-002", Version: "002", DisplayName: "Text Multilingual Embedding 002",
		InputTokenLimit: 2048, Embedding: gemini.EmbeddingBehavior{Dimensions: 768, MinOutputDimensionality: 1, MaxOutputDimensionality: 768}},
}

// model is a model the family serves, and how.
type model struct {
	*gemini.Model
	// predict and embedContent tell which methods serve it.
	predict, embedContent bool
	// maxInstances bounds the instances of a predict request.
	maxInstances int
}

// lookup finds a publisher model: the text models, or a Gemini embedding
// model of the Gemini routes' catalog (the same entry, so the same
// vectors). gemini-embedding-001 is served by both methods and takes one
// instance a predict; the other Gemini models by embedContent only, as the
// SDKs route them.
func (f *Family) lookup(id string) (model, bool) {
	for i := range textModels {
		if textModels[i].ID() == id {
			return model{Model: &textModels[i], predict: true, maxInstances: maxTextInstances}, true
		}
	}
	if !strings.HasPrefix(id, "gemini-embedding") {
		return model{}, false
	}
	m, ok := f.gemini.Catalog().Lookup(id)
	if !ok {
		return model{}, false
	}
	return model{Model: m, predict: id == "gemini-embedding-001", embedContent: true, maxInstances: 1}, true
}

// TextModels returns the Vertex-only models' catalog entries.
func TextModels() []gemini.Model {
	out := make([]gemini.Model, len(textModels))
	for i, m := range textModels {
		out[i] = m.Clone()
	}
	return out
}
