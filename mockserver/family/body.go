package family

import (
	"errors"
	"io"
	"net/http"
	"strings"
)

// ReadBody reads a whole request body of at most limit bytes.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *Failure) {
	if r.ContentLength > limit {
		return nil, TooLarge(limit)
	}
	var body []byte
	var err error
	if r.ContentLength > 0 {
		body = make([]byte, r.ContentLength)
		_, err = io.ReadFull(r.Body, body)
	} else {
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	}
	return body, ReadError(err, limit)
}

// ReadError is the failure of an error met reading a body of at most
// limit bytes; nil for nil.
func ReadError(err error, limit int64) *Failure {
	var tooLarge *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tooLarge):
		return TooLarge(limit)
	}
	return &Failure{Status: http.StatusBadRequest, Reason: BodyUnreadable, Message: "Failed to read the request body: " + err.Error()}
}

// BaseURL is the scheme and host the client used to reach the server, for
// URLs that point back at it.
func BaseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	return scheme + "://" + r.Host
}

// BearerToken is the token of an Authorization: Bearer header, "" when
// there is none.
func BearerToken(r *http.Request) string {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return strings.TrimSpace(token)
}
