package geminifiles

import (
	"cmp"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/mockserver/googleapi"
	"github.com/embedmock/embedmock/mockserver/store"
	"github.com/embedmock/embedmock/mockserver/vectorwire"
	"github.com/embedmock/embedmock/schemas"
)

// uploadChunkGranularity is the chunk size the Files API announces (and the
// SDKs use): 8 MiB.
const uploadChunkGranularity = 8 << 20

// uploadSession is a resumable upload in progress.
type uploadSession struct {
	ID          string    `json:"id"`
	FileID      string    `json:"fileId"`
	DisplayName string    `json:"displayName,omitempty"`
	MIMEType    string    `json:"mimeType,omitempty"`
	Declared    int64     `json:"declared"` // total size announced at start; -1 if none
	Received    int64     `json:"received"`
	CreateTime  time.Time `json:"createTime"`
	// OneShot marks the session behind a multipart or raw upload, which
	// arrives in one request: no client knows its upload URL, so a restart
	// that finds it unfinished drops it rather than keeping its file name
	// taken.
	OneShot bool `json:"oneShot,omitempty"`

	mu sync.Mutex // serialises the chunks of this session
}

// loadUpload restores a session from the data dir, cutting its partial
// content back to the last acknowledged byte. A one-shot session (a
// multipart or raw upload cut off by the stop) is dropped.
func (st *fileStore) loadUpload(id string, record []byte) error {
	u := new(uploadSession)
	if err := json.Unmarshal(record, u); err != nil {
		return err
	}
	size, err := st.back.Size("uploads", id+".part")
	if err != nil || size < u.Received || u.OneShot {
		st.back.Remove("uploads", id+".json", id+".part")
		return nil
	}
	if err := st.back.Truncate("uploads", id+".part", u.Received); err != nil {
		return err
	}
	st.uploads[id] = u
	return nil
}

// setUploadStatus sets the X-Goog-Upload-Status and, when known,
// X-Goog-Upload-Size-Received response headers.
func setUploadStatus(w http.ResponseWriter, status string, received int64) {
	h := w.Header()
	h.Set("X-Goog-Upload-Status", status)
	if received >= 0 {
		h.Set("X-Goog-Upload-Size-Received", strconv.FormatInt(received, 10))
	}
}

// handleUpload serves POST /upload/{version}/files: the start of a
// resumable upload, a chunk of one (with upload_id), a multipart upload or a
// raw upload.
func (g *Family) handleUpload(w http.ResponseWriter, r *http.Request, c *family.Call) {
	q := r.URL.Query()
	if id := q.Get("upload_id"); id != "" {
		g.handleUploadChunk(w, r, c, id)
		return
	}
	protocol := strings.ToLower(cmp.Or(r.Header.Get("X-Goog-Upload-Protocol"), q.Get("uploadType"), q.Get("upload_protocol")))
	switch protocol {
	case "resumable":
		if cmd := strings.ToLower(strings.TrimSpace(r.Header.Get("X-Goog-Upload-Command"))); cmd != "start" {
			writeUploadError(w, "final", googleapi.InvalidFields(fmt.Sprintf("CreateFileRequest: X-Goog-Upload-Command must be start to begin a resumable upload, got %q", cmd)))
			return
		}
		g.startResumableUpload(w, r, c)
	case "multipart":
		g.handleMultipartUpload(w, r, c)
	case "raw", "media":
		g.handleRawUpload(w, r, c)
	default:
		writeUploadError(w, "final", googleapi.InvalidFields(fmt.Sprintf(
			"CreateFileRequest: unsupported upload protocol %q; use X-Goog-Upload-Protocol resumable, multipart or raw", protocol)))
	}
}

func writeUploadError(w http.ResponseWriter, status string, e *googleapi.Error) {
	setUploadStatus(w, status, -1)
	googleapi.WriteError(w, e)
}

// Metadata is the {"file": File} body of an upload.
type Metadata struct {
	FileID      string // requested id, "" to pick one
	DisplayName string
	MIMEType    string
	SizeBytes   int64 // -1 when not given
}

