package recording

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/dnaeon/go-vcr.v3/cassette"
	"gopkg.in/yaml.v3"
)

// bigInteraction is an interaction whose bodies make a cassette of a few
// hundred of them span several decoding pieces. Its response body holds
// text that looks like the start of a sequence item.
func bigInteraction(i int) *cassette.Interaction {
	values := strings.Repeat("0.0123456,", 900) + "0.5"
	return &cassette.Interaction{
		Request: cassette.Request{Method: http.MethodPost, URL: "https://generativelanguage.googleapis.com/v1beta/models/m:embedContent",
			Body:    fmt.Sprintf(`{"content":{"parts":[{"text":"text %d\n    - id: 7\n- id: 8"}]}}`, i),
			Headers: http.Header{"Content-Type": {"application/json"}}},
		Response: cassette.Response{Code: 200, Status: "200 OK",
			Body:    `{"embedding":{"values":[` + values + `]}}` + "\n\n    - id: 99\n",
			Headers: http.Header{"Content-Type": {"application/json; charset=UTF-8"}}},
	}
}

func TestLargeCassettesDecodeInPiecesExactly(t *testing.T) {
	dir := t.TempDir()
	// Written by go-vcr in one go, and by Writer item by item.
	vcr := cassette.New(filepath.Join(dir, "vcr"))
	w, err := OpenWriter(filepath.Join(dir, "writer"), true)
	require.NoError(t, err)
	for i := range 400 {
		vcr.AddInteraction(bigInteraction(i))
		require.NoError(t, w.Append(bigInteraction(i)))
	}
	require.NoError(t, vcr.Save())
	require.NoError(t, w.Close())

	for _, path := range []string{vcr.File, w.Path()} {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Greater(t, len(data), 3*pieceBytes, "the cassette spans several pieces")
		pieces, ok := parseInPieces(data)
		require.True(t, ok, "%s is decoded in pieces", path)
		whole := cassette.New("whole")
		require.NoError(t, yaml.Unmarshal(data, whole))
		require.Len(t, pieces, 400)
		assert.Equal(t, whole.Interactions, pieces, path)

		loaded, err := LoadCassettes(path)
		require.NoError(t, err)
		assert.Equal(t, whole.Interactions, loaded[0].Cassette.Interactions)
	}
}

func TestCassettesThatCannotBeCutDecodeWhole(t *testing.T) {
	item := func(i int) string {
		return fmt.Sprintf("    - id: %d\n      request:\n        method: POST\n        url: https://h/v1beta/models/m:embedContent\n        body: |\n          %s\n      response:\n        code: 200\n        body: ok\n",
			i, strings.Repeat("x", 4000))
	}
	var b strings.Builder
	b.WriteString("version: 2\ninteractions:\n")
	for i := range 600 {
		b.WriteString(item(i))
	}
	data := []byte(b.String())
	got, ok := parseInPieces(data)
	require.True(t, ok)
	assert.Len(t, got, 600)

	// A piece that does not decode to the items it was cut for (here a
	// mapping key at the items' indentation) sends the caller to the
	// whole-file decoder, which reports the error.
	broken := strings.Replace(b.String(), "    - id: 300\n", "    - id: 300\n    oops: [\n", 1)
	_, ok = parseInPieces([]byte(broken))
	assert.False(t, ok)
	_, err := parseCassette("broken.yaml", []byte(broken))
	assert.Error(t, err)

	// Small cassettes and other layouts are decoded whole.
	_, ok = parseInPieces([]byte("version: 2\ninteractions: []\n"))
	assert.False(t, ok)
}

func TestCassetteSizeLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	w, err := OpenWriter(path, true)
	require.NoError(t, err)
	require.NoError(t, w.Append(bigInteraction(0)))
	require.NoError(t, w.Close())
	_, err = LoadCassettesLimit(1000, path)
	assert.ErrorContains(t, err, "over the limit of 1000 bytes")
	loaded, err := LoadCassettesLimit(1<<20, path)
	require.NoError(t, err)
	assert.Len(t, loaded[0].Cassette.Interactions, 1)
}
