package mockserver

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startUpload begins a resumable upload and returns the upload URL's path
// and query.
func startUpload(t *testing.T, base, body string, headers ...string) string {
	t.Helper()
	h := append([]string{"X-Goog-Upload-Protocol", "resumable", "X-Goog-Upload-Command", "start"}, headers...)
	resp := do(t, http.MethodPost, base+"/upload/v1beta/files", body, h...)
	require.Equal(t, 200, resp.status, string(resp.body))
	assert.Equal(t, "active", resp.header.Get("X-Goog-Upload-Status"))
	assert.Equal(t, "8388608", resp.header.Get("X-Goog-Upload-Chunk-Granularity"))
	url := resp.header.Get("X-Goog-Upload-URL")
	require.True(t, strings.HasPrefix(url, base+"/upload/v1beta/files?upload_id="), url)
	return strings.TrimPrefix(url, base)
}

func chunk(t *testing.T, base, uploadURL, command string, offset int, data string) response {
	t.Helper()
	return do(t, http.MethodPost, base+uploadURL, data, "X-Goog-Upload-Command", command, "X-Goog-Upload-Offset", fmt.Sprint(offset))
}

type fileJSON struct {
	Name           string `json:"name"`
	DisplayName    string `json:"displayName"`
	MIMEType       string `json:"mimeType"`
	SizeBytes      string `json:"sizeBytes"`
	SHA256Hash     string `json:"sha256Hash"`
	URI            string `json:"uri"`
	DownloadURI    string `json:"downloadUri"`
	State          string `json:"state"`
	Source         string `json:"source"`
	CreateTime     string `json:"createTime"`
	ExpirationTime string `json:"expirationTime"`
}

func decodeFile(t *testing.T, r response) fileJSON {
	t.Helper()
	require.Equal(t, 200, r.status, string(r.body))
	var out struct {
		File fileJSON `json:"file"`
	}
	require.NoError(t, json.Unmarshal(r.body, &out))
	return out.File
}

func TestResumableUploadProtocol(t *testing.T) {
	clock := newTestClock()
	_, base := newTestServer(t, WithClock(clock.Now))
	url := startUpload(t, base, `{"file":{"display_name":"notes.jsonl"}}`,
		"X-Goog-Upload-Header-Content-Length", "11", "X-Goog-Upload-Header-Content-Type", "application/jsonl")

	r := chunk(t, base, url, "upload", 0, "hello ")
	require.Equal(t, 200, r.status, string(r.body))
	assert.Equal(t, "active", r.header.Get("X-Goog-Upload-Status"))
	assert.Equal(t, "6", r.header.Get("X-Goog-Upload-Size-Received"))

	// A chunk at the wrong offset is refused; the client can query and resume.
	r = chunk(t, base, url, "upload", 3, "xx")
	assert.Equal(t, 400, r.status)
	assert.Equal(t, "active", r.header.Get("X-Goog-Upload-Status"))
	assert.Contains(t, googleErr(t, r).Message, "6 bytes have been received")
	r = do(t, http.MethodPost, base+url, "", "X-Goog-Upload-Command", "query")
	assert.Equal(t, "6", r.header.Get("X-Goog-Upload-Size-Received"))

	// Finalizing short of the announced length is refused.
	r = chunk(t, base, url, "finalize", 6, "")
	assert.Equal(t, 400, r.status)
	assert.Contains(t, googleErr(t, r).Message, "announced as 11 bytes but 6 were received")

	f := decodeFile(t, chunk(t, base, url, "upload, finalize", 6, "world"))
	sum := sha256.Sum256([]byte("hello world"))
	assert.Equal(t, "notes.jsonl", f.DisplayName)
	assert.Equal(t, "application/jsonl", f.MIMEType)
	assert.Equal(t, "11", f.SizeBytes)
	assert.Equal(t, base64.StdEncoding.EncodeToString([]byte(hex.EncodeToString(sum[:]))), f.SHA256Hash)
	assert.Equal(t, "ACTIVE", f.State)
	assert.Equal(t, "UPLOADED", f.Source)
	assert.Regexp(t, `^files/[a-z0-9]{12}$`, f.Name)
	id := strings.TrimPrefix(f.Name, "files/")
	assert.Equal(t, base+"/v1beta/files/"+id, f.URI)
	assert.Equal(t, "2026-05-01T12:00:00Z", f.CreateTime)
	assert.Equal(t, "2026-05-03T12:00:00Z", f.ExpirationTime, "files live 48 hours")

	// The session is gone once finalized.
	r = chunk(t, base, url, "upload", 11, "more")
	assert.Equal(t, 404, r.status)
	assert.Equal(t, "final", r.header.Get("X-Goog-Upload-Status"))

	for _, path := range []string{"/v1beta/files/" + id + ":download?alt=media", "/download/v1beta/files/" + id + ":download?alt=media"} {
		r = do(t, http.MethodGet, base+path, "")
		require.Equal(t, 200, r.status, path)
		assert.Equal(t, "hello world", string(r.body))
		assert.Equal(t, "application/jsonl", r.header.Get("Content-Type"))
	}
	r = do(t, http.MethodGet, base+"/v1beta/files/"+id+":download?alt=media", "", "Range", "bytes=6-")
	assert.Equal(t, 206, r.status)
	assert.Equal(t, "world", string(r.body))

	// Files expire after 48 hours.
	clock.Advance(48 * time.Hour)
	r = do(t, http.MethodGet, base+"/v1beta/files/"+id, "")
	assert.Equal(t, 403, r.status)
	assert.Equal(t, "You do not have permission to access the File "+id+" or it may not exist.", googleErr(t, r).Message)
}

