package fakeembed

import (
	"fmt"
	"math"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func norm(v []float32) float64 {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	return math.Sqrt(sum)
}

func cosine(a, b []float32) float64 {
	var dot float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
	}
	return dot / (norm(a) * norm(b))
}

var full = Shape{Dimensions: 3072}

func TestVectorIsUnitAtFullSize(t *testing.T) {
	for _, mode := range []Mode{Lexical, Hash} {
		for _, text := range []string{"", "x", fox, "Grüße 東京 👋"} {
			v := Vector(mode, Input{Model: "gemini-embedding-001", Text: text}, full)
			require.Len(t, v, 3072)
			assert.InDelta(t, 1, norm(v), 1e-6, "%s %q", mode, text)
		}
	}
}

func TestTruncation(t *testing.T) {
	in := Input{Model: "gemini-embedding-001", Text: fox}
	whole := Vector(Lexical, in, full)

	kept := Vector(Lexical, in, Shape{Dimensions: 3072, Output: 256})
	assert.Equal(t, whole[:256], kept, "KeepScale returns a prefix of the full vector")
	assert.Less(t, norm(kept), 0.99, "a cut vector is not re-normalised")

	renorm := Vector(Lexical, in, Shape{Dimensions: 3072, Output: 256, Truncation: Renormalize})
	assert.InDelta(t, 1, norm(renorm), 1e-6)
	assert.InDelta(t, 1, cosine(kept, renorm), 1e-6, "same direction as the prefix")

	// Renormalize without an output dimension is the plain vector.
	assert.Equal(t, whole, Vector(Lexical, in, Shape{Dimensions: 3072, Truncation: Renormalize}))
}

func TestEveryInputFieldChangesTheVector(t *testing.T) {
	base := Input{Model: "gemini-embedding-001", Task: "RETRIEVAL_DOCUMENT", Title: "T", Text: fox}
	variants := map[string]Input{
		"model": {Model: "gemini-embedding-2", Task: base.Task, Title: base.Title, Text: base.Text},
		"task":  {Model: base.Model, Task: "RETRIEVAL_QUERY", Title: base.Title, Text: base.Text},
		"title": {Model: base.Model, Task: base.Task, Title: "U", Text: base.Text},
		"text":  {Model: base.Model, Task: base.Task, Title: base.Title, Text: fox + " "},
	}
	for _, mode := range []Mode{Lexical, Hash} {
		want := Vector(mode, base, full)
		assert.Equal(t, want, Vector(mode, base, full), "deterministic")
		for field, in := range variants {
			assert.NotEqual(t, want, Vector(mode, in, full), "%s: changing %s", mode, field)
		}
	}
}

func TestLexicalSimilarityFollowsSharedWords(t *testing.T) {
	embed := func(text string) []float32 {
		return Vector(Lexical, Input{Model: "gemini-embedding-001", Text: text}, full)
	}
	query := embed("capital of France")
	related := embed("Paris is the capital of France.")
	unrelated := embed("Photosynthesis converts light into chemical energy.")
	assert.Greater(t, cosine(query, related), 0.5)
	assert.Less(t, math.Abs(cosine(query, unrelated)), 0.2)
	assert.Greater(t, cosine(query, related), cosine(query, unrelated)+0.3)

	// Case and punctuation do not matter to the word features.
	assert.Greater(t, cosine(embed("Hello, World!"), embed("hello world")), 0.9)

	// Word overlap stays visible in short (Matryoshka) prefixes.
	cut := Shape{Dimensions: 3072, Output: 128}
	q := Vector(Lexical, Input{Model: "gemini-embedding-001", Text: "capital of France"}, cut)
	r := Vector(Lexical, Input{Model: "gemini-embedding-001", Text: "Paris is the capital of France."}, cut)
	assert.Greater(t, cosine(q, r), 0.5)

	// Hash mode has no such structure.
	hq := Vector(Hash, Input{Model: "gemini-embedding-001", Text: "capital of France"}, full)
	hr := Vector(Hash, Input{Model: "gemini-embedding-001", Text: "Paris is the capital of France."}, full)
	assert.Less(t, math.Abs(cosine(hq, hr)), 0.1)
}

