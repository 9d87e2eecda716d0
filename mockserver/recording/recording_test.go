package recording

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/dnaeon/go-vcr.v3/cassette"
)

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}

func interaction(method, rawURL, reqBody string, status int, respBody string) *cassette.Interaction {
	return &cassette.Interaction{
		Request:  cassette.Request{Method: method, URL: rawURL, Body: reqBody, Headers: http.Header{}},
		Response: cassette.Response{Code: status, Body: respBody, Headers: http.Header{"Content-Type": {"application/json"}}},
	}
}

func TestWriterAppendsLoadableCassettes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "tape")
	w, err := OpenWriter(path, false)
	require.NoError(t, err)
	assert.Equal(t, path+".yaml", w.Path())

	c, err := cassette.Load(path)
	require.NoError(t, err, "an empty cassette loads")
	assert.Empty(t, c.Interactions)

	for i := range 3 {
		body := fmt.Sprintf("{\"n\": %d}\nsecond line\n", i)
		require.NoError(t, w.Append(interaction("POST", "http://h/x", body, 200, "\x00binary\xff")))
		c, err := cassette.Load(path)
		require.NoError(t, err, "loadable after every append")
		require.Len(t, c.Interactions, i+1)
		assert.Equal(t, i, c.Interactions[i].ID)
		assert.Equal(t, body, c.Interactions[i].Request.Body)
		assert.Equal(t, "\x00binary\xff", c.Interactions[i].Response.Body)
	}
	require.NoError(t, w.Close())
	assert.Error(t, w.Append(interaction("GET", "http://h/x", "", 200, "")))

	// Reopening keeps what was there; overwrite starts afresh.
	w, err = OpenWriter(path, false)
	require.NoError(t, err)
	require.NoError(t, w.Append(interaction("GET", "http://h/y", "", 200, "")))
	require.NoError(t, w.Close())
	c, err = cassette.Load(path)
	require.NoError(t, err)
	require.Len(t, c.Interactions, 4)
	assert.Equal(t, 3, c.Interactions[3].ID)
	w, err = OpenWriter(path, true)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	c, err = cassette.Load(path)
	require.NoError(t, err)
	assert.Empty(t, c.Interactions)
}

func TestWriterAppendsToGoVCRCassettesAndRepairsTornOnes(t *testing.T) {
	dir := t.TempDir()
	// A cassette saved by go-vcr itself.
	c := cassette.New(filepath.Join(dir, "govcr"))
	c.AddInteraction(interaction("GET", "http://h/a", "", 200, "a"))
	require.NoError(t, c.Save())
	w, err := OpenWriter(filepath.Join(dir, "govcr"), false)
	require.NoError(t, err)
	require.NoError(t, w.Append(interaction("GET", "http://h/b", "", 200, "b")))
	w.Close()
	loaded, err := cassette.Load(filepath.Join(dir, "govcr"))
	require.NoError(t, err)
	assert.Len(t, loaded.Interactions, 2)

	// A cassette whose last interaction was cut short by a crash.
	data, err := os.ReadFile(filepath.Join(dir, "govcr.yaml"))
	require.NoError(t, err)
	torn := filepath.Join(dir, "torn.yaml")
	require.NoError(t, os.WriteFile(torn, data[:len(data)-40], 0o644))
	_, err = cassette.Load(filepath.Join(dir, "torn"))
	require.Error(t, err)
	w, err = OpenWriter(torn, false)
	require.NoError(t, err)
	w.Close()
	loaded, err = cassette.Load(filepath.Join(dir, "torn"))
	require.NoError(t, err)
	assert.Len(t, loaded.Interactions, 1, "the torn interaction is dropped")
}

func TestConcurrentAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	w, err := OpenWriter(path, false)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			assert.NoError(t, w.Append(interaction("POST", "http://h/x", fmt.Sprint(i), 200, "ok")))
		})
	}
	wg.Wait()
	w.Close()
	c, err := cassette.Load(strings.TrimSuffix(path, ".yaml"))
	require.NoError(t, err)
	assert.Len(t, c.Interactions, 20)
}

