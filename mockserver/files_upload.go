package mockserver

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

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

	mu   sync.Mutex // serialises the chunks of this session
	sum  hash.Hash  // running SHA-256 of the bytes received (memory stores)
	data []byte     // bytes received, when the store is memory only
}

// loadUpload restores a session from the data dir, cutting its partial
// content back to the last acknowledged byte. A one-shot session (a
// multipart or raw upload cut off by the stop) is dropped.
func (st *store) loadUpload(id string, u *uploadSession) error {
	part := st.disk.path("uploads", id+".part")
	info, err := os.Stat(part)
	if err != nil || info.Size() < u.Received || u.OneShot {
		st.disk.remove("uploads", id+".json", id+".part")
		return nil
	}
	if err := os.Truncate(part, u.Received); err != nil {
		return err
	}
	st.uploads[id] = u
	return nil
}

// uploadHeaders are the X-Goog-Upload-* response headers.
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
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request, call geminiCall) {
	q := r.URL.Query()
	if id := q.Get("upload_id"); id != "" {
		s.handleUploadChunk(w, r, call, id)
		return
	}
	protocol := strings.ToLower(firstOf(r.Header.Get("X-Goog-Upload-Protocol"), q.Get("uploadType"), q.Get("upload_protocol")))
	switch protocol {
	case "resumable":
		if cmd := strings.ToLower(strings.TrimSpace(r.Header.Get("X-Goog-Upload-Command"))); cmd != "start" {
			writeUploadError(w, "final", invalidFields(fmt.Sprintf("CreateFileRequest: X-Goog-Upload-Command must be start to begin a resumable upload, got %q", cmd)))
			return
		}
		s.startResumableUpload(w, r, call)
	case "multipart":
		s.handleMultipartUpload(w, r, call)
	case "raw", "media":
		s.handleRawUpload(w, r, call)
	default:
		writeUploadError(w, "final", invalidFields(fmt.Sprintf(
			"CreateFileRequest: unsupported upload protocol %q; use X-Goog-Upload-Protocol resumable, multipart or raw", protocol)))
	}
}

func writeUploadError(w http.ResponseWriter, status string, e *googleError) {
	setUploadStatus(w, status, -1)
	writeGoogleError(w, e)
}

// fileMetadata is the {"file": File} body of an upload.
type fileMetadata struct {
	fileID      string // requested id, "" to pick one
	displayName string
	mimeType    string
	sizeBytes   int64 // -1 when not given
}

// parseFileMetadata validates and decodes a CreateFileRequest body.
func (s *Server) parseFileMetadata(body []byte, call geminiCall) (fileMetadata, *googleError) {
	meta := fileMetadata{sizeBytes: -1}
	doc, syntaxErr := parseGoogleJSON(body)
	if syntaxErr != nil {
		return meta, errJSONSyntax(syntaxErr)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return meta, errBadPayload("", `Invalid JSON payload received. Unknown name "": Root element must be a message.`)
	}
	if v := schemas.Validate(schemas.GeminiCreateFileRequest, obj); v != nil {
		return meta, errSchemaViolation(v, call.apiVersion)
	}
	file, _ := obj["file"].(map[string]any)
	if name, _ := file["name"].(string); name != "" {
		id, ok := strings.CutPrefix(name, "files/")
		if !ok || !fileIDPattern.MatchString(id) {
			return meta, invalidFields("CreateFileRequest.file.name: the name must be files/{id}, the id at most 40 lowercase letters, digits or dashes, not starting or ending with a dash")
		}
		meta.fileID = id
	}
	meta.displayName, _ = field(file, "displayName", "display_name").(string)
	meta.mimeType, _ = field(file, "mimeType", "mime_type").(string)
	if field(file, "sizeBytes", "size_bytes") != nil {
		n, gerr := decodeInt64(file, "sizeBytes", "size_bytes", schemas.Path{"file"})
		if gerr != nil {
			return meta, gerr
		}
		meta.sizeBytes = n
	}
	return meta, nil
}

// newUpload registers a resumable upload session.
func (s *Server) newUpload(meta fileMetadata, declared int64, oneShot bool) (*uploadSession, *googleError) {
	now := s.now()
	st := s.store
	st.mu.Lock()
	defer st.mu.Unlock()
	if gerr := st.reserveFileLocked(now, s.cfg.maxFiles); gerr != nil {
		return nil, gerr
	}
	if meta.fileID == "" {
		meta.fileID = newID(12)
	} else if gerr := st.fileIDTakenLocked(meta.fileID, now); gerr != nil {
		return nil, gerr
	}
	u := &uploadSession{
		ID: newID(40), FileID: meta.fileID, DisplayName: meta.displayName, MIMEType: meta.mimeType,
		Declared: declared, CreateTime: now, OneShot: oneShot, sum: sha256.New(),
	}
	if st.disk != nil {
		if err := os.WriteFile(st.disk.path("uploads", u.ID+".part"), nil, 0o644); err != nil {
			return nil, errStorage(err)
		}
		if err := st.disk.writeJSON("uploads", u.ID+".json", u); err != nil {
			return nil, errStorage(err)
		}
	}
	st.uploads[u.ID] = u
	return u, nil
}

