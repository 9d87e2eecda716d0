package mockserver

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	"github.com/embedmock/embedmock/fakeembed"
	"github.com/embedmock/embedmock/schemas"
)

// The Gradient API serves one embeddings model. It must be the only one
// listed: the gradientai Python SDK checks listed slugs with a substring
// test against "bge-large" and rejects the whole list otherwise.
const gradientModel = "bge-large"

// Gradient defaults.
const (
	DefaultGradientPrefix     = "/api"
	DefaultGradientDimensions = 1024
)

// writeGradientError answers with the Gradient API's error body,
// {"message": ...}.
func writeGradientError(w http.ResponseWriter, status int, message string) {
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h.Del("Content-Length")
	w.WriteHeader(status)
	w.Write(append(mustMarshal(map[string]string{"message": message}), '\n'))
}

// gradientAuthError checks the bearer token and the workspace id.
func (s *Server) gradientAuthError(r *http.Request) (int, string) {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	token = strings.TrimSpace(token)
	switch {
	case token == "":
		return http.StatusUnauthorized, "Unauthorized: an access token is required (Authorization: Bearer <token>)"
	case s.keys != nil && !s.keys[token]:
		return http.StatusUnauthorized, "Unauthorized: the access token is not valid"
	case strings.TrimSpace(r.Header.Get("X-Gradient-Workspace-Id")) == "":
		return http.StatusUnauthorized, "Unauthorized: a workspace id is required (x-gradient-workspace-id)"
	}
	return 0, ""
}

func (s *Server) withGradientAuth(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status, msg := s.gradientAuthError(r); status != 0 {
			writeGradientError(w, status, msg)
			return
		}
		h(w, r)
	})
}

// handleGradientModels serves GET {prefix}/embeddings.
func (s *Server) handleGradientModels(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, []byte(`{"embeddingsModels":[{"slug":"`+gradientModel+`"}]}`))
}

// handleGradientEmbeddings serves POST {prefix}/embeddings/{slug}.
func (s *Server) handleGradientEmbeddings(w http.ResponseWriter, r *http.Request) {
	slug := mux.Vars(r)["slug"]
	if slug != gradientModel {
		writeGradientError(w, http.StatusNotFound, fmt.Sprintf("Embeddings model not found for slug %s", slug))
		return
	}
	body, gerr := s.readBody(w, r)
	if gerr != nil {
		writeGradientError(w, gerr.Code, gerr.Message)
		return
	}
	doc, err := schemas.Decode(body)
	if err != nil {
		writeGradientError(w, http.StatusBadRequest, "The request body is not valid JSON.")
		return
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		writeGradientError(w, http.StatusBadRequest, "The request body must be a JSON object: {\"inputs\": [{\"input\": \"...\"}]}.")
		return
	}
	if in, ok := obj["inputs"].([]any); ok && len(in) > 256 {
		writeGradientError(w, http.StatusBadRequest, "inputs: between 1 and 256 inputs are allowed, got "+strconv.Itoa(len(in)))
		return
	}
	if v := schemas.Validate(schemas.GradientGenerateEmbeddingRequest, obj); v != nil {
		writeGradientError(w, http.StatusBadRequest, gradientSchemaMessage(v))
		return
	}
	items := obj["inputs"].([]any)
	buf := getBody()
	defer putBody(buf)
	stream := responseStream{w: w}
	b := append(*buf, `{"embeddings":[`...)
	stream.compute()
	defer stream.release()
	kp := keyBuffers.Get().(*cacheKey)
	defer keyBuffers.Put(kp)
	for i, item := range items {
		text := item.(map[string]any)["input"].(string)
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"embedding":`...)
		key := (*kp)[:0].add("gradient").addInt(int(s.cfg.vectorMode)).addInt(s.cfg.gradientDimensions).add(text)
		*kp = key
		b = s.appendCachedVector(b, key, func(dst []float32) []float32 {
			return fakeembed.AppendVector(dst, s.cfg.vectorMode, fakeembed.Input{Model: gradientModel, Text: text},
				fakeembed.Shape{Dimensions: s.cfg.gradientDimensions})
		}, appendVector)
		b = append(b, `,"index":`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, '}')
		b = stream.flush(b, streamPiece)
	}
	b = append(b, "]}"...)
	*buf = b
	stream.finish(b)
}

// gradientSchemaMessage explains a schema violation (the real API's texts
// are not documented).
func gradientSchemaMessage(v *schemas.Violation) string {
	where := "body"
	if p := v.Path.String(); p != "" {
		where = strings.ReplaceAll(strings.TrimPrefix(p, "/"), "/", ".")
	}
	switch v.Kind {
	case schemas.UnknownField:
		return fmt.Sprintf("%s: unknown field %q", where, v.Field)
	case schemas.MissingField:
		return fmt.Sprintf("%s: %s is required", where, v.Field)
	}
	switch v.Keyword {
	case "minItems", "maxItems":
		return where + ": between 1 and 256 inputs are allowed"
	case "minLength":
		return where + ": must not be empty"
	}
	return where + ": invalid value " + protoValueString(v.Value)
}
