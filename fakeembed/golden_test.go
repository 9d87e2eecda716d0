package fakeembed

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.json from the case list in golden_test.go")

const goldenPath = "testdata/golden.json"

// goldenFile is the layout of testdata/golden.json, which the Python check
// (testdata/golden_check.py) reads too.
type goldenFile struct {
	Algorithm string       `json:"algorithm"`
	About     string       `json:"about"`
	Cases     []goldenCase `json:"cases"`
}

type goldenCase struct {
	Name       string `json:"name"`
	Mode       string `json:"mode"`
	Model      string `json:"model"`
	Task       string `json:"task"`
	Title      string `json:"title"`
	Text       string `json:"text"`
	Dimensions int    `json:"dimensions"`
	Output     int    `json:"output"`
	Truncation string `json:"truncation"`

	Tokens int           `json:"tokens"`
	Length int           `json:"length"`
	SHA256 string        `json:"sha256"`
	Head   []json.Number `json:"head"`
	Norm   json.Number   `json:"norm"`
}

func (c goldenCase) compute(t *testing.T) []float32 {
	t.Helper()
	mode, err := ParseMode(c.Mode)
	require.NoError(t, err, c.Name)
	trunc := KeepScale
	switch c.Truncation {
	case "keep-scale":
	case "renormalize":
		trunc = Renormalize
	default:
		t.Fatalf("%s: unknown truncation %q", c.Name, c.Truncation)
	}
	in := Input{Model: c.Model, Task: c.Task, Title: c.Title, Text: c.Text}
	return Vector(mode, in, Shape{Dimensions: c.Dimensions, Output: c.Output, Truncation: trunc})
}

