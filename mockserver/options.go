package mockserver

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/embedmock/embedmock/fakeembed"
	"github.com/embedmock/embedmock/mockserver/gemini"
	"github.com/embedmock/embedmock/mockserver/openai"
)

// Option configures a Server.
type Option func(*config)

// DefaultMaxBodyBytes is the default request body limit: 20 MB, the real
// API's limit for inline batch requests.
const DefaultMaxBodyBytes = 20 << 20

// DefaultMaxCassetteBytes is the default limit on the size of a cassette
// file the server loads.
const DefaultMaxCassetteBytes = 1 << 30

// Defaults of the batch and file limits.
const (
	DefaultMaxFileBytes = 2 << 30 // 2 GiB, the real Files API's limit
	DefaultMaxFiles     = 1000
	DefaultMaxBatches   = 1000
	// DefaultMaxBatchRequests bounds the requests of one batch job: a
	// finished job's results are held whole (about 37 KB per 3072-value
	// vector).
	DefaultMaxBatchRequests = 10000
	DefaultBatchTTL         = 48 * time.Hour
)

type config struct {
	vectorMode     fakeembed.Mode
	geminiModels   []GeminiModel
	legacyModels   bool
	apiKeys        []string
	maxBodyBytes   int64
	clock          Clock
	batchDelay     time.Duration
	batchTTL       time.Duration
	dataDir        string
	maxFileBytes   int64
	maxFiles       int
	maxBatches     int
	maxJobRequests int

	cassettes     []string
	missPolicy    MissPolicy
	upstream      string
	recordTo      string
	overwrite     bool
	proxyAll      bool
	replayLatency bool
	redactHeaders []string
	redactFields  []string
	logOutput     io.Writer

	fakeClock   *FakeClock
	journalSize int
	rpm, tpm    int
	faultRate   float64
	faultStatus int
	faultSeed   uint64

	openAIModels       []OpenAIModel
	openAIEmptyInput   bool
	gradientPrefix     string
	gradientDimensions int
	vectorCacheBytes   int
	adminRoutes        bool
	maxCassetteBytes   int64
}

func defaultConfig() config {
	return config{
		vectorMode:         fakeembed.Lexical,
		geminiModels:       DefaultGeminiModels(),
		maxBodyBytes:       DefaultMaxBodyBytes,
		clock:              time.Now,
		batchTTL:           DefaultBatchTTL,
		maxFileBytes:       DefaultMaxFileBytes,
		maxFiles:           DefaultMaxFiles,
		maxBatches:         DefaultMaxBatches,
		maxJobRequests:     DefaultMaxBatchRequests,
		upstream:           DefaultUpstream,
		journalSize:        DefaultJournalSize,
		faultStatus:        http.StatusServiceUnavailable,
		openAIModels:       DefaultOpenAIModels(),
		gradientPrefix:     DefaultGradientPrefix,
		gradientDimensions: DefaultGradientDimensions,
		vectorCacheBytes:   DefaultVectorCacheBytes,
		logOutput:          io.Discard,
		adminRoutes:        true,
		maxCassetteBytes:   DefaultMaxCassetteBytes,
	}
}

func (c *config) validate() error {
	if c.maxBodyBytes <= 0 {
		return fmt.Errorf("mockserver: max body size must be positive, got %d", c.maxBodyBytes)
	}
	switch {
	case c.clock == nil:
		return errors.New("mockserver: the clock must not be nil")
	case c.batchDelay < 0:
		return fmt.Errorf("mockserver: batch delay must not be negative, got %v", c.batchDelay)
	case c.batchTTL <= 0:
		return fmt.Errorf("mockserver: batch TTL must be positive, got %v", c.batchTTL)
	case c.maxFileBytes <= 0 || c.maxFiles <= 0 || c.maxBatches <= 0 || c.maxJobRequests <= 0:
		return fmt.Errorf("mockserver: file size, file count, batch count and batch size limits must be positive")
	case c.missPolicy == MissRecord && len(c.cassettes) > 0 && c.recordTo == "":
		return errors.New("mockserver: the record miss policy needs a cassette to record to (WithRecordTo)")
	case c.logOutput == nil:
		return errors.New("mockserver: the log output must not be nil")
	case c.rpm < 0 || c.tpm < 0:
		return errors.New("mockserver: rate limits must not be negative")
	case c.faultRate < 0 || c.faultRate > 1:
		return fmt.Errorf("mockserver: the fault rate must be between 0 and 1, got %v", c.faultRate)
	case c.faultRate > 0 && (c.faultStatus < 400 || c.faultStatus > 599):
		return fmt.Errorf("mockserver: the random fault status must be 400-599, got %d", c.faultStatus)
	}
	switch p := c.gradientPrefix; {
	case !strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.ContainsAny(p, "?#:"):
		return fmt.Errorf("mockserver: the Gradient prefix must start with / and not end with one, got %q", p)
	case p == "/_embedmock" || strings.HasPrefix(p, "/_embedmock/"):
		return fmt.Errorf("mockserver: the Gradient prefix %q is taken by the admin API", p)
	case c.gradientDimensions <= 0:
		return fmt.Errorf("mockserver: Gradient dimensions must be positive, got %d", c.gradientDimensions)
	}
	if err := openai.ValidateModels(c.openAIModels); err != nil {
		return err
	}
	if err := gemini.ValidateModels(c.geminiModels); err != nil {
		return err
	}
	for _, k := range c.apiKeys {
		if k == "" {
			return errors.New("mockserver: an accepted API key must not be empty")
		}
	}
	return nil
}

