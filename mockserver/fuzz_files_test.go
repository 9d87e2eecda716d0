package mockserver

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/embedmock/embedmock/mockserver/geminifiles"
)

// fuzzMaxFileBytes is the file size limit of the upload fuzz servers: small,
// so that fuzzed uploads reach it.
const fuzzMaxFileBytes = 512

// checkStoredFile checks the answer of a finished upload ({"file": File})
// against the bytes uploaded: its sizeBytes and sha256Hash, and what
// files.get and a download of it answer.
func checkStoredFile(t *testing.T, s *Server, rec *httptest.ResponseRecorder, want []byte, what string) {
	t.Helper()
	var out struct {
		File *fileJSON `json:"file"`
	}
	requireOKJSON(t, rec, what, &out)
	if out.File == nil || !strings.HasPrefix(out.File.Name, "files/") {
		t.Fatalf("%s: 200 without a file: %s", what, rec.Body)
	}
	if got := rec.Header().Get("X-Goog-Upload-Status"); got != "final" {
		t.Fatalf("%s: finished upload with X-Goog-Upload-Status %q", what, got)
	}
	sum := sha256.Sum256(want)
	if out.File.SizeBytes != strconv.Itoa(len(want)) || out.File.SHA256Hash != base64.StdEncoding.EncodeToString([]byte(hex.EncodeToString(sum[:]))) {
		t.Fatalf("%s: %d bytes uploaded, file says sizeBytes %s, sha256Hash %s", what, len(want), out.File.SizeBytes, out.File.SHA256Hash)
	}
	get := fuzzServe(s, fuzzRequest(http.MethodGet, "/v1beta/"+out.File.Name, nil, false, "X-Goog-Api-Key", "fuzz"))
	var got fileJSON
	requireOKJSON(t, get, what+": files.get", &got)
	if got.Name != out.File.Name || got.SizeBytes != out.File.SizeBytes {
		t.Fatalf("%s: files.get answers %+v for %+v", what, got, out.File)
	}
	dl := fuzzServe(s, fuzzRequest(http.MethodGet, "/v1beta/"+out.File.Name+":download?alt=media", nil, false, "X-Goog-Api-Key", "fuzz"))
	if dl.Code != http.StatusOK || !bytes.Equal(dl.Body.Bytes(), want) {
		t.Fatalf("%s: download answers %d %q, want %q", what, dl.Code, dl.Body.Bytes(), want)
	}
}

// requireUploadError checks an upload error: Google's envelope and the
// X-Goog-Upload-Status it leaves the session in.
func requireUploadError(t *testing.T, rec *httptest.ResponseRecorder, uploadStatus, what string) googleError {
	t.Helper()
	e := requireGoogleError(t, rec, what)
	if got := rec.Header().Get("X-Goog-Upload-Status"); got != uploadStatus {
		t.Fatalf("%s: %d with X-Goog-Upload-Status %q, want %q: %s", what, rec.Code, got, uploadStatus, rec.Body)
	}
	return e
}

// uploadCommands are the X-Goog-Upload-Command values the chunk script
// picks from; index 0 is the fuzzed command.
var uploadCommands = []string{
	"", "upload", "upload", "upload, finalize", "finalize", "query", "cancel", "UPLOAD, Finalize",
	" upload ,finalize ", "upload,,finalize", "", "junk", "start", "upload, junk", "finalize, cancel", "query, upload",
}