func TestRedaction(t *testing.T) {
	const key = "AIzaSyD-fake-but-real-looking-key-000000"
	in := &cassette.Interaction{
		Request: cassette.Request{
			Method: "POST", URL: "https://generativelanguage.googleapis.com/v1beta/models/m:embedContent?key=" + key + "&alt=json",
			RequestURI: "/v1beta/models/m:embedContent?key=" + key, RemoteAddr: "10.1.2.3:5555",
			Headers: http.Header{"X-Goog-Api-Key": {key}, "Authorization": {"Bearer sk-tokentokentoken123"}, "Cookie": {"a=b"},
				"X-Custom-Token": {"tok-1234567890"}, "X-Echo": {"prefix " + key}},
			Body: `{"content":{"parts":[{"text":"my key is ` + key + `"}]},"secret_field":"s3cr3t"}`,
		},
		Response: cassette.Response{
			Headers: http.Header{"Set-Cookie": {"session=abc"}},
			Body:    `{"error":{"details":[{"detail":"Invalid API key: ` + key + `"}]},"token":"sk-tokentokentoken123","secret_field":"x"}`,
		},
	}
	NewRedactor([]string{"X-Goog-Api-Key", "X-Custom-Token"}, []string{"secret_field"}).Redact(in)
	all := fmt.Sprintf("%+v", in)
	assert.NotContains(t, all, key)
	assert.NotContains(t, all, "sk-tokentokentoken123")
	assert.NotContains(t, all, "tok-1234567890")
	assert.NotContains(t, all, "s3cr3t")
	assert.NotContains(t, all, "10.1.2.3")
	assert.Equal(t, Redacted, in.Request.Headers.Get("X-Goog-Api-Key"))
	assert.Equal(t, Redacted, in.Request.Headers.Get("Cookie"))
	assert.Equal(t, Redacted, in.Response.Headers.Get("Set-Cookie"))
	assert.Equal(t, "prefix "+Redacted, in.Request.Headers.Get("X-Echo"))
	assert.Contains(t, in.Request.URL, "key=REDACTED")
	assert.Contains(t, in.Request.URL, "alt=json")
	assert.Contains(t, in.Request.Body, "my key is REDACTED")

	// A short key is redacted where it is a credential, not everywhere.
	short := interaction("POST", "http://h/v1beta/models/m:embedContent?key=k", `{"k":"kkk"}`, 200, "ok")
	short.Request.Headers.Set("X-Goog-Api-Key", "k")
	NewRedactor([]string{"X-Goog-Api-Key"}, nil).Redact(short)
	assert.Equal(t, `{"k":"kkk"}`, short.Request.Body)
	assert.Equal(t, Redacted, short.Request.Headers.Get("X-Goog-Api-Key"))
}

func TestCheckCredentials(t *testing.T) {
	text := strings.Join([]string{
		"version: 2",
		"  X-Goog-Api-Key: [REDACTED]",
		"  key: AIzaSyA1234567890abcdefghijklmnopqrstuv",
		"  Authorization: Bearer abcdefghijklmnopqrstuvwxyz",
		"  body: '{\"api_key\": \"sk-proj-abcdefghijklmnopqrstuvwxyz0123\"}'",
		"  Authorization: Bearer REDACTED",
		"  note: task types like sk-1 are fine",
	}, "\n")
	findings, err := CheckCredentials(strings.NewReader(text))
	require.NoError(t, err)
	require.Len(t, findings, 3)
	assert.Equal(t, Finding{Line: 3, Kind: "a Google API key", Hint: "AIzaSyA1…"}, findings[0])
	assert.Equal(t, 4, findings[1].Line)
	assert.Equal(t, "a bearer token", findings[1].Kind)
	assert.Equal(t, 5, findings[2].Line)
	assert.Equal(t, "an OpenAI API key", findings[2].Kind)
}