func (st *store) fileIDTakenLocked(id string, now time.Time) *googleError {
	if f, ok := st.files[id]; ok && f.live(now) {
		return newGoogleError(http.StatusConflict, fmt.Sprintf("File files/%s already exists.", id))
	}
	for _, u := range st.uploads {
		if u.FileID == id {
			return newGoogleError(http.StatusConflict, fmt.Sprintf("File files/%s already exists.", id))
		}
	}
	return nil
}

// uploadCommand is a chunk's X-Goog-Upload-Command.
type uploadCommand struct {
	upload, finalize, query, cancel bool
}

// parseUploadCommand reads X-Goog-Upload-Command as the protocol defines
// it: a comma-separated list of commands, case and spaces aside. unknown
// is the first command it does not know, as sent.
func parseUploadCommand(v string) (cmd uploadCommand, unknown string) {
	for _, c := range strings.Split(v, ",") {
		switch strings.ToLower(strings.TrimSpace(c)) {
		case "upload":
			cmd.upload = true
		case "finalize":
			cmd.finalize = true
		case "query":
			cmd.query = true
		case "cancel":
			cmd.cancel = true
		case "":
		default:
			return cmd, c
		}
	}
	return cmd, ""
}

// errStorage is the answer when the data dir cannot be written.
func errStorage(err error) *googleError {
	return newGoogleError(http.StatusServiceUnavailable, "embedmock: cannot write the data dir: "+err.Error())
}

func (s *Server) startResumableUpload(w http.ResponseWriter, r *http.Request, call geminiCall) {
	body, gerr := s.readBody(w, r)
	if gerr != nil {
		writeUploadError(w, "final", gerr)
		return
	}
	meta, gerr := s.parseFileMetadata(body, call)
	if gerr != nil {
		writeUploadError(w, "final", gerr)
		return
	}
	if ct := r.Header.Get("X-Goog-Upload-Header-Content-Type"); ct != "" && meta.mimeType == "" {
		meta.mimeType = ct
	}
	if fn := r.Header.Get("X-Goog-Upload-File-Name"); fn != "" && meta.displayName == "" {
		meta.displayName = fn
	}
	declared := meta.sizeBytes
	if raw := r.Header.Get("X-Goog-Upload-Header-Content-Length"); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < 0 {
			writeUploadError(w, "final", invalidFields(fmt.Sprintf("CreateFileRequest: invalid X-Goog-Upload-Header-Content-Length %q", raw)))
			return
		}
		declared = n
	}
	if declared > s.cfg.maxFileBytes {
		writeUploadError(w, "final", errPayloadTooLarge(s.cfg.maxFileBytes))
		return
	}
	u, gerr := s.newUpload(meta, declared, false)
	if gerr != nil {
		writeUploadError(w, "final", gerr)
		return
	}
	url := baseURL(r) + "/upload/" + call.apiVersion + "/files?upload_id=" + u.ID + "&upload_protocol=resumable"
	h := w.Header()
	h.Set("X-Goog-Upload-URL", url)
	h.Set("X-Goog-Upload-Control-URL", url)
	h.Set("X-Goog-Upload-Chunk-Granularity", strconv.Itoa(uploadChunkGranularity))
	setUploadStatus(w, "active", -1)
	writeJSON(w, http.StatusOK, nil)
}