// WithVectorMode selects how vectors are computed (default fakeembed.Lexical).
func WithVectorMode(m fakeembed.Mode) Option {
	return func(c *config) { c.vectorMode = m }
}

// WithGeminiModels replaces the Gemini model catalog (default
// DefaultGeminiModels). Entries marked legacy are served only with
// WithLegacyModels(true).
func WithGeminiModels(models []GeminiModel) Option {
	return func(c *config) {
		c.geminiModels = make([]GeminiModel, len(models))
		for i, m := range models {
			c.geminiModels[i] = m.Clone()
		}
	}
}

// WithLegacyModels serves the catalog's legacy models (text-embedding-004 and
// embedding-001 in the default catalog), which the real API no longer does.
func WithLegacyModels(enabled bool) Option {
	return func(c *config) { c.legacyModels = enabled }
}

// WithAPIKeys accepts only the given API keys; others get the real API's
// API_KEY_INVALID error. By default any non-empty key is accepted.
func WithAPIKeys(keys ...string) Option {
	return func(c *config) { c.apiKeys = slices.Clone(keys) }
}

// WithMaxBodyBytes limits request bodies (default DefaultMaxBodyBytes).
func WithMaxBodyBytes(n int64) Option {
	return func(c *config) { c.maxBodyBytes = n }
}

// WithClock sets the clock that batch job states and file expiry follow
// (default time.Now). Tests pass a controllable clock to step through
// PENDING, RUNNING and SUCCEEDED.
func WithClock(c Clock) Option {
	return func(cfg *config) { cfg.clock = c }
}

// WithBatchDelay sets how long a batch job takes: PENDING for the first
// half, RUNNING for the second, then finished. The default 0 finishes a job
// by the first poll after its creation.
func WithBatchDelay(d time.Duration) Option {
	return func(c *config) { c.batchDelay = d }
}

// WithBatchTTL sets how long a batch job may take before it expires
// (BATCH_STATE_EXPIRED); default 48 hours, as on the real API. Jobs expire
// only when the batch delay is at least this long.
func WithBatchTTL(d time.Duration) Option {
	return func(c *config) { c.batchTTL = d }
}

// WithDataDir persists batch jobs, files and uploads under dir (created if
// needed), so that a restarted server serves everything it had and
// finishes the jobs that were pending. File content is then kept on disk
// instead of in memory. By default everything is in memory.
func WithDataDir(dir string) Option {
	return func(c *config) { c.dataDir = dir }
}

// WithMaxFileBytes limits the size of an uploaded file (default 2 GiB).
func WithMaxFileBytes(n int64) Option {
	return func(c *config) { c.maxFileBytes = n }
}

// WithMaxFiles limits the number of stored files, uploads in progress
// included (default 1000). When the store is full, expired files are
// dropped; if that is not enough, uploads get a 429 RESOURCE_EXHAUSTED.
func WithMaxFiles(n int) Option {
	return func(c *config) { c.maxFiles = n }
}

// WithMaxBatches limits the number of stored batch jobs (default 1000);
// when full, creating a job gets a 429 RESOURCE_EXHAUSTED until jobs are
// deleted.
func WithMaxBatches(n int) Option {
	return func(c *config) { c.maxBatches = n }
}

// WithMaxBatchRequests limits the requests of one batch job, inline or in
// a file (default DefaultMaxBatchRequests); larger jobs are refused with a
// 400 when created.
func WithMaxBatchRequests(n int) Option {
	return func(c *config) { c.maxJobRequests = n }
}

// WithCassettes answers requests from recorded cassettes (go-vcr format):
// files (the .yaml extension may be left out) or directories of *.yaml
// files. Requests match by API family, route, model and canonical request;
// embed requests whose inputs were all recorded are answered from the
// recorded vectors. What no cassette answers is handled by the miss policy.
func WithCassettes(paths ...string) Option {
	return func(c *config) { c.cassettes = slices.Clone(paths) }
}

// WithMissPolicy sets what happens to requests no cassette answers
// (default MissError).
func WithMissPolicy(p MissPolicy) Option {
	return func(c *config) { c.missPolicy = p }
}

