package mockserver

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/embedmock/embedmock/mockserver/recording"
)

// DefaultJournalSize is how many requests the journal keeps by default.
const DefaultJournalSize = 1000

// maxJournalBody is the largest request body the journal keeps; larger
// bodies are summarised.
const maxJournalBody = 64 << 10

// Request is one request the server answered, as the journal keeps it.
type Request struct {
	Time       time.Time       `json:"time"`
	Method     string          `json:"method"`
	Path       string          `json:"path"` // with the query, secrets redacted
	Family     string          `json:"family"`
	Route      string          `json:"route"`
	Model      string          `json:"model,omitempty"`
	Inputs     int             `json:"inputs,omitempty"`     // texts to embed
	TaskType   string          `json:"taskType,omitempty"`   // of the first input
	Dimensions int             `json:"dimensions,omitempty"` // requested output dimension of the first input
	Status     int             `json:"status"`
	Source     string          `json:"source"` // fake, cassette or upstream
	Fault      string          `json:"fault,omitempty"`
	Duration   time.Duration   `json:"duration"`
	Body       json.RawMessage `json:"body,omitempty"` // the decoded request body
}

// RequestFilter selects journal entries.
type RequestFilter func(Request) bool

// ByFamily selects requests of an API family ("gemini", "openai", ...).
func ByFamily(family string) RequestFilter {
	return func(r Request) bool { return r.Family == family }
}

// ByRoute selects requests of a route kind ("batchEmbedContents", ...).
func ByRoute(route string) RequestFilter { return func(r Request) bool { return r.Route == route } }

// ByModel selects requests for a model id (without "models/").
func ByModel(model string) RequestFilter { return func(r Request) bool { return r.Model == model } }

// ByStatus selects requests answered with an HTTP status.
func ByStatus(status int) RequestFilter { return func(r Request) bool { return r.Status == status } }

// journal is a bounded ring of the latest requests. Entries keep the raw
// body; decoding it (Body, Inputs, TaskType, Dimensions) waits until the
// journal is read, so recording costs a request almost nothing.
type journal struct {
	mu      sync.Mutex
	entries []journalEntry // ring storage
	next    int            // index of the oldest entry once full
	full    bool
	size    int
}

// journalEntry is a Request whose body is not decoded yet.
type journalEntry struct {
	Request
	key   recording.Key
	raw   []byte // the body, when it was at most maxJournalBody bytes
	total int64  // the body's length
}

func newJournal(size int) *journal { return &journal{size: size} }

func (j *journal) add(r journalEntry) {
	if j.size <= 0 {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.entries) < j.size {
		j.entries = append(j.entries, r)
		return
	}
	j.entries[j.next] = r
	j.next = (j.next + 1) % j.size
	j.full = true
}

// list returns the entries, oldest first, decoded.
func (j *journal) list() []Request {
	j.mu.Lock()
	entries := make([]journalEntry, 0, len(j.entries))
	entries = append(entries, j.entries[j.next:]...)
	entries = append(entries, j.entries[:j.next]...)
	j.mu.Unlock()
	out := make([]Request, len(entries))
	for i, e := range entries {
		out[i] = e.decode()
	}
	return out
}

func (j *journal) clear() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries, j.next, j.full = nil, 0, false
}

// Requests returns copies of the journal's entries, oldest first, that
// pass every filter.
func (s *Server) Requests(filters ...RequestFilter) []Request {
	var out []Request
next:
	for _, r := range s.journal.list() {
		for _, f := range filters {
			if !f(r) {
				continue next
			}
		}
		out = append(out, r)
	}
	return out
}

// ClearRequests empties the journal.
func (s *Server) ClearRequests() { s.journal.clear() }

// journalWriter records the request in the journal as soon as the response
// status is written, so that a client that has its answer finds its
// request in the journal. It holds everything the entry needs, so that
// journaling a request costs one allocation.
type journalWriter struct {
	http.ResponseWriter
	status int
	server *Server
	req    *http.Request
	tap    bodyTap
	start  time.Time // for the duration
	at     time.Time // the server's clock
}

func (w *journalWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
		w.record(status)
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *journalWriter) record(status int) {
	s := w.server
	s.journal.add(s.journalEntry(w.req, &w.tap, w.at, time.Since(w.start), status, w.Header()))
}

func (w *journalWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *journalWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush keeps streaming responses streaming.
func (w *journalWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// bodyTap keeps the first bytes of a request body as it is read.
type bodyTap struct {
	io.ReadCloser
	kept  []byte
	total int64
}

func (t *bodyTap) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	if room := maxJournalBody - len(t.kept); room > 0 {
		t.kept = append(t.kept, p[:min(n, room)]...)
	}
	t.total += int64(n)
	return n, err
}

// withJournal records every API request (not the admin routes).
func (s *Server) withJournal(next http.Handler) http.Handler {
	if s.cfg.journalSize <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_embedmock/") {
			next.ServeHTTP(w, r)
			return
		}
		jw := &journalWriter{ResponseWriter: w, server: s, req: r, start: time.Now(), at: s.now()}
		jw.tap.ReadCloser = r.Body
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &jw.tap
		}
		defer func() {
			if jw.status == 0 {
				// No answer: the handler aborted the connection (a drop
				// fault) or wrote nothing.
				jw.record(0)
			}
		}()
		next.ServeHTTP(jw, r)
	})
}