func TestLibraryReplaysInAnyOrderAndRepeats(t *testing.T) {
	lib := NewLibrary(testMatcher{})
	path := "http://h/v1beta/models/m:embedContent"
	lib.Add(interaction("POST", path, `{"content":{"parts":[{"text":"a"}]}}`, 200, `{"embedding":{"values":[1,2]}}`), "t.yaml#0")
	lib.Add(interaction("POST", path, `{"content":{"parts":[{"text":"b"}]}}`, 200, `{"embedding":{"values":[3,4]}}`), "t.yaml#1")
	assert.Equal(t, 2, lib.Len())
	for range 3 {
		for _, c := range []struct{ text, want string }{{"b", "[3,4]"}, {"a", "[1,2]"}} {
			a, miss := lookup(lib, "POST", mustURL(t, path), []byte(`{"content":{"parts":[{"text":"`+c.text+`"}]}}`))
			require.Nil(t, miss)
			assert.Contains(t, string(a.Body), c.want)
		}
	}
}

func TestLibraryWalksARecordedSequence(t *testing.T) {
	lib := NewLibrary(testMatcher{})
	for i, state := range []string{"PENDING", "RUNNING", "SUCCEEDED"} {
		lib.Add(interaction("GET", "http://h/v1beta/batches/x", "", 200, state), fmt.Sprintf("t#%d", i))
	}
	var got []string
	for range 5 {
		a, miss := lookup(lib, "GET", mustURL(t, "http://h/v1beta/batches/x"), nil)
		require.Nil(t, miss)
		got = append(got, string(a.Body))
	}
	assert.Equal(t, []string{"PENDING", "RUNNING", "SUCCEEDED", "SUCCEEDED", "SUCCEEDED"}, got)
}

func TestMissNamesTheNearestRecordedRequest(t *testing.T) {
	lib := NewLibrary(testMatcher{})
	path := "http://h/v1beta/models/m:batchEmbedContents"
	lib.Add(interaction("POST", path, `{"requests":[{"model":"models/m","content":{"parts":[{"text":"the quick fox"}]}}]}`, 200, `{}`), "tape.yaml#0")
	lib.Add(interaction("POST", path, `{"requests":[{"model":"models/m","content":{"parts":[{"text":"something else entirely"}]},"title":"t"}]}`, 200, `{}`), "tape.yaml#1")
	lib.Add(interaction("GET", "http://h/v1beta/models", ``, 200, `{}`), "tape.yaml#2")

	_, miss := lookup(lib, "POST", mustURL(t, path), []byte(`{"requests":[{"model":"models/m","content":{"parts":[{"text":"the quick dog"}]}}]}`))
	require.NotNil(t, miss)
	require.NotNil(t, miss.Nearest)
	assert.Equal(t, "tape.yaml#0", miss.Nearest.Source)
	assert.Equal(t, []Difference{{Path: "requests[0].content.parts[0].text", Recorded: `"the quick fox"`, Got: `"the quick dog"`}}, miss.Nearest.Differences)
	assert.Equal(t, `embedmock: no recorded interaction matches this request (gemini batchEmbedContents (m)). Nearest recorded: tape.yaml#0 (gemini batchEmbedContents (m)), which differs in requests[0].content.parts[0].text (recorded "the quick fox", got "the quick dog"). Record it (--on-miss record) or answer misses with fake vectors (--on-miss fake).`, miss.Message())

	_, miss = lookup(lib, "GET", mustURL(t, "http://h/api/other"), nil)
	require.NotNil(t, miss)
	assert.Nil(t, miss.Nearest, "nothing of the same family")
	assert.Contains(t, miss.Message(), "The cassettes hold no comparable request.")
}

