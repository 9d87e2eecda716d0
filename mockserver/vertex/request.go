package vertex

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/embedmock/embedmock/fakeembed"
	"github.com/embedmock/embedmock/mockserver/gemini"
	"github.com/embedmock/embedmock/mockserver/googleapi"
	"github.com/embedmock/embedmock/schemas"
)

// input is one text to embed, as a request gives it.
type input struct {
	req  gemini.EmbedRequest
	text string // the text parts joined with "\n", before truncation
}

// predictRequest is a predict body as the family reads it.
type predictRequest struct {
	inputs       []input
	dims         int  // parameters.outputDimensionality; 0 for none
	autoTruncate bool // parameters.autoTruncate; true unless sent false
}

// embedContentRequest is an embedContent body as the family reads it.
type embedContentRequest struct {
	input
	autoTruncate bool
}

// parseObject parses a body as Google's front end does: lenient JSON whose
// root is an object.
func parseObject(body []byte) (map[string]any, *googleapi.Error) {
	doc, syntaxErr := googleapi.ParseJSON(body)
	if syntaxErr != nil {
		return nil, googleapi.JSONSyntax(syntaxErr)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, googleapi.NotAMessage()
	}
	return obj, nil
}

// checkFields refuses a field of obj (at path) that is not among names,
// in the proto parser's words.
func checkFields(obj map[string]any, path schemas.Path, apiVersion string, names ...string) *googleapi.Error {
	for _, name := range slices.Sorted(maps.Keys(obj)) {
		if !slices.Contains(names, name) {
			return googleapi.SchemaViolation(&schemas.Violation{Kind: schemas.UnknownField, Path: path, Field: name}, apiVersion)
		}
	}
	return nil
}

// validTaskType reports whether v is a TaskType the API accepts: a name,
// or a number as proto3 open enums have them.
func validTaskType(v any) bool {
	switch x := v.(type) {
	case nil, json.Number:
		return true
	case string:
		if _, err := strconv.Atoi(x); err == nil {
			return true
		}
		return slices.Contains(gemini.TaskTypeNames, x)
	}
	return false
}

// decodePredict reads a predict body: {"instances":[{"content",
// "task_type","title"}],"parameters":{"outputDimensionality",
// "autoTruncate"}}.
func decodePredict(body []byte, apiVersion string) (predictRequest, *googleapi.Error) {
	req := predictRequest{autoTruncate: true}
	obj, gerr := parseObject(body)
	if gerr != nil {
		return req, gerr
	}
	if gerr := checkFields(obj, schemas.Path{}, apiVersion, "instances", "parameters", "endpoint"); gerr != nil {
		return req, gerr
	}
	if params, ok := obj["parameters"].(map[string]any); ok {
		if gerr := checkParameters(params, &req); gerr != nil {
			return req, gerr
		}
	} else if obj["parameters"] != nil {
		return req, badParameter("parameters must be an object")
	}
	var items []any
	switch x := obj["instances"].(type) {
	case nil:
	case []any:
		items = x
	default:
		return req, googleapi.BadPayload("instances", "Invalid JSON payload received. Unknown name \"instances\": Proto field is not repeating, cannot start list.")
	}
	for i, item := range items {
		in, gerr := decodeInstance(item, i, req.dims, apiVersion)
		if gerr != nil {
			return req, gerr
		}
		req.inputs = append(req.inputs, in)
	}
	return req, nil
}

// checkParameters reads the parameters of predict.
func checkParameters(params map[string]any, req *predictRequest) *googleapi.Error {
	for _, name := range slices.Sorted(maps.Keys(params)) {
		switch name {
		case "outputDimensionality", "output_dimensionality", "autoTruncate", "auto_truncate":
		default:
			return badParameter(fmt.Sprintf("unknown parameter %q", name))
		}
	}
	dims, gerr := googleapi.Int32(params, "outputDimensionality", "output_dimensionality", schemas.Path{"parameters"})
	if gerr != nil {
		return gerr
	}
	req.dims = dims
	switch v := googleapi.Field(params, "autoTruncate", "auto_truncate").(type) {
	case nil:
	case bool:
		req.autoTruncate = v
	default:
		return badParameter(fmt.Sprintf("autoTruncate must be a boolean, got %v", v))
	}
	return nil
}

