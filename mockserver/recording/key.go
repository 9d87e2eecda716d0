package recording

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/embedmock/embedmock/schemas"
)

// Key is what a request is matched on: its API family, route kind, model
// and canonical form. Two requests with equal keys get the same recorded
// answer.
type Key struct {
	Family string // "gemini", "openai", "gradient" or "http" (anything else)
	Route  string // e.g. "batchEmbedContents", "batches.get", "files.upload"
	Model  string // model id, without "models/"; "" when the route has none
	// Request is the canonical request: method, path without the API
	// version, sorted query without secrets, and the canonical body.
	Request string
}

// String renders the key for messages.
func (k Key) String() string {
	s := k.Family + " " + k.Route
	if k.Model != "" {
		s += " (" + k.Model + ")"
	}
	return s
}

// secretQueryParams are the query parameters that carry credentials.
var secretQueryParams = map[string]bool{"key": true, "access_token": true, "api-key": true, "api_key": true}

// SecretQueryParam reports whether a query parameter carries credentials:
// it is dropped from canonical requests and redacted everywhere.
func SecretQueryParam(name string) bool { return secretQueryParams[name] }

// splitGeminiPath splits a Gemini API path into its optional upload or
// download prefix, its version and the resource after it.
func splitGeminiPath(path string) (prefix, version, rest string, ok bool) {
	p, found := strings.CutPrefix(path, "/")
	if !found {
		return "", "", "", false
	}
	for _, pre := range []string{"upload/", "download/"} {
		if r, cut := strings.CutPrefix(p, pre); cut {
			prefix, p = pre[:len(pre)-1], r
			break
		}
	}
	version, rest, found = strings.Cut(p, "/")
	if !found || (version != "v1beta" && version != "v1" && version != "v1alpha") {
		return "", "", "", false
	}
	return prefix, version, rest, true
}

// openAIDeployment reports whether path is an OpenAI embeddings route
// (with or without /v1, or Azure OpenAI's deployment route), and the Azure
// deployment.
func openAIDeployment(path string) (deployment string, ok bool) {
	if path == "/v1/embeddings" || path == "/embeddings" {
		return "", true
	}
	rest, found := strings.CutPrefix(path, "/openai/deployments/")
	if !found {
		return "", false
	}
	deployment, found = strings.CutSuffix(rest, "/embeddings")
	if !found || deployment == "" || strings.Contains(deployment, "/") {
		return "", false
	}
	return deployment, true
}

// Classify names a request's API family, route kind and model from its
// method and URL alone (OpenAI's model is in the body: see KeyOf). It is
// cheap enough for every request.
func Classify(method string, u *url.URL) Key {
	k := Key{Family: "http", Route: method + " " + u.Path}
	if deployment, ok := openAIDeployment(u.Path); ok {
		k.Family, k.Route, k.Model = "openai", "embeddings", deployment
	} else if prefix, _, rest, ok := splitGeminiPath(u.Path); ok {
		k.Family = "gemini"
		k.Route, k.Model = geminiRoute(method, prefix, rest)
	}
	return k
}

// KeyOf computes the key of a request.
func KeyOf(method string, u *url.URL, body []byte) Key {
	k := Classify(method, u)
	path := u.Path
	switch k.Family {
	case "openai":
		if k.Model == "" {
			k.Model = bodyModel(body)
		}
	case "gemini":
		prefix, _, rest, _ := splitGeminiPath(u.Path)
		path = "/" + prefix + "/" + rest
	}
	var b strings.Builder
	b.WriteString(method)
	b.WriteByte(' ')
	b.WriteString(path)
	if q := canonicalQuery(u.Query()); q != "" {
		b.WriteByte('?')
		b.WriteString(q)
	}
	b.WriteByte(' ')
	b.WriteString(canonicalBody(body))
	k.Request = b.String()
	return k
}

