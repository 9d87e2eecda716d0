package googleapi

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"

	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/schemas"
)

// systemParameters are the query parameters every Google API accepts.
var systemParameters = map[string]bool{
	"key": true, "alt": true, "$alt": true, "prettyPrint": true, "$prettyPrint": true, "fields": true,
	"$fields": true, "callback": true, "$callback": true, "quotaUser": true, "$quotaUser": true,
	"access_token": true, "oauth_token": true, "$.xgafv": true, "upload_protocol": true,
	"uploadType": true, "userIp": true, "$userIp": true,
}

// CheckQuery rejects query parameters that are neither system parameters
// nor among allowed.
func CheckQuery(r *http.Request, allowed ...string) *Error {
	if r.URL.RawQuery == "" {
		return nil
	}
	for name := range r.URL.Query() {
		if !systemParameters[name] && !slices.Contains(allowed, name) {
			return UnknownQueryParameter(name)
		}
	}
	return nil
}

// ParseBody parses a request body leniently, as Google's front end does,
// and validates it against schema; apiVersion appears in type URLs of
// error messages.
func ParseBody(body []byte, schema schemas.Name, apiVersion string) (map[string]any, *Error) {
	doc, syntaxErr := ParseJSON(body)
	if syntaxErr != nil {
		return nil, JSONSyntax(syntaxErr)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, NotAMessage()
	}
	if v := schemas.Validate(schema, obj); v != nil {
		return nil, SchemaViolation(v, apiVersion)
	}
	return obj, nil
}

// NotAMessage is the 400 for a body whose root is not a JSON object.
func NotAMessage() *Error {
	return BadPayload("", `Invalid JSON payload received. Unknown name "": Root element must be a message.`)
}

// Field returns obj's value for a field sent as camel or snake (the
// lowerCamelCase spelling wins when both are present); nil when absent or
// null. snake may be "" for a field whose name is one word.
func Field(obj map[string]any, camel, snake string) any {
	if v, ok := obj[camel]; ok && v != nil {
		return v
	}
	if snake == "" {
		return nil
	}
	return obj[snake]
}

// Int32 reads an int32 field sent as a number or a numeric string; path
// locates obj in the body, for the error.
func Int32(obj map[string]any, camel, snake string, path schemas.Path) (int, *Error) {
	v := Field(obj, camel, snake)
	var text string
	switch x := v.(type) {
	case nil:
		return 0, nil
	case json.Number:
		text = x.String()
		if f, err := x.Float64(); err == nil && f == math.Trunc(f) && f >= math.MinInt32 && f <= math.MaxInt32 {
			return int(f), nil
		}
	case string:
		text = `"` + x + `"`
		if n, err := strconv.ParseInt(x, 10, 32); err == nil {
			return int(n), nil
		}
	}
	where := append(slices.Clip(path), snake).ProtoPath()
	return 0, BadPayload(where, fmt.Sprintf("Invalid value at '%s' (TYPE_INT32), %s", where, text))
}

// Int64 reads an int64 field sent as a number or a numeric string.
func Int64(obj map[string]any, camel, snake string, path schemas.Path) (int64, *Error) {
	var text string
	switch x := Field(obj, camel, snake).(type) {
	case nil:
		return 0, nil
	case json.Number:
		if n, err := strconv.ParseInt(x.String(), 10, 64); err == nil {
			return n, nil
		}
		// 1e3 and 10.0 are integers too, as Google's parser reads them.
		if f, err := x.Float64(); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f), nil
		}
		text = x.String()
	case string:
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			return n, nil
		}
		text = `"` + x + `"`
	}
	name := snake
	if name == "" {
		name = camel
	}
	where := append(slices.Clip(path), name).ProtoPath()
	return 0, BadPayload(where, fmt.Sprintf("Invalid value at '%s' (TYPE_INT64), %s", where, text))
}

// ReadBody reads a whole request body of at most limit bytes, answering
// failures in Google's words.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *Error) {
	body, f := family.ReadBody(w, r, limit)
	if f != nil {
		return nil, Render(f, "")
	}
	return body, nil
}

// ReadQueryBody checks the query (no parameters but the system ones) and
// reads the body within limit.
func ReadQueryBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *Error) {
	if err := CheckQuery(r); err != nil {
		return nil, err
	}
	return ReadBody(w, r, limit)
}

// ReadRequest is ReadQueryBody, then the body parsed and validated
// against schema.
func ReadRequest(w http.ResponseWriter, r *http.Request, limit int64, schema schemas.Name, apiVersion string) (map[string]any, *Error) {
	body, err := ReadQueryBody(w, r, limit)
	if err != nil {
		return nil, err
	}
	return ParseBody(body, schema, apiVersion)
}
