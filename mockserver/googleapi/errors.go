package googleapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/embedmock/embedmock/schemas"
)

// Error is the error envelope of Google APIs:
// {"error": {"code", "message", "status", "details"}}, where status is the
// google.rpc.Code name that goes with the HTTP status code.
type Error struct {
	Code    int              `json:"code"`
	Message string           `json:"message"`
	Status  string           `json:"status"`
	Details []map[string]any `json:"details,omitempty"`
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Code, e.Status, e.Message) }

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

// StatusName returns the google.rpc.Code name for an HTTP status.
func StatusName(code int) string {
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

func NewError(code int, message string, details ...map[string]any) *Error {
	return &Error{Code: code, Message: message, Status: StatusName(code), Details: details}
}

// WriteError answers with e, pretty-printed like Google's front end.
func WriteError(w http.ResponseWriter, e *Error) {
	body, err := json.MarshalIndent(map[string]*Error{"error": e}, "", "  ")
	if err != nil { // cannot happen: the envelope holds only JSON types
		body = []byte(`{"error":{"code":500,"message":"embedmock: cannot encode error","status":"INTERNAL"}}`)
	}
	h := w.Header()
	h["Content-Type"] = contentTypeJSON
	h.Del("Content-Length")
	w.WriteHeader(e.Code)
	w.Write(append(body, '\n'))
}

// InvalidFields is the 400 that Google's request validation answers with: one
// "* Request.path: text" line per violation.
func InvalidFields(lines ...string) *Error {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("* ")
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return NewError(http.StatusBadRequest, b.String())
}

func BadRequestDetail(field, description string) map[string]any {
	violation := map[string]any{"description": description}
	if field != "" {
		violation["field"] = field
	}
	return map[string]any{
		"@type":           "type.googleapis.com/google.rpc.BadRequest",
		"fieldViolations": []any{violation},
	}
}

// BadPayload is the 400 for a body the front end cannot parse into the
// request message.
func BadPayload(field, message string) *Error {
	return NewError(http.StatusBadRequest, message, BadRequestDetail(field, message))
}

func JSONSyntax(e *SyntaxError) *Error {
	return BadPayload("", "Invalid JSON payload received. "+e.Message)
}

// SchemaViolation renders a schema violation with the message of Google's
// proto3 JSON parser. apiVersion ("v1beta" or "v1") appears in type URLs.
func SchemaViolation(v *schemas.Violation, apiVersion string) *Error {
	where := v.Path.ProtoPath()
	switch v.Kind {
	case schemas.UnknownField:
		return BadPayload(where, "Invalid JSON payload received. Unknown name "+quoteName(v.Field)+at(where)+": Cannot find field.")
	case schemas.NotRepeated:
		return BadPayload(where, "Invalid JSON payload received. Unknown name "+quoteName(v.Field)+at(where)+": Proto field is not repeating, cannot start list.")
	case schemas.ObjectForScalar:
		return BadPayload(where, invalidValueAt(where)+" ("+schemas.SnakeCase(v.Field)+"), Starting an object on a scalar field")
	}
	return BadPayload(where, invalidValueAt(where)+" ("+ProtoTypeName(v.ProtoType, apiVersion)+"), "+v.ValueText())
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

// ProtoTypeName renders a schema's x-proto-type the way Google's messages
// do: scalar kinds as is (TYPE_INT32), messages and enums as type URLs.
func ProtoTypeName(t, apiVersion string) string {
	switch {
	case t == "" || strings.HasPrefix(t, "TYPE_"):
		return t
	case strings.Contains(t, "."):
		return "type.googleapis.com/" + t
	}
	return "type.googleapis.com/google.ai.generativelanguage." + apiVersion + "." + t
}

// UnknownQueryParameter is the 400 for a query parameter that names no
// field of the request.
func UnknownQueryParameter(name string) *Error {
	return BadPayload("", fmt.Sprintf("Invalid JSON payload received. Unknown name %q: Cannot bind query parameter. Field '%s' could not be found in request message.", name, name))
}

func PayloadTooLarge(limit int64) *Error {
	return NewError(http.StatusBadRequest, fmt.Sprintf("Request payload size exceeds the limit: %d bytes.", limit))
}

func MissingAPIKey() *Error {
	return NewError(http.StatusForbidden, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.")
}

func InvalidAPIKey() *Error {
	const msg = "API key not valid. Please pass a valid API key."
	return NewError(http.StatusBadRequest, msg,
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

// StoreFull is the answer when the fake holds its maximum number of files
// or jobs.
func StoreFull(what string, limit int) *Error {
	return NewError(http.StatusTooManyRequests, fmt.Sprintf(
		"embedmock: the store already holds %d %s, its limit; delete some or raise the limit", limit, what))
}

// StorageError is the answer when the data dir cannot be written.
func StorageError(err error) *Error {
	return NewError(http.StatusServiceUnavailable, "embedmock: cannot write the data dir: "+err.Error())
}