// ParseMetadata validates and decodes a CreateFileRequest body;
// apiVersion appears in type URLs of error messages.
func ParseMetadata(body []byte, apiVersion string) (Metadata, *googleapi.Error) {
	meta := Metadata{SizeBytes: -1}
	obj, gerr := googleapi.ParseBody(body, schemas.GeminiCreateFileRequest, apiVersion)
	if gerr != nil {
		return meta, gerr
	}
	file, _ := obj["file"].(map[string]any)
	if name, _ := file["name"].(string); name != "" {
		id, ok := strings.CutPrefix(name, "files/")
		if !ok || !fileIDPattern.MatchString(id) {
			return meta, googleapi.InvalidFields("CreateFileRequest.file.name: the name must be files/{id}, the id at most 40 lowercase letters, digits or dashes, not starting or ending with a dash")
		}
		meta.FileID = id
	}
	meta.DisplayName, _ = googleapi.Field(file, "displayName", "display_name").(string)
	meta.MIMEType, _ = googleapi.Field(file, "mimeType", "mime_type").(string)
	if googleapi.Field(file, "sizeBytes", "size_bytes") != nil {
		n, gerr := googleapi.Int64(file, "sizeBytes", "size_bytes", schemas.Path{"file"})
		if gerr != nil {
			return meta, gerr
		}
		meta.SizeBytes = n
	}
	return meta, nil
}

// newUpload registers a resumable upload session.
func (g *Family) newUpload(meta Metadata, declared int64, oneShot bool) (*uploadSession, *googleapi.Error) {
	now := g.env.Now()
	st := g.store
	st.mu.Lock()
	defer st.mu.Unlock()
	if meta.FileID == "" {
		meta.FileID = googleapi.NewID(12)
	}
	switch err := st.reserveLocked(now, g.cfg.MaxFiles, meta.FileID); {
	case errors.Is(err, store.ErrFull):
		return nil, googleapi.StoreFull("files", g.cfg.MaxFiles)
	case errors.Is(err, store.ErrExists):
		return nil, googleapi.NewError(http.StatusConflict, fmt.Sprintf("File files/%s already exists.", meta.FileID))
	}
	u := &uploadSession{
		ID: googleapi.NewID(40), FileID: meta.FileID, DisplayName: meta.DisplayName, MIMEType: meta.MIMEType,
		Declared: declared, CreateTime: now, OneShot: oneShot,
	}
	if err := st.back.PutContent("uploads", u.ID+".part", nil); err != nil {
		return nil, googleapi.StorageError(err)
	}
	if err := st.back.PutRecord("uploads", u.ID, u); err != nil {
		return nil, googleapi.StorageError(err)
	}
	st.uploads[u.ID] = u
	return u, nil
}

// idTakenLocked reports whether a live file or an upload in progress has
// the id.
func (st *fileStore) idTakenLocked(id string, now time.Time) bool {
	if f, ok := st.files[id]; ok && f.live(now) {
		return true
	}
	for _, u := range st.uploads {
		if u.FileID == id {
			return true
		}
	}
	return false
}

// UploadCommand is a chunk's X-Goog-Upload-Command.
type UploadCommand struct {
	Upload, Finalize, Query, Cancel bool
}

// ParseUploadCommand reads X-Goog-Upload-Command as the protocol defines
// it: a comma-separated list of commands, case and spaces aside. unknown
// is the first command it does not know, as sent.
func ParseUploadCommand(v string) (cmd UploadCommand, unknown string) {
	for _, c := range strings.Split(v, ",") {
		switch strings.ToLower(strings.TrimSpace(c)) {
		case "upload":
			cmd.Upload = true
		case "finalize":
			cmd.Finalize = true
		case "query":
			cmd.Query = true
		case "cancel":
			cmd.Cancel = true
		case "":
		default:
			return cmd, c
		}
	}
	return cmd, ""
}

