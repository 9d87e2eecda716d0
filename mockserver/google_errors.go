package mockserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/embedmock/embedmock/schemas"
)

// googleError is the error envelope of Google APIs:
// {"error": {"code", "message", "status", "details"}}, where status is the
// google.rpc.Code name that goes with the HTTP status code.
type googleError struct {
	Code    int              `json:"code"`
	Message string           `json:"message"`
	Status  string           `json:"status"`
	Details []map[string]any `json:"details,omitempty"`
}

func (e *googleError) Error() string { return fmt.Sprintf("%d %s: %s", e.Code, e.Status, e.Message) }

// googleStatus maps HTTP status codes to google.rpc.Code names.
var googleStatus = map[int]string{
	400: "INVALID_ARGUMENT",
	401: "UNAUTHENTICATED",
	403: "PERMISSION_DENIED",
	404: "NOT_FOUND",
	409: "ALREADY_EXISTS",
	412: "FAILED_PRECONDITION",
	413: "INVALID_ARGUMENT",
	429: "RESOURCE_EXHAUSTED",
	499: "CANCELLED",
	500: "INTERNAL",
	501: "NOT_IMPLEMENTED",
	503: "UNAVAILABLE",
	504: "DEADLINE_EXCEEDED",
}

// googleStatusName returns the google.rpc.Code name for an HTTP status.
func googleStatusName(code int) string {
	if s, ok := googleStatus[code]; ok {
		return s
	}
	switch {
	case code >= 500:
		return "INTERNAL"
	case code >= 400:
		return "FAILED_PRECONDITION"
	}
	return "UNKNOWN"
}

func newGoogleError(code int, message string, details ...map[string]any) *googleError {
	return &googleError{Code: code, Message: message, Status: googleStatusName(code), Details: details}
}

// writeGoogleError answers with e, pretty-printed like Google's front end.
func writeGoogleError(w http.ResponseWriter, e *googleError) {
	body, err := json.MarshalIndent(map[string]*googleError{"error": e}, "", "  ")
	if err != nil { // cannot happen: the envelope holds only JSON types
		body = []byte(`{"error":{"code":500,"message":"embedmock: cannot encode error","status":"INTERNAL"}}`)
	}
	h := w.Header()
	h["Content-Type"] = contentTypeJSON
	h.Del("Content-Length")
	w.WriteHeader(e.Code)
	w.Write(append(body, '\n'))
}

// invalidFields is the 400 that Google's request validation answers with: one
// "* Request.path: text" line per violation.
func invalidFields(lines ...string) *googleError {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("* ")
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return newGoogleError(http.StatusBadRequest, b.String())
}

func badRequestDetail(field, description string) map[string]any {
	violation := map[string]any{"description": description}
	if field != "" {
		violation["field"] = field
	}
	return map[string]any{
		"@type":           "type.googleapis.com/google.rpc.BadRequest",
		"fieldViolations": []any{violation},
	}
}

// errBadPayload is the 400 for a body the front end cannot parse into the
// request message.
func errBadPayload(field, message string) *googleError {
	return newGoogleError(http.StatusBadRequest, message, badRequestDetail(field, message))
}

func errJSONSyntax(e *jsonSyntaxError) *googleError {
	return errBadPayload("", "Invalid JSON payload received. "+e.Message)
}

// errSchemaViolation renders a schema violation with the message of Google's
// proto3 JSON parser. apiVersion ("v1beta" or "v1") appears in type URLs.
func errSchemaViolation(v *schemas.Violation, apiVersion string) *googleError {
	where := v.Path.ProtoPath()
	switch v.Kind {
	case schemas.UnknownField:
		return errBadPayload(where, "Invalid JSON payload received. Unknown name "+quoteName(v.Field)+at(where)+": Cannot find field.")
	case schemas.NotRepeated:
		return errBadPayload(where, "Invalid JSON payload received. Unknown name "+quoteName(v.Field)+at(where)+": Proto field is not repeating, cannot start list.")
	case schemas.ObjectForScalar:
		return errBadPayload(where, invalidValueAt(where)+" ("+schemas.SnakeCase(v.Field)+"), Starting an object on a scalar field")
	}
	return errBadPayload(where, invalidValueAt(where)+" ("+protoTypeName(v.ProtoType, apiVersion)+"), "+protoValueString(v.Value))
}

func quoteName(name string) string { return `"` + name + `"` }

func at(where string) string {
	if where == "" {
		return ""
	}
	return " at '" + where + "'"
}

func invalidValueAt(where string) string {
	if where == "" {
		return "Invalid value"
	}
	return "Invalid value at '" + where + "'"
}

// protoTypeName renders a schema's x-proto-type the way Google's messages
// do: scalar kinds as is (TYPE_INT32), messages and enums as type URLs.
func protoTypeName(t, apiVersion string) string {
	switch {
	case t == "" || strings.HasPrefix(t, "TYPE_"):
		return t
	case strings.Contains(t, "."):
		return "type.googleapis.com/" + t
	}
	return "type.googleapis.com/google.ai.generativelanguage." + apiVersion + "." + t
}

// protoValueString renders an offending value as Google's messages do:
// strings in double quotes (unescaped), anything else as its JSON text.
func protoValueString(v any) string {
	switch x := v.(type) {
	case string:
		return `"` + x + `"`
	case json.Number:
		return x.String()
	case nil:
		return "null"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// errUnknownQueryParameter is the 400 for a query parameter that names no
// field of the request.
func errUnknownQueryParameter(name string) *googleError {
	return errBadPayload("", fmt.Sprintf("Invalid JSON payload received. Unknown name %q: Cannot bind query parameter. Field '%s' could not be found in request message.", name, name))
}

func errPayloadTooLarge(limit int64) *googleError {
	return newGoogleError(http.StatusBadRequest, fmt.Sprintf("Request payload size exceeds the limit: %d bytes.", limit))
}

func errMissingAPIKey() *googleError {
	return newGoogleError(http.StatusForbidden, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.")
}

func errInvalidAPIKey() *googleError {
	const msg = "API key not valid. Please pass a valid API key."
	return newGoogleError(http.StatusBadRequest, msg,
		map[string]any{
			"@type":    "type.googleapis.com/google.rpc.ErrorInfo",
			"reason":   "API_KEY_INVALID",
			"domain":   "googleapis.com",
			"metadata": map[string]any{"service": "generativelanguage.googleapis.com"},
		},
		map[string]any{
			"@type":   "type.googleapis.com/google.rpc.LocalizedMessage",
			"locale":  "en-US",
			"message": msg,
		})
}

// errEmbedModelNotFound is the 404 of embedContent and batchEmbedContents
// (the text says embedContent for both, as the real API's does).
func errEmbedModelNotFound(modelID, apiVersion string) *googleError {
	return newGoogleError(http.StatusNotFound, fmt.Sprintf(
		"models/%s is not found for API version %s, or is not supported for embedContent. Call ListModels to see the list of available models and their supported methods.",
		modelID, apiVersion))
}

// errModelNotFound is the 404 of models.get.
func errModelNotFound(modelID, apiVersion string) *googleError {
	return newGoogleError(http.StatusNotFound, fmt.Sprintf("Model is not found: models/%s for api version %s", modelID, apiVersion))
}
