package mockserver

import (
	"net/http"
	"runtime"
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

// streamPiece is the size of the pieces a large answer is written in.
const streamPiece = 64 << 10

// responseStream writes a 200 answer whose size is not known in advance:
// small answers in one piece with a Content-Length, large ones in pieces
// (chunked transfer encoding).
//
// Computing the answer holds one of the server's compute slots (as many as
// processors): under a load of many large requests they are computed
// first come, first served rather than all at once, which keeps the
// slowest answers close to the typical one. The slot is let go while a
// piece is written, so a slow reader holds up no one.
type responseStream struct {
	w http.ResponseWriter
	// header, when set, adds headers just before they are sent.
	header  func(http.Header)
	started bool
	holding bool
}

// computeSlots are the server-wide compute slots of responseStream.
var computeSlots = make(chan struct{}, runtime.GOMAXPROCS(0))

// compute takes a compute slot, if the stream does not hold one.
func (s *responseStream) compute() {
	if !s.holding {
		computeSlots <- struct{}{}
		s.holding = true
	}
}

// release lets the compute slot go.
func (s *responseStream) release() {
	if s.holding {
		<-computeSlots
		s.holding = false
	}
}

// flush writes b when it holds at least piece bytes and returns b emptied,
// or b unchanged.
func (s *responseStream) flush(b []byte, piece int) []byte {
	if len(b) < piece {
		return b
	}
	s.release()
	defer s.compute()
	if !s.started {
		s.started = true
		h := s.w.Header()
		if s.header != nil {
			s.header(h)
		}
		h["Content-Type"] = contentTypeJSON
		s.w.WriteHeader(http.StatusOK)
	}
	s.w.Write(b)
	return b[:0]
}

// finish writes the rest of the answer.
func (s *responseStream) finish(b []byte) {
	s.release()
	if !s.started {
		if s.header != nil {
			s.header(s.w.Header())
		}
		writeJSON(s.w, http.StatusOK, b)
		return
	}
	s.w.Write(b)
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
