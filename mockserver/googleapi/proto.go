package googleapi

import (
	"crypto/rand"
	"net/http"
	"strconv"
	"time"
)

// Timestamp renders t as Google's JSON Timestamp: RFC 3339 in UTC with
// 0, 3, 6 or 9 fractional digits.
func Timestamp(t time.Time) string {
	t = t.UTC()
	ns := t.Nanosecond()
	var layout string
	switch {
	case ns == 0:
		layout = "2006-01-02T15:04:05Z"
	case ns%1e6 == 0:
		layout = "2006-01-02T15:04:05.000Z"
	case ns%1e3 == 0:
		layout = "2006-01-02T15:04:05.000000Z"
	default:
		layout = "2006-01-02T15:04:05.000000000Z"
	}
	return t.Format(layout)
}

// Int64String renders an int64 the way proto3 JSON does: as a string.
func Int64String(n int64) string { return strconv.FormatInt(n, 10) }

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// NewID returns n random lowercase letters and digits, the form of the
// Gemini API's batch (36) and file (12) ids.
func NewID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b)
}

// RPCStatus is a google.rpc.Status: the error of an operation or of one
// request in a batch.
type RPCStatus struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// RPCCode maps an HTTP status to the google.rpc.Code number.
func RPCCode(httpStatus int) int {
	switch httpStatus {
	case http.StatusBadRequest:
		return 3 // INVALID_ARGUMENT
	case http.StatusNotFound:
		return 5 // NOT_FOUND
	case http.StatusForbidden:
		return 7 // PERMISSION_DENIED
	case http.StatusTooManyRequests:
		return 8 // RESOURCE_EXHAUSTED
	case http.StatusServiceUnavailable:
		return 14 // UNAVAILABLE
	}
	return 13 // INTERNAL
}

// RPCStatus returns the rpc status of e, for a failure reported inside an
// operation or a batch result rather than as an HTTP answer.
func (e *Error) RPCStatus() *RPCStatus {
	return &RPCStatus{Code: RPCCode(e.Code), Message: e.Message}
}