func (g *Family) startResumableUpload(w http.ResponseWriter, r *http.Request, c *family.Call) {
	body, gerr := googleapi.ReadBody(w, r, g.env.MaxBodyBytes)
	if gerr != nil {
		writeUploadError(w, "final", gerr)
		return
	}
	meta, gerr := ParseMetadata(body, c.APIVersion)
	if gerr != nil {
		writeUploadError(w, "final", gerr)
		return
	}
	if ct := r.Header.Get("X-Goog-Upload-Header-Content-Type"); ct != "" && meta.MIMEType == "" {
		meta.MIMEType = ct
	}
	if fn := r.Header.Get("X-Goog-Upload-File-Name"); fn != "" && meta.DisplayName == "" {
		meta.DisplayName = fn
	}
	declared := meta.SizeBytes
	if raw := r.Header.Get("X-Goog-Upload-Header-Content-Length"); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < 0 {
			writeUploadError(w, "final", googleapi.InvalidFields(fmt.Sprintf("CreateFileRequest: invalid X-Goog-Upload-Header-Content-Length %q", raw)))
			return
		}
		declared = n
	}
	if declared > g.cfg.MaxFileBytes {
		writeUploadError(w, "final", googleapi.PayloadTooLarge(g.cfg.MaxFileBytes))
		return
	}
	u, gerr := g.newUpload(meta, declared, false)
	if gerr != nil {
		writeUploadError(w, "final", gerr)
		return
	}
	url := family.BaseURL(r) + "/upload/" + c.APIVersion + "/files?upload_id=" + u.ID + "&upload_protocol=resumable"
	h := w.Header()
	h.Set("X-Goog-Upload-URL", url)
	h.Set("X-Goog-Upload-Control-URL", url)
	h.Set("X-Goog-Upload-Chunk-Granularity", strconv.Itoa(uploadChunkGranularity))
	setUploadStatus(w, "active", -1)
	vectorwire.WriteJSON(w, http.StatusOK, nil)
}

