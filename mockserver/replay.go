package mockserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"gopkg.in/dnaeon/go-vcr.v3/cassette"

	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/mockserver/recording"
)

// MissPolicy says what the server does with a request no cassette answers.
type MissPolicy int

const (
	// MissError answers with an error in the API's envelope that names the
	// nearest recorded request and how it differs.
	MissError MissPolicy = iota
	// MissFake answers from the fake, as without cassettes
	// (X-Embedmock-Source: fake).
	MissFake
	// MissRecord forwards the request to the upstream API, answers with
	// its response and records the interaction.
	MissRecord
)

// ParseMissPolicy returns the policy named s: error, fake or record.
func ParseMissPolicy(s string) (MissPolicy, error) {
	switch s {
	case "error":
		return MissError, nil
	case "fake":
		return MissFake, nil
	case "record":
		return MissRecord, nil
	}
	return 0, fmt.Errorf("mockserver: unknown miss policy %q (want error, fake or record)", s)
}

// DefaultUpstream is the API recorded by default.
const DefaultUpstream = "https://generativelanguage.googleapis.com"

var (
	sourceCassette = []string{"cassette"}
	sourceUpstream = []string{"upstream"}
)

// hopHeaders are not forwarded or replayed; Content-Length and
// Content-Encoding are recomputed because bodies are stored decoded.
var hopHeaders = []string{
	"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
	"Content-Length", "Content-Encoding",
}

// recordingState is the record/replay configuration of a server.
type recordingState struct {
	library  *recording.Library // nil without cassettes
	writer   *recording.Writer  // nil unless recording
	redactor *recording.Redactor
	upstream *url.URL
	client   *http.Client
}