func TestLexicalFeatures(t *testing.T) {
	embed := func(text, title string) []float32 {
		return Vector(Lexical, Input{Model: "gemini-embedding-001", Title: title, Text: text}, full)
	}
	// Same tokens, different adjacent pairs.
	assert.Less(t, cosine(embed("dog bites man", ""), embed("man bites dog", "")), 0.9)
	// Separators and case change only the small hash component.
	assert.Greater(t, cosine(embed("dog bites man", ""), embed("Dog -- BITES,\tman!", "")), 0.97)
	// Repetition changes the weights.
	assert.NotEqual(t, embed("dog dog", ""), embed("dog", ""))
	// The title adds features: sharing words with it pulls a text closer.
	withTitle := embed("a story", "lazy dog")
	assert.Greater(t, cosine(withTitle, embed("lazy dog", "")), cosine(embed("a story", ""), embed("lazy dog", "")))
}

func TestAppendVectorAllocatesOnlyTheOutput(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items")
	}
	dst := make([]float32, 0, 3072)
	long := longText()
	for _, mode := range []Mode{Lexical, Hash} {
		in := Input{Model: "gemini-embedding-001", Task: "RETRIEVAL_DOCUMENT", Title: "A title", Text: long}
		AppendVector(dst, mode, in, full) // warm the scratch pool
		allocs := testing.AllocsPerRun(50, func() {
			AppendVector(dst[:0], mode, in, full)
		})
		assert.Zero(t, allocs, mode.String())
	}
}

func TestUnitMatchesVector(t *testing.T) {
	in := Input{Model: "m", Text: "a b c"}
	u := Unit(nil, Lexical, in, 64)
	v := Vector(Lexical, in, Shape{Dimensions: 64})
	require.Len(t, u, 64)
	for i := range u {
		assert.Equal(t, float32(u[i]), v[i])
	}
}

func TestEstimateTokens(t *testing.T) {
	tests := []struct {
		text string
		want int
	}{
		{"", 0}, {"a", 1}, {"abcd", 1}, {"abcde", 2}, {"ü", 1}, {"東京", 2}, {"👋👋", 2}, {"12345678", 2},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, EstimateTokens(tt.text), "%q", tt.text)
	}
}

func TestTruncateToTokens(t *testing.T) {
	tests := []struct {
		text  string
		limit int
		want  string
	}{
		{"hello", 2, "hello"},
		{"hello world", 2, "hello wo"},
		{"abcdefg東京", 2, "abcdefg"}, // 東 would be split at byte 8
		{"東京東京", 1, "東"},
		{"x", 0, ""},
		{"", 5, ""},
		{"hello", math.MaxInt, "hello"}, // 4 × limit would overflow
		{"hello", math.MaxInt / 4, "hello"},
		{"hello", -1, ""},
	}
	for _, tt := range tests {
		got := TruncateToTokens(tt.text, tt.limit)
		assert.Equal(t, tt.want, got, "%q limit %d", tt.text, tt.limit)
		assert.True(t, utf8.ValidString(got))
		assert.LessOrEqual(t, EstimateTokens(got), max(tt.limit, 0))
	}
}

func TestParseMode(t *testing.T) {
	for _, m := range []Mode{Lexical, Hash} {
		got, err := ParseMode(m.String())
		require.NoError(t, err)
		assert.Equal(t, m, got)
	}
	_, err := ParseMode("random")
	assert.ErrorContains(t, err, `unknown vector mode "random"`)
}

func TestInvalidShapePanics(t *testing.T) {
	assert.Panics(t, func() { Vector(Hash, Input{}, Shape{}) })
	assert.Panics(t, func() { Vector(Hash, Input{}, Shape{Dimensions: 8, Output: 9}) })
	assert.Panics(t, func() { Vector(Hash, Input{}, Shape{Dimensions: 8, Output: -1}) })
}

func BenchmarkVector(b *testing.B) {
	for _, mode := range []Mode{Lexical, Hash} {
		for _, dims := range []int{768, 3072} {
			b.Run(fmt.Sprintf("%s/%d", mode, dims), func(b *testing.B) {
				in := Input{Model: "gemini-embedding-001", Task: "RETRIEVAL_DOCUMENT", Text: fox}
				dst := make([]float32, 0, dims)
				b.ReportAllocs()
				for b.Loop() {
					dst = AppendVector(dst[:0], mode, in, Shape{Dimensions: dims})
				}
			})
		}
	}
}

func BenchmarkVectorLongText(b *testing.B) {
	in := Input{Model: "gemini-embedding-001", Text: longText()}
	dst := make([]float32, 0, 3072)
	b.SetBytes(int64(len(in.Text)))
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendVector(dst[:0], Lexical, in, full)
	}
}