// handleUploadChunk serves the commands of a resumable upload session:
// upload, finalize (alone or together), query and cancel.
func (s *Server) handleUploadChunk(w http.ResponseWriter, r *http.Request, call geminiCall, id string) {
	st := s.store
	st.mu.Lock()
	u, ok := st.uploads[id]
	if ok && !s.now().Before(u.CreateTime.Add(fileTTL)) {
		st.purgeExpiredLocked(s.now()) // an abandoned session: gone
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

	cmd, unknown := parseUploadCommand(r.Header.Get("X-Goog-Upload-Command"))
	if unknown != "" {
		writeUploadError(w, "active", invalidFields(fmt.Sprintf("CreateFileRequest: unknown X-Goog-Upload-Command %q", unknown)))
		return
	}
	upload, finalize, query, cancel := cmd.upload, cmd.finalize, cmd.query, cmd.cancel
	switch {
	case cancel:
		s.dropUpload(u)
		setUploadStatus(w, "cancelled", u.Received)
		writeJSON(w, http.StatusOK, nil)
		return
	case query:
		setUploadStatus(w, "active", u.Received)
		writeJSON(w, http.StatusOK, nil)
		return
	case !upload && !finalize:
		writeUploadError(w, "active", invalidFields("CreateFileRequest: X-Goog-Upload-Command must be upload, finalize, query or cancel"))
		return
	}

	if upload {
		offset, err := strconv.ParseInt(r.Header.Get("X-Goog-Upload-Offset"), 10, 64)
		if err != nil || offset != u.Received {
			setUploadStatus(w, "active", u.Received)
			writeGoogleError(w, invalidFields(fmt.Sprintf(
				"CreateFileRequest: X-Goog-Upload-Offset is %q but %d bytes have been received; resume from %d",
				r.Header.Get("X-Goog-Upload-Offset"), u.Received, u.Received)))
			return
		}
		if gerr := s.appendChunk(w, r, u); gerr != nil {
			setUploadStatus(w, "active", u.Received)
			writeGoogleError(w, gerr)
			return
		}
	}
	if !finalize {
		setUploadStatus(w, "active", u.Received)
		writeJSON(w, http.StatusOK, nil)
		return
	}
	if u.Declared >= 0 && u.Received != u.Declared {
		setUploadStatus(w, "active", u.Received)
		writeGoogleError(w, invalidFields(fmt.Sprintf(
			"CreateFileRequest: the upload was announced as %d bytes but %d were received", u.Declared, u.Received)))
		return
	}
	f, gerr := s.finishUpload(u)
	if gerr != nil {
		writeUploadError(w, "final", gerr)
		return
	}
	setUploadStatus(w, "final", u.Received)
	writeResource(w, map[string]fileResource{"file": f.resource(baseURL(r))})
}

// appendChunk adds the request body to the session's content.
func (s *Server) appendChunk(w http.ResponseWriter, r *http.Request, u *uploadSession) *googleError {
	room := s.cfg.maxFileBytes - u.Received
	body := http.MaxBytesReader(w, r.Body, room)
	st := s.store
	if st.disk == nil {
		data, err := io.ReadAll(body)
		if err != nil {
			return chunkReadError(err, s.cfg.maxFileBytes)
		}
		u.data = append(u.data, data...)
		u.sum.Write(data)
		u.Received += int64(len(data))
		return nil
	}
	part, err := os.OpenFile(st.disk.path("uploads", u.ID+".part"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return errStorage(err)
	}
	n, copyErr := io.Copy(part, body)
	syncErr := part.Sync()
	part.Close()
	if copyErr != nil {
		// Drop what was written of this chunk: the client resends it.
		os.Truncate(st.disk.path("uploads", u.ID+".part"), u.Received)
		return chunkReadError(copyErr, s.cfg.maxFileBytes)
	}
	if syncErr != nil {
		return errStorage(syncErr)
	}
	u.Received += n
	if err := st.disk.writeJSON("uploads", u.ID+".json", u); err != nil {
		u.Received -= n
		os.Truncate(st.disk.path("uploads", u.ID+".part"), u.Received)
		return errStorage(err)
	}
	return nil
}

func chunkReadError(err error, limit int64) *googleError {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return errPayloadTooLarge(limit)
	}
	return newGoogleError(http.StatusBadRequest, "Failed to read the request body: "+err.Error())
}

// uploadCurrent reports whether u is still the session of its id: not
// finished, cancelled, expired or dropped by a reset.
func (st *store) uploadCurrent(u *uploadSession) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.uploads[u.ID] == u
}

// errUploadGone is the answer for an upload session that does not exist.
func errUploadGone(id string) *googleError {
	return newGoogleError(http.StatusNotFound, "embedmock: no upload session "+id+" (finished, cancelled or never started)")
}

