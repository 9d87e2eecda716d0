package googleapi

import "net/http"

// Header values Google's front end puts on every JSON response. They are
// assigned to header maps directly (no per-request allocation) and never
// modified.
var (
	contentTypeJSON     = []string{"application/json; charset=UTF-8"}
	googleVary          = []string{"Origin", "X-Origin", "Referer"}
	googleServer        = []string{"scaffolding on HTTPServer2"}
	googleNoSniff       = []string{"nosniff"}
	googleFrameOptions  = []string{"SAMEORIGIN"}
	googleXSSProtection = []string{"0"}
)

// SetHeaders sets the headers Google's front end puts on every JSON
// response.
func SetHeaders(h http.Header) {
	h["Content-Type"] = contentTypeJSON
	h["Vary"] = googleVary
	h["Server"] = googleServer
	h["X-Content-Type-Options"] = googleNoSniff
	h["X-Frame-Options"] = googleFrameOptions
	h["X-Xss-Protection"] = googleXSSProtection
}
