package mockserver

import (
	"errors"
	"fmt"
	"slices"

	"github.com/embedmock/embedmock/fakeembed"
)

// Option configures a Server.
type Option func(*config)

// DefaultMaxBodyBytes is the default request body limit: 20 MB, the real
// API's limit for inline batch requests.
const DefaultMaxBodyBytes = 20 << 20

type config struct {
	vectorMode   fakeembed.Mode
	geminiModels []GeminiModel
	legacyModels bool
	apiKeys      []string
	maxBodyBytes int64
}

func defaultConfig() config {
	return config{
		vectorMode:   fakeembed.Lexical,
		geminiModels: DefaultGeminiModels(),
		maxBodyBytes: DefaultMaxBodyBytes,
	}
}

func (c *config) validate() error {
	if c.maxBodyBytes <= 0 {
		return fmt.Errorf("mockserver: max body size must be positive, got %d", c.maxBodyBytes)
	}
	if err := validateGeminiModels(c.geminiModels); err != nil {
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
			c.geminiModels[i] = m.clone()
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
