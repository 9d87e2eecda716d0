package gemini

import (
	"encoding/base64"
	"encoding/json"
	"net/http"

	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/mockserver/googleapi"
	"github.com/embedmock/embedmock/mockserver/vectorwire"
)

// Page sizes of models.list, as documented for the real API.
const (
	defaultModelsPageSize = 50
	maxModelsPageSize     = 1000
)

// geminiModelResource is the Model resource as served (without embedmock's
// own fields).
type geminiModelResource struct {
	Name                       string   `json:"name"`
	Version                    string   `json:"version,omitempty"`
	DisplayName                string   `json:"displayName,omitempty"`
	Description                string   `json:"description,omitempty"`
	InputTokenLimit            int      `json:"inputTokenLimit"`
	OutputTokenLimit           int      `json:"outputTokenLimit"`
	SupportedGenerationMethods []string `json:"supportedGenerationMethods,omitempty"`
}

func (m *Model) resource() geminiModelResource {
	return geminiModelResource{
		Name: m.Name, Version: m.Version, DisplayName: m.DisplayName, Description: m.Description,
		InputTokenLimit: m.InputTokenLimit, OutputTokenLimit: m.OutputTokenLimit,
		SupportedGenerationMethods: m.SupportedGenerationMethods,
	}
}

func (g *Family) handleGetModel(w http.ResponseWriter, r *http.Request, c *family.Call) {
	if err := googleapi.CheckQuery(r); err != nil {
		googleapi.WriteError(w, err)
		return
	}
	m, ok := g.catalog.Lookup(c.Model)
	if !ok {
		googleapi.WriteError(w, errModelNotFound(c.Model, c.APIVersion))
		return
	}
	body, _ := json.MarshalIndent(m.resource(), "", "  ")
	vectorwire.WriteJSON(w, http.StatusOK, append(body, '\n'))
}

// handleListModels pages through the catalog. Page tokens are the base64 of
// the last model name of the previous page.
func (g *Family) handleListModels(w http.ResponseWriter, r *http.Request, c *family.Call) {
	page, gerr := googleapi.PageQuery(r, "ListModelsRequest", defaultModelsPageSize, maxModelsPageSize)
	if gerr != nil {
		googleapi.WriteError(w, gerr)
		return
	}
	models := g.catalog.models
	start := 0
	if page.Token != "" {
		last, err := base64.URLEncoding.DecodeString(page.Token)
		i := -1
		if err == nil {
			i = g.catalog.index(string(last))
		}
		if i < 0 {
			googleapi.WriteError(w, googleapi.InvalidFields("ListModelsRequest.page_token: invalid page token"))
			return
		}
		start = i + 1
	}
	end := min(start+page.Size, len(models))
	out := struct {
		Models        []geminiModelResource `json:"models,omitempty"`
		NextPageToken string                `json:"nextPageToken,omitempty"`
	}{}
	for i := start; i < end; i++ {
		out.Models = append(out.Models, models[i].resource())
	}
	if end < len(models) {
		out.NextPageToken = base64.URLEncoding.EncodeToString([]byte(models[end-1].Name))
	}
	body, _ := json.MarshalIndent(out, "", "  ")
	vectorwire.WriteJSON(w, http.StatusOK, append(body, '\n'))
}

// Models returns copies of the models served, in listing order.
func (c *Catalog) Models() []Model {
	out := make([]Model, len(c.models))
	for i, m := range c.models {
		out[i] = m.Clone()
	}
	return out
}

// index returns the listing position of the model named name, or -1.
func (c *Catalog) index(name string) int {
	for i, m := range c.models {
		if m.Name == name {
			return i
		}
	}
	return -1
}