// FuzzUploadProtocol drives the upload protocol: a start with a fuzzed
// X-Goog-Upload-Protocol (in the header or the query), metadata body and
// announced length, then, for a resumable session, a script of chunks with
// fuzzed commands, offsets and bodies, and a final finalize. The server
// must never panic or answer 5xx; every error is Google's envelope with
// the X-Goog-Upload-Status the session is left in; the session follows the
// protocol (a chunk is taken exactly when its offset is the size received
// and it fits the size limit; query reports the size; cancel ends the
// session; finalize succeeds exactly when the announced size, if any, was
// received); and a finished upload -- resumable or raw -- is a file whose
// sizeBytes, hash and download are exactly the bytes uploaded. Scripts
// whose length leaves 1 byte over run against a server with a data dir.
func FuzzUploadProtocol(f *testing.F) {
	// Script ops are 3 bytes: command, offset choice, chunk length.
	f.Add("resumable", false, "11", "", []byte(`{"file":{"display_name":"notes.jsonl"}}`),
		[]byte{1, 0, 6, 3, 0, 5}, []byte("hello world"))
	f.Add("resumable", false, "", "", []byte(`{"file":{"name":"files/my-file","mimeType":"text/plain","sizeBytes":"4"}}`),
		[]byte{1, 0, 2, 1, 4, 2, 5, 0, 0, 1, 5, 0, 1, 0, 2, 4, 0, 0}, []byte("abcd"))
	f.Add("resumable", false, "11", "", []byte(`{"file":{"display_name":"on disk"}}`),
		[]byte{1, 0, 6, 1, 4, 1, 5, 0, 0, 3, 0, 5, 0}, []byte("hello world")) // 13 bytes: data dir
	f.Add("raw", false, "", "", []byte("raw on disk"), []byte{0}, []byte{})
	f.Add("Resumable", false, "", "upload, finalize", []byte(``), []byte{0, 0, 9}, []byte("whole file"))
	f.Add("resumable", true, "3", "", []byte(`{}`), []byte{1, 7, 3, 1, 6, 3, 1, 0, 3, 0x0b, 0, 0, 6, 0, 0, 1, 0, 1}, []byte("abcd"))
	f.Add("resumable", false, "", "", []byte(`{"file":{}}`), []byte{0xff, 0, 0, 1, 0x80, 200, 1, 0, 200, 3, 0, 200}, bytes.Repeat([]byte("x"), 600))
	f.Add("resumable", false, "600", "", []byte(`{"file":{}}`), []byte{}, []byte{})
	f.Add("resumable", false, "-1", "", []byte(`{"file":{}}`), []byte{}, []byte{})
	f.Add("resumable", false, "", "", []byte(`{"file":{"name":"bad name"}}`), []byte{}, []byte{})
	f.Add("resumable", false, "", "", []byte(`{"file":{"sizeBytes":"x"}}`), []byte{}, []byte{})
	f.Add("resumable", false, "", "", []byte(`{"file":{"displayName":1}}`), []byte{}, []byte{})
	f.Add("resumable", false, "", "", []byte(`not json`), []byte{}, []byte{})
	f.Add("raw", false, "", "", []byte("raw file body"), []byte{}, []byte{})
	f.Add("media", true, "", "", []byte(""), []byte{}, []byte{})
	f.Add("multipart", false, "", "", []byte("--b\r\n\r\n{}\r\n--b\r\n\r\nx\r\n--b--"), []byte{}, []byte{})
	f.Add("junk", false, "", "", []byte(`{}`), []byte{}, []byte{})
	f.Add("", false, "", "", []byte(`{}`), []byte{}, []byte{})

	memory := newFuzzServer(f, WithMaxFileBytes(fuzzMaxFileBytes))
	disk := newFuzzServer(f, WithMaxFileBytes(fuzzMaxFileBytes), WithDataDir(f.TempDir()))
	f.Fuzz(func(t *testing.T, protocol string, inQuery bool, declared, command string, meta, script, data []byte) {
		s := memory
		if len(script)%3 == 1 { // a script with a stray byte runs against a data dir
			s = disk
		}
		s.Reset()
		target := "/upload/v1beta/files"
		headers := []string{"X-Goog-Api-Key", "fuzz", "X-Goog-Upload-Command", "start",
			"X-Goog-Upload-Header-Content-Type", "application/octet-stream", "Content-Type", "application/octet-stream"}
		effective := strings.ToLower(headerValue(protocol))
		if inQuery {
			target += "?uploadType=" + url.QueryEscape(protocol)
			effective = strings.ToLower(protocol)
		} else {
			headers = append(headers, "X-Goog-Upload-Protocol", protocol)
		}
		if declared != "" {
			headers = append(headers, "X-Goog-Upload-Header-Content-Length", declared)
		}
		rec := fuzzServe(s, fuzzRequest(http.MethodPost, target, meta, false, headers...))
		switch effective {
		case "raw", "media":
			if len(meta) > fuzzMaxFileBytes {
				requireUploadError(t, rec, "final", "raw upload over the limit")
				return
			}
			checkStoredFile(t, s, rec, meta, "raw upload")
			return
		case "resumable":
		default:
			// Unknown protocols, and multipart without a multipart body.
			requireUploadError(t, rec, "final", "start with protocol "+strconv.Quote(effective))
			return
		}
		if rec.Code != http.StatusOK {
			requireUploadError(t, rec, "final", "resumable start")
			return
		}
		if rec.Header().Get("X-Goog-Upload-Status") != "active" {
			t.Fatalf("started session has X-Goog-Upload-Status %q", rec.Header().Get("X-Goog-Upload-Status"))
		}
		sessionURL := rec.Header().Get("X-Goog-Upload-URL")
		if !strings.HasPrefix(sessionURL, "http://example.com/upload/v1beta/files?upload_id=") {
			t.Fatalf("X-Goog-Upload-URL %q", sessionURL)
		}
		// The announced size: the header's, else the metadata's.
		want := int64(-1)
		if d := headerValue(declared); d != "" {
			n, err := strconv.ParseInt(d, 10, 64)
			if err != nil || n < 0 || n > fuzzMaxFileBytes {
				t.Fatalf("session started with X-Goog-Upload-Header-Content-Length %q", d)
			}
			want = n
		} else if m, gerr := geminifiles.ParseMetadata(meta, "v1beta"); gerr != nil {
			t.Fatalf("session started with metadata %q the parser refuses: %v", meta, gerr)
		} else {
			want = m.SizeBytes
		}

		var uploaded []byte
		open := true
		cursor := 0
		step := func(i int, cmd string, offset string, chunk []byte, chunked bool, bogus bool) {
			what := "op " + strconv.Itoa(i) + " (" + strconv.Quote(cmd) + ", offset " + strconv.Quote(offset) + ", " + strconv.Itoa(len(chunk)) + " bytes)"
			target := sessionURL
			if bogus {
				target = "/upload/v1beta/files?upload_id=nosuchsession&upload_protocol=resumable"
			}
			h := []string{"X-Goog-Api-Key", "fuzz", "X-Goog-Upload-Command", cmd}
			if offset != "" {
				h = append(h, "X-Goog-Upload-Offset", offset)
			}
			rec := fuzzServe(s, fuzzRequest(http.MethodPost, target, chunk, chunked, h...))
			if bogus || !open {
				requireUploadError(t, rec, "final", what+" on a session that is not open")
				if rec.Code != http.StatusNotFound {
					t.Fatalf("%s: %d for a session that is not open, want 404", what, rec.Code)
				}
				return
			}
			received := strconv.Itoa(len(uploaded))
			parsed, unknownCmd := geminifiles.ParseUploadCommand(headerValue(cmd))
			upload, finalize, query, cancel, unknown := parsed.Upload, parsed.Finalize, parsed.Query, parsed.Cancel, unknownCmd != ""
			switch {
			case unknown:
				requireUploadError(t, rec, "active", what)
				return
			case cancel:
				if rec.Code != http.StatusOK || rec.Header().Get("X-Goog-Upload-Status") != "cancelled" {
					t.Fatalf("%s: cancel answered %d, status %q", what, rec.Code, rec.Header().Get("X-Goog-Upload-Status"))
				}
				open = false
				return
			case query:
				if rec.Code != http.StatusOK || rec.Header().Get("X-Goog-Upload-Status") != "active" ||
					rec.Header().Get("X-Goog-Upload-Size-Received") != received {
					t.Fatalf("%s: query answered %d, status %q, size %q, want %s", what, rec.Code,
						rec.Header().Get("X-Goog-Upload-Status"), rec.Header().Get("X-Goog-Upload-Size-Received"), received)
				}
				return
			case !upload && !finalize:
				requireUploadError(t, rec, "active", what)
				return
			}
			if upload {
				n, err := strconv.ParseInt(headerValue(offset), 10, 64)
				switch {
				case err != nil || n != int64(len(uploaded)):
					requireUploadError(t, rec, "active", what+" at a wrong offset")
					if rec.Header().Get("X-Goog-Upload-Size-Received") != received {
						t.Fatalf("%s: refused chunk reports size %q, want %s", what, rec.Header().Get("X-Goog-Upload-Size-Received"), received)
					}
					return
				case len(uploaded)+len(chunk) > fuzzMaxFileBytes:
					requireUploadError(t, rec, "active", what+" over the size limit")
					return
				}
				uploaded = append(uploaded, chunk...)
				received = strconv.Itoa(len(uploaded))
			}
			if !finalize || (want >= 0 && int64(len(uploaded)) != want) {
				if finalize {
					requireUploadError(t, rec, "active", what+" finalizing "+received+" bytes of "+strconv.FormatInt(want, 10))
				} else if rec.Code != http.StatusOK || rec.Header().Get("X-Goog-Upload-Status") != "active" {
					t.Fatalf("%s: chunk answered %d, status %q: %s", what, rec.Code, rec.Header().Get("X-Goog-Upload-Status"), rec.Body)
				}
				if rec.Header().Get("X-Goog-Upload-Size-Received") != received {
					t.Fatalf("%s: size received %q, want %s", what, rec.Header().Get("X-Goog-Upload-Size-Received"), received)
				}
				return
			}
			checkStoredFile(t, s, rec, uploaded, what)
			if rec.Header().Get("X-Goog-Upload-Size-Received") != received {
				t.Fatalf("%s: size received %q, want %s", what, rec.Header().Get("X-Goog-Upload-Size-Received"), received)
			}
			open = false
		}
		for i := 0; i+2 < len(script) && i < 3*64; i += 3 {
			c, o, l := script[i], script[i+1], script[i+2]
			cmd := uploadCommands[int(c)%len(uploadCommands)]
			if c%byte(len(uploadCommands)) == 0 {
				cmd = command
			}
			var offset string
			switch o & 7 {
			case 0, 1, 2, 3:
				offset = strconv.Itoa(len(uploaded))
			case 4:
				offset = strconv.Itoa(len(uploaded) + 1)
			case 5:
				offset = strconv.Itoa(len(uploaded) - 1)
			case 6:
				offset = ""
			case 7:
				offset = "+" + strconv.Itoa(len(uploaded)) + "x"
			}
			n := int(l) % (len(data) - cursor + 1)
			chunk := data[cursor : cursor+n]
			cursor += n
			step(i/3, cmd, offset, chunk, o&0x80 != 0, c == 0xff)
		}
		step(-1, "finalize", "", nil, false, false)
	})
}

