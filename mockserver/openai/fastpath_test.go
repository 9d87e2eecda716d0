package openai

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embedmock/embedmock/mockserver/family/familytest"
	"github.com/embedmock/embedmock/mockserver/vectorwire"
)

// loadCaptures reads a file of the requests official client libraries
// sent (see mockserver/testdata/captures/README.md).
func loadCaptures(t *testing.T, file string) []familytest.Capture {
	return familytest.Captures(t, filepath.Join("..", "testdata", "captures", file))
}

var captureFiles = []string{"openai-node.jsonl", "langchain-openai.jsonl", "go-openai.jsonl"}

func TestFastPathTakesWhatSDKsSend(t *testing.T) {
	fast := 0
	for _, name := range captureFiles {
		for _, c := range loadCaptures(t, name) {
			if !strings.HasSuffix(c.URL, "/embeddings") || c.Status != 200 || strings.Contains(c.Body, `"input":[[`) ||
				strings.Contains(c.Body, `"input":[0`) || strings.Contains(c.Body, `"input":[1`) {
				continue
			}
			_, ok := fastBody([]byte(c.Body))
			assert.True(t, ok, c.Body)
			fast++
		}
	}
	assert.Positive(t, fast)
}

// FuzzOpenAIFastPath checks the fast path against the full one: whatever
// the fast path decodes, the full path accepts and decodes the same.
func FuzzOpenAIFastPath(f *testing.F) {
	for _, seed := range []string{
		`{"model":"text-embedding-3-small","input":"hello","encoding_format":"base64"}`,
		`{"input":["a","b\u00e9\ud83d\ude00"],"model":"m","dimensions":256,"user":"u","encoding_format":"float"}`,
		`{}`, `{"input":[]}`, `{"input":[1,2]}`, `{"input":[[1]]}`, `{"dimensions":0}`, `{"dimensions":1.5}`,
		`{"model":"a","model":"b"}`, `{"encoding_format":"hex"}`, `{"model":null}`, `{"extra":1}`, `{"input":"\ud800"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := fastBody(body)
		if !ok {
			return
		}
		slow, e := decodeBody(body)
		if e != nil {
			t.Fatalf("fast path took %q, the full path refuses it: %s", body, e.message)
		}
		if !assert.ObjectsAreEqual(slow, fast) {
			t.Fatalf("%q: fast %#v, full %#v", body, fast, slow)
		}
	})
}

// TestBase64VectorIsTheWholeEncoding checks the encoding of
// encoding_format=base64 (vectorwire.AppendBase64Vector, which only this
// family uses).
func TestBase64VectorIsTheWholeEncoding(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 191, 192, 193, 384, 1000, 1536, 3072} {
		v := make([]float32, n)
		raw := make([]byte, 4*n)
		for i := range v {
			v[i] = float32(i)*0.001 - 0.5
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v[i]))
		}
		want := `"` + base64.StdEncoding.EncodeToString(raw) + `"`
		assert.Equal(t, want, string(vectorwire.AppendBase64Vector(nil, v)), "%d values", n)
	}
}

func TestIntegerValue(t *testing.T) {
	for in, want := range map[string]int64{
		"8": 8, "8.0": 8, "8e0": 8, "0.8e1": 8, "1e400": math.MaxInt64, "-1e400": math.MinInt64, "9223372036854775808": math.MaxInt64,
	} {
		assert.Equal(t, want, integerValue(json.Number(in)), in)
	}
}

func TestDimensionsWrittenWithAFraction(t *testing.T) {
	base := newTestServer(t, Config{Models: DefaultModels()}, nil)
	for _, dims := range []string{"8", "8.0", "8e0"} {
		r := familytest.Do(t, http.MethodPost, base+"/v1/embeddings",
			`{"model":"text-embedding-3-small","input":"a","dimensions":`+dims+`}`, "Authorization", "Bearer k")
		require.Equal(t, http.StatusOK, r.Status, string(r.Body))
		var out struct {
			Data []struct{ Embedding []float32 } `json:"data"`
		}
		require.NoError(t, json.Unmarshal(r.Body, &out))
		assert.Len(t, out.Data[0].Embedding, 8, dims)
	}
	r := familytest.Do(t, http.MethodPost, base+"/v1/embeddings",
		`{"model":"text-embedding-3-small","input":"a","dimensions":1e400}`, "Authorization", "Bearer k")
	assert.Equal(t, http.StatusBadRequest, r.Status, string(r.Body))
}
