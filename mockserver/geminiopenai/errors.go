package geminiopenai

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/embedmock/embedmock/mockserver/googleapi"
	"github.com/embedmock/embedmock/schemas"
)

// writeError answers with e in the endpoint's error envelope: Google's
// {"error":{"code","message","status","details"}} with the front end's
// headers, as the one error body captured from this endpoint is (see the
// package doc). It is the one place that chooses: the compatibility
// layer's chat completions wrap the same object in a list, and should this
// endpoint turn out to do so too, only this function changes.
func writeError(w http.ResponseWriter, e *googleapi.Error) {
	googleapi.SetHeaders(w.Header())
	googleapi.WriteError(w, e)
}

// modelNotFound is the 404 for a model the catalog does not hold; name is
// the resource name ("models/x").
func modelNotFound(name string) *googleapi.Error {
	return googleapi.NewError(http.StatusNotFound, fmt.Sprintf(
		"%s is not found for API version v1main, or is not supported for embedContent. Call ModelService.ListModels to see the list of available models and their supported methods.",
		name))
}

// badModelName is the 400 for a model name that is not models/{id} (nor
// tunedModels/{id}) once prefixed, as BatchEmbedContents words it: for the
// batch and for each of its n requests.
func badModelName(n int) *googleapi.Error {
	lines := []string{"BatchEmbedContentsRequest.model: unexpected model name format"}
	for i := range n {
		lines = append(lines, requestPrefix(i)+".model: unexpected model name format")
	}
	return googleapi.InvalidFields(lines...)
}

// requestPrefix names the i-th request of the BatchEmbedContentsRequest
// the endpoint makes of its inputs, in field violations.
func requestPrefix(i int) string {
	return "BatchEmbedContentsRequest.requests[" + strconv.Itoa(i) + "]"
}

// unknownField is the proto parser's 400 for a field the request message
// does not have.
func unknownField(name string) *googleapi.Error {
	return googleapi.SchemaViolation(&schemas.Violation{Kind: schemas.UnknownField, Path: schemas.Path{}, Field: name}, apiVersion)
}

// invalidValue is the proto parser's 400 for value v at path where a
// protoType (TYPE_STRING, TYPE_INT32) is expected: an object or a list
// for a top-level scalar field get the parser's own words.
func invalidValue(path schemas.Path, v any, protoType string) *googleapi.Error {
	viol := &schemas.Violation{Kind: schemas.InvalidValue, Path: path, Value: v, ProtoType: protoType}
	if field, ok := path[0].(string); ok && len(path) == 1 {
		switch v.(type) {
		case map[string]any:
			viol = &schemas.Violation{Kind: schemas.ObjectForScalar, Path: schemas.Path{}, Field: field}
		case []any:
			viol = &schemas.Violation{Kind: schemas.NotRepeated, Path: schemas.Path{}, Field: field}
		}
	}
	return googleapi.SchemaViolation(viol, apiVersion)
}