// digest is the SHA-256 of the vector's float32 values, little-endian.
func digest(v []float32) string {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func head(v []float32) []json.Number {
	n := min(8, len(v))
	out := make([]json.Number, n)
	for i := range n {
		out[i] = json.Number(strconv.FormatFloat(float64(v[i]), 'g', -1, 32))
	}
	return out
}

func norm32(v []float32) json.Number {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	return json.Number(strconv.FormatFloat(math.Sqrt(sum), 'f', 6, 64))
}

func longText() string {
	words := []string{"embedding", "vectors", "map", "text", "to", "points", "in", "a", "space", "where",
		"similar", "meanings", "lie", "close", "together", "and", "search", "finds", "neighbours", "quickly"}
	var b strings.Builder
	var s uint64 = 7
	for i := 0; b.Len() < 6000; i++ {
		s = s*6364136223846793005 + 1442695040888963407
		b.WriteString(words[(s>>33)%uint64(len(words))])
		if i%13 == 12 {
			b.WriteString(". ")
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

const fox = "The quick brown fox jumps over the lazy dog."

// goldenInputs is the case list testdata/golden.json is generated from.
func goldenInputs() []goldenCase {
	g := func(name, mode, model, task, title, text string, dims, out int, trunc string) goldenCase {
		return goldenCase{Name: name, Mode: mode, Model: model, Task: task, Title: title, Text: text,
			Dimensions: dims, Output: out, Truncation: trunc}
	}
	cases := []goldenCase{
		g("empty text, lexical", "lexical", "gemini-embedding-001", "", "", "", 3072, 0, "keep-scale"),
		g("empty text, hash", "hash", "gemini-embedding-001", "", "", "", 3072, 0, "keep-scale"),
		g("sentence, lexical", "lexical", "gemini-embedding-001", "", "", fox, 3072, 0, "keep-scale"),
		g("sentence, hash", "hash", "gemini-embedding-001", "", "", fox, 3072, 0, "keep-scale"),
		g("punctuation only", "lexical", "gemini-embedding-001", "", "", "... --- !!! ???", 3072, 0, "keep-scale"),
		g("unicode letters and digits", "lexical", "gemini-embedding-001", "", "",
			"Grüße aus Köln: ΣΊΣΥΦΟΣ, naïve café, 東京タワー 333m, İstanbul, ǅemal, Ⅻ½٣", 3072, 0, "keep-scale"),
		g("emoji and symbols", "lexical", "gemini-embedding-001", "", "", "hello 👋 world!! 😀😀 €5 + 3×4 = 17", 3072, 0, "keep-scale"),
		g("unicode, hash", "hash", "gemini-embedding-001", "", "", "Grüße 東京 👋", 3072, 0, "keep-scale"),
		g("repeated words", "lexical", "gemini-embedding-001", "", "",
			"Buffalo buffalo Buffalo buffalo buffalo buffalo Buffalo buffalo", 3072, 0, "keep-scale"),
		g("repeated pairs", "lexical", "gemini-embedding-001", "", "", "to be or not to be, to be", 3072, 0, "keep-scale"),
		g("long text", "lexical", "gemini-embedding-001", "", "", longText(), 3072, 0, "keep-scale"),
		g("multiple parts joined", "lexical", "gemini-embedding-001", "", "", "first part\nsecond part\nthird", 3072, 0, "keep-scale"),
		g("title with overlap", "lexical", "gemini-embedding-001", "RETRIEVAL_DOCUMENT", "The Lazy Dog Story", fox, 3072, 0, "keep-scale"),
		g("title, hash", "hash", "gemini-embedding-001", "RETRIEVAL_DOCUMENT", "The Lazy Dog Story", fox, 3072, 0, "keep-scale"),
		g("title only", "lexical", "gemini-embedding-001", "RETRIEVAL_DOCUMENT", "Only a title", "", 3072, 0, "keep-scale"),
		g("truncated 768", "lexical", "gemini-embedding-001", "", "", fox, 3072, 768, "keep-scale"),
		g("truncated 128, hash", "hash", "gemini-embedding-001", "SEMANTIC_SIMILARITY", "", fox, 3072, 128, "keep-scale"),
		g("gemini-embedding-2 at 256", "lexical", "gemini-embedding-2", "", "", fox, 3072, 256, "keep-scale"),
		g("gemini-embedding-2-preview", "lexical", "gemini-embedding-2-preview", "", "", "Paris is the capital of France.", 3072, 0, "keep-scale"),
		g("text-embedding-004", "lexical", "text-embedding-004", "", "", fox, 768, 0, "keep-scale"),
		g("embedding-001, hash", "hash", "embedding-001", "CLUSTERING", "", fox, 768, 0, "keep-scale"),
		g("openai small, full", "lexical", "text-embedding-3-small", "", "", fox, 1536, 0, "keep-scale"),
		g("openai small, dimensions 512", "lexical", "text-embedding-3-small", "", "", fox, 1536, 512, "renormalize"),
		g("openai large, dimensions equal to native", "lexical", "text-embedding-3-large", "", "", fox, 3072, 3072, "renormalize"),
		g("openai token ids", "lexical", "text-embedding-ada-002", "", "", "\x01tokens:791,4062,14198,39935", 1536, 0, "keep-scale"),
		g("openai dimensions 100, hash", "hash", "text-embedding-3-small", "", "", fox, 1536, 100, "renormalize"),
		g("small native dimension", "lexical", "tiny-test-model", "", "", "alpha beta gamma delta alpha beta", 64, 0, "keep-scale"),
		g("gradient bge-large", "lexical", "bge-large", "", "", "Represent this sentence for searching relevant passages: where is Paris?", 1024, 0, "keep-scale"),
	}
	for _, task := range []string{"RETRIEVAL_QUERY", "RETRIEVAL_DOCUMENT", "SEMANTIC_SIMILARITY", "CLASSIFICATION",
		"CLUSTERING", "QUESTION_ANSWERING", "FACT_VERIFICATION", "CODE_RETRIEVAL_QUERY"} {
		cases = append(cases, g("task "+task, "lexical", "gemini-embedding-001", task, "", fox, 3072, 0, "keep-scale"))
	}
	return cases
}

func TestGolden(t *testing.T) {
	if *update {
		file := goldenFile{
			Algorithm: "embedmock fakeembed " + Version,
			About: "Golden vectors. sha256 is the SHA-256 of the output's float32 values, little-endian; " +
				"head holds the first values in shortest float32 form; norm is the output's Euclidean norm. " +
				"Regenerate with: go test ./fakeembed -run TestGolden -update",
		}
		for _, c := range goldenInputs() {
			v := c.compute(t)
			c.Tokens = EstimateTokens(c.Text)
			c.Length, c.SHA256, c.Head, c.Norm = len(v), digest(v), head(v), norm32(v)
			file.Cases = append(file.Cases, c)
		}
		data, err := json.MarshalIndent(file, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(goldenPath, append(data, '\n'), 0o644))
	}

	data, err := os.ReadFile(goldenPath)
	require.NoError(t, err)
	var file goldenFile
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&file))
	require.Equal(t, "embedmock fakeembed "+Version, file.Algorithm)
	require.GreaterOrEqual(t, len(file.Cases), 20)
	for _, c := range file.Cases {
		t.Run(c.Name, func(t *testing.T) {
			v := c.compute(t)
			assert.Equal(t, c.Tokens, EstimateTokens(c.Text), "token estimate")
			assert.Equal(t, c.Length, len(v), "length")
			assert.Equal(t, c.Head, head(v), "first values")
			assert.Equal(t, c.SHA256, digest(v), "digest of all values")
		})
	}
}
