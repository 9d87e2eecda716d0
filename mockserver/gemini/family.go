// Package gemini fakes the Gemini API's synchronous embedding methods
// (models.embedContent and models.batchEmbedContents) and its model
// catalog (models.get, models.list), under /v1beta and /v1, as
// https://ai.google.dev/api/embeddings and https://ai.google.dev/api/models
// describe them and the official SDKs (google.golang.org/genai,
// @google/genai, google-genai) call them.
//
// It owns the catalog of Gemini models and the decoding of
// EmbedContentRequest, which the batches package reuses for each item of
// a batch. It is not the Files API (package geminifiles) nor batch jobs
// (package geminibatches), and holds no state but its catalog.
package gemini

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/embedmock/embedmock/fakeembed"
	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/mockserver/googleapi"
)

// Config configures the family.
type Config struct {
	Models []Model // the catalog
	Legacy bool    // serve the catalog's legacy models
}

// Family is the Gemini API's embedding methods and model catalog.
type Family struct {
	googleapi.Base
	env     *family.Env
	catalog *Catalog
}

// New returns the family over env.
func New(env *family.Env, cfg Config) *Family {
	return &Family{Base: googleapi.Base{Env: env}, env: env, catalog: NewCatalog(cfg.Models, cfg.Legacy)}
}

// Catalog returns the models served.
func (g *Family) Catalog() *Catalog { return g.catalog }

// Versions are the API versions the Gemini packages serve.
var Versions = []string{"v1beta", "v1"}

// Routes are the embedding methods (hot) and the models API.
func (g *Family) Routes() []family.Route {
	var routes []family.Route
	for _, v := range Versions {
		route := func(method, path, kind string, h func(http.ResponseWriter, *http.Request, *family.Call), embeds bool) family.Route {
			return family.Route{Method: method, Path: "/" + v + path, Kind: kind, APIVersion: v, ModelVar: "model", Hot: embeds, Embeds: embeds,
				Handle: func(w http.ResponseWriter, r *http.Request, c *family.Call) {
					googleapi.SetHeaders(w.Header())
					h(w, r, c)
				}}
		}
		routes = append(routes,
			route(http.MethodPost, "/models/{model:[^/:]+}:embedContent", "embedContent", g.handleEmbedContent, true),
			route(http.MethodPost, "/models/{model:[^/:]+}:batchEmbedContents", "batchEmbedContents", g.handleBatchEmbedContents, true),
			route(http.MethodGet, "/models", "models.list", g.handleListModels, false),
			route(http.MethodGet, "/models/{model:[^/:]+}", "models.get", g.handleGetModel, false),
		)
	}
	return routes
}

// Claim names the Gemini API requests no route serves (generateContent,
// tuned models, v1alpha, ...), which cassettes may hold.
func (g *Family) Claim(r *http.Request) (kind, model string, ok bool) {
	prefix, _, rest, ok := googleapi.SplitPath(r.URL.Path)
	if !ok {
		return "", "", false
	}
	kind, model = claimedRoute(r.Method, prefix, rest)
	return kind, model, true
}

// claimedRoute names a Gemini route kind and its model from the path.
func claimedRoute(method, prefix, rest string) (kind, model string) {
	switch {
	case prefix == "upload":
		return "files.upload", ""
	case prefix == "download":
		return "files.download", ""
	}
	resource, verb, _ := strings.Cut(rest, ":")
	collection, id, nested := strings.Cut(resource, "/")
	isModel := collection == "models" && !strings.Contains(id, "/") // models or models/{id}
	switch {
	case isModel && nested && verb != "":
		return verb, id
	case isModel && nested:
		return "models.get", id
	case isModel:
		return "models.list", ""
	case (collection == "batches" || collection == "files") && !nested:
		return collection + ".list", ""
	case collection == "batches" || collection == "files":
		switch {
		case verb != "":
			return collection + "." + verb, ""
		case method == http.MethodDelete:
			return collection + ".delete", ""
		}
		return collection + ".get", ""
	}
	return method + " " + rest, ""
}

// Summarize counts the inputs of an embedding request and estimates its
// tokens. It reads what it can of a request the API would refuse.
func (g *Family) Summarize(c *family.Call, body []byte) family.Summary {
	if c.Kind != "embedContent" && c.Kind != "batchEmbedContents" {
		return family.Summary{}
	}
	doc, err := googleapi.ParseJSON(body)
	if err != nil {
		return family.Summary{}
	}
	obj, _ := doc.(map[string]any)
	items := []any{obj}
	if c.Kind == "batchEmbedContents" {
		items, _ = obj["requests"].([]any)
	}
	s := family.Summary{Inputs: len(items)}
	for i, item := range items {
		req := SummarizeRequest(item)
		if i == 0 {
			s.TaskType, s.Dimensions = req.task, req.outputDims
		}
		s.Tokens += fakeembed.EstimateTokens(req.joinedText())
	}
	return s
}

// SummarizeRequest decodes what it can of an EmbedContentRequest object,
// for the journal: a request the API would refuse keeps the fields read
// before the fault.
func SummarizeRequest(v any) EmbedRequest {
	obj, _ := v.(map[string]any)
	req, _ := DecodeEmbedRequest(obj, nil, "v1beta")
	return req
}

// TaskType is the request's canonical task type name, "" when
// unspecified.
func (r EmbedRequest) TaskType() string { return r.task }

// OutputDimensionality is the requested output dimension, 0 when unset.
func (r EmbedRequest) OutputDimensionality() int { return r.outputDims }

// errEmbedModelNotFound is the 404 of embedContent and batchEmbedContents
// (the text says embedContent for both, as the real API's does).
func errEmbedModelNotFound(modelID, apiVersion string) *googleapi.Error {
	return googleapi.NewError(http.StatusNotFound, fmt.Sprintf(
		"models/%s is not found for API version %s, or is not supported for embedContent. Call ListModels to see the list of available models and their supported methods.",
		modelID, apiVersion))
}

// errModelNotFound is the 404 of models.get.
func errModelNotFound(modelID, apiVersion string) *googleapi.Error {
	return googleapi.NewError(http.StatusNotFound, fmt.Sprintf("Model is not found: models/%s for api version %s", modelID, apiVersion))
}
