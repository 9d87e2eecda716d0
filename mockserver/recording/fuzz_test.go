package recording

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/dnaeon/go-vcr.v3/cassette"
	"gopkg.in/yaml.v3"
)

// fuzzLookups are requests every loaded library is asked for, besides the
// requests of the cassette's own interactions.
var fuzzLookups = []struct{ method, url, body string }{
	{"POST", "http://h/v1beta/models/gemini-embedding-001:embedContent", `{"content":{"parts":[{"text":"The quick brown fox"}]}}`},
	{"POST", "http://h/v1beta/models/gemini-embedding-001:batchEmbedContents?key=AIzaSecret", `{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"a"},{"text":"b"}]},"taskType":1,"outputDimensionality":"128"}]}`},
	{"POST", "http://h/v1/embeddings", `{"model":"text-embedding-3-small","input":["a","b"]}`},
	{"POST", "http://h/openai/deployments/dep/embeddings?api-version=1", `{"input":[[1,2]]}`},
	{"GET", "http://h/v1beta/batches/abc", ``},
	{"POST", "http://h/upload/v1beta/files?upload_id=x", `not json`},
	{"GET", "http://h/other", ``},
}

// goVCRCassette returns a small cassette as go-vcr itself writes it.
func goVCRCassette(f *testing.F) []byte {
	c := cassette.New(filepath.Join(f.TempDir(), "govcr"))
	c.AddInteraction(&cassette.Interaction{
		Request: cassette.Request{Method: "POST", URL: "https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:embedContent?key=REDACTED",
			Body: `{"content":{"parts":[{"text":"hello"}]},"outputDimensionality":4}`, Headers: http.Header{"Content-Type": {"application/json"}}},
		Response: cassette.Response{Code: 200, Status: "200 OK", Duration: 3 * time.Millisecond,
			Body: `{"embedding":{"values":[0.1,-0.2,0.3,-0.4]}}`, Headers: http.Header{"Content-Type": {"application/json; charset=UTF-8"}}},
	})
	c.AddInteraction(&cassette.Interaction{
		Request:  cassette.Request{Method: "GET", URL: "https://generativelanguage.googleapis.com/v1beta/batches/b1"},
		Response: cassette.Response{Code: 404, Body: `{"error":{"code":404}}`},
	})
	if err := c.Save(); err != nil {
		f.Fatal(err)
	}
	data, err := os.ReadFile(c.File)
	if err != nil {
		f.Fatal(err)
	}
	return data
}

// referenceLoad decodes a cassette the way go-vcr's cassette.Load does.
func referenceLoad(data []byte) (*cassette.Cassette, error) {
	c := cassette.New("reference")
	if err := yaml.Unmarshal(data, c); err != nil {
		return nil, err
	}
	if c.Version != cassette.CassetteFormatV2 {
		return nil, cassette.ErrUnsupportedCassetteFormat
	}
	return c, nil
}

// checkRedaction redacts a copy of in and checks that no secret it carried
// (a value of a secret header or of the key parameter, at least
// minSecretLen long) is left in a header, the URL or a body. Secrets that
// share a letter with REDACTED are skipped: a replacement could make them
// appear anew.
func checkRedaction(t *testing.T, in *cassette.Interaction) {
	t.Helper()
	var cp cassette.Interaction
	raw, err := yaml.Marshal(in)
	if err != nil || yaml.Unmarshal(raw, &cp) != nil {
		return // not an interaction that round-trips; nothing to compare
	}
	r := NewRedactor([]string{"X-Goog-Api-Key", "X-Gradient-Workspace-Id", "X-Extra-Secret"}, []string{"title"})
	secrets := r.secrets(&cp)
	r.Redact(&cp)
	var texts []string
	for _, h := range []http.Header{cp.Request.Headers, cp.Response.Headers} {
		for name, values := range h {
			for _, v := range values {
				texts = append(texts, name+": "+v)
			}
		}
	}
	texts = append(texts, cp.Request.URL, cp.Request.Body, cp.Response.Body)
	for _, s := range secrets {
		if len(s) < minSecretLen || strings.ContainsAny(s, "REDACT") {
			continue
		}
		for _, text := range texts {
			if !strings.Contains(text, s) {
				continue
			}
			t.Fatalf("secret %q left after redaction in %q", s, text)
		}
	}
	if _, err := marshalItem(&cp); err != nil {
		t.Fatalf("a redacted interaction does not marshal: %v", err)
	}
}

