package mockserver

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/embedmock/embedmock/schemas"
)

// embedRequest is one decoded EmbedContentRequest: the body of embedContent,
// one element of batchEmbedContents, or one item of an async batch.
type embedRequest struct {
	model      string // as sent ("models/x"); "" when absent
	hasContent bool
	parts      []embedPart
	task       string // canonical TaskType name, "" when unspecified
	title      string
	outputDims int // 0 when unset
}

// embedPart is one Content part: its text, or which non-text member of the
// data oneof it set.
type embedPart struct {
	text    string
	hasText bool
	// members lists the data oneof fields that were set, as sent (at most
	// one in a valid request).
	members []string
}

// taskTypeNames are the TaskType enum names by number.
var taskTypeNames = []string{
	"TASK_TYPE_UNSPECIFIED", "RETRIEVAL_QUERY", "RETRIEVAL_DOCUMENT", "SEMANTIC_SIMILARITY",
	"CLASSIFICATION", "CLUSTERING", "QUESTION_ANSWERING", "FACT_VERIFICATION", "CODE_RETRIEVAL_QUERY",
}

// partDataMembers are the fields of Part's data oneof, in both spellings.
var partDataMembers = []string{
	"text", "inlineData", "inline_data", "fileData", "file_data", "functionCall", "function_call",
	"functionResponse", "function_response", "executableCode", "executable_code",
	"codeExecutionResult", "code_execution_result",
}

// field returns obj's value for a field sent as camel or snake (the
// lowerCamelCase spelling wins when both are present); nil when absent or
// null.
func field(obj map[string]any, camel, snake string) any {
	if v, ok := obj[camel]; ok && v != nil {
		return v
	}
	if snake == "" {
		return nil
	}
	return obj[snake]
}

// decodeEmbedRequest converts a schema-valid EmbedContentRequest object. The
// path locates it in the body, for error messages.
func decodeEmbedRequest(obj map[string]any, path schemas.Path, apiVersion string) (embedRequest, *googleError) {
	var req embedRequest
	req.model, _ = obj["model"].(string)
	if content, ok := field(obj, "content", "").(map[string]any); ok {
		req.hasContent = true
		parts, _ := content["parts"].([]any)
		for j, p := range parts {
			part, err := decodePart(p, append(slices.Clip(path), "content", "parts", j))
			if err != nil {
				return req, err
			}
			req.parts = append(req.parts, part)
		}
	}
	var err *googleError
	if req.task, err = decodeTaskType(obj, path, apiVersion); err != nil {
		return req, err
	}
	req.title, _ = field(obj, "title", "").(string)
	if req.outputDims, err = decodeInt32(obj, "outputDimensionality", "output_dimensionality", path); err != nil {
		return req, err
	}
	// embedContentConfig, when present, is authoritative for the fields it sets.
	if cfg, ok := field(obj, "embedContentConfig", "embed_content_config").(map[string]any); ok {
		cfgPath := append(slices.Clip(path), "embed_content_config")
		task, err := decodeTaskType(cfg, cfgPath, apiVersion)
		if err != nil {
			return req, err
		}
		if field(cfg, "taskType", "task_type") != nil {
			req.task = task
		}
		if title, ok := field(cfg, "title", "").(string); ok {
			req.title = title
		}
		dims, err := decodeInt32(cfg, "outputDimensionality", "output_dimensionality", cfgPath)
		if err != nil {
			return req, err
		}
		if dims != 0 {
			req.outputDims = dims
		}
	}
	return req, nil
}

func decodePart(v any, path schemas.Path) (embedPart, *googleError) {
	var part embedPart
	obj, _ := v.(map[string]any)
	for _, m := range partDataMembers {
		if x, ok := obj[m]; ok && x != nil {
			part.members = append(part.members, m)
		}
	}
	if len(part.members) > 1 {
		slices.Sort(part.members)
		where := path.ProtoPath()
		return part, errBadPayload(where, fmt.Sprintf("Invalid value at '%s' (oneof), oneof field 'data' is already set. Cannot set '%s'", where, part.members[1]))
	}
	part.text, part.hasText = obj["text"].(string)
	return part, nil
}

