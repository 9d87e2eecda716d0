package geminifiles

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embedmock/embedmock/mockserver/family/familytest"
	"github.com/embedmock/embedmock/mockserver/store"
)

// newTestFiles serves the Files API alone on a loopback port.
func newTestFiles(t *testing.T, back store.Backend) (*Family, string) {
	t.Helper()
	if back == nil {
		back = store.NewMemory()
	}
	f, err := New(familytest.Env(), Config{MaxFileBytes: 1 << 20, MaxFiles: 100}, back)
	require.NoError(t, err)
	return f, familytest.Serve(t, f)
}

func openDir(t *testing.T, dir string) *store.Dir {
	t.Helper()
	d, err := store.Open(dir)
	require.NoError(t, err)
	return d
}

type response = familytest.Response

// do sends a request with an API key.
func do(t *testing.T, method, url, body string, headers ...string) response {
	t.Helper()
	return familytest.Do(t, method, url, body, append([]string{"X-Goog-Api-Key", "test-key"}, headers...)...)
}

// startUpload begins a resumable upload and returns the upload URL's path
// and query.
func startUpload(t *testing.T, base, body string) string {
	t.Helper()
	resp := do(t, http.MethodPost, base+"/upload/v1beta/files", body, "X-Goog-Upload-Protocol", "resumable", "X-Goog-Upload-Command", "start")
	require.Equal(t, 200, resp.Status, string(resp.Body))
	return strings.TrimPrefix(resp.Header.Get("X-Goog-Upload-URL"), base)
}

func chunk(t *testing.T, base, uploadURL, command string, offset int, data string) response {
	t.Helper()
	return do(t, http.MethodPost, base+uploadURL, data, "X-Goog-Upload-Command", command, "X-Goog-Upload-Offset", fmt.Sprint(offset))
}