// geminiRoute names a Gemini route kind and its model.
func geminiRoute(method, prefix, rest string) (route, model string) {
	switch {
	case prefix == "upload":
		return "files.upload", ""
	case prefix == "download":
		return "files.download", ""
	}
	resource, verb, _ := strings.Cut(rest, ":")
	kind, id, nested := strings.Cut(resource, "/")
	isModel := kind == "models" && !strings.Contains(id, "/") // models or models/{id}
	switch {
	case isModel && nested && verb != "":
		return verb, id
	case isModel && nested:
		return "models.get", id
	case isModel:
		return "models.list", ""
	case kind == "batches" && !nested:
		return "batches.list", ""
	case kind == "files" && !nested:
		return "files.list", ""
	case kind == "batches" || kind == "files":
		switch {
		case verb != "":
			return kind + "." + verb, ""
		case method == "DELETE":
			return kind + ".delete", ""
		}
		return kind + ".get", ""
	}
	return method + " " + rest, ""
}

// bodyModel is the "model" field of a JSON body, if any.
func bodyModel(body []byte) string {
	var v struct {
		Model string `json:"model"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	return v.Model
}

func canonicalQuery(q url.Values) string {
	var names []string
	for name := range q {
		if !secretQueryParams[name] {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	var b strings.Builder
	for _, name := range names {
		values := slices.Clone(q[name])
		slices.Sort(values)
		for _, v := range values {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(schemas.SnakeCase(name)))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(v))
		}
	}
	return b.String()
}

// canonicalBody is the body as JSON with sorted keys, snake_case names,
// task types as names and numbers in one form; a body that is not JSON is
// represented by its length and SHA-256.
func canonicalBody(body []byte) string {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return "{}"
	}
	doc, err := schemas.Decode(trimmed)
	if err != nil {
		sum := sha256.Sum256(body)
		return "bytes:" + strconv.Itoa(len(body)) + ":" + hex.EncodeToString(sum[:])
	}
	out, _ := json.Marshal(canonicalValue(doc, ""))
	return string(out)
}

// taskTypeNames are the Gemini TaskType enum names by number.
var taskTypeNames = []string{
	"TASK_TYPE_UNSPECIFIED", "RETRIEVAL_QUERY", "RETRIEVAL_DOCUMENT", "SEMANTIC_SIMILARITY",
	"CLASSIFICATION", "CLUSTERING", "QUESTION_ANSWERING", "FACT_VERIFICATION", "CODE_RETRIEVAL_QUERY",
}

// canonicalValue rewrites a decoded JSON value into its canonical form;
// field is the snake_case name of the field holding it.
func canonicalValue(v any, field string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			name := schemas.SnakeCase(k)
			if val == nil {
				continue // proto3 JSON: null is the same as absent
			}
			out[name] = canonicalValue(val, name)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = canonicalValue(val, field)
		}
		return out
	case json.Number:
		if field == "task_type" {
			if n, err := x.Int64(); err == nil && n >= 0 && int(n) < len(taskTypeNames) {
				return taskTypeNames[n]
			}
		}
		return canonicalNumber(string(x))
	case string:
		switch field {
		case "task_type":
			if n, err := strconv.Atoi(x); err == nil && n >= 0 && n < len(taskTypeNames) {
				return taskTypeNames[n]
			}
		case "output_dimensionality", "dimensions", "page_size", "size_bytes", "priority":
			if _, err := strconv.ParseInt(x, 10, 64); err == nil {
				return canonicalNumber(x)
			}
		}
		return x
	}
	return v
}

// canonicalNumber writes integers without a fraction and other numbers in
// Go's shortest float form, so 256, 256.0 and "256" agree.
func canonicalNumber(s string) json.Number {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return json.Number(strconv.FormatInt(n, 10))
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return json.Number(s)
	}
	if f == float64(int64(f)) && f < 1e18 && f > -1e18 {
		return json.Number(strconv.FormatInt(int64(f), 10))
	}
	return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
}