// FuzzCassetteLoad reads arbitrary bytes as a cassette file. Decoding
// (parseCassette, LoadCassettes) must not panic and must agree with go-vcr's
// own decoding; a cassette that loads is indexed into a Library, which
// answers each of the cassette's own requests from the cassette and
// explains misses without panicking; the credential check and redaction
// of its interactions do not panic, and redaction leaves no secret behind;
// and OpenWriter, which repairs a torn cassette, leaves one that loads and
// takes new interactions.
func FuzzCassetteLoad(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("..", "..", "cassettes", "*.yaml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no example cassettes: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)*2/3]) // torn in the middle of an interaction
	}
	vcr := goVCRCassette(f)
	f.Add(vcr)
	f.Add(vcr[:len(vcr)-20])
	for _, seed := range []string{
		``, `version: 2`, `version: 1`, "version: 2\ninteractions: []\n", "version: 2\ninteractions:\n- id: 0\n",
		"version: 2\ninteractions:\n- id: 0\n  request:\n    url: \"%zz\"\n    method: GET\n",
		"version: 2\ninteractions:\n- id: 0\n  request:\n    url: ':'\n  response:\n    code: -1\n    duration: 1h\n",
		"version: 2\ninteractions:\n- &a\n  id: 0\n  request: {url: 'http://h/v1/embeddings', method: POST, body: '{\"input\":\"x\"}'}\n- *a\n",
		"version: 2\ninteractions:\n- id: 0\n  request:\n    method: POST\n    url: http://h/v1beta/models/m:embedContent?key=abcdefghij123\n    headers:\n      X-Goog-Api-Key: [abcdefghij123]\n      X-Other: [\"x abcdefghij123 y\"]\n    body: '{\"title\":\"t\",\"k\":\"abcdefghij123\"}'\n  response:\n    code: 400\n    body: '{\"error\":{\"message\":\"bad key abcdefghij123\"}}'\n",
		"version: 2\ninteractions:\n- id: 0\n  request:\n    method: POST\n    url: http://h/v1/embeddings\n    headers:\n      Authorization: [Bearer sk-0123456789abcdefghijklmno]\n    body: '{\"input\":\"sk-0123456789abcdefghijklmno\"}'\n",
		"interactions:\n- id: 0\nversion: 2\n", "version: 2\nversion: 2\n", "[1, 2]", "- a\n- b", "version: !!binary AA==\n",
		"version: 2\ninteractions:\n- id: 0\n  request:\n    form: {key: [s3cr3t-value]}\n    headers: {Cookie: [a=b]}\n",
		"version: 2\ninteractions:\n- id: 0\n  response:\n    headers: {Set-Cookie: [x]}\n    trailer: {A: [b]}\n",
	} {
		f.Add([]byte(seed))
	}

	syncFile = func(*os.File) error { return nil } // content is under test, not durability
	f.Cleanup(func() { syncFile = (*os.File).Sync })
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "fuzz.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := parseCassette(path, data)
		ref, refErr := referenceLoad(data)
		if err != nil && refErr == nil && slices.Contains(ref.Interactions, nil) {
			return // go-vcr loads an empty item as nil; embedmock refuses it
		}
		if (err == nil) != (refErr == nil) {
			t.Fatalf("parseCassette error %v, go-vcr's decoding error %v", err, refErr)
		}
		if err == nil && !reflect.DeepEqual(c.Interactions, ref.Interactions) {
			t.Fatalf("parseCassette and go-vcr decode different interactions")
		}
		if _, err := CheckCredentials(bytes.NewReader(data)); err != nil {
			t.Fatalf("CheckCredentials: %v", err)
		}
		loaded, loadErr := LoadCassettes(path)
		if (loadErr == nil) != (err == nil) {
			t.Fatalf("LoadCassettes error %v, parseCassette error %v", loadErr, err)
		}
		if loadErr == nil {
			lib := NewLibrary(testMatcher{})
			lib.AddCassettes(loaded)
			if lib.Len() > len(loaded[0].Cassette.Interactions) {
				t.Fatalf("library holds %d interactions of %d", lib.Len(), len(loaded[0].Cassette.Interactions))
			}
			for i, in := range loaded[0].Cassette.Interactions {
				if i == 20 {
					break
				}
				if in == nil {
					continue
				}
				checkRedaction(t, in)
				u, err := url.Parse(in.Request.URL)
				if err != nil {
					continue
				}
				a, miss := lookup(lib, in.Request.Method, u, []byte(in.Request.Body))
				if a == nil {
					t.Fatalf("interaction %d (%s %s) is not replayed: %s", i, in.Request.Method, in.Request.URL, miss.Message())
				}
			}
			for _, l := range fuzzLookups {
				u, _ := url.Parse(l.url)
				if a, miss := lookup(lib, l.method, u, []byte(l.body)); a == nil && miss.Message() == "" {
					t.Fatalf("a miss without a message")
				}
			}
		}

		// OpenWriter keeps a loadable cassette's interactions, or repairs a
		// torn one; either way the result loads and takes new interactions.
		w, err := OpenWriter(path, false)
		if err != nil {
			return
		}
		kept := w.next
		in := &cassette.Interaction{Request: cassette.Request{Method: "GET", URL: "http://h/v1beta/batches/fuzz"},
			Response: cassette.Response{Code: 200, Body: `{"name":"batches/fuzz"}`}}
		if err := w.Append(in); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		again, err := LoadCassettes(path)
		if err != nil {
			written, _ := os.ReadFile(path)
			t.Fatalf("the cassette OpenWriter left does not load: %v\n%s", err, written)
		}
		got := again[0].Cassette.Interactions
		if len(got) != kept+1 || got[kept].Request.URL != in.Request.URL || got[kept].ID != kept {
			t.Fatalf("after OpenWriter kept %d interactions and appended one, the cassette holds %d", kept, len(got))
		}
		if loadErr == nil && kept != len(loaded[0].Cassette.Interactions) {
			t.Fatalf("OpenWriter kept %d of a loadable cassette's %d interactions", kept, len(loaded[0].Cassette.Interactions))
		}
	})
}