// WithUpstream sets the API that requests are forwarded to when recording
// (default DefaultUpstream, the Gemini API).
func WithUpstream(baseURL string) Option {
	return func(c *config) { c.upstream = baseURL }
}

// WithRecordTo sets the cassette that recorded interactions are appended to
// (with MissRecord or WithProxy). With overwrite, an existing cassette is
// replaced instead.
func WithRecordTo(path string, overwrite bool) Option {
	return func(c *config) { c.recordTo, c.overwrite = path, overwrite }
}

// WithProxy makes the server a recording proxy: every request is forwarded
// to the upstream, answered with the upstream's response and recorded to
// the WithRecordTo cassette. The fake is not used.
func WithProxy() Option {
	return func(c *config) { c.proxyAll = true }
}

// WithReplayLatency makes replays wait as long as the recorded request took.
func WithReplayLatency(enabled bool) Option {
	return func(c *config) { c.replayLatency = enabled }
}

// WithRedaction adds header names and JSON field names whose values are
// replaced by REDACTED in recorded interactions, beyond the credentials
// that are always redacted.
func WithRedaction(headers, fields []string) Option {
	return func(c *config) {
		c.redactHeaders = append(c.redactHeaders, headers...)
		c.redactFields = append(c.redactFields, fields...)
	}
}

// WithLogOutput sets where the server reports problems that it cannot
// answer with (such as a failed cassette write); default: discarded. The
// server writes one line at a time and never two at once, so w need not be
// safe for concurrent use.
func WithLogOutput(w io.Writer) Option {
	return func(c *config) {
		c.logOutput = nil
		if w != nil {
			c.logOutput = &serializedWriter{w: w}
		}
	}
}

// serializedWriter lets one Write at a time through to w.
type serializedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *serializedWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// WithFakeClock makes the server follow c (see FakeClock); Server.FakeClock
// returns it, and the admin route /_embedmock/clock moves it.
func WithFakeClock(c *FakeClock) Option {
	return func(cfg *config) { cfg.fakeClock, cfg.clock = c, c.Now }
}

// WithJournalSize sets how many requests the journal keeps (default
// DefaultJournalSize); 0 turns the journal off.
func WithJournalSize(n int) Option {
	return func(c *config) { c.journalSize = n }
}

// WithRateLimits enforces per-API-key quotas: rpm requests and tpm input
// tokens (by the token estimate) per minute, with token buckets refilled
// continuously on the server clock. Exceeding one gets the real API's 429
// RESOURCE_EXHAUSTED with QuotaFailure and RetryInfo and a Retry-After
// header. 0 means no limit.
func WithRateLimits(rpm, tpm int) Option {
	return func(c *config) { c.rpm, c.tpm = rpm, tpm }
}

// WithRandomFaults makes each API request fail with probability rate,
// answered with the API's error for status, from a random sequence seeded
// with seed (the same seed gives the same faults for the same requests).
func WithRandomFaults(rate float64, status int, seed uint64) Option {
	return func(c *config) { c.faultRate, c.faultStatus, c.faultSeed = rate, status, seed }
}

// WithOpenAIModels replaces the OpenAI embedding models (default
// DefaultOpenAIModels).
func WithOpenAIModels(models []OpenAIModel) Option {
	return func(c *config) { c.openAIModels = slices.Clone(models) }
}

// WithOpenAIEmptyInput accepts an empty string as an OpenAI input (as the
// API did in 2023, and as LangChain Python sends for empty texts) instead
// of answering 400 '$.input' is invalid.
func WithOpenAIEmptyInput(accept bool) Option {
	return func(c *config) { c.openAIEmptyInput = accept }
}

// WithGradient sets where the Gradient API is served (default "/api", as in
// https://api.gradient.ai/api) and the dimension of its vectors (default
// 1024, bge-large's).
func WithGradient(prefix string, dimensions int) Option {
	return func(c *config) { c.gradientPrefix, c.gradientDimensions = prefix, dimensions }
}

// WithVectorCacheBytes sets the size of the cache of recently served
// vectors, in bytes of encoded JSON (default DefaultVectorCacheBytes); 0
// turns it off. A text embedded again is answered from the cache, with the
// same bytes it would be computed to.
func WithVectorCacheBytes(n int) Option {
	return func(c *config) { c.vectorCacheBytes = n }
}

// WithAdminRoutes turns the admin API (/_embedmock/...: journal, faults,
// clock, reset, batch failures) on or off on the server's own handler;
// the health check stays. Turned off, the admin API is still available
// from Server.AdminHandler, to be served on an address of its own.
func WithAdminRoutes(on bool) Option {
	return func(c *config) { c.adminRoutes = on }
}

// WithMaxCassetteBytes limits the size of each cassette file loaded (see
// WithCassettes); a larger file fails New. 0 removes the limit.
func WithMaxCassetteBytes(n int64) Option {
	return func(c *config) { c.maxCassetteBytes = n }
}
