// Package vectorwire writes embedding answers: vectors as JSON numbers
// that read back as exactly the same float32 values, or as base64; a
// bounded cache of encoded vectors; and large answers streamed in pieces
// while compute slots keep many large requests first come, first served.
//
// It knows nothing of any API's field names: families assemble their
// envelopes around what it writes.
package vectorwire

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strconv"
	"sync"
)

// ContentTypeJSON is the Content-Type of JSON answers. It is assigned to
// header maps directly (no per-request allocation) and never modified.
var ContentTypeJSON = []string{"application/json; charset=UTF-8"}

// WriteJSON answers with a JSON body.
func WriteJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = ContentTypeJSON
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	w.Write(body)
}

// StreamPiece is the size of the pieces a large answer is written in.
const StreamPiece = 64 << 10

// Slots are a server's compute slots: as many as processors.
type Slots chan struct{}

// NewSlots returns n compute slots.
func NewSlots(n int) Slots { return make(Slots, max(n, 1)) }

// Stream writes a 200 answer whose size is not known in advance: small
// answers in one piece with a Content-Length, large ones in pieces
// (chunked transfer encoding).
//
// Computing the answer holds one of the server's compute slots: under a
// load of many large requests they are computed first come, first served
// rather than all at once, which keeps the slowest answers close to the
// typical one. The slot is let go while a piece is written, so a slow
// reader holds up no one.
type Stream struct {
	W     http.ResponseWriter
	Slots Slots
	// Header, when set, adds headers just before they are sent.
	Header  func(http.Header)
	started bool
	holding bool
}

// Compute takes a compute slot, if the stream does not hold one.
func (s *Stream) Compute() {
	if !s.holding && s.Slots != nil {
		s.Slots <- struct{}{}
		s.holding = true
	}
}

// Release lets the compute slot go.
func (s *Stream) Release() {
	if s.holding {
		<-s.Slots
		s.holding = false
	}
}

// Flush writes b when it holds at least StreamPiece bytes and returns b
// emptied, or b unchanged.
func (s *Stream) Flush(b []byte) []byte {
	if len(b) < StreamPiece {
		return b
	}
	s.Release()
	defer s.Compute()
	if !s.started {
		s.started = true
		h := s.W.Header()
		if s.Header != nil {
			s.Header(h)
		}
		h["Content-Type"] = ContentTypeJSON
		s.W.WriteHeader(http.StatusOK)
	}
	s.W.Write(b)
	return b[:0]
}

// Finish writes the rest of the answer.
func (s *Stream) Finish(b []byte) {
	s.Release()
	if !s.started {
		if s.Header != nil {
			s.Header(s.W.Header())
		}
		WriteJSON(s.W, http.StatusOK, b)
		return
	}
	s.W.Write(b)
}

// AppendVector appends v as a JSON array of numbers that read back as
// exactly the same float32 values (see appendFloat32).
func AppendVector(b []byte, v []float32) []byte {
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

// AppendBase64Vector appends v as a JSON string: the standard base64 of
// its float32 values, little-endian.
func AppendBase64Vector(b []byte, v []float32) []byte {
	// In blocks of 192 values (768 bytes, a multiple of base64's 3-byte
	// groups, so the blocks' encodings join into the whole's) through a
	// buffer on the stack.
	var raw [768]byte
	b = append(b, '"')
	for len(v) > 0 {
		block := v[:min(len(v), len(raw)/4)]
		v = v[len(block):]
		for i, x := range block {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
		}
		b = base64.StdEncoding.AppendEncode(b, raw[:4*len(block)])
	}
	return append(b, '"')
}

// buffers recycles response and vector buffers between requests.
var (
	bodyBuffers   = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}
	vectorBuffers = sync.Pool{New: func() any { v := make([]float32, 0, 3072); return &v }}
)

// GetBody returns an empty response buffer from a pool.
func GetBody() *[]byte { b := bodyBuffers.Get().(*[]byte); *b = (*b)[:0]; return b }

// PutBody returns a buffer to the pool unless it grew very large.
func PutBody(b *[]byte) {
	if cap(*b) <= 4<<20 {
		bodyBuffers.Put(b)
	}
}

// MustMarshal encodes v, which holds only JSON-safe types, as JSON.
func MustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only JSON-safe types are marshalled
	}
	return b
}
