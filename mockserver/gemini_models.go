package mockserver

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
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

func (m *GeminiModel) resource() geminiModelResource {
	return geminiModelResource{
		Name: m.Name, Version: m.Version, DisplayName: m.DisplayName, Description: m.Description,
		InputTokenLimit: m.InputTokenLimit, OutputTokenLimit: m.OutputTokenLimit,
		SupportedGenerationMethods: m.SupportedGenerationMethods,
	}
}

func (s *Server) handleGetModel(w http.ResponseWriter, r *http.Request, call geminiCall) {
	if err := checkQuery(r); err != nil {
		writeGoogleError(w, err)
		return
	}
	m, ok := s.gemini.lookup(call.modelID)
	if !ok {
		writeGoogleError(w, errModelNotFound(call.modelID, call.apiVersion))
		return
	}
	body, _ := json.MarshalIndent(m.resource(), "", "  ")
	writeJSON(w, http.StatusOK, append(body, '\n'))
}

// handleListModels pages through the catalog. Page tokens are the base64 of
// the last model name of the previous page.
func (s *Server) handleListModels(w http.ResponseWriter, r *http.Request, call geminiCall) {
	if err := checkQuery(r, "pageSize", "page_size", "pageToken", "page_token"); err != nil {
		writeGoogleError(w, err)
		return
	}
	q := r.URL.Query()
	size := defaultModelsPageSize
	if raw := firstOf(q.Get("pageSize"), q.Get("page_size")); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 32)
		switch {
		case err != nil:
			writeGoogleError(w, errBadPayload("page_size", fmt.Sprintf("Invalid value at 'page_size' (TYPE_INT32), %q", raw)))
			return
		case n < 0:
			writeGoogleError(w, invalidFields("ListModelsRequest.page_size: page_size must not be negative"))
			return
		case n > 0:
			size = int(min(n, maxModelsPageSize))
		}
	}
	start := 0
	if token := firstOf(q.Get("pageToken"), q.Get("page_token")); token != "" {
		last, err := base64.URLEncoding.DecodeString(token)
		i := -1
		if err == nil {
			i = s.gemini.index(string(last))
		}
		if i < 0 {
			writeGoogleError(w, invalidFields("ListModelsRequest.page_token: invalid page token"))
			return
		}
		start = i + 1
	}
	end := min(start+size, len(s.gemini.models))
	page := struct {
		Models        []geminiModelResource `json:"models,omitempty"`
		NextPageToken string                `json:"nextPageToken,omitempty"`
	}{}
	for i := start; i < end; i++ {
		page.Models = append(page.Models, s.gemini.models[i].resource())
	}
	if end < len(s.gemini.models) {
		page.NextPageToken = base64.URLEncoding.EncodeToString([]byte(s.gemini.models[end-1].Name))
	}
	body, _ := json.MarshalIndent(page, "", "  ")
	writeJSON(w, http.StatusOK, append(body, '\n'))
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// index returns the listing position of the model named name, or -1.
func (c *geminiCatalog) index(name string) int {
	for i, m := range c.models {
		if m.Name == name {
			return i
		}
	}
	return -1
}
