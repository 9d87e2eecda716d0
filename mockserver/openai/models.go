package openai

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/mockserver/vectorwire"
)

// Model is an embedding model of the OpenAI API.
type Model struct {
	ID string `json:"id"`
	// Dimensions is the native (default and largest) dimension.
	Dimensions int `json:"dimensions"`
	// Shortening models accept the dimensions parameter (text-embedding-3).
	Shortening bool `json:"shortening,omitempty"`
	// ResponseModel is the model name responses report; "" reports ID.
	// The real API answers text-embedding-ada-002 requests with
	// "text-embedding-ada-002-v2".
	ResponseModel string `json:"responseModel,omitempty"`
	// Created is the models API's creation time (Unix seconds).
	Created int64 `json:"created,omitempty"`
}

// DefaultModels returns the built-in OpenAI embedding models.
func DefaultModels() []Model {
	return []Model{
		{ID: "text-embedding-3-small", Dimensions: 1536, Shortening: true, Created: 1705948997},
		{ID: "text-embedding-3-large", Dimensions: 3072, Shortening: true, Created: 1705953180},
		{ID: "text-embedding-ada-002", Dimensions: 1536, ResponseModel: "text-embedding-ada-002-v2", Created: 1671217299},
	}
}

// ValidateModels checks a model list: ids non-empty, without / or a space,
// and distinct; dimensions positive.
func ValidateModels(models []Model) error {
	seen := map[string]bool{}
	for _, m := range models {
		switch {
		case m.ID == "" || strings.ContainsAny(m.ID, "/ "):
			return fmt.Errorf("mockserver: OpenAI model id %q is empty or holds / or a space", m.ID)
		case m.Dimensions <= 0:
			return fmt.Errorf("mockserver: OpenAI model %s needs positive dimensions", m.ID)
		case seen[m.ID]:
			return fmt.Errorf("mockserver: OpenAI model %s is listed twice", m.ID)
		}
		seen[m.ID] = true
	}
	return nil
}

// lookupModel finds the model of a request: the body's, or for Azure the
// deployment's (a deployment named after a model serves it; otherwise the
// body's model is used).
func (f *Family) lookupModel(deployment, name string) (Model, bool) {
	find := func(id string) (Model, bool) {
		i := slices.IndexFunc(f.models, func(m Model) bool { return m.ID == id })
		if i < 0 {
			return Model{}, false
		}
		return f.models[i], true
	}
	if deployment != "" {
		if m, ok := find(deployment); ok {
			return m, true
		}
	}
	return find(name)
}

// modelObject is a model of the models API.
type modelObject struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

func (m Model) object() modelObject {
	return modelObject{ID: m.ID, Object: "model", Created: m.Created, OwnedBy: "system"}
}

// handleModels serves GET /v1/models and /v1/models/{model}.
func (f *Family) handleModels(w http.ResponseWriter, r *http.Request, c *family.Call) {
	setHeaders(w.Header())
	if c.Kind == kindModelsGet {
		id := c.Model
		m, found := f.lookupModel("", id)
		if !found {
			writeError(w, newError(http.StatusNotFound, fmt.Sprintf("The model '%s' does not exist", id), "model", "model_not_found"))
			return
		}
		vectorwire.WriteJSON(w, http.StatusOK, vectorwire.MustMarshal(m.object()))
		return
	}
	list := struct {
		Object string        `json:"object"`
		Data   []modelObject `json:"data"`
	}{Object: "list", Data: []modelObject{}}
	for _, m := range f.models {
		list.Data = append(list.Data, m.object())
	}
	vectorwire.WriteJSON(w, http.StatusOK, vectorwire.MustMarshal(list))
}
