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
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

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
	store   *store
	rec     *recordingState
	journal *journal
	faults  *faults
	limiter *rateLimiter
	handler http.Handler

	openAIModels []OpenAIModel
	vectors      *vectorCache

	adminMu       sync.Mutex
	batchFailures []BatchFailure
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
	var disk *dataDir
	if cfg.dataDir != "" {
		var err error
		if disk, err = openDataDir(cfg.dataDir); err != nil {
			return nil, err
		}
	}
	st, err := newStore(disk)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, gemini: newGeminiCatalog(cfg.geminiModels, cfg.legacyModels), store: st,
		journal:      newJournal(cfg.journalSize),
		faults:       &faults{rate: cfg.faultRate, status: cfg.faultStatus, rng: rand.New(rand.NewPCG(cfg.faultSeed, cfg.faultSeed^0x9E3779B97F4A7C15))},
		limiter:      newRateLimiter(cfg.rpm, cfg.tpm),
		openAIModels: slices.Clone(cfg.openAIModels),
		vectors:      newVectorCache(cfg.vectorCacheBytes),
	}
	if len(cfg.apiKeys) > 0 {
		s.keys = map[string]bool{}
		for _, k := range cfg.apiKeys {
			s.keys[k] = true
		}
	}
	if err := s.setUpRecording(); err != nil {
		return nil, err
	}
	s.handler = s.routes()
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// now is the server clock's time.
func (s *Server) now() time.Time { return s.cfg.clock() }

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
	r.SkipClean(true) // paths are cleaned without redirects in withCleanPath
	r.NotFoundHandler = http.HandlerFunc(notFound)
	r.MethodNotAllowedHandler = http.HandlerFunc(notFound)

	r.HandleFunc("/_embedmock/health", s.handleHealth).Methods(http.MethodGet, http.MethodHead)
	if s.cfg.adminRoutes {
		s.adminRoutes(r)
	} else {
		r.PathPrefix("/_embedmock/").HandlerFunc(adminElsewhere)
	}

	// OpenAI and Azure OpenAI. GET /v1/models is shared with the Gemini API:
	// a request with a bearer token and no Google key is OpenAI's.
	openAIModels := func(r *http.Request, _ *mux.RouteMatch) bool { return isOpenAIModelsRequest(r) }
	r.Handle("/v1/models", s.withOpenAIAuth(s.handleOpenAIModels)).Methods(http.MethodGet).MatcherFunc(openAIModels)
	r.Handle("/v1/models/{model}", s.withOpenAIAuth(s.handleOpenAIModels)).Methods(http.MethodGet).MatcherFunc(openAIModels)
	for _, path := range []string{"/v1/embeddings", "/embeddings", "/openai/deployments/{deployment}/embeddings"} {
		r.Handle(path, s.withOpenAIAuth(s.handleOpenAIEmbeddings)).Methods(http.MethodPost)
	}
	// Gradient.
	r.Handle(s.cfg.gradientPrefix+"/embeddings", s.withGradientAuth(s.handleGradientModels)).Methods(http.MethodGet)
	r.Handle(s.cfg.gradientPrefix+"/embeddings/{slug}", s.withGradientAuth(s.handleGradientEmbeddings)).Methods(http.MethodPost)

	for _, version := range []string{"v1beta", "v1"} {
		gemini := func(route string, h func(http.ResponseWriter, *http.Request, geminiCall)) http.Handler {
			return s.geminiAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				vars := mux.Vars(r)
				h(w, r, geminiCall{apiVersion: version, route: route, modelID: vars["model"], batchID: vars["batch"], fileID: vars["file"]})
			}))
		}
		api := r.PathPrefix("/" + version + "/").Subrouter()
		api.Handle("/models/{model:[^/:]+}:embedContent", gemini("embedContent", s.handleEmbedContent)).Methods(http.MethodPost)
		api.Handle("/models/{model:[^/:]+}:batchEmbedContents", gemini("batchEmbedContents", s.handleBatchEmbedContents)).Methods(http.MethodPost)
		api.Handle("/models/{model:[^/:]+}:asyncBatchEmbedContent", gemini("asyncBatchEmbedContent", s.handleAsyncBatchEmbedContent)).Methods(http.MethodPost)
		api.Handle("/models", gemini("models.list", s.handleListModels)).Methods(http.MethodGet)
		api.Handle("/models/{model:[^/:]+}", gemini("models.get", s.handleGetModel)).Methods(http.MethodGet)
		api.Handle("/batches", gemini("batches.list", s.handleListBatches)).Methods(http.MethodGet)
		api.Handle("/batches/{batch:[^/:]+}", gemini("batches.get", s.handleGetBatch)).Methods(http.MethodGet)
		api.Handle("/batches/{batch:[^/:]+}:cancel", gemini("batches.cancel", s.handleCancelBatch)).Methods(http.MethodPost)
		api.Handle("/batches/{batch:[^/:]+}", gemini("batches.delete", s.handleDeleteBatch)).Methods(http.MethodDelete)
		api.Handle("/files", gemini("files.list", s.handleListFiles)).Methods(http.MethodGet)
		api.Handle("/files/{file:[^/:]+}", gemini("files.get", s.handleGetFile)).Methods(http.MethodGet)
		api.Handle("/files/{file:[^/:]+}", gemini("files.delete", s.handleDeleteFile)).Methods(http.MethodDelete)
		api.Handle("/files/{file:[^/:]+}:download", gemini("files.download", s.handleDownloadFile)).Methods(http.MethodGet)
		r.Handle("/download/"+version+"/files/{file:[^/:]+}:download", gemini("files.download", s.handleDownloadFile)).Methods(http.MethodGet)
		r.Handle("/upload/"+version+"/files", gemini("files.upload", s.handleUpload)).Methods(http.MethodPost)
	}
	var root http.Handler
	switch {
	case s.cfg.proxyAll:
		root = http.HandlerFunc(s.handleProxy)
	case s.rec.library != nil:
		root = s.withControl(s.withReplay(s.withHotRoutes(r)))
	default:
		root = s.withControl(s.withHotRoutes(r))
	}
	return withCommonHeaders(withRecovery(withCleanPath(s.withJournal(root))))
}