func decodeFile(t *testing.T, r response) fileResource {
	t.Helper()
	require.Equal(t, 200, r.Status, string(r.Body))
	var out struct {
		File fileResource `json:"file"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &out))
	return out.File
}

func TestParseUploadCommand(t *testing.T) {
	for _, tc := range []struct {
		header  string
		want    UploadCommand
		unknown string
	}{
		{"", UploadCommand{}, ""},
		{"upload", UploadCommand{Upload: true}, ""},
		{"upload, finalize", UploadCommand{Upload: true, Finalize: true}, ""},
		{" UPLOAD ,Finalize ", UploadCommand{Upload: true, Finalize: true}, ""},
		{"upload,,finalize", UploadCommand{Upload: true, Finalize: true}, ""},
		{"query", UploadCommand{Query: true}, ""},
		{"cancel", UploadCommand{Cancel: true}, ""},
		{"upload, junk", UploadCommand{Upload: true}, " junk"},
		{"start", UploadCommand{}, "start"},
	} {
		got, unknown := ParseUploadCommand(tc.header)
		assert.Equal(t, tc.want, got, tc.header)
		assert.Equal(t, tc.unknown, unknown, tc.header)
	}
}

// A reset while an upload's last chunk is being stored drops the upload: its
// file does not appear afterwards, in memory or in the data dir.
func TestUploadFinishedAfterAResetIsDropped(t *testing.T) {
	for _, dataDir := range []bool{false, true} {
		t.Run(fmt.Sprintf("dataDir=%v", dataDir), func(t *testing.T) {
			dir := t.TempDir()
			var back store.Backend = store.NewMemory()
			if dataDir {
				back = openDir(t, dir)
			}
			s, base := newTestFiles(t, back)
			uploadURL := startUpload(t, base, `{"file":{"displayName":"late"}}`)
			require.Equal(t, 200, chunk(t, base, uploadURL, "upload", 0, "content").Status)
			s.store.mu.Lock()
			var u *uploadSession
			for _, session := range s.store.uploads {
				u = session
			}
			s.store.mu.Unlock()
			require.NotNil(t, u)

			// What the finalize does after its checks, with a reset in between.
			u.mu.Lock()
			s.Reset()
			_, gerr := s.finishUpload(u)
			u.mu.Unlock()
			require.NotNil(t, gerr)
			assert.Equal(t, http.StatusNotFound, gerr.Code)

			r := do(t, http.MethodGet, base+"/v1beta/files", "")
			assert.JSONEq(t, `{}`, string(r.Body))
			if dataDir {
				left, err := filepath.Glob(filepath.Join(dir, "files", "*"))
				require.NoError(t, err)
				assert.Empty(t, left)
			}
		})
	}
}

// A download that found a file reads that file's bytes, even if the name is
// deleted and taken by another upload before the bytes are read, in
// memory and in a data dir.
func TestContentIsOfTheFileFound(t *testing.T) {
	for name, back := range map[string]store.Backend{"memory": store.NewMemory(), "data dir": openDir(t, t.TempDir())} {
		t.Run(name, func(t *testing.T) {
			s, base := newTestFiles(t, back)
			upload := func(content string) {
				url := startUpload(t, base, `{"file":{"name":"files/reused"}}`)
				decodeFile(t, chunk(t, base, url, "upload, finalize", 0, content))
			}
			upload("first")
			found, content, err := s.Open("reused")
			require.NoError(t, err)
			defer content.Close()
			require.Equal(t, 200, do(t, http.MethodDelete, base+"/v1beta/files/reused", "").Status)
			upload("second, longer")

			got, err := io.ReadAll(content)
			require.NoError(t, err)
			assert.Equal(t, "first", string(got), "the bytes match the record's size and hash")
			assert.Equal(t, int64(len(got)), found.Size)
		})
	}
}

// TestDataDirDropsCutOffOneShotUpload covers a multipart upload cut off by a
// kill: its session was on disk, but no client knows its upload URL, so the
// restart must free its file name rather than keep it taken.
func TestDataDirDropsCutOffOneShotUpload(t *testing.T) {
	dir := t.TempDir()
	s, _ := newTestFiles(t, openDir(t, dir))
	meta := Metadata{FileID: "cut-off"}
	u, gerr := s.newUpload(meta, -1, true)
	require.Nil(t, gerr)
	require.FileExists(t, filepath.Join(dir, "uploads", u.ID+".json"))

	_, base := newTestFiles(t, openDir(t, dir))
	assert.NoFileExists(t, filepath.Join(dir, "uploads", u.ID+".json"))
	assert.NoFileExists(t, filepath.Join(dir, "uploads", u.ID+".part"))
	url := startUpload(t, base, `{"file":{"name":"files/cut-off"}}`)
	decodeFile(t, chunk(t, base, url, "upload, finalize", 0, "second try"))
}

// TestUploadURLIsACapability: the chunks of a resumable upload need no API
// key, as in Google's REST samples (curl "${upload_url}"); starting one
// does, and an unknown session is not found.
func TestUploadURLIsACapability(t *testing.T) {
	_, base := newTestFiles(t, nil)
	url := startUpload(t, base, `{"file":{"displayName":"nokey"}}`)
	r := familytest.Do(t, http.MethodPost, base+url, "content", "X-Goog-Upload-Command", "upload, finalize", "X-Goog-Upload-Offset", "0")
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	assert.Equal(t, "final", r.Header.Get("X-Goog-Upload-Status"))

	r = familytest.Do(t, http.MethodPost, base+"/upload/v1beta/files?upload_id=nosuchsession&upload_protocol=resumable", "x",
		"X-Goog-Upload-Command", "upload, finalize", "X-Goog-Upload-Offset", "0")
	assert.Equal(t, http.StatusNotFound, r.Status)
	r = familytest.Do(t, http.MethodPost, base+"/upload/v1beta/files", `{}`, "X-Goog-Upload-Protocol", "resumable", "X-Goog-Upload-Command", "start")
	assert.Equal(t, http.StatusForbidden, r.Status, "starting a session needs the key")
}
