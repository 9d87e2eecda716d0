// Package family is the contract between embedmock's server and the
// packages that each fake one API family (Gemini, OpenAI, Gradient, ...).
//
// A family package provides a Family: its routes (with their handlers), the
// paths it claims beyond them, how it authenticates a request, how it
// summarises a request body, and how it renders a Failure in its own error
// envelope. The server builds one Table from the families it serves;
// every request is classified once by that table into a Call, which every
// stage of the request pipeline (journal, rate limits, faults, replay,
// recording keys, dispatch) then reads.
//
// This package holds no API's wire details: it names no route, field or
// error text of any family. It is not the server either: the pipeline,
// the admin API and the options live in package mockserver.
package family

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/embedmock/embedmock/fakeembed"
	"github.com/embedmock/embedmock/mockserver/vectorwire"
)

// Family is one API family as the server sees it.
type Family interface {
	// Name is the family's name in the journal, faults and recordings
	// ("gemini", "openai", ...).
	Name() string
	// Routes are the routes the family serves, in matching order.
	Routes() []Route
	// Claim classifies a request that no route matched but whose path
	// belongs to the family (an endpoint the fake does not serve but a
	// cassette may hold). It reports false for paths of other families.
	Claim(r *http.Request) (kind, model string, ok bool)
	// CanonicalPath is the path as recordings compare it: without what
	// does not change the answer, such as an API version.
	CanonicalPath(path string) string
	// Caller names who sends a request (its API key), for per-caller
	// rate limits; "" when it carries no credentials.
	Caller(r *http.Request) string
	// Authenticate checks a request's credentials; nil accepts them.
	Authenticate(r *http.Request, c *Call) *Failure
	// WriteFailure answers with f in the family's error envelope.
	WriteFailure(w http.ResponseWriter, r *http.Request, c *Call, f *Failure)
	// Summarize describes a request body for the journal, the token
	// quota and the recording keys. It never fails: what it cannot read
	// is left zero.
	Summarize(c *Call, body []byte) Summary
}

// Summary is what a request body says that the pipeline needs.
type Summary struct {
	Model      string // the body's model, when the URL names none
	Inputs     int    // inputs to embed
	TaskType   string // of the first input
	Dimensions int    // requested output dimension of the first input
	Tokens     int    // estimated input tokens, for the token quota
}

// Env is what a family gets from the server it runs in.
type Env struct {
	// Mode is how vectors are computed.
	Mode fakeembed.Mode
	// KeyAccepted tells whether an API key is accepted; nil accepts any
	// non-empty key.
	KeyAccepted func(key string) bool
	// Now is the server clock.
	Now func() time.Time
	// MaxBodyBytes bounds request bodies.
	MaxBodyBytes int64
	// Vectors caches encoded vectors; nil caches nothing.
	Vectors *vectorwire.Cache
	// Slots are the server's compute slots for large answers.
	Slots vectorwire.Slots
	// Quota reports a caller's rate limits (see Family.Caller), for
	// families that announce them in headers.
	Quota func(caller string) QuotaStatus
	// Log receives problems the server cannot answer with.
	Log io.Writer
}

// Accepts reports whether key is an accepted API key.
func (e *Env) Accepts(key string) bool {
	return key != "" && (e.KeyAccepted == nil || e.KeyAccepted(key))
}

// QuotaStatus is the state of a caller's rate limits; a zero limit means
// none is configured.
type QuotaStatus struct {
	RequestsPerMinute, TokensPerMinute int
	RemainingRequests, RemainingTokens int
}

// VectorReplayer is implemented by families whose embedding answers can
// be assembled from recorded vectors, so that a request whose inputs were
// all recorded, in any grouping, replays without a recording of its own.
type VectorReplayer interface {
	// ReplayInputs returns one string per embedding input of a request,
	// naming everything its vector depends on; false when the request
	// cannot be answered from recorded vectors.
	ReplayInputs(c *Call, body []byte) ([]string, bool)
	// ReplayVectors returns the vectors of an answer, one per input.
	ReplayVectors(c *Call, answer []byte) ([]json.RawMessage, bool)
	// ReplayAnswer assembles an answer from its inputs' vectors.
	ReplayAnswer(c *Call, vectors []json.RawMessage) []byte
}

// Credentialed is implemented by families whose requests carry
// credentials in headers of their own (beyond Authorization, Api-Key,
// X-Api-Key and cookies): recordings redact them.
type Credentialed interface {
	CredentialHeaders() []string
}

// ValueCanonicalizer is implemented by families whose requests spell some
// values in several ways (an enum by number or name, an int64 as a number
// or a string), so that recordings match them as one.
type ValueCanonicalizer interface {
	// CanonicalValue rewrites the value of a field (snake_case name);
	// ok false keeps it.
	CanonicalValue(field string, v any) (out any, ok bool)
}
