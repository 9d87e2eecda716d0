package fakeembed_test

import (
	"fmt"
	"math"

	"github.com/embedmock/embedmock/fakeembed"
)

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return dot / math.Sqrt(na*nb)
}

// The vector embedmock serves for a Gemini request, computed without a server.
func ExampleVector() {
	v := fakeembed.Vector(fakeembed.Lexical, fakeembed.Input{
		Model: "gemini-embedding-001",
		Task:  "RETRIEVAL_QUERY",
		Text:  "What is the capital of France?",
	}, fakeembed.Shape{Dimensions: 3072, Output: 768})

	fmt.Println(len(v), v[0])
	// Output: 768 0.0031488454
}

// Lexical vectors of texts that share words are close; hash vectors are not.
func ExampleVector_lexical() {
	shape := fakeembed.Shape{Dimensions: 3072}
	embed := func(mode fakeembed.Mode, text string) []float32 {
		return fakeembed.Vector(mode, fakeembed.Input{Model: "gemini-embedding-001", Text: text}, shape)
	}
	query, doc := "capital of France", "Paris is the capital of France."
	fmt.Printf("lexical %.2f\n", cosine(embed(fakeembed.Lexical, query), embed(fakeembed.Lexical, doc)))
	fmt.Printf("hash    %.2f\n", cosine(embed(fakeembed.Hash, query), embed(fakeembed.Hash, doc)))
	// Output:
	// lexical 0.71
	// hash    -0.02
}

func ExampleEstimateTokens() {
	fmt.Println(fakeembed.EstimateTokens("The quick brown fox jumps over the lazy dog."))
	// Output: 11
}