// handleUploadChunk serves the commands of a resumable upload session:
// upload, finalize (alone or together), query and cancel.
func (g *Family) handleUploadChunk(w http.ResponseWriter, r *http.Request, c *family.Call, id string) {
	st := g.store
	st.mu.Lock()
	u, ok := st.uploads[id]
	if ok && !g.env.Now().Before(u.CreateTime.Add(fileTTL)) {
		st.purgeExpiredLocked(g.env.Now()) // an abandoned session: gone
		ok = false
	}
	st.mu.Unlock()
	if !ok {
		writeUploadError(w, "final", errUploadGone(id))
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if !st.uploadCurrent(u) { // finished or cancelled while we waited
		writeUploadError(w, "final", errUploadGone(id))
		return
	}

	cmd, unknown := ParseUploadCommand(r.Header.Get("X-Goog-Upload-Command"))
	if unknown != "" {
		writeUploadError(w, "active", googleapi.InvalidFields(fmt.Sprintf("CreateFileRequest: unknown X-Goog-Upload-Command %q", unknown)))
		return
	}
	upload, finalize, query, cancel := cmd.Upload, cmd.Finalize, cmd.Query, cmd.Cancel
	switch {
	case cancel:
		g.dropUpload(u)
		setUploadStatus(w, "cancelled", u.Received)
		vectorwire.WriteJSON(w, http.StatusOK, nil)
		return
	case query:
		setUploadStatus(w, "active", u.Received)
		vectorwire.WriteJSON(w, http.StatusOK, nil)
		return
	case !upload && !finalize:
		writeUploadError(w, "active", googleapi.InvalidFields("CreateFileRequest: X-Goog-Upload-Command must be upload, finalize, query or cancel"))
		return
	}

	if upload {
		offset, err := strconv.ParseInt(r.Header.Get("X-Goog-Upload-Offset"), 10, 64)
		if err != nil || offset != u.Received {
			setUploadStatus(w, "active", u.Received)
			googleapi.WriteError(w, googleapi.InvalidFields(fmt.Sprintf(
				"CreateFileRequest: X-Goog-Upload-Offset is %q but %d bytes have been received; resume from %d",
				r.Header.Get("X-Goog-Upload-Offset"), u.Received, u.Received)))
			return
		}
		if gerr := g.appendChunk(w, r, u); gerr != nil {
			setUploadStatus(w, "active", u.Received)
			googleapi.WriteError(w, gerr)
			return
		}
	}
	if !finalize {
		setUploadStatus(w, "active", u.Received)
		vectorwire.WriteJSON(w, http.StatusOK, nil)
		return
	}
	if u.Declared >= 0 && u.Received != u.Declared {
		setUploadStatus(w, "active", u.Received)
		googleapi.WriteError(w, googleapi.InvalidFields(fmt.Sprintf(
			"CreateFileRequest: the upload was announced as %d bytes but %d were received", u.Declared, u.Received)))
		return
	}
	f, gerr := g.finishUpload(u)
	if gerr != nil {
		writeUploadError(w, "final", gerr)
		return
	}
	setUploadStatus(w, "final", u.Received)
	writeResource(w, map[string]fileResource{"file": f.resource(family.BaseURL(r))})
}

// appendChunk adds the request body to the session's content.
func (g *Family) appendChunk(w http.ResponseWriter, r *http.Request, u *uploadSession) *googleapi.Error {
	body := &readErrors{r: http.MaxBytesReader(w, r.Body, g.cfg.MaxFileBytes-u.Received)}
	st := g.store
	// What was stored of a chunk that fails is dropped: the client resends
	// it.
	n, err := st.back.Append("uploads", u.ID+".part", body)
	switch {
	case body.err != nil:
		return googleapi.Render(family.ReadError(body.err, g.cfg.MaxFileBytes), "")
	case err != nil:
		return googleapi.StorageError(err)
	}
	u.Received += n
	if err := st.back.PutRecord("uploads", u.ID, u); err != nil {
		u.Received -= n
		st.back.Truncate("uploads", u.ID+".part", u.Received)
		return googleapi.StorageError(err)
	}
	return nil
}

// readErrors keeps the error of the reader it wraps, to tell a client
// that failed to send from a store that failed to keep.
type readErrors struct {
	r   io.Reader
	err error
}

func (e *readErrors) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// uploadCurrent reports whether u is still the session of its id: not
// finished, cancelled, expired or dropped by a reset.
func (st *fileStore) uploadCurrent(u *uploadSession) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.uploads[u.ID] == u
}

// errUploadGone is the answer for an upload session that does not exist.
func errUploadGone(id string) *googleapi.Error {
	return googleapi.NewError(http.StatusNotFound, "embedmock: no upload session "+id+" (finished, cancelled or never started)")
}

// finishUpload turns a complete session into a stored file.
func (g *Family) finishUpload(u *uploadSession) (File, *googleapi.Error) {
	now := g.env.Now()
	f := &File{
		ID: u.FileID, DisplayName: u.DisplayName, MIMEType: u.MIMEType, Size: u.Received,
		CreateTime: now, ExpireTime: now.Add(fileTTL), Source: "UPLOADED",
	}
	st := g.store
	if !st.uploadCurrent(u) { // dropped by a reset since it was checked
		return File{}, errUploadGone(u.ID)
	}
	sum, err := st.sha256("uploads", u.ID+".part")
	if err != nil {
		return File{}, googleapi.StorageError(err)
	}
	f.SHA256 = sum
	// The record first: until the content is in place, a restart drops the
	// record and keeps the session, so a retried finalize works.
	if err := st.back.PutRecord("files", f.ID, f); err != nil {
		return File{}, googleapi.StorageError(err)
	}
	if err := st.back.Move("uploads", u.ID+".part", "files", f.ID+".data"); err != nil {
		st.back.Remove("files", f.ID+".json")
		return File{}, googleapi.StorageError(err)
	}
	st.back.Remove("uploads", u.ID+".json")
	st.mu.Lock()
	if st.uploads[u.ID] != u {
		// A reset (or expiry) dropped the session while its content was
		// being stored: the file goes with it.
		st.mu.Unlock()
		st.back.Remove("files", f.ID+".json", f.ID+".data")
		return File{}, errUploadGone(u.ID)
	}
	delete(st.uploads, u.ID)
	st.files[f.ID] = f
	st.mu.Unlock()
	return *f, nil
}

