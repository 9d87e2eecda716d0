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

	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/mockserver/googleapi"
	"github.com/embedmock/embedmock/mockserver/recording"
	"github.com/embedmock/embedmock/mockserver/vectorwire"
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
	owner family.Family // nil for requests no family claims
	call  family.Call   // as classified, for the owner's summary
	raw   []byte        // the body, when it was at most maxJournalBody bytes
	total int64         // the body's length
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
	call   family.Call
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
	s.journal.add(s.journalEntry(w.req, &w.call, &w.tap, w.at, time.Since(w.start), status, w.Header()))
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

// on reports whether the journal keeps anything.
func (j *journal) on() bool { return j.size > 0 }

// finish records a request that got no answer: the handler aborted the
// connection (a drop fault) or wrote nothing.
func (w *journalWriter) finish() {
	if w.status == 0 {
		w.record(0)
	}
}

// journalEntry describes a finished request.
func (s *Server) journalEntry(r *http.Request, c *family.Call, tap *bodyTap, at time.Time, d time.Duration, status int, h http.Header) journalEntry {
	e := journalEntry{
		Request: Request{
			Time: at, Method: r.Method, Path: redactedPath(r.URL), Family: c.Family, Route: c.Kind, Model: c.Model,
			Status: status, Source: h.Get("X-Embedmock-Source"), Fault: h.Get("X-Embedmock-Fault"), Duration: d,
		},
		owner: c.Owner, total: tap.total,
	}
	if c.Owner != nil {
		e.call = *c
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
		r.Body = vectorwire.MustMarshal(map[string]any{"embedmock": "body of " + strconv.FormatInt(e.total, 10) + " bytes not kept"})
		return r
	case len(e.raw) == 0:
		return r
	}
	doc, err := googleapi.ParseJSON(e.raw)
	if err != nil {
		r.Body = vectorwire.MustMarshal(map[string]any{"embedmock": "body of " + strconv.Itoa(len(e.raw)) + " bytes is not JSON"})
		return r
	}
	r.Body, _ = json.Marshal(doc)
	if e.owner != nil {
		sum := e.owner.Summarize(&e.call, e.raw)
		if r.Model == "" {
			r.Model = sum.Model
		}
		r.Inputs, r.TaskType, r.Dimensions = sum.Inputs, sum.TaskType, sum.Dimensions
	}
	return r
}

// redactedPath is the request path and query with credentials replaced.
func redactedPath(u *url.URL) string {
	if u.RawQuery == "" {
		return u.Path
	}
	q := u.Query()
	for name := range q {
		if recording.SecretQueryParam(name) {
			q[name] = []string{recording.Redacted}
		}
	}
	return u.Path + "?" + q.Encode()
}

// journalQuery reads filters from admin query parameters.
func journalQuery(q url.Values) ([]RequestFilter, int, *googleapi.Error) {
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
			return nil, 0, googleapi.NewError(http.StatusBadRequest, "embedmock: status must be a number, got "+strconv.Quote(v))
		}
		filters = append(filters, ByStatus(n))
	}
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, 0, googleapi.NewError(http.StatusBadRequest, "embedmock: limit must be a non-negative number, got "+strconv.Quote(v))
		}
		limit = n
	}
	return filters, limit, nil
}