// decodeInstance reads instances[i] of predict into the Gemini request it
// is embedded as.
func decodeInstance(item any, i, dims int, apiVersion string) (input, *googleapi.Error) {
	inst, ok := item.(map[string]any)
	if !ok {
		return input{}, badInstance(i, "an instance must be an object")
	}
	for _, name := range slices.Sorted(maps.Keys(inst)) {
		switch name {
		case "content", "task_type", "taskType", "title", "mimeType", "mime_type":
		default:
			return input{}, badInstance(i, fmt.Sprintf("unknown field %q", name))
		}
	}
	text, ok := inst["content"].(string)
	if !ok {
		return input{}, badInstance(i, "content must be a string")
	}
	task := googleapi.Field(inst, "task_type", "taskType")
	if !validTaskType(task) {
		return input{}, badInstance(i, fmt.Sprintf("task_type %v is not a valid task type", task))
	}
	title := inst["title"]
	if _, ok := title.(string); title != nil && !ok {
		return input{}, badInstance(i, "title must be a string")
	}
	obj := map[string]any{"content": map[string]any{"parts": []any{map[string]any{"text": text}}}}
	if task != nil {
		obj["taskType"] = task
	}
	if title != nil {
		obj["title"] = title
	}
	if dims != 0 {
		obj["outputDimensionality"] = json.Number(strconv.Itoa(dims))
	}
	req, gerr := gemini.DecodeEmbedRequest(obj, nil, apiVersion)
	return input{req: req, text: text}, gerr
}

// Field names of embedContent, in both spellings.
var (
	embedContentFields = []string{"model", "content", "title", "taskType", "task_type", "outputDimensionality",
		"output_dimensionality", "autoTruncate", "auto_truncate", "embedContentConfig", "embed_content_config"}
	embedConfigFields = []string{"taskType", "task_type", "title", "outputDimensionality", "output_dimensionality",
		"autoTruncate", "auto_truncate", "documentOcr", "document_ocr", "audioTrackExtraction", "audio_track_extraction"}
)

// decodeEmbedContent reads an embedContent body: {"content":{"parts",
// "role"},"embedContentConfig":{"taskType","title",
// "outputDimensionality","autoTruncate"}} (the config's fields may also
// stand at the top level; the config wins).
func decodeEmbedContent(body []byte, apiVersion string) (embedContentRequest, *googleapi.Error) {
	req := embedContentRequest{autoTruncate: true}
	obj, gerr := parseObject(body)
	if gerr != nil {
		return req, gerr
	}
	if gerr := checkFields(obj, schemas.Path{}, apiVersion, embedContentFields...); gerr != nil {
		return req, gerr
	}
	objects := []map[string]any{obj}
	if content, ok := googleapi.Field(obj, "content", "").(map[string]any); ok {
		if gerr := checkFields(content, schemas.Path{"content"}, apiVersion, "parts", "role"); gerr != nil {
			return req, gerr
		}
		parts, _ := content["parts"].([]any)
		var texts []string
		for _, p := range parts {
			part, _ := p.(map[string]any)
			text, _ := part["text"].(string)
			texts = append(texts, text)
		}
		req.text = strings.Join(texts, "\n")
	}
	cfgPath := schemas.Path{"embed_content_config"}
	if cfg, ok := googleapi.Field(obj, "embedContentConfig", "embed_content_config").(map[string]any); ok {
		if gerr := checkFields(cfg, cfgPath, apiVersion, embedConfigFields...); gerr != nil {
			return req, gerr
		}
		objects = append(objects, cfg)
	}
	for i, o := range objects {
		path := schemas.Path{}
		if i > 0 {
			path = cfgPath
		}
		if v := googleapi.Field(o, "taskType", "task_type"); !validTaskType(v) {
			where := append(path, "task_type").ProtoPath()
			return req, googleapi.BadPayload(where, fmt.Sprintf("Invalid value at '%s' (type.googleapis.com/google.cloud.aiplatform.%s.EmbedContentRequest.EmbeddingTaskType), %s",
				where, apiVersion, jsonText(v)))
		}
		switch v := googleapi.Field(o, "autoTruncate", "auto_truncate").(type) {
		case nil:
		case bool:
			req.autoTruncate = v
		default:
			where := append(path, "auto_truncate").ProtoPath()
			return req, googleapi.BadPayload(where, fmt.Sprintf("Invalid value at '%s' (TYPE_BOOL), %s", where, jsonText(v)))
		}
	}
	req.req, gerr = gemini.DecodeEmbedRequest(obj, nil, apiVersion)
	return req, gerr
}

// jsonText is a value as Google's messages quote it.
func jsonText(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// tokens is an input's token estimate before truncation.
func (in input) tokens() int { return fakeembed.EstimateTokens(in.text) }