// FuzzCassettePieces checks the decoding of large cassettes in pieces
// (parseInPieces) against decoding them whole: a cassette of fuzzed items,
// each after a "- id: N" marker at a fuzzed indentation and padded so that
// the whole spans several pieces, then a fuzzed tail. Whatever parseInPieces
// accepts must be exactly what go-vcr's decoding gives. Each execution
// decodes a few megabytes: slow, but the claim that a wrong cut cannot go
// unnoticed deserves it.
func FuzzCassettePieces(f *testing.F) {
	f.Add(uint8(0), []byte("  request:\n    method: POST\n    url: http://h/v1beta/models/m:embedContent\n    body: |\n      {\"x\":1}\n      - id: 5\n  response:\n    code: 200\n    body: ok\n"), []byte("other: key\n"))

	f.Fuzz(func(t *testing.T, indent uint8, item, tail []byte) {
		if len(item) > 4<<10 || len(tail) > 4<<10 {
			return
		}
		pad := strings.Repeat(" ", int(indent%8))
		var b bytes.Buffer
		b.WriteString("version: 2\ninteractions:\n")
		// Items of about 8 KB: the padding is a comment on the marker's line.
		comment := " #" + strings.Repeat("p", 8<<10-len(item))
		for i := 0; b.Len() < 2*pieceBytes; i++ {
			b.WriteString(pad + "- id: " + strconv.Itoa(i) + comment + "\n")
			for line := range bytes.Lines(item) {
				b.WriteString(pad)
				b.Write(line)
			}
			if len(item) > 0 && item[len(item)-1] != '\n' {
				b.WriteByte('\n')
			}
		}
		b.Write(tail)
		data := b.Bytes()

		pieces, ok := parseInPieces(data)
		ref, refErr := referenceLoad(data)
		if ok && refErr != nil {
			t.Fatalf("parseInPieces accepts a cassette go-vcr refuses (%v)", refErr)
		}
		if ok && !reflect.DeepEqual(pieces, ref.Interactions) {
			t.Fatalf("parseInPieces decodes %d interactions other than go-vcr's %d", len(pieces), len(ref.Interactions))
		}
		// parseCassette takes the pieces when parseInPieces accepts them and
		// decodes whole otherwise (as referenceLoad does), so the above is its
		// agreement with go-vcr too.
	})
}

// FuzzFlowLine writes interactions with arbitrary bodies, header values and
// URLs as the Writer's one-line items: committed, each must load exactly as
// the block layout does; cut at any byte while pending, it must be ignored.
func FuzzFlowLine(f *testing.F) {
	f.Add("{\"text\":\"héllo 😀\"}", "a\x00b\xff", "https://h/p?q=1#f", uint16(7))
	f.Add("- id: 3\n  x: {y}", "# not a comment", "", uint16(0))
	f.Fuzz(func(t *testing.T, body, header, url string, cut uint16) {
		in := &cassette.Interaction{
			Request:  cassette.Request{Method: "POST", URL: url, Body: body, Headers: http.Header{"X-H": {header}, header: {body}}},
			Response: cassette.Response{Code: 200, Body: header + body},
		}
		block, err := marshalItem(in)
		if err != nil {
			return
		}
		want := cassette.New("want")
		if yaml.Unmarshal(append([]byte(cassetteHeader), block...), want) != nil {
			return // not an interaction go-vcr itself could reload
		}
		line, err := marshalFlowLine(in)
		if err != nil {
			t.Fatalf("marshalFlowLine: %v", err)
		}
		if bytes.Count(line, []byte("\n")) != 1 || bytes.ContainsFunc(line, func(r rune) bool { return r >= 0x80 }) {
			t.Fatalf("not one ASCII line: %q", line)
		}
		committed := append([]byte(cassetteHeader), line...)
		committed[len(cassetteHeader)] = committedItem
		got := cassette.New("got")
		if err := yaml.Unmarshal(committed, got); err != nil {
			t.Fatalf("the committed line does not load: %v\n%s", err, committed)
		}
		if !reflect.DeepEqual(want.Interactions, got.Interactions) {
			t.Fatalf("the committed line loads as\n%#v\nnot\n%#v", got.Interactions[0], want.Interactions[0])
		}
		torn := append(append([]byte(cassetteHeader), block...), line[:int(cut)%(len(line)+1)]...)
		c := cassette.New("torn")
		if err := yaml.Unmarshal(torn, c); err != nil || len(c.Interactions) != 1 {
			t.Fatalf("a pending line cut at %d is not ignored (%v)", int(cut)%(len(line)+1), err)
		}
	})
}
