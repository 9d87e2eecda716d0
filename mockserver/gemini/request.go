package gemini

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/embedmock/embedmock/mockserver/googleapi"
	"github.com/embedmock/embedmock/schemas"
)

// EmbedRequest is one decoded EmbedContentRequest: the body of embedContent,
// one element of batchEmbedContents, or one item of an async batch.
type EmbedRequest struct {
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

// TaskTypeNames are the TaskType enum names by number.
var TaskTypeNames = []string{
	"TASK_TYPE_UNSPECIFIED", "RETRIEVAL_QUERY", "RETRIEVAL_DOCUMENT", "SEMANTIC_SIMILARITY",
	"CLASSIFICATION", "CLUSTERING", "QUESTION_ANSWERING", "FACT_VERIFICATION", "CODE_RETRIEVAL_QUERY",
}

// partDataMembers are the fields of Part's data oneof, in both spellings.
var partDataMembers = []string{
	"text", "inlineData", "inline_data", "fileData", "file_data", "functionCall", "function_call",
	"functionResponse", "function_response", "executableCode", "executable_code",
	"codeExecutionResult", "code_execution_result",
}

// DecodeEmbedRequest converts a schema-valid EmbedContentRequest object. The
// path locates it in the body, for error messages.
func DecodeEmbedRequest(obj map[string]any, path schemas.Path, apiVersion string) (EmbedRequest, *googleapi.Error) {
	var req EmbedRequest
	req.model, _ = obj["model"].(string)
	if content, ok := googleapi.Field(obj, "content", "").(map[string]any); ok {
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
	var err *googleapi.Error
	if req.task, err = decodeTaskType(obj, path, apiVersion); err != nil {
		return req, err
	}
	req.title, _ = googleapi.Field(obj, "title", "").(string)
	if req.outputDims, err = googleapi.Int32(obj, "outputDimensionality", "output_dimensionality", path); err != nil {
		return req, err
	}
	// embedContentConfig, when present, is authoritative for the fields it sets.
	if cfg, ok := googleapi.Field(obj, "embedContentConfig", "embed_content_config").(map[string]any); ok {
		cfgPath := append(slices.Clip(path), "embed_content_config")
		task, err := decodeTaskType(cfg, cfgPath, apiVersion)
		if err != nil {
			return req, err
		}
		if googleapi.Field(cfg, "taskType", "task_type") != nil {
			req.task = task
		}
		if title, ok := googleapi.Field(cfg, "title", "").(string); ok {
			req.title = title
		}
		dims, err := googleapi.Int32(cfg, "outputDimensionality", "output_dimensionality", cfgPath)
		if err != nil {
			return req, err
		}
		if dims != 0 {
			req.outputDims = dims
		}
	}
	return req, nil
}

func decodePart(v any, path schemas.Path) (embedPart, *googleapi.Error) {
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
		return part, googleapi.BadPayload(where, fmt.Sprintf("Invalid value at '%s' (oneof), oneof field 'data' is already set. Cannot set '%s'", where, part.members[1]))
	}
	part.text, part.hasText = obj["text"].(string)
	return part, nil
}

// TextRequest is the request to embed one text with no task type nor
// title, and outputDimensionality dims (0 for none), as other surfaces of
// the API (and Server.Vector) put it.
func TextRequest(text string, dims int) EmbedRequest {
	return EmbedRequest{outputDims: dims, parts: []embedPart{{text: text, hasText: true, members: []string{"text"}}}, hasContent: true}
}

// Model is the model the request names ("models/x"), "" when absent.
func (r EmbedRequest) Model() string { return r.model }

// decodeTaskType returns the canonical task type name ("" for unspecified).
// Proto3 enums are open: an undeclared number is accepted and named by its
// decimal digits.
func decodeTaskType(obj map[string]any, path schemas.Path, apiVersion string) (string, *googleapi.Error) {
	v := googleapi.Field(obj, "taskType", "task_type")
	var n int64
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		if i, err := strconv.Atoi(x); err == nil {
			n = int64(i)
		} else {
			n = int64(slices.Index(TaskTypeNames, x))
		}
	case json.Number:
		f, err := x.Float64()
		if err != nil || f != math.Trunc(f) {
			where := append(slices.Clip(path), "task_type").ProtoPath()
			return "", googleapi.BadPayload(where, fmt.Sprintf("Invalid value at '%s' (%s), %s", where, googleapi.ProtoTypeName("TaskType", apiVersion), x))
		}
		n = int64(f)
	}
	switch {
	case n == 0:
		return "", nil
	case n > 0 && n < int64(len(TaskTypeNames)):
		return TaskTypeNames[n], nil
	}
	return strconv.FormatInt(n, 10), nil
}

// joinedText is the request's text: its text parts joined with "\n".
func (r EmbedRequest) joinedText() string {
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
func (r EmbedRequest) FieldViolations(prefix string, model *Model) []string {
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
func (r EmbedRequest) HasEmptyText() bool {
	for _, p := range r.parts {
		if p.hasText && p.text == "" {
			return true
		}
	}
	return false
}

// EmptyPartError is the real API's answer to an empty text part, for
// embedContent and batchEmbedContents alike.
func EmptyPartError() *googleapi.Error {
	return googleapi.NewError(400, "EmbedContentRequest.content contains an empty Part.")
}

// ValidModelName reports whether name has the form the API accepts for a
// model: "models/{id}" or "tunedModels/{id}".
func ValidModelName(name string) bool {
	for _, prefix := range []string{"models/", "tunedModels/"} {
		if id, ok := strings.CutPrefix(name, prefix); ok {
			return id != "" && !strings.ContainsAny(id, "/:?#& ")
		}
	}
	return false
}
