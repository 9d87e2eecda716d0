package googleapi

import (
	"cmp"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/embedmock/embedmock/mockserver/family"
)

// Gemini is the family name of the Gemini API's packages.
const Gemini = "gemini"

// Base is what the Gemini API's packages share as families: the name,
// API-key authentication, canonical paths without the API version, and
// failures rendered in Google's envelope. Each package embeds it and adds
// its routes (and, where it has them, claims and summaries).
type Base struct {
	Env *family.Env
}

// Name is the family's name.
func (Base) Name() string { return Gemini }

// Claim claims nothing; the package that serves models does.
func (Base) Claim(*http.Request) (kind, model string, ok bool) { return "", "", false }

// Summarize reports nothing; packages with embedding routes do.
func (Base) Summarize(*family.Call, []byte) family.Summary { return family.Summary{} }

// SplitPath splits a Gemini API path into its optional upload or download
// prefix, its version and the resource after it.
func SplitPath(path string) (prefix, version, rest string, ok bool) {
	p, found := strings.CutPrefix(path, "/")
	if !found {
		return "", "", "", false
	}
	for _, pre := range []string{"upload/", "download/"} {
		if r, cut := strings.CutPrefix(p, pre); cut {
			prefix, p = pre[:len(pre)-1], r
			break
		}
	}
	version, rest, found = strings.Cut(p, "/")
	if !found || (version != "v1beta" && version != "v1" && version != "v1alpha") {
		return "", "", "", false
	}
	return prefix, version, rest, true
}

// CanonicalPath drops the API version: v1beta and v1 answer alike.
func (Base) CanonicalPath(path string) string {
	prefix, _, rest, ok := SplitPath(path)
	if !ok {
		return path
	}
	return "/" + prefix + "/" + rest
}

// APIKey is the request's API key: the x-goog-api-key header, or else the
// key query parameter.
func APIKey(r *http.Request) string {
	key := r.Header.Get("X-Goog-Api-Key")
	if key == "" && r.URL.RawQuery != "" {
		key = r.URL.Query().Get("key")
	}
	return key
}

// CredentialHeaders are the headers that carry the API key, and the
// signature of an upload URL.
func (Base) CredentialHeaders() []string {
	return []string{"X-Goog-Api-Key", "X-Goog-Upload-Url-Signature"}
}

// Caller is the request's API key.
func (Base) Caller(r *http.Request) string { return APIKey(r) }

// KeyError checks the API key, answering as the real API does.
func (b Base) KeyError(r *http.Request) *Error {
	switch key := APIKey(r); {
	case key == "":
		return MissingAPIKey()
	case !b.Env.Accepts(key):
		return InvalidAPIKey()
	}
	return nil
}

// Authenticate checks the API key.
func (b Base) Authenticate(r *http.Request, _ *family.Call) *family.Failure {
	if e := b.KeyError(r); e != nil {
		return e.Failure()
	}
	return nil
}

// Failure wraps e for the pipeline.
func (e *Error) Failure() *family.Failure {
	return &family.Failure{Status: e.Code, Message: e.Message, Detail: e}
}

// WriteFailure answers with f in Google's envelope, with the front end's
// headers.
func (Base) WriteFailure(w http.ResponseWriter, _ *http.Request, c *family.Call, f *family.Failure) {
	SetHeaders(w.Header())
	WriteError(w, Render(f, c.Model))
}

// Render is f as the Gemini API words it; model names the quota of
// quota failures.
func Render(f *family.Failure, model string) *Error {
	if e, ok := f.Detail.(*Error); ok {
		return e
	}
	switch f.Reason {
	case family.BodyTooLarge:
		return PayloadTooLarge(f.Limit)
	case family.Fault:
		return faultError(f.Status, model)
	case family.QuotaExhausted:
		q := RequestQuota
		if f.Quota.Tokens {
			q = TokenQuota
		}
		return QuotaError(model, q, f.Quota.Limit, f.RetryAfter)
	case family.CassetteMiss:
		return cassetteMiss(f)
	case family.UpstreamFailed:
		e := NewError(f.Status, f.Message)
		e.Status = "UNAVAILABLE"
		return e
	}
	return NewError(f.Status, f.Message)
}

// cassetteMiss is the answer to a request no cassette holds.
func cassetteMiss(f *family.Failure) *Error {
	m := f.Miss
	metadata := map[string]any{"family": m.Family, "route": m.Kind}
	if m.Model != "" {
		metadata["model"] = m.Model
	}
	if m.Nearest != "" {
		metadata["nearest"] = m.Nearest
	}
	e := NewError(f.Status, f.Message, map[string]any{
		"@type":    "type.googleapis.com/google.rpc.ErrorInfo",
		"reason":   "CASSETTE_MISS",
		"domain":   "embedmock",
		"metadata": metadata,
	})
	e.Status = "FAILED_PRECONDITION"
	return e
}

// faultError is the API's canonical error for an injected status.
func faultError(status int, model string) *Error {
	if status == http.StatusTooManyRequests {
		return QuotaError(model, RequestQuota, 100, time.Second)
	}
	return NewError(status, family.FaultText(status))
}

// Quota names a Gemini API quota.
type Quota struct {
	metric, id string
}

// The quotas of the embedding methods (free tier, as the real API names
// them in its 429s).
var (
	RequestQuota = Quota{"generativelanguage.googleapis.com/embed_content_free_tier_requests",
		"EmbedContentRequestsPerMinutePerUserPerProjectPerModel-FreeTier"}
	TokenQuota = Quota{"generativelanguage.googleapis.com/embed_content_free_tier_input_token_count",
		"EmbedContentInputTokensPerModelPerMinute-FreeTier"}
)

// QuotaError is the API's 429 for an exhausted quota, with Help,
// QuotaFailure and RetryInfo details.
func QuotaError(model string, q Quota, limit int, retry time.Duration) *Error {
	model = cmp.Or(model, "gemini-embedding-001")
	msg := fmt.Sprintf("You exceeded your current quota, please check your plan and billing details. "+
		"For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. "+
		"To monitor your current usage, head to: https://ai.dev/rate-limit. \n"+
		"* Quota exceeded for metric: %s, limit: %d, model: %s\nPlease retry in %s.", q.metric, limit, model, retry)
	return NewError(http.StatusTooManyRequests, msg,
		map[string]any{
			"@type": "type.googleapis.com/google.rpc.Help",
			"links": []any{map[string]any{"description": "Learn more about Gemini API quotas", "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}},
		},
		map[string]any{
			"@type": "type.googleapis.com/google.rpc.QuotaFailure",
			"violations": []any{map[string]any{
				"quotaMetric":     q.metric,
				"quotaId":         q.id,
				"quotaDimensions": map[string]any{"location": "global", "model": model},
				"quotaValue":      strconv.Itoa(limit),
			}},
		},
		map[string]any{
			"@type":      "type.googleapis.com/google.rpc.RetryInfo",
			"retryDelay": strconv.Itoa(int((retry+time.Second-1)/time.Second)) + "s",
		})
}