func TestUploadCancelAndErrors(t *testing.T) {
	_, base := newTestServer(t, WithMaxFileBytes(10))
	url := startUpload(t, base, "")
	r := do(t, http.MethodPost, base+url, "", "X-Goog-Upload-Command", "cancel")
	assert.Equal(t, 200, r.status)
	assert.Equal(t, "cancelled", r.header.Get("X-Goog-Upload-Status"))
	assert.Equal(t, 404, chunk(t, base, url, "upload", 0, "x").status)

	url = startUpload(t, base, `{}`)
	r = chunk(t, base, url, "upload, finalize", 0, "more than ten bytes")
	assert.Equal(t, 400, r.status)
	assert.Equal(t, "Request payload size exceeds the limit: 10 bytes.", googleErr(t, r).Message)

	tests := []struct {
		name    string
		body    string
		headers []string
		status  int
		message string
	}{
		{"announced size over the limit", `{}`, []string{"X-Goog-Upload-Protocol", "resumable", "X-Goog-Upload-Command", "start", "X-Goog-Upload-Header-Content-Length", "11"},
			400, "Request payload size exceeds the limit: 10 bytes."},
		{"unknown field", `{"file":{"displayName":"a","colour":"red"}}`, []string{"X-Goog-Upload-Protocol", "resumable", "X-Goog-Upload-Command", "start"},
			400, `Invalid JSON payload received. Unknown name "colour" at 'file': Cannot find field.`},
		{"bad name", `{"file":{"name":"files/Bad_Name"}}`, []string{"X-Goog-Upload-Protocol", "resumable", "X-Goog-Upload-Command", "start"},
			400, "* CreateFileRequest.file.name: the name must be files/{id}, the id at most 40 lowercase letters, digits or dashes, not starting or ending with a dash\n"},
		{"no protocol", `{}`, nil, 400, "* CreateFileRequest: unsupported upload protocol \"\"; use X-Goog-Upload-Protocol resumable, multipart or raw\n"},
		{"no key", `{}`, []string{"X-Goog-Upload-Protocol", "resumable", "X-Goog-Upload-Command", "start", "X-Goog-Api-Key", ""},
			403, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API."},
	}
	for _, tt := range tests {
		r := do(t, http.MethodPost, base+"/upload/v1beta/files", tt.body, tt.headers...)
		assert.Equal(t, tt.status, r.status, tt.name)
		assert.Equal(t, tt.message, googleErr(t, r).Message, tt.name)
	}
}

func TestAbandonedUploadsExpire(t *testing.T) {
	clock := newTestClock()
	_, base := newTestServer(t, WithClock(clock.Now))
	url := startUpload(t, base, `{}`)
	require.Equal(t, 200, chunk(t, base, url, "upload", 0, "abc").status)
	clock.Advance(48 * time.Hour)
	r := chunk(t, base, url, "upload, finalize", 3, "def")
	assert.Equal(t, 404, r.status)
	assert.Equal(t, "final", r.header.Get("X-Goog-Upload-Status"))
}

func TestUploadSizeMustBeAnInteger(t *testing.T) {
	_, base := newTestServer(t)
	r := do(t, http.MethodPost, base+"/upload/v1beta/files", `{"file":{"sizeBytes":"ten"}}`,
		"X-Goog-Upload-Protocol", "resumable", "X-Goog-Upload-Command", "start")
	assert.Equal(t, 400, r.status)
	assert.Equal(t, `Invalid value at 'file.size_bytes' (TYPE_INT64), "ten"`, googleErr(t, r).Message)
	r = do(t, http.MethodPost, base+"/upload/v1beta/files", `{"file":{"sizeBytes":"99999999999999999999"}}`,
		"X-Goog-Upload-Protocol", "resumable", "X-Goog-Upload-Command", "start")
	assert.Equal(t, 400, r.status)
	url := startUpload(t, base, `{"file":{"sizeBytes":"3"}}`)
	decodeFile(t, chunk(t, base, url, "upload, finalize", 0, "abc"))
	url = startUpload(t, base, `{"file":{"sizeBytes":1e1}}`)
	decodeFile(t, chunk(t, base, url, "upload, finalize", 0, "0123456789"))
}

func TestRequestedFileNamesAndConflicts(t *testing.T) {
	_, base := newTestServer(t)
	url := startUpload(t, base, `{"file":{"name":"files/my-file-1"}}`)
	f := decodeFile(t, chunk(t, base, url, "upload, finalize", 0, "abc"))
	assert.Equal(t, "files/my-file-1", f.Name)
	r := do(t, http.MethodPost, base+"/upload/v1beta/files", `{"file":{"name":"files/my-file-1"}}`,
		"X-Goog-Upload-Protocol", "resumable", "X-Goog-Upload-Command", "start")
	assert.Equal(t, 409, r.status)
	assert.Equal(t, "File files/my-file-1 already exists.", googleErr(t, r).Message)
}

func TestMultipartAndRawUploads(t *testing.T) {
	_, base := newTestServer(t)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	meta, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"application/json"}})
	meta.Write([]byte(`{"file":{"displayName":"photo"}}`))
	content, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"image/png"}})
	content.Write([]byte("PNG-bytes"))
	mw.Close()
	r := do(t, http.MethodPost, base+"/upload/v1beta/files", body.String(),
		"X-Goog-Upload-Protocol", "multipart", "Content-Type", "multipart/related; boundary="+mw.Boundary())
	f := decodeFile(t, r)
	assert.Equal(t, "final", r.header.Get("X-Goog-Upload-Status"))
	assert.Equal(t, "photo", f.DisplayName)
	assert.Equal(t, "image/png", f.MIMEType)
	assert.Equal(t, "9", f.SizeBytes)

	r = do(t, http.MethodPost, base+"/upload/v1beta/files?uploadType=media", "raw content", "Content-Type", "text/plain")
	f = decodeFile(t, r)
	assert.Equal(t, "text/plain", f.MIMEType)
	dl := do(t, http.MethodGet, base+"/v1beta/"+f.Name+":download?alt=media", "")
	assert.Equal(t, "raw content", string(dl.body))

	r = do(t, http.MethodPost, base+"/upload/v1beta/files", "not multipart", "X-Goog-Upload-Protocol", "multipart", "Content-Type", "text/plain")
	assert.Equal(t, 400, r.status)
}

