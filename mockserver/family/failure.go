package family

import (
	"fmt"
	"net/http"
	"time"
)

// Reason says why a request failed, for failures raised outside a family
// (body limits, test controls, quotas, replay, the upstream), which each
// family renders in its own words.
type Reason int

const (
	// Unspecified failures are rendered from Status and Message.
	Unspecified Reason = iota
	// BodyTooLarge: the body exceeds Limit bytes.
	BodyTooLarge
	// BodyUnreadable: reading the body failed.
	BodyUnreadable
	// Fault: an injected fault with Status.
	Fault
	// QuotaExhausted: a rate limit; Quota says which.
	QuotaExhausted
	// CassetteMiss: no recording answers the request; Miss says why.
	CassetteMiss
	// UpstreamFailed: the recorded API did not answer (502).
	UpstreamFailed
)

// Failure is an error answer described once, independent of any family's
// envelope.
type Failure struct {
	Status  int
	Reason  Reason
	Message string
	// Limit is the body limit of BodyTooLarge.
	Limit int64
	// Quota describes QuotaExhausted.
	Quota *Quota
	// Miss describes CassetteMiss.
	Miss *Miss
	// RetryAfter, when set, is sent as Retry-After (seconds, rounded up).
	RetryAfter time.Duration
	// Detail is the exact error of the family that raised the failure
	// (its own type), which that family renders as is.
	Detail any
}

func (f *Failure) Error() string { return fmt.Sprintf("%d: %s", f.Status, f.Message) }

// Quota describes an exhausted rate limit.
type Quota struct {
	Tokens    bool // the tokens-per-minute quota, else requests per minute
	Limit     int  // per minute
	Requested int  // what the request needed
	Used      int  // already used within the minute
}

// Miss describes a request no recording answers.
type Miss struct {
	Family, Kind, Model string
	Nearest             string // the nearest recorded interaction; "" if none
}

// Fail returns a failure with a status and message only.
func Fail(status int, message string) *Failure {
	return &Failure{Status: status, Message: message}
}

// TooLarge is the failure of a body over limit bytes.
func TooLarge(limit int64) *Failure {
	return &Failure{Status: http.StatusRequestEntityTooLarge, Reason: BodyTooLarge, Limit: limit,
		Message: fmt.Sprintf("Request payload size exceeds the limit: %d bytes.", limit)}
}

// SetRetryAfter sets the Retry-After header of a failure that has one.
func (f *Failure) SetRetryAfter(h http.Header) {
	if f.RetryAfter > 0 {
		h.Set("Retry-After", fmt.Sprint(int((f.RetryAfter+time.Second-1)/time.Second)))
	}
}

// FaultText is the message of an injected fault with an HTTP status, for
// families without words of their own for it: the Gemini API's texts,
// which embedmock has always answered with, and its own for other
// statuses.
func FaultText(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "Request contains an invalid argument."
	case http.StatusUnauthorized:
		return "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential."
	case http.StatusForbidden:
		return "The caller does not have permission"
	case http.StatusNotFound:
		return "Requested entity was not found."
	case http.StatusInternalServerError:
		return "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"
	case http.StatusServiceUnavailable:
		return "The model is overloaded. Please try again later."
	case http.StatusGatewayTimeout:
		return "Deadline expired before operation could complete."
	}
	return fmt.Sprintf("embedmock: injected fault (%d %s)", status, http.StatusText(status))
}