// sha256 is the digest of stored content.
func (st *fileStore) sha256(kind, name string) ([]byte, error) {
	content, err := st.back.Open(kind, name)
	if err != nil {
		return nil, err
	}
	defer content.Close()
	h := sha256.New()
	if _, err := io.Copy(h, content); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

func (g *Family) dropUpload(u *uploadSession) {
	st := g.store
	st.mu.Lock()
	defer st.mu.Unlock()
	st.removeUploadLocked(u.ID)
}

// storeWholeFile stores an upload that arrives in one request (multipart
// or raw).
func (g *Family) storeWholeFile(w http.ResponseWriter, r *http.Request, meta Metadata, content io.Reader) {
	u, gerr := g.newUpload(meta, -1, true)
	if gerr != nil {
		writeUploadError(w, "final", gerr)
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	r.Body = io.NopCloser(content)
	if gerr := g.appendChunk(w, r, u); gerr != nil {
		g.dropUpload(u)
		writeUploadError(w, "final", gerr)
		return
	}
	f, gerr := g.finishUpload(u)
	if gerr != nil {
		g.dropUpload(u)
		writeUploadError(w, "final", gerr)
		return
	}
	setUploadStatus(w, "final", f.Size)
	writeResource(w, map[string]fileResource{"file": f.resource(family.BaseURL(r))})
}

// handleMultipartUpload serves a multipart/related upload: a JSON metadata
// part, then the content part.
func (g *Family) handleMultipartUpload(w http.ResponseWriter, r *http.Request, c *family.Call) {
	mediaType, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mediaType, "multipart/") || params["boundary"] == "" {
		writeUploadError(w, "final", googleapi.InvalidFields("CreateFileRequest: a multipart upload needs Content-Type multipart/related with a boundary"))
		return
	}
	mr := multipart.NewReader(http.MaxBytesReader(w, r.Body, g.cfg.MaxFileBytes+g.env.MaxBodyBytes), params["boundary"])
	metaPart, err := mr.NextPart()
	if err != nil {
		writeUploadError(w, "final", googleapi.InvalidFields("CreateFileRequest: the multipart body has no metadata part: "+err.Error()))
		return
	}
	metaBody, err := io.ReadAll(io.LimitReader(metaPart, g.env.MaxBodyBytes+1))
	if err != nil || int64(len(metaBody)) > g.env.MaxBodyBytes {
		writeUploadError(w, "final", googleapi.PayloadTooLarge(g.env.MaxBodyBytes))
		return
	}
	meta, gerr := ParseMetadata(metaBody, c.APIVersion)
	if gerr != nil {
		writeUploadError(w, "final", gerr)
		return
	}
	contentPart, err := mr.NextPart()
	if err != nil {
		writeUploadError(w, "final", googleapi.InvalidFields("CreateFileRequest: the multipart body has no content part: "+err.Error()))
		return
	}
	if meta.MIMEType == "" {
		meta.MIMEType = contentPart.Header.Get("Content-Type")
	}
	g.storeWholeFile(w, r, meta, contentPart)
}

// handleRawUpload serves an upload whose body is the file itself.
func (g *Family) handleRawUpload(w http.ResponseWriter, r *http.Request, c *family.Call) {
	meta := Metadata{MIMEType: r.Header.Get("Content-Type"), DisplayName: r.Header.Get("X-Goog-Upload-File-Name"), SizeBytes: -1}
	g.storeWholeFile(w, r, meta, r.Body)
}
