package mockserver

import (
	"fmt"
	"html"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/embedmock/embedmock/fakeembed"
	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/mockserver/gemini"
	"github.com/embedmock/embedmock/mockserver/geminibatches"
	"github.com/embedmock/embedmock/mockserver/geminifiles"
	"github.com/embedmock/embedmock/mockserver/geminiopenai"
	"github.com/embedmock/embedmock/mockserver/googleapi"
	"github.com/embedmock/embedmock/mockserver/gradient"
	"github.com/embedmock/embedmock/mockserver/openai"
	"github.com/embedmock/embedmock/mockserver/store"
	"github.com/embedmock/embedmock/mockserver/vectorwire"
	"github.com/embedmock/embedmock/mockserver/vertex"
)

// Version is embedmock's release version, reported by `embedmock version`
// and the health endpoint.
var Version = "0.1.0-dev"

// Server is an embedding API fake. Create one with New; it is safe for
// concurrent use.
type Server struct {
	cfg     config
	env     *family.Env
	table   *family.Table
	gemini  *gemini.Family
	files   *geminifiles.Family
	batches *geminibatches.Family
	rec     *recordingState
	journal *journal
	faults  *faults
	limiter *rateLimiter
	admin   http.Handler // the admin routes
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
	s := &Server{
		cfg:     cfg,
		journal: newJournal(cfg.journalSize),
		faults:  &faults{rate: cfg.faultRate, status: cfg.faultStatus, rng: rand.New(rand.NewPCG(cfg.faultSeed, cfg.faultSeed^0x9E3779B97F4A7C15))},
		limiter: newRateLimiter(cfg.rpm, cfg.tpm),
	}
	s.env = &family.Env{
		Mode: cfg.vectorMode, Now: s.now, MaxBodyBytes: cfg.maxBodyBytes,
		Vectors: vectorwire.NewCache(cfg.vectorCacheBytes), Slots: vectorwire.NewSlots(runtime.GOMAXPROCS(0)),
		Quota: s.quotaStatus, Log: cfg.logOutput,
	}
	if len(cfg.apiKeys) > 0 {
		keys := map[string]bool{}
		for _, k := range cfg.apiKeys {
			keys[k] = true
		}
		s.env.KeyAccepted = func(k string) bool { return keys[k] }
	}
	families, err := s.families()
	if err != nil {
		return nil, err
	}
	if s.table, err = family.NewTable(families...); err != nil {
		return nil, fmt.Errorf("mockserver: %w", err)
	}
	if err := s.table.Exclusive("gradient", cfg.gradientPrefix); err != nil {
		return nil, fmt.Errorf("mockserver: Gradient: %w", err)
	}
	if err := s.setUpRecording(); err != nil {
		return nil, err
	}
	s.admin = s.adminRouter()
	s.handler = withCommonHeaders(withRecovery(withCleanPath(http.HandlerFunc(s.serve))))
	return s, nil
}

