package mockserver

import (
	"net/http"
	"slices"
	"strconv"
	"sync"
)

// Header values shared by all responses. They are assigned to header maps
// directly (no per-request allocation) and never modified.
var (
	contentTypeJSON = []string{"application/json; charset=UTF-8"}
	sourceFake      = []string{"fake"}

	googleVary          = []string{"Origin", "X-Origin", "Referer"}
	googleServer        = []string{"scaffolding on HTTPServer2"}
	googleNoSniff       = []string{"nosniff"}
	googleFrameOptions  = []string{"SAMEORIGIN"}
	googleXSSProtection = []string{"0"}
)

// setGoogleHeaders sets the headers Google's front end puts on every JSON
// response.
func setGoogleHeaders(h http.Header) {
	h["Content-Type"] = contentTypeJSON
	h["Vary"] = googleVary
	h["Server"] = googleServer
	h["X-Content-Type-Options"] = googleNoSniff
	h["X-Frame-Options"] = googleFrameOptions
	h["X-Xss-Protection"] = googleXSSProtection
}

// writeJSON answers with a JSON body.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = contentTypeJSON
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	w.Write(body)
}

// appendVector appends v as a JSON array of numbers that read back as
// exactly the same float32 values (see appendFloat32).
func appendVector(b []byte, v []float32) []byte {
	b = slices.Grow(b, 2+len(v)*(maxFloat32Len+1))
	w := len(b)
	b = b[:cap(b)]
	b[w] = '['
	w++
	for i, x := range v {
		if i > 0 {
			b[w] = ','
			w++
		}
		w += putFloat32(b[w:], x)
	}
	b[w] = ']'
	return b[:w+1]
}

// buffers recycles response and vector buffers between requests.
var (
	bodyBuffers    = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}
	vectorBuffers  = sync.Pool{New: func() any { v := make([]float32, 0, 3072); return &v }}
	requestBuffers = sync.Pool{New: func() any { r := make([]embedRequest, 0, maxBatchRequests); return &r }}
)

func getBody() *[]byte { b := bodyBuffers.Get().(*[]byte); *b = (*b)[:0]; return b }

// putBody returns a buffer to the pool unless it grew very large.
func putBody(b *[]byte) {
	if cap(*b) <= 4<<20 {
		bodyBuffers.Put(b)
	}
}