// withCommonHeaders marks every response as served by the fake.
func withCommonHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["X-Embedmock-Source"] = sourceFake
		next.ServeHTTP(w, r)
	})
}

// withCleanPath collapses repeated slashes, which clients produce from a
// base URL with a trailing slash ("/api//embeddings"), without a redirect.
func withCleanPath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "//") {
			p := r.URL.Path
			for strings.Contains(p, "//") {
				p = strings.ReplaceAll(p, "//", "/")
			}
			r.URL.Path, r.URL.RawPath = p, ""
		}
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

// adminRoutes adds the admin API but for the health check.
func (s *Server) adminRoutes(r *mux.Router) {
	r.HandleFunc("/_embedmock/batch-failures", s.handleBatchFailures).Methods(http.MethodGet, http.MethodPost, http.MethodDelete)
	r.HandleFunc("/_embedmock/requests", s.handleRequests).Methods(http.MethodGet, http.MethodDelete)
	r.HandleFunc("/_embedmock/faults", s.handleFaults).Methods(http.MethodGet, http.MethodPost, http.MethodDelete)
	r.HandleFunc("/_embedmock/clock", s.handleClock).Methods(http.MethodGet, http.MethodPost)
	r.HandleFunc("/_embedmock/reset", s.handleReset).Methods(http.MethodPost)
}

// AdminHandler serves the admin API (/_embedmock/...) alone, for a
// listener of its own: with WithAdminRoutes(false) the API's address then
// serves no admin route but the health check, and the admin API can be
// bound where only the test harness reaches it.
func (s *Server) AdminHandler() http.Handler {
	r := mux.NewRouter()
	r.NotFoundHandler = http.HandlerFunc(notFound)
	r.MethodNotAllowedHandler = http.HandlerFunc(notFound)
	r.HandleFunc("/_embedmock/health", s.handleHealth).Methods(http.MethodGet, http.MethodHead)
	s.adminRoutes(r)
	return withCommonHeaders(withRecovery(withCleanPath(r)))
}

// adminElsewhere answers admin routes on an address that does not serve
// them.
func adminElsewhere(w http.ResponseWriter, _ *http.Request) {
	writeGoogleError(w, newGoogleError(http.StatusNotFound,
		"embedmock: the admin API is not served on this address (it is turned off or has an address of its own)"))
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, fmt.Appendf(nil, `{"status":"ok","version":%q,"vectors":%q}`, Version, s.cfg.vectorMode))
}

// withHotRoutes answers the embedding routes, which carry nearly all of a
// load, without the router: their paths are matched by hand exactly as the
// router's patterns would match them (POST /{version}/models/{model}:verb
// with a model free of '/' and ':', and OpenAI's fixed paths), which saves
// the router's regular expressions and its copy of the request. Every other
// request goes to router.
func (s *Server) withHotRoutes(router http.Handler) http.Handler {
	openAIEmbeddings := s.withOpenAIAuth(s.handleOpenAIEmbeddings)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			router.ServeHTTP(w, r)
			return
		}
		if call, ok := hotGeminiRoute(r.URL.Path); ok {
			setGoogleHeaders(w.Header())
			if err := s.geminiKeyError(r); err != nil {
				writeGoogleError(w, err)
				return
			}
			if call.route == "embedContent" {
				s.handleEmbedContent(w, r, call)
			} else {
				s.handleBatchEmbedContents(w, r, call)
			}
			return
		}
		if p := r.URL.Path; p == "/v1/embeddings" || p == "/embeddings" {
			openAIEmbeddings.ServeHTTP(w, r)
			return
		}
		router.ServeHTTP(w, r)
	})
}

// hotGeminiRoute recognises /v1beta/models/{model}:embedContent and
// :batchEmbedContents (and the same under /v1).
func hotGeminiRoute(path string) (geminiCall, bool) {
	var call geminiCall
	rest, ok := strings.CutPrefix(path, "/v1beta/models/")
	call.apiVersion = "v1beta"
	if !ok {
		if rest, ok = strings.CutPrefix(path, "/v1/models/"); !ok {
			return call, false
		}
		call.apiVersion = "v1"
	}
	model, verb, ok := strings.Cut(rest, ":")
	if !ok || model == "" || strings.IndexByte(model, '/') >= 0 ||
		(verb != "embedContent" && verb != "batchEmbedContents") {
		return call, false
	}
	call.route, call.modelID = verb, model
	return call, true
}