// FuzzMultipartUpload sends multipart uploads with a fuzzed boundary: a
// fuzzed body, or a well-formed body (metadata part, content part) built
// with that boundary. The server must never panic or answer 5xx; errors
// are Google's envelope with X-Goog-Upload-Status final; a stored file has
// the size and download its answer says, and, for a well-formed body, is
// exactly the content part.
func FuzzMultipartUpload(f *testing.F) {
	wellFormed := func(boundary, meta, content string) []byte {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		if err := w.SetBoundary(boundary); err != nil {
			f.Fatal(err)
		}
		p, _ := w.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/json; charset=UTF-8"}})
		p.Write([]byte(meta))
		p, _ = w.CreatePart(textproto.MIMEHeader{"Content-Type": {"text/plain"}})
		p.Write([]byte(content))
		w.Close()
		return b.Bytes()
	}
	// mode: 0 boundary=B, 1 boundary="B", 2 the boundary string is the whole
	// Content-Type; +4 builds a well-formed body from meta and content.
	f.Add(uint8(4), "boundary123", []byte(`{"file":{"displayName":"d"}}`), []byte("hello"), []byte{})
	f.Add(uint8(5), "b c", []byte(`{"file":{"name":"files/mp","mimeType":"text/csv"}}`), []byte("a,b\r\n1,2\r\n"), []byte{})
	f.Add(uint8(4), "b", []byte(``), []byte(""), []byte{})
	f.Add(uint8(4), "b", []byte(`{"file":{"name":"files/Bad"}}`), []byte("x"), []byte{})
	f.Add(uint8(4), "b", []byte(`{"file":{}}`), bytes.Repeat([]byte("y"), 600), []byte{})
	f.Add(uint8(0), "b", []byte{}, []byte{}, []byte("--b\r\nContent-Type: application/json\r\n\r\n{}\r\n--b\r\n\r\ncontent\r\n--b--\r\n"))
	f.Add(uint8(0), "b", []byte{}, []byte{}, []byte("--b\r\n\r\n{}\r\n--b--\r\n"))
	f.Add(uint8(0), "b", []byte{}, []byte{}, []byte("--b\n\n{}\n--b\n\nunix newlines\n--b--\n"))
	f.Add(uint8(0), "b", []byte{}, []byte{}, []byte("--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{}\r\n--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nq=3Dp=\r\n--b--\r\n"))
	f.Add(uint8(0), "b", []byte{}, []byte{}, []byte(""))
	f.Add(uint8(0), "", []byte{}, []byte{}, []byte("--\r\n\r\n{}\r\n"))
	f.Add(uint8(2), "multipart/related", []byte{}, []byte{}, []byte("x"))
	f.Add(uint8(2), "text/plain; boundary=b", []byte{}, []byte{}, []byte("--b\r\n\r\n{}\r\n--b\r\n\r\nx\r\n--b--\r\n"))
	f.Add(uint8(2), `multipart/mixed; boundary="a;b"; charset=x`, []byte{}, []byte{}, []byte("--a;b\r\n\r\n{}\r\n--a;b\r\n\r\nx\r\n--a;b--\r\n"))
	f.Add(uint8(0), "b", []byte{}, []byte{}, wellFormed("b", `{"file":{"displayName":"w"}}`, "content"))

	s := newFuzzServer(f, WithMaxFileBytes(fuzzMaxFileBytes))
	f.Fuzz(func(t *testing.T, mode uint8, boundary string, meta, content, body []byte) {
		s.Reset()
		var contentType string
		switch mode % 4 {
		case 0, 3:
			contentType = "multipart/related; boundary=" + boundary
		case 1:
			contentType = `multipart/related; boundary="` + boundary + `"`
		case 2:
			contentType = boundary
		}
		built := false
		if mode&4 != 0 && !bytes.Contains(meta, []byte("--"+boundary)) && !bytes.Contains(content, []byte("--"+boundary)) {
			var b bytes.Buffer
			w := multipart.NewWriter(&b)
			if w.SetBoundary(boundary) == nil && mode%4 != 2 {
				p, _ := w.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/json"}})
				p.Write(meta)
				p, _ = w.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/octet-stream"}})
				p.Write(content)
				w.Close()
				body, built = b.Bytes(), true
			}
		}
		target := "/upload/v1beta/files"
		headers := []string{"X-Goog-Api-Key", "fuzz", "Content-Type", contentType}
		if mode&8 != 0 {
			target += "?uploadType=multipart"
		} else {
			headers = append(headers, "X-Goog-Upload-Protocol", "multipart")
		}
		rec := fuzzServe(s, fuzzRequest(http.MethodPost, target, body, mode&16 != 0, headers...))
		if rec.Code != http.StatusOK {
			requireUploadError(t, rec, "final", "multipart upload")
			_, params, err := mime.ParseMediaType(headerValue(contentType))
			if built && err == nil && params["boundary"] == boundary && len(content) <= fuzzMaxFileBytes {
				if _, gerr := geminifiles.ParseMetadata(meta, "v1beta"); gerr == nil {
					t.Fatalf("well-formed multipart upload (boundary %q, metadata %q, %d bytes) refused: %s", boundary, meta, len(content), rec.Body)
				}
			}
			return
		}
		var out struct {
			File fileJSON `json:"file"`
		}
		requireOKJSON(t, rec, "multipart upload", &out)
		if built {
			checkStoredFile(t, s, rec, content, "well-formed multipart upload")
			return
		}
		dl := fuzzServe(s, fuzzRequest(http.MethodGet, "/v1beta/"+out.File.Name+":download?alt=media", nil, false, "X-Goog-Api-Key", "fuzz"))
		if dl.Code != http.StatusOK {
			t.Fatalf("download of %s: %d %s", out.File.Name, dl.Code, dl.Body)
		}
		checkStoredFile(t, s, rec, dl.Body.Bytes(), "multipart upload")
	})
}