// families builds the API families the server serves, in matching order.
// Adding a family is one line here.
func (s *Server) families() ([]family.Family, error) {
	cfg, env := s.cfg, s.env
	var back store.Backend = store.NewMemory()
	if cfg.dataDir != "" {
		dir, err := store.Open(cfg.dataDir)
		if err != nil {
			return nil, err
		}
		back = dir
	}
	s.gemini = gemini.New(env, gemini.Config{Models: cfg.geminiModels, Legacy: cfg.legacyModels})
	files, err := geminifiles.New(env, geminifiles.Config{MaxFileBytes: cfg.maxFileBytes, MaxFiles: cfg.maxFiles}, back)
	if err != nil {
		return nil, err
	}
	s.files = files
	s.batches, err = geminibatches.New(env, geminibatches.Config{
		Delay: cfg.batchDelay, TTL: cfg.batchTTL, MaxJobs: cfg.maxBatches, MaxRequests: cfg.maxJobRequests,
	}, s.gemini, files, back)
	if err != nil {
		return nil, err
	}
	return []family.Family{
		openai.New(env, openai.Config{Models: cfg.openAIModels, EmptyInput: cfg.openAIEmptyInput}),
		gradient.New(env, gradient.Config{Prefix: cfg.gradientPrefix, Dimensions: cfg.gradientDimensions}),
		geminiopenai.New(env, s.gemini),
		vertex.New(env, s.gemini),
		s.gemini,
		files,
		s.batches,
	}, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// now is the server clock's time.
func (s *Server) now() time.Time { return s.cfg.clock() }

// VectorMode returns the mode the server computes vectors with.
func (s *Server) VectorMode() fakeembed.Mode { return s.cfg.vectorMode }

// GeminiModels returns copies of the models the server answers for, in
// listing order.
func (s *Server) GeminiModels() []GeminiModel { return s.gemini.Catalog().Models() }

// Vector returns the exact vector the server answers q with, so that tests
// can assert on values without a round trip. It fails for a model the
// server does not serve and for a dimension the model does not accept.
func (s *Server) Vector(q VectorQuery) ([]float32, error) { return s.gemini.Vector(q) }

// serve is the request pipeline: the admin API aside, a request is
// classified once, journaled, authenticated by its family, put through
// the test controls (rate limits, faults), answered from cassettes when
// there are any, and else by its route.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_embedmock/") {
		if s.cfg.proxyAll {
			s.handleProxy(w, r, &family.Call{Family: family.Unclaimed})
			return
		}
		s.admin.ServeHTTP(w, r)
		return
	}
	if !s.journal.on() {
		c := s.table.Classify(r)
		s.answer(w, r, &c)
		return
	}
	// The journal writer holds the call, so that journaling costs one
	// allocation.
	jw := &journalWriter{ResponseWriter: w, server: s, req: r, call: s.table.Classify(r), start: time.Now(), at: s.now()}
	jw.tap.ReadCloser = r.Body
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = &jw.tap
	}
	defer jw.finish()
	s.answer(jw, r, &jw.call)
}

// answer runs the stages after the journal.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, c *family.Call) {
	if s.cfg.proxyAll {
		s.handleProxy(w, r, c)
		return
	}
	if c.Owner != nil {
		if f := c.Owner.Authenticate(r, c); f != nil {
			if c.Route == nil {
				notFound(w, r) // what the API answers for a path it does not serve
				return
			}
			s.writeFailure(w, r, c, f)
			return
		}
	}
	if s.control(w, r, c) {
		return
	}
	if s.rec.library != nil && s.replay(w, r, c) {
		return
	}
	if c.Route == nil {
		notFound(w, r)
		return
	}
	c.Route.Handle(w, r, c)
}

// writeFailure answers with f in the envelope of the request's family
// (Google's for requests no family claims).
func (s *Server) writeFailure(w http.ResponseWriter, r *http.Request, c *family.Call, f *family.Failure) {
	f.SetRetryAfter(w.Header())
	if c.Owner != nil {
		c.Owner.WriteFailure(w, r, c, f)
		return
	}
	googleapi.WriteError(w, googleapi.Render(f, c.Model))
}

// withCommonHeaders marks every response as served by the fake.
func withCommonHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["X-Embedmock-Source"] = sourceFake
		next.ServeHTTP(w, r)
	})
}

var sourceFake = []string{"fake"}

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
				googleapi.WriteError(w, googleapi.NewError(http.StatusInternalServerError, fmt.Sprintf("embedmock: internal error: %v", v)))
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

// adminRouter serves the admin API: the health check always, the rest
// unless it is turned off on this address.
func (s *Server) adminRouter() http.Handler {
	r := mux.NewRouter()
	r.NotFoundHandler = http.HandlerFunc(notFound)
	r.MethodNotAllowedHandler = http.HandlerFunc(notFound)
	r.HandleFunc("/_embedmock/health", s.handleHealth).Methods(http.MethodGet, http.MethodHead)
	if s.cfg.adminRoutes {
		s.adminRoutes(r)
	} else {
		r.PathPrefix("/_embedmock/").HandlerFunc(adminElsewhere)
	}
	return r
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
	googleapi.WriteError(w, googleapi.NewError(http.StatusNotFound,
		"embedmock: the admin API is not served on this address (it is turned off or has an address of its own)"))
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	vectorwire.WriteJSON(w, http.StatusOK, fmt.Appendf(nil, `{"status":"ok","version":%q,"vectors":%q}`, Version, s.cfg.vectorMode))
}
