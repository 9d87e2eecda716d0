package fakeembed

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"sync"
)

// Version names the vector algorithm this package implements.
const Version = "v1"

// Mode selects how vectors are derived from their input.
type Mode uint8

const (
	// Lexical vectors share components when their texts share words, so
	// nearest-neighbour search over them behaves like a (crude) real model.
	Lexical Mode = iota
	// Hash vectors are a pseudo-random unit vector per distinct input:
	// unrelated for any two inputs that differ at all.
	Hash
)

// String returns the mode's name as accepted by ParseMode.
func (m Mode) String() string {
	switch m {
	case Lexical:
		return "lexical"
	case Hash:
		return "hash"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// ParseMode returns the Mode named s ("lexical" or "hash").
func ParseMode(s string) (Mode, error) {
	switch s {
	case "lexical":
		return Lexical, nil
	case "hash":
		return Hash, nil
	}
	return 0, fmt.Errorf("fakeembed: unknown vector mode %q (want lexical or hash)", s)
}

// Truncation says how a vector is cut to fewer dimensions than the model's
// native dimension.
type Truncation uint8

const (
	// KeepScale keeps the first components as they are, so a cut vector is
	// shorter than unit length (Gemini outputDimensionality).
	KeepScale Truncation = iota
	// Renormalize divides the first components by their norm, so a cut
	// vector has unit length (OpenAI dimensions).
	Renormalize
)

// Input is what a vector is computed from. See the package documentation for
// how each API maps its request onto these fields.
type Input struct {
	Model string // model id without the "models/" prefix
	Task  string // canonical task type name; "" when unset
	Title string // "" when unset
	Text  string
}

// Shape gives a vector's dimensions.
type Shape struct {
	// Dimensions is the model's native dimension D; it must be positive.
	Dimensions int
	// Output is the number of components returned; 0 means Dimensions.
	// It must not exceed Dimensions.
	Output int
	// Truncation applies when Output < Dimensions, and for Renormalize
	// also when Output is given equal to Dimensions.
	Truncation Truncation
}

func (s Shape) outputLen() int {
	if s.Dimensions <= 0 {
		panic(fmt.Sprintf("fakeembed: Shape.Dimensions must be positive, got %d", s.Dimensions))
	}
	if s.Output < 0 || s.Output > s.Dimensions {
		panic(fmt.Sprintf("fakeembed: Shape.Output %d outside 0..%d", s.Output, s.Dimensions))
	}
	if s.Output == 0 {
		return s.Dimensions
	}
	return s.Output
}

// Vector returns the vector for in with the given mode and shape.
func Vector(mode Mode, in Input, shape Shape) []float32 {
	return AppendVector(make([]float32, 0, shape.outputLen()), mode, in, shape)
}

// AppendVector appends the vector for in to dst and returns the extended
// slice. It allocates nothing when dst has room for the output.
func AppendVector(dst []float32, mode Mode, in Input, shape Shape) []float32 {
	d := shape.outputLen()
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	vec, norm := sc.unscaled(mode, in, shape.Dimensions)
	if shape.Truncation == Renormalize && shape.Output != 0 {
		unit := vec[:d]
		divide(unit, norm)
		cut := euclideanNorm(unit)
		for _, x := range unit {
			dst = append(dst, float32(x/cut))
		}
		return dst
	}
	for _, x := range vec[:d] {
		dst = append(dst, float32(x/norm))
	}
	return dst
}

// Unit returns the float64 unit vector of native dimension dims that every
// output shape is cut from, reusing dst's storage when it is large enough.
func Unit(dst []float64, mode Mode, in Input, dims int) []float64 {
	Shape{Dimensions: dims}.outputLen() // validates dims
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	vec, norm := sc.unscaled(mode, in, dims)
	divide(vec, norm)
	return append(dst[:0], vec...)
}

// EstimateTokens estimates the number of tokens in text as
// ceil(len(text)/4) over its UTF-8 bytes: 0 for "", at least 1 otherwise.
func EstimateTokens(text string) int {
	return (len(text) + 3) / 4
}

// TruncateToTokens returns the longest prefix of text whose token estimate
// does not exceed limit, cut at a UTF-8 character boundary. Text within the
// limit is returned unchanged.
func TruncateToTokens(text string, limit int) string {
	if limit < 0 {
		limit = 0
	}
	if limit >= EstimateTokens(text) { // also keeps 4*limit from overflowing
		return text
	}
	cut := 4 * limit
	// Back up over UTF-8 continuation bytes so no character is split.
	for cut > 0 && text[cut]&0xC0 == 0x80 {
		cut--
	}
	return text[:cut]
}

// scratch holds the per-call working memory, pooled so that steady-state
// calls allocate nothing but their output.
type scratch struct {
	vec      []float64
	acc      []float64 // all zero between calls
	touched  []int     // indexes of acc written by the current call
	seedText []byte
	lex      lexicon
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// unscaled computes the vector up to its last step: the unit vector is
// vec divided by norm, component by component. Leaving the division to the
// caller lets it divide only the components it returns; the passes are
// fused, but every value is computed with the same operations in the same
// order as the package documentation states, so the results are bit for
// bit those of the plain algorithm.
func (sc *scratch) unscaled(mode Mode, in Input, dims int) (vec []float64, norm float64) {
	sc.vec = resize(sc.vec, dims)
	x := sc.vec
	xNorm := sc.hashDraws(x, in)
	if mode == Hash {
		return x, xNorm
	}
	if len(sc.acc) != dims {
		sc.acc = make([]float64, dims)
	}
	acc := sc.acc
	sc.touched = sc.lex.accumulate(acc, sc.touched[:0], in)
	// ‖acc‖ in index order. When few components were written, only they
	// are summed, in index order: the others add exact zeros.
	var sum float64
	if sparse := len(sc.touched) < len(acc)/8; sparse {
		slices.Sort(sc.touched)
		sc.touched = slices.Compact(sc.touched)
		for _, i := range sc.touched {
			sum += float64(acc[i] * acc[i])
		}
		defer func() {
			for _, i := range sc.touched {
				acc[i] = 0
			}
		}()
	} else {
		for _, a := range acc {
			sum += float64(a * a)
		}
		defer clear(acc)
	}
	accNorm := math.Sqrt(sum)
	if accNorm == 0 {
		return x, xNorm
	}
	sum = 0
	for i, a := range acc {
		v := float64(0.15 * (x[i] / xNorm))
		if a != 0 {
			// Where a is 0, a/accNorm is +0 and adding it changes nothing
			// (v is never -0), so only the written components divide.
			v = a/accNorm + v
		}
		x[i] = v
		sum += float64(v * v)
	}
	return x, math.Sqrt(sum)
}

// hashDraws fills x with the hash-mode draws for in and returns their norm:
// the hash-mode unit vector is x divided by it.
func (sc *scratch) hashDraws(x []float64, in Input) float64 {
	b := append(sc.seedText[:0], "embedmock.v1\x00"...)
	b = append(b, in.Model...)
	b = append(b, 0)
	b = append(b, in.Task...)
	b = append(b, 0)
	b = append(b, in.Title...)
	b = append(b, 0)
	b = append(b, in.Text...)
	sc.seedText = b
	sum := sha256.Sum256(b)
	rng := splitMix64(binary.LittleEndian.Uint64(sum[:8]))
	var sq float64
	for j := range x {
		v := uniform(rng.next())
		x[j] = v
		sq += float64(v * v)
	}
	return math.Sqrt(sq)
}

// splitMix64 is the SplitMix64 generator; its value is the state.
type splitMix64 uint64

func (s *splitMix64) next() uint64 {
	*s += 0x9E3779B97F4A7C15
	z := uint64(*s)
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// uniform maps z to [-1, 1) using its top 53 bits.
func uniform(z uint64) float64 {
	// z>>11 < 2^53 converts exactly either way; through int64 it is one
	// instruction.
	return float64(float64(int64(z>>11))*0x1p-53)*2 - 1
}

// euclideanNorm is sqrt of the sum of squares, summed in index order.
func euclideanNorm(x []float64) float64 {
	var sum float64
	for _, v := range x {
		sum += float64(v * v)
	}
	return math.Sqrt(sum)
}

// divide divides every component of x by d.
func divide(x []float64, d float64) {
	for i := range x {
		x[i] /= d
	}
}

func resize(x []float64, n int) []float64 {
	if cap(x) < n {
		return make([]float64, n)
	}
	return x[:n]
}