// finishUpload turns a complete session into a stored file.
func (s *Server) finishUpload(u *uploadSession) (fileRecord, *googleError) {
	now := s.now()
	f := &fileRecord{
		ID: u.FileID, DisplayName: u.DisplayName, MIMEType: u.MIMEType, Size: u.Received,
		CreateTime: now, ExpireTime: now.Add(fileTTL), Source: "UPLOADED",
	}
	st := s.store
	if !st.uploadCurrent(u) { // dropped by a reset since it was checked
		return fileRecord{}, errUploadGone(u.ID)
	}
	if st.disk == nil {
		f.SHA256 = u.sum.Sum(nil)
		f.data = u.data
	} else {
		part := st.disk.path("uploads", u.ID+".part")
		sum, err := fileSHA256(part)
		if err != nil {
			return fileRecord{}, errStorage(err)
		}
		f.SHA256 = sum
		// Metadata first: until the content is in place, a restart drops
		// the metadata and keeps the session, so a retried finalize works.
		if err := st.disk.writeJSON("files", f.ID+".json", f); err != nil {
			return fileRecord{}, errStorage(err)
		}
		if err := os.Rename(part, st.disk.path("files", f.ID+".data")); err != nil {
			st.disk.remove("files", f.ID+".json")
			return fileRecord{}, errStorage(err)
		}
		st.disk.remove("uploads", u.ID+".json")
	}
	st.mu.Lock()
	if st.uploads[u.ID] != u {
		// A reset (or expiry) dropped the session while its content was
		// being stored: the file goes with it.
		st.mu.Unlock()
		if st.disk != nil {
			st.disk.remove("files", f.ID+".json")
			st.disk.remove("files", f.ID+".data")
		}
		return fileRecord{}, errUploadGone(u.ID)
	}
	delete(st.uploads, u.ID)
	st.files[f.ID] = f
	st.mu.Unlock()
	return *f, nil
}

func fileSHA256(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

func (s *Server) dropUpload(u *uploadSession) {
	st := s.store
	st.mu.Lock()
	delete(st.uploads, u.ID)
	st.mu.Unlock()
	if st.disk != nil {
		st.disk.remove("uploads", u.ID+".json", u.ID+".part")
	}
}

// storeWholeFile stores an upload that arrives in one request (multipart
// or raw).
func (s *Server) storeWholeFile(w http.ResponseWriter, r *http.Request, meta fileMetadata, content io.Reader) {
	u, gerr := s.newUpload(meta, -1, true)
	if gerr != nil {
		writeUploadError(w, "final", gerr)
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	r.Body = io.NopCloser(content)
	if gerr := s.appendChunk(w, r, u); gerr != nil {
		s.dropUpload(u)
		writeUploadError(w, "final", gerr)
		return
	}
	f, gerr := s.finishUpload(u)
	if gerr != nil {
		s.dropUpload(u)
		writeUploadError(w, "final", gerr)
		return
	}
	setUploadStatus(w, "final", f.Size)
	writeResource(w, map[string]fileResource{"file": f.resource(baseURL(r))})
}

// handleMultipartUpload serves a multipart/related upload: a JSON metadata
// part, then the content part.
func (s *Server) handleMultipartUpload(w http.ResponseWriter, r *http.Request, call geminiCall) {
	mediaType, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mediaType, "multipart/") || params["boundary"] == "" {
		writeUploadError(w, "final", invalidFields("CreateFileRequest: a multipart upload needs Content-Type multipart/related with a boundary"))
		return
	}
	mr := multipart.NewReader(http.MaxBytesReader(w, r.Body, s.cfg.maxFileBytes+s.cfg.maxBodyBytes), params["boundary"])
	metaPart, err := mr.NextPart()
	if err != nil {
		writeUploadError(w, "final", invalidFields("CreateFileRequest: the multipart body has no metadata part: "+err.Error()))
		return
	}
	metaBody, err := io.ReadAll(io.LimitReader(metaPart, s.cfg.maxBodyBytes+1))
	if err != nil || int64(len(metaBody)) > s.cfg.maxBodyBytes {
		writeUploadError(w, "final", errPayloadTooLarge(s.cfg.maxBodyBytes))
		return
	}
	meta, gerr := s.parseFileMetadata(metaBody, call)
	if gerr != nil {
		writeUploadError(w, "final", gerr)
		return
	}
	contentPart, err := mr.NextPart()
	if err != nil {
		writeUploadError(w, "final", invalidFields("CreateFileRequest: the multipart body has no content part: "+err.Error()))
		return
	}
	if meta.mimeType == "" {
		meta.mimeType = contentPart.Header.Get("Content-Type")
	}
	s.storeWholeFile(w, r, meta, contentPart)
}

// handleRawUpload serves an upload whose body is the file itself.
func (s *Server) handleRawUpload(w http.ResponseWriter, r *http.Request, call geminiCall) {
	meta := fileMetadata{mimeType: r.Header.Get("Content-Type"), displayName: r.Header.Get("X-Goog-Upload-File-Name"), sizeBytes: -1}
	s.storeWholeFile(w, r, meta, r.Body)
}