// decodeTaskType returns the canonical task type name ("" for unspecified).
// Proto3 enums are open: an undeclared number is accepted and named by its
// decimal digits.
func decodeTaskType(obj map[string]any, path schemas.Path, apiVersion string) (string, *googleError) {
	v := field(obj, "taskType", "task_type")
	var n int64
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		if i, err := strconv.Atoi(x); err == nil {
			n = int64(i)
		} else {
			n = int64(slices.Index(taskTypeNames, x))
		}
	case json.Number:
		f, err := x.Float64()
		if err != nil || f != math.Trunc(f) {
			where := append(slices.Clip(path), "task_type").ProtoPath()
			return "", errBadPayload(where, fmt.Sprintf("Invalid value at '%s' (%s), %s", where, protoTypeName("TaskType", apiVersion), x))
		}
		n = int64(f)
	}
	switch {
	case n == 0:
		return "", nil
	case n > 0 && n < int64(len(taskTypeNames)):
		return taskTypeNames[n], nil
	}
	return strconv.FormatInt(n, 10), nil
}

// decodeInt32 reads an int32 field sent as a number or a numeric string.
func decodeInt32(obj map[string]any, camel, snake string, path schemas.Path) (int, *googleError) {
	v := field(obj, camel, snake)
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
	return 0, errBadPayload(where, fmt.Sprintf("Invalid value at '%s' (TYPE_INT32), %s", where, text))
}

// joinedText is the request's text: its text parts joined with "\n".
func (r embedRequest) joinedText() string {
	if len(r.parts) == 1 {
		return r.parts[0].text
	}
	var b strings.Builder
	for i, p := range r.parts {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.text)
	}
	return b.String()
}

// fieldViolations checks the request against the model and returns one line
// per violation, in Google's "Request.path: text" form. prefix names the
// request ("EmbedContentRequest" or "BatchEmbedContentsRequest.requests[3]").
func (r embedRequest) fieldViolations(prefix string, model *GeminiModel) []string {
	var out []string
	if !r.hasContent || len(r.parts) == 0 {
		out = append(out, prefix+".content.parts: contents.parts must not be empty.")
	}
	for j, p := range r.parts {
		switch {
		case len(p.members) == 0:
			out = append(out, fmt.Sprintf("%s.content.parts[%d].data: required oneof field 'data' must have one initialized field", prefix, j))
		case !p.hasText:
			out = append(out, fmt.Sprintf("%s.content.parts[%d].%s: embedmock serves text parts only; %s input to %s is not supported",
				prefix, j, schemas.SnakeCase(p.members[0]), schemas.SnakeCase(p.members[0]), model.Name))
		}
	}
	if d := r.outputDims; d != 0 {
		lo, hi := model.Embedding.MinOutputDimensionality, model.Embedding.MaxOutputDimensionality
		switch {
		case lo == 0 && hi == 0:
			out = append(out, fmt.Sprintf("%s.output_dimensionality: outputDimensionality is not supported by %s", prefix, model.Name))
		case d < lo || d > hi:
			out = append(out, fmt.Sprintf("%s.output_dimensionality: outputDimensionality must be between %d and %d for %s, got %d",
				prefix, lo, hi, model.Name, d))
		}
	}
	return out
}

// hasEmptyText reports whether a text part is the empty string, which the
// real API rejects after field validation.
func (r embedRequest) hasEmptyText() bool {
	for _, p := range r.parts {
		if p.hasText && p.text == "" {
			return true
		}
	}
	return false
}

// errEmptyPart is the real API's answer to an empty text part, for
// embedContent and batchEmbedContents alike.
func errEmptyPart() *googleError {
	return newGoogleError(400, "EmbedContentRequest.content contains an empty Part.")
}

// validModelName reports whether name has the form the API accepts for a
// model: "models/{id}" or "tunedModels/{id}".
func validModelName(name string) bool {
	for _, prefix := range []string{"models/", "tunedModels/"} {
		if id, ok := strings.CutPrefix(name, prefix); ok {
			return id != "" && !strings.ContainsAny(id, "/:?#& ")
		}
	}
	return false
}
