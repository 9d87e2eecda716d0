// Package mockserver is embedmock's HTTP server: a fake of embedding APIs
// (the Gemini API's embedContent and batchEmbedContents, and models.get and
// models.list) that official SDKs accept when pointed at it by base URL.
//
// A Server is an http.Handler holding all state. It answers with the
// deterministic vectors of package fakeembed, validates every request body
// against the JSON Schemas of package schemas, and answers bad input with the
// real API's own error bodies. The command embedmock and package testkit are
// thin layers over it.
package mockserver

import (
	"fmt"
	"html"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/embedmock/embedmock/fakeembed"
)

// Version is embedmock's release version, reported by `embedmock version`
// and the health endpoint.
var Version = "0.1.0-dev"

// Server is an embedding API fake. Create one with New; it is safe for
// concurrent use.
type Server struct {
	cfg     config
	gemini  *geminiCatalog
	keys    map[string]bool // accepted API keys; nil accepts any non-empty key
	handler http.Handler
}

// New returns a Server configured by opts.
func New(opts ...Option) (*Server, error) {
	cfg := defaultConfig()
	for _, opt := range opts {
		opt(&cfg)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, gemini: newGeminiCatalog(cfg.geminiModels, cfg.legacyModels)}
	if len(cfg.apiKeys) > 0 {
		s.keys = map[string]bool{}
		for _, k := range cfg.apiKeys {
			s.keys[k] = true
		}
	}
	s.handler = s.routes()
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// VectorMode returns the mode the server computes vectors with.
func (s *Server) VectorMode() fakeembed.Mode { return s.cfg.vectorMode }

// GeminiModels returns the models the server answers for, in listing order.
func (s *Server) GeminiModels() []GeminiModel {
	out := make([]GeminiModel, len(s.gemini.models))
	for i, m := range s.gemini.models {
		out[i] = m.clone()
	}
	return out
}

func (s *Server) routes() http.Handler {
	r := mux.NewRouter()
	r.NotFoundHandler = http.HandlerFunc(notFound)
	r.MethodNotAllowedHandler = http.HandlerFunc(notFound)

	r.HandleFunc("/_embedmock/health", s.handleHealth).Methods(http.MethodGet, http.MethodHead)

	for _, version := range []string{"v1beta", "v1"} {
		api := r.PathPrefix("/" + version + "/").Subrouter()
		api.Use(s.geminiAuth)
		gemini := func(route string, h func(http.ResponseWriter, *http.Request, geminiCall)) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				h(w, r, geminiCall{apiVersion: version, route: route, modelID: mux.Vars(r)["model"]})
			}
		}
		api.HandleFunc("/models/{model:[^/:]+}:embedContent", gemini("embedContent", s.handleEmbedContent)).Methods(http.MethodPost)
		api.HandleFunc("/models/{model:[^/:]+}:batchEmbedContents", gemini("batchEmbedContents", s.handleBatchEmbedContents)).Methods(http.MethodPost)
		api.HandleFunc("/models", gemini("models.list", s.handleListModels)).Methods(http.MethodGet)
		api.HandleFunc("/models/{model:[^/:]+}", gemini("models.get", s.handleGetModel)).Methods(http.MethodGet)
	}
	return withCommonHeaders(withRecovery(r))
}

// withCommonHeaders marks every response as served by the fake.
func withCommonHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["X-Embedmock-Source"] = sourceFake
		next.ServeHTTP(w, r)
	})
}

// withRecovery turns a handler panic into a 500 in Google's envelope instead
// of a dropped connection. Tests and fuzzing make sure it never fires.
func withRecovery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				writeGoogleError(w, newGoogleError(http.StatusInternalServerError, fmt.Sprintf("embedmock: internal error: %v", v)))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// notFound answers unknown routes the way Google's front end does: an HTML
// 404 page.
func notFound(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=UTF-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprintf(w, `<!DOCTYPE html>
<html lang=en>
  <meta charset=utf-8>
  <title>Error 404 (Not Found)!!1</title>
  <p><b>404.</b> <ins>That’s an error.</ins>
  <p>The requested URL <code>%s</code> was not found on this server.  <ins>That’s all we know.</ins>
`, html.EscapeString(r.URL.Path))
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, fmt.Appendf(nil, `{"status":"ok","version":%q,"vectors":%q}`, Version, s.cfg.vectorMode))
}