func (s *Server) setUpRecording() error {
	cfg := s.cfg
	rec := &recordingState{
		redactor: recording.NewRedactor(append(s.credentialHeaders(), cfg.redactHeaders...), cfg.redactFields),
		client:   &http.Client{Timeout: 10 * time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
	var err error
	if rec.upstream, err = url.Parse(cfg.upstream); err != nil || rec.upstream.Scheme == "" || rec.upstream.Host == "" {
		return fmt.Errorf("mockserver: upstream %q is not an absolute URL", cfg.upstream)
	}
	if len(cfg.cassettes) > 0 {
		loaded, err := recording.LoadCassettesLimit(cfg.maxCassetteBytes, cfg.cassettes...)
		if err != nil {
			return err
		}
		rec.library = recording.NewLibrary(matcher{s.table})
		rec.library.AddCassettes(loaded)
	}
	recordNeeded := cfg.proxyAll || (rec.library != nil && cfg.missPolicy == MissRecord)
	if recordNeeded {
		if cfg.recordTo == "" {
			return errors.New("mockserver: recording needs a cassette to record to")
		}
		if rec.writer, err = recording.OpenWriter(cfg.recordTo, cfg.overwrite); err != nil {
			return err
		}
	}
	s.rec = rec
	return nil
}

// Close releases the server's resources: it closes the cassette being
// recorded. Requests still in flight may fail to record.
func (s *Server) Close() error {
	if s.rec != nil && s.rec.writer != nil {
		return s.rec.writer.Close()
	}
	return nil
}

// replay answers a request from the cassettes, before the fake sees it;
// it reports whether it answered.
func (s *Server) replay(w http.ResponseWriter, r *http.Request, c *family.Call) bool {
	body, ok := s.bufferBody(r, c.Kind == "files.upload")
	if !ok {
		return false // too large to match: the route rejects it
	}
	answer, miss := s.rec.library.Lookup(recordingKey(r, c, body), body)
	switch {
	case answer != nil:
		s.writeAnswer(w, r, answer, sourceCassette)
	case s.cfg.missPolicy == MissFake:
		return false
	case s.cfg.missPolicy == MissRecord:
		s.forward(w, r, c, body)
	default:
		w.Header()["X-Embedmock-Source"] = sourceCassette
		m := &family.Miss{Family: miss.Key.Family, Kind: miss.Key.Route, Model: miss.Key.Model}
		if miss.Nearest != nil {
			m.Nearest = miss.Nearest.Source
		}
		s.writeFailure(w, r, c, &family.Failure{Status: http.StatusBadRequest, Reason: family.CassetteMiss, Message: miss.Message(), Miss: m})
	}
	return true
}

// credentialHeaders are the families' own headers that carry credentials.
func (s *Server) credentialHeaders() []string {
	var out []string
	for _, f := range s.table.Families() {
		if c, ok := f.(family.Credentialed); ok {
			out = append(out, c.CredentialHeaders()...)
		}
	}
	return out
}

// matcher keys recordings by the server's route table and families (see
// recording.Matcher).
type matcher struct{ table *family.Table }

// Key classifies a recorded request as a live one is.
func (m matcher) Key(method string, u *url.URL, header http.Header, body []byte) recording.Key {
	r := &http.Request{Method: method, URL: u, Header: header}
	c := m.table.Classify(r)
	return recordingKey(r, &c, body)
}

// recordingKey is the key a request of call c is recorded and replayed
// under: its family's canonical path, model and values.
func recordingKey(r *http.Request, c *family.Call, body []byte) recording.Key {
	path, model := r.URL.Path, c.Model
	var rule recording.ValueRule
	if c.Owner != nil {
		path = c.Owner.CanonicalPath(path)
		if model == "" {
			model = c.Owner.Summarize(c, body).Model
		}
		if vc, ok := c.Owner.(family.ValueCanonicalizer); ok {
			rule = vc.CanonicalValue
		}
	}
	return recording.NewKey(c.Family, c.Kind, model, r.Method, path, r.URL.Query(), body, rule)
}

// replayer is the family of k that answers from recorded vectors, and
// k's call.
func (m matcher) replayer(k recording.Key) (family.VectorReplayer, *family.Call) {
	for _, f := range m.table.Families() {
		if vr, ok := f.(family.VectorReplayer); ok && f.Name() == k.Family {
			return vr, &family.Call{Family: k.Family, Kind: k.Route, Model: k.Model, Owner: f}
		}
	}
	return nil, nil
}

func (m matcher) Inputs(k recording.Key, body []byte) ([]string, bool) {
	if vr, c := m.replayer(k); vr != nil {
		return vr.ReplayInputs(c, body)
	}
	return nil, false
}

func (m matcher) Vectors(k recording.Key, answer []byte) ([]json.RawMessage, bool) {
	if vr, c := m.replayer(k); vr != nil {
		return vr.ReplayVectors(c, answer)
	}
	return nil, false
}

func (m matcher) Answer(k recording.Key, vectors []json.RawMessage) []byte {
	if vr, c := m.replayer(k); vr != nil {
		return vr.ReplayAnswer(c, vectors)
	}
	return nil
}

// bufferBody reads the request body (within the body limit, or the file
// limit for uploads) and puts it back for later handlers.
func (s *Server) bufferBody(r *http.Request, upload bool) ([]byte, bool) {
	limit := s.cfg.maxBodyBytes
	if upload {
		limit = max(limit, s.cfg.maxFileBytes)
	}
	if r.ContentLength > limit {
		return nil, false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
	if err != nil || int64(len(body)) > limit {
		return nil, false
	}
	return body, true
}

// writeAnswer replays a recorded response.
func (s *Server) writeAnswer(w http.ResponseWriter, r *http.Request, a *recording.Answer, source []string) {
	if s.cfg.replayLatency && a.Duration > 0 {
		select {
		case <-time.After(a.Duration):
		case <-r.Context().Done():
			return
		}
	}
	copyResponseHeaders(w.Header(), a.Header, family.BaseURL(r))
	w.Header()["X-Embedmock-Source"] = source
	w.Header().Set("Content-Length", fmt.Sprint(len(a.Body)))
	w.WriteHeader(a.Status)
	w.Write(a.Body)
}

// copyResponseHeaders copies recorded or upstream headers to a response,
// without hop-by-hop headers, pointing upload URLs at this server.
func copyResponseHeaders(dst, src http.Header, base string) {
	for name, values := range src {
		dst[name] = append([]string(nil), values...)
	}
	for _, h := range hopHeaders {
		dst.Del(h)
	}
	for _, h := range []string{"X-Goog-Upload-Url", "X-Goog-Upload-Control-Url"} {
		if v := dst.Get(h); v != "" {
			if u, err := url.Parse(v); err == nil && u.Host != "" {
				dst.Set(h, base+u.RequestURI())
			}
		}
	}
}

// handleProxy forwards every request to the upstream and records it (the
// embedmock record command).
func (s *Server) handleProxy(w http.ResponseWriter, r *http.Request, c *family.Call) {
	body, ok := s.bufferBody(r, true)
	if !ok {
		s.writeFailure(w, r, c, family.TooLarge(max(s.cfg.maxBodyBytes, s.cfg.maxFileBytes)))
		return
	}
	s.forward(w, r, c, body)
}

// forward sends the request to the upstream API, records the interaction
// (redacted) and answers with the upstream's response unchanged.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, c *family.Call, body []byte) {
	rec := s.rec
	target := *rec.upstream
	target.Path = strings.TrimSuffix(rec.upstream.Path, "/") + r.URL.Path
	target.RawPath = ""
	target.RawQuery = r.URL.RawQuery
	out, err := http.NewRequestWithContext(context.WithoutCancel(r.Context()), r.Method, target.String(), bytes.NewReader(body))
	if err != nil {
		s.writeFailure(w, r, c, family.Fail(http.StatusBadGateway, "embedmock: cannot build the upstream request: "+errorWithoutURL(err)))
		return
	}
	out.Header = r.Header.Clone()
	for _, h := range append(hopHeaders, "Accept-Encoding") {
		out.Header.Del(h) // Go's transport asks for gzip itself and decodes it
	}
	out.ContentLength = int64(len(body))
	start := time.Now()
	resp, err := rec.client.Do(out)
	if err != nil {
		s.writeFailure(w, r, c, &family.Failure{Status: http.StatusBadGateway, Reason: family.UpstreamFailed,
			Message: "embedmock: the upstream " + rec.upstream.Host + " did not answer: " + errorWithoutURL(err)})
		return
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(resp.Body)
	duration := time.Since(start)
	if err != nil {
		s.writeFailure(w, r, c, &family.Failure{Status: http.StatusBadGateway, Reason: family.UpstreamFailed,
			Message: "embedmock: reading the upstream's answer: " + errorWithoutURL(err)})
		return
	}

	header := w.Header()
	copyResponseHeaders(header, resp.Header, family.BaseURL(r))
	header["X-Embedmock-Source"] = sourceUpstream
	s.record(r, body, resp, header, respBody, duration)
	header.Set("Content-Length", fmt.Sprint(len(respBody)))
	w.WriteHeader(resp.StatusCode)
	w.Write(respBody)
}

// record saves one interaction, redacted, and makes it replayable.
func (s *Server) record(r *http.Request, body []byte, resp *http.Response, header http.Header, respBody []byte, d time.Duration) {
	rec := s.rec
	in := &cassette.Interaction{
		Request: cassette.Request{
			Proto: r.Proto, ProtoMajor: r.ProtoMajor, ProtoMinor: r.ProtoMinor,
			ContentLength: int64(len(body)), Host: rec.upstream.Host,
			Body: string(body), Headers: r.Header.Clone(), Form: url.Values{},
			URL: rec.upstream.Scheme + "://" + rec.upstream.Host + r.URL.RequestURI(), Method: r.Method,
		},
		Response: cassette.Response{
			Proto: resp.Proto, ProtoMajor: resp.ProtoMajor, ProtoMinor: resp.ProtoMinor,
			ContentLength: int64(len(respBody)), Uncompressed: true,
			Body: string(respBody), Headers: header.Clone(), Status: resp.Status, Code: resp.StatusCode, Duration: d,
		},
	}
	in.Response.Headers.Del("X-Embedmock-Source")
	rec.redactor.Redact(in)
	if rec.writer != nil {
		if err := rec.writer.Append(in); err != nil {
			fmt.Fprintf(s.cfg.logOutput, "embedmock: cannot record %s %s: %v\n", r.Method, r.URL.Path, err)
			return
		}
	}
	if rec.library != nil && rec.writer != nil {
		rec.library.Add(in, fmt.Sprintf("%s#%d", rec.writer.Path(), in.ID))
	}
}

// errorWithoutURL is an HTTP client error's text without the request URL,
// which *url.Error quotes whole: with a ?key= query that would put the
// caller's API key into the answer.
func errorWithoutURL(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}