func TestLoadCassettesFromDirectories(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b/one", "a/two"} {
		w, err := OpenWriter(filepath.Join(dir, name), false)
		require.NoError(t, err)
		require.NoError(t, w.Append(interaction("GET", "http://h/"+name, "", 200, name)))
		w.Close()
	}
	loaded, err := LoadCassettes(dir)
	require.NoError(t, err)
	require.Len(t, loaded, 2)
	assert.Equal(t, filepath.Join(dir, "a/two.yaml"), loaded[0].Path)
	loaded, err = LoadCassettes(filepath.Join(dir, "b/one"))
	require.NoError(t, err)
	require.Len(t, loaded, 1)
	_, err = LoadCassettes(filepath.Join(dir, "missing"))
	assert.Error(t, err)
}

// Recording (--on-miss record) appends to an entry that others replay, and
// misses look at every entry: none may read an entry's interactions outside
// the library's lock (go test -race).
func TestReplayWhileRecordingTheSameRequest(t *testing.T) {
	lib := NewLibrary(testMatcher{})
	const embed = "http://h/v1beta/models/gemini-embedding-001:embedContent"
	body := `{"content":{"parts":[{"text":"same"}]}}`
	lib.Add(interaction("POST", embed, body, 200, `{"embedding":{"values":[1]}}`), "first")
	u := mustURL(t, embed)
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 200 {
			lib.Add(interaction("POST", embed, body, 200, `{"embedding":{"values":[1]}}`), fmt.Sprint("again ", i))
		}
	})
	for range 2 {
		wg.Go(func() {
			for range 200 {
				a, miss := lookup(lib, "POST", u, []byte(body))
				if assert.Nil(t, miss) {
					assert.Equal(t, 200, a.Status)
				}
				_, miss = lookup(lib, "POST", u, []byte(`{"content":{"parts":[{"text":"other"}]}}`))
				if assert.NotNil(t, miss) && assert.NotNil(t, miss.Nearest) {
					assert.Equal(t, "first", miss.Nearest.Source)
				}
			}
		})
	}
	wg.Wait()
}

func TestVectorLevelReplay(t *testing.T) {
	lib := NewLibrary(testMatcher{})
	lib.Add(interaction("POST", "http://h/toy/m:embed", `{"inputs":["a","b"]}`, 200, "{\"vectors\": [[1, 2], [3,4]]}"), "t#0")
	lib.Add(interaction("POST", "http://h/toy/m:embed", `{"inputs":["c"]}`, 200, `{"vectors":[[5,6]]}`), "t#1")
	lib.Add(interaction("POST", "http://h/toy/n:embed", `{"inputs":["d"]}`, 200, `{"vectors":[[7]]}`), "t#2")
	lib.Add(interaction("POST", "http://h/toy/m:embed", `{"inputs":["e"]}`, 500, `{"vectors":[[8]]}`), "t#3")

	a, miss := lookup(lib, "POST", mustURL(t, "http://h/toy/m:embed"), []byte(`{"inputs":["c","a"]}`))
	require.Nil(t, miss)
	assert.Equal(t, `{"vectors":[[5,6],[1,2]]}`, string(a.Body))
	assert.Equal(t, "recorded vectors", a.Source)
	for _, body := range []string{`{"inputs":["a","z"]}`, `{"inputs":["d"]}`, `{"inputs":["a","e"]}`} {
		_, miss = lookup(lib, "POST", mustURL(t, "http://h/toy/m:embed"), []byte(body))
		assert.NotNil(t, miss, "%s: unrecorded, another model's or a failed answer's input", body)
	}
}

func TestRedactionKeepsTheAuthScheme(t *testing.T) {
	in := interaction("GET", "http://h/v1/models", "", 200, "{}")
	in.Request.Headers.Set("Authorization", "Bearer sk-0123456789abcdef")
	in.Request.Headers.Set("Proxy-Authorization", "Basic dXNlcjpwYXNzd29yZA==")
	NewRedactor(nil, nil).Redact(in)
	assert.Equal(t, "Bearer "+Redacted, in.Request.Headers.Get("Authorization"))
	assert.Equal(t, "Basic "+Redacted, in.Request.Headers.Get("Proxy-Authorization"))
}