// journalEntry describes a finished request.
func (s *Server) journalEntry(r *http.Request, tap *bodyTap, at time.Time, d time.Duration, status int, h http.Header) journalEntry {
	key := s.classify(r)
	e := journalEntry{
		Request: Request{
			Time: at, Method: r.Method, Path: redactedPath(r.URL), Family: key.Family, Route: key.Route, Model: key.Model,
			Status: status, Source: h.Get("X-Embedmock-Source"), Fault: h.Get("X-Embedmock-Fault"), Duration: d,
		},
		key: key, total: tap.total,
	}
	if tap.total == int64(len(tap.kept)) {
		e.raw = tap.kept // the tap belongs to this request alone
	}
	return e
}

// decode fills in what the body says.
func (e journalEntry) decode() Request {
	r := e.Request
	switch {
	case e.total > int64(len(e.raw)):
		r.Body = mustMarshal(map[string]any{"embedmock": "body of " + strconv.FormatInt(e.total, 10) + " bytes not kept"})
		return r
	case len(e.raw) == 0:
		return r
	}
	doc, err := parseGoogleJSON(e.raw)
	if err != nil {
		r.Body = mustMarshal(map[string]any{"embedmock": "body of " + strconv.Itoa(len(e.raw)) + " bytes is not JSON"})
		return r
	}
	r.Body, _ = json.Marshal(doc)
	if e.key.Family == familyOpenAI && r.Model == "" {
		r.Model = bodyString(doc, "model")
	}
	r.Inputs, r.TaskType, r.Dimensions = summariseInputs(e.key, doc)
	return r
}

func bodyString(doc any, field string) string {
	obj, _ := doc.(map[string]any)
	s, _ := obj[field].(string)
	return s
}

// summariseInputs counts the texts of an embedding request and reports the
// first one's task type and dimension.
func summariseInputs(key recording.Key, doc any) (inputs int, task string, dims int) {
	obj, _ := doc.(map[string]any)
	first := func(req map[string]any) {
		t, _ := decodeTaskType(req, nil, "v1beta")
		task = t
		dims, _ = decodeInt32(req, "outputDimensionality", "output_dimensionality", nil)
		if cfg, ok := field(req, "embedContentConfig", "embed_content_config").(map[string]any); ok {
			if t, _ := decodeTaskType(cfg, nil, "v1beta"); t != "" {
				task = t
			}
			if d, _ := decodeInt32(cfg, "outputDimensionality", "output_dimensionality", nil); d != 0 {
				dims = d
			}
		}
	}
	switch key.Route {
	case "embedContent":
		first(obj)
		return 1, task, dims
	case "batchEmbedContents":
		items, _ := obj["requests"].([]any)
		if len(items) > 0 {
			req, _ := items[0].(map[string]any)
			first(req)
		}
		return len(items), task, dims
	case "asyncBatchEmbedContent":
		batch, _ := obj["batch"].(map[string]any)
		input, _ := field(batch, "inputConfig", "input_config").(map[string]any)
		requests, _ := input["requests"].(map[string]any)
		items, _ := requests["requests"].([]any)
		if len(items) > 0 {
			item, _ := items[0].(map[string]any)
			req, _ := item["request"].(map[string]any)
			first(req)
		}
		return len(items), task, dims
	case "embeddings":
		if key.Family == familyGradient {
			items, _ := obj["inputs"].([]any)
			return len(items), "", 0
		}
		switch in := obj["input"].(type) {
		case string:
			inputs = 1
		case []any:
			inputs = len(in)
			if len(in) > 0 {
				if _, isNumber := in[0].(json.Number); isNumber {
					inputs = 1 // one list of token ids
				}
			}
		}
		if d, ok := obj["dimensions"].(json.Number); ok {
			n, _ := d.Int64()
			dims = int(n)
		}
		return inputs, "", dims
	}
	return 0, "", 0
}

// redactedPath is the request path and query with credentials replaced.
func redactedPath(u *url.URL) string {
	if u.RawQuery == "" {
		return u.Path
	}
	q := u.Query()
	for name := range q {
		if name == "key" || name == "access_token" || name == "api-key" || name == "api_key" {
			q[name] = []string{recording.Redacted}
		}
	}
	return u.Path + "?" + q.Encode()
}

// journalQuery reads filters from admin query parameters.
func journalQuery(q url.Values) ([]RequestFilter, int, *googleError) {
	var filters []RequestFilter
	if v := q.Get("family"); v != "" {
		filters = append(filters, ByFamily(v))
	}
	if v := q.Get("route"); v != "" {
		filters = append(filters, ByRoute(v))
	}
	if v := q.Get("model"); v != "" {
		filters = append(filters, ByModel(strings.TrimPrefix(v, "models/")))
	}
	if v := q.Get("status"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, 0, newGoogleError(http.StatusBadRequest, "embedmock: status must be a number, got "+strconv.Quote(v))
		}
		filters = append(filters, ByStatus(n))
	}
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, 0, newGoogleError(http.StatusBadRequest, "embedmock: limit must be a non-negative number, got "+strconv.Quote(v))
		}
		limit = n
	}
	return filters, limit, nil
}