// listFuzzRoutes are the routes FuzzListQuery sends fuzzed query strings
// to: the listings (with their page tokens), the single resources and an
// embedding.
var listFuzzRoutes = []struct{ method, path string }{
	{http.MethodGet, "/v1beta/files"},
	{http.MethodGet, "/v1beta/batches"},
	{http.MethodGet, "/v1beta/models"},
	{http.MethodGet, "/v1/files"},
	{http.MethodGet, "/v1beta/files/fuzz-file-1"},
	{http.MethodGet, "/v1beta/files/fuzz-file-2:download"},
	{http.MethodGet, "/download/v1beta/files/fuzz-file-3:download"},
	{http.MethodGet, "/v1beta/models/gemini-embedding-001"},
	{http.MethodGet, "/v1beta/batches/{job}"},
	{http.MethodPost, "/v1beta/batches/{job}:cancel"},
	{http.MethodPost, "/v1beta/models/gemini-embedding-001:embedContent"},
	{http.MethodPost, "/v1beta/models/gemini-embedding-001:batchEmbedContents"},
	{http.MethodDelete, "/v1beta/files/no-such-file"},
}

// FuzzListQuery sends fuzzed query strings to the Gemini API's listings,
// resources and embedding routes (query parameters are a parser of their
// own: pageSize, pageToken, alt, key, unknown names). The server must never
// panic or answer 5xx; errors are Google's envelope (400, 403 or 404); a
// listing's nextPageToken is accepted for the next page.
func FuzzListQuery(f *testing.F) {
	for i, q := range []string{
		"", "pageSize=1", "page_size=2&pageToken=", "pageSize=-1", "pageSize=abc", "pageSize=99999999999", "pageSize=0",
		"pageToken=%%%", "pageToken=AAAA", "page_token=MTIzL2E=", "pageToken=LTEvYQ==", "pageToken=OTIyMzM3MjAzNjg1NDc3NTgwOC94",
		"alt=media", "alt=json", "alt=media&alt=json", "key=k&$alt=json", "unknown=1", "filter=x&returnPartialSuccess=true",
		"a=1&&&b", "pageSize=1&pageSize=2", "key", "=", "%zz=1", "fields=name",
	} {
		for route := range len(listFuzzRoutes) {
			if (i+route)%3 == 0 {
				f.Add(uint8(route), q)
			}
		}
		f.Add(uint8(i%3), q)
	}

	s := newFuzzServer(f)
	now := s.now()
	var job string
	for i := 1; i <= 3; i++ {
		id := "fuzz-file-" + strconv.Itoa(i)
		if err := s.files.PutGenerated(id, id, "text/plain", []byte(strings.Repeat("x", i)), now.Add(time.Duration(i)*time.Second)); err != nil {
			f.Fatal(err)
		}
		rec := fuzzServe(s, fuzzRequest(http.MethodPost, "/v1beta/models/gemini-embedding-001:asyncBatchEmbedContent",
			[]byte(`{"batch":{"inputConfig":{"requests":{"requests":[{"request":{"content":{"parts":[{"text":"a"}]}}}]}}}}`), false, "X-Goog-Api-Key", "fuzz"))
		var op fuzzOperation
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &op) != nil {
			f.Fatalf("creating a job: %d %s", rec.Code, rec.Body)
		}
		job = strings.TrimPrefix(op.Name, "batches/")
	}
	bodies := map[string][]byte{
		"/v1beta/models/gemini-embedding-001:embedContent":       []byte(`{"content":{"parts":[{"text":"q"}]},"outputDimensionality":128}`),
		"/v1beta/models/gemini-embedding-001:batchEmbedContents": []byte(`{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"q"}]},"outputDimensionality":128}]}`),
	}
	f.Fuzz(func(t *testing.T, route uint8, query string) {
		r := listFuzzRoutes[int(route)%len(listFuzzRoutes)]
		query = cleanQuery(query)
		path := strings.Replace(r.path, "{job}", job, 1)
		send := func(query string) *httptest.ResponseRecorder {
			req := fuzzRequest(r.method, path, bodies[r.path], false, "X-Goog-Api-Key", "fuzz")
			req.URL.RawQuery = query
			return fuzzServe(s, req)
		}
		rec := send(query)
		what := r.method + " " + path + "?" + query
		if rec.Code != http.StatusOK {
			e := requireGoogleError(t, rec, what)
			if e.Code != http.StatusBadRequest && e.Code != http.StatusForbidden && e.Code != http.StatusNotFound {
				t.Fatalf("%s: unexpected status %d", what, e.Code)
			}
			return
		}
		if strings.HasSuffix(r.path, ":download") {
			return // the file's bytes
		}
		var page struct {
			NextPageToken string `json:"nextPageToken"`
		}
		requireOKJSON(t, rec, what, &page)
		if page.NextPageToken == "" {
			return
		}
		q, _ := url.ParseQuery(query)
		q.Del("page_token")
		q.Set("pageToken", page.NextPageToken)
		next := send(q.Encode())
		requireOKJSON(t, next, what+" next page", nil)
	})
}