func TestFilesListPagingAndLimits(t *testing.T) {
	clock := newTestClock()
	_, base := newTestServer(t, WithClock(clock.Now), WithMaxFiles(3))
	for i := range 3 {
		url := startUpload(t, base, fmt.Sprintf(`{"file":{"name":"files/f%d"}}`, i))
		decodeFile(t, chunk(t, base, url, "upload, finalize", 0, "x"))
		clock.Advance(time.Second)
	}
	r := do(t, http.MethodPost, base+"/upload/v1beta/files", `{}`, "X-Goog-Upload-Protocol", "resumable", "X-Goog-Upload-Command", "start")
	assert.Equal(t, 429, r.status)
	assert.Contains(t, googleErr(t, r).Message, "the store already holds 3 files")

	var names []string
	token := ""
	for range 5 {
		url := base + "/v1beta/files?pageSize=2"
		if token != "" {
			url += "&pageToken=" + token
		}
		r := do(t, http.MethodGet, url, "")
		require.Equal(t, 200, r.status, string(r.body))
		var page struct {
			Files         []fileJSON `json:"files"`
			NextPageToken string     `json:"nextPageToken"`
		}
		require.NoError(t, json.Unmarshal(r.body, &page))
		for _, f := range page.Files {
			names = append(names, f.Name)
		}
		if token = page.NextPageToken; token == "" {
			break
		}
	}
	assert.Equal(t, []string{"files/f2", "files/f1", "files/f0"}, names, "newest first")

	assert.Equal(t, 200, do(t, http.MethodDelete, base+"/v1beta/files/f1", "").status)
	assert.Equal(t, 403, do(t, http.MethodDelete, base+"/v1beta/files/f1", "").status)
	url := startUpload(t, base, `{}`) // room again
	assert.NotEmpty(t, url)

	// Expired files make room too.
	clock.Advance(49 * time.Hour)
	for range 2 {
		startUpload(t, base, `{}`)
	}
}
