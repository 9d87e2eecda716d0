package recording

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

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

// flowCases are interactions whose text is hard to write on one line.
func flowCases() map[string]*cassette.Interaction {
	in := func(reqBody, respBody, header string) *cassette.Interaction {
		return &cassette.Interaction{
			Request: cassette.Request{Method: http.MethodPost, URL: "https://h/v1beta/models/m:embedContent?alt=json",
				Body: reqBody, Headers: http.Header{"X-Odd": {header}}, Form: map[string][]string{}},
			Response: cassette.Response{Code: 200, Status: "200 OK", Body: respBody, Duration: 1500 * time.Millisecond},
		}
	}
	return map[string]*cassette.Interaction{
		"plain":        bigInteraction(1),
		"unicode":      in(`{"text":"héllo 世界 😀 \u2028"}`, "é\u0085\ufeff", "ü"),
		"controls":     in("a\x00b\x01\x7f\tc\r\nd", "\"quoted\" \\ back", "x: y # z, [a] {b}"),
		"not utf-8":    in("\xff\xfe bytes", "ok \xc3", "\x80"),
		"empty":        in("", "", ""),
		"yaml-looking": in("- id: 3\n  request: {}", "null", "~"),
		"long key": {Request: cassette.Request{Method: http.MethodGet, URL: "http://h/",
			Headers: http.Header{strings.Repeat("K", 2000): {"v"}, strings.Repeat("é", 600): {"w"}}}},
	}
}

// TestFlowLineLoadsAsTheInteraction checks that an interaction written on
// one line loads exactly as the block layout does, and that the pending
// line cut at any byte is a comment every YAML reader skips.
func TestFlowLineLoadsAsTheInteraction(t *testing.T) {
	for name, in := range flowCases() {
		t.Run(name, func(t *testing.T) {
			block, err := marshalItem(in)
			require.NoError(t, err)
			want := cassette.New("want")
			require.NoError(t, yaml.Unmarshal(append([]byte(cassetteHeader), block...), want))

			line, err := marshalFlowLine(in)
			require.NoError(t, err)
			for _, c := range line {
				require.Less(t, c, byte(0x80), "the line is ASCII")
			}
			require.Equal(t, 1, strings.Count(string(line), "\n"), "one line")
			committed := append([]byte(cassetteHeader), line...)
			committed[len(cassetteHeader)] = committedItem
			got := cassette.New("got")
			require.NoError(t, yaml.Unmarshal(committed, got))
			assert.Equal(t, want.Interactions, got.Interactions)

			// Every cut in the first KiB, then every 13th byte.
			for cut := 0; cut <= len(line); cut += 1 + cut/1024*12 {
				torn := append(append([]byte(cassetteHeader), block...), line[:cut]...)
				c := cassette.New("torn")
				require.NoError(t, yaml.Unmarshal(torn, c), "cut at %d", cut)
				require.Len(t, c.Interactions, 1, "cut at %d", cut)
			}
		})
	}
}

// TestWriterCommitsWholeInteractions appends interactions, checks what a
// kill would leave after each (the file as it is), and that Close leaves
// go-vcr's block layout holding all of them.
func TestWriterCommitsWholeInteractions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	w, err := OpenWriter(path, true)
	require.NoError(t, err)
	cases := flowCases()
	names := make([]string, 0, len(cases))
	for name := range cases {
		names = append(names, name)
	}
	slices.Sort(names)
	for i, name := range names {
		require.NoError(t, w.Append(cases[name]))
		c, err := cassette.Load(strings.TrimSuffix(path, ".yaml"))
		require.NoError(t, err, "go-vcr loads the cassette while it is being written")
		require.Len(t, c.Interactions, i+1)
	}
	// A pending line left by a kill is ignored, and the next writer drops it.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	line, err := marshalFlowLine(bigInteraction(9))
	require.NoError(t, err)
	_, err = f.Write(line[:len(line)/2])
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.NoError(t, w.Close())

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, len(names), strings.Count(string(data), "\n- id: "), "Close rewrites the block layout")
	assert.NotContains(t, string(data), "\n# {")
	c, err := cassette.Load(strings.TrimSuffix(path, ".yaml"))
	require.NoError(t, err)
	require.Len(t, c.Interactions, len(names))
	for i, name := range names {
		assert.Equal(t, cases[name].Response.Body == "", c.Interactions[i].Response.Body == "", name)
		assert.Equal(t, i, c.Interactions[i].ID)
	}
}
