package mockserver

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Page sizes of files.list, as documented for the real API.
const (
	defaultFilesPageSize = 10
	maxFilesPageSize     = 100
)

// fileResource is the File resource as served.
type fileResource struct {
	Name           string `json:"name"`
	DisplayName    string `json:"displayName,omitempty"`
	MIMEType       string `json:"mimeType,omitempty"`
	SizeBytes      string `json:"sizeBytes"`
	CreateTime     string `json:"createTime"`
	UpdateTime     string `json:"updateTime"`
	ExpirationTime string `json:"expirationTime"`
	SHA256Hash     string `json:"sha256Hash"`
	URI            string `json:"uri"`
	DownloadURI    string `json:"downloadUri"`
	State          string `json:"state"`
	Source         string `json:"source"`
}

// resource renders f for a client that reached the server at base
// ("http://host:port"): URIs point back at this server.
func (f fileRecord) resource(base string) fileResource {
	return fileResource{
		Name:           "files/" + f.ID,
		DisplayName:    f.DisplayName,
		MIMEType:       f.MIMEType,
		SizeBytes:      int64String(f.Size),
		CreateTime:     formatTimestamp(f.CreateTime),
		UpdateTime:     formatTimestamp(f.CreateTime),
		ExpirationTime: formatTimestamp(f.ExpireTime),
		SHA256Hash:     base64.StdEncoding.EncodeToString([]byte(hexSHA256(f.SHA256))),
		URI:            base + "/v1beta/files/" + f.ID,
		DownloadURI:    base + "/v1beta/files/" + f.ID + ":download?alt=media",
		State:          "ACTIVE",
		Source:         f.Source,
	}
}

// baseURL is the scheme and host the client used to reach the server.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	return scheme + "://" + r.Host
}

// fileIDPattern is the form of a file id: lowercase letters, digits and
// dashes, at most 40, not starting or ending with a dash.
var fileIDPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$`)

func errFileNotFound(id string) *googleError {
	return newGoogleError(http.StatusForbidden, fmt.Sprintf("You do not have permission to access the File %s or it may not exist.", id))
}

func writeResource(w http.ResponseWriter, v any) {
	body, _ := json.Marshal(v)
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) handleGetFile(w http.ResponseWriter, r *http.Request, call geminiCall) {
	if err := checkQuery(r); err != nil {
		writeGoogleError(w, err)
		return
	}
	f, ok := s.store.getFile(call.fileID, s.now())
	if !ok {
		writeGoogleError(w, errFileNotFound(call.fileID))
		return
	}
	writeResource(w, f.resource(baseURL(r)))
}

func (s *Server) handleDeleteFile(w http.ResponseWriter, r *http.Request, call geminiCall) {
	if err := checkQuery(r); err != nil {
		writeGoogleError(w, err)
		return
	}
	if !s.store.deleteFile(call.fileID, s.now()) {
		writeGoogleError(w, errFileNotFound(call.fileID))
		return
	}
	writeJSON(w, http.StatusOK, []byte("{}"))
}

func (s *Server) handleListFiles(w http.ResponseWriter, r *http.Request, call geminiCall) {
	size, after, gerr := pageParams(r, "ListFilesRequest", defaultFilesPageSize, maxFilesPageSize)
	if gerr != nil {
		writeGoogleError(w, gerr)
		return
	}
	files := s.store.listFiles(s.now())
	start := 0
	if after != nil {
		start = len(files)
		for i, f := range files {
			if after.before(f.CreateTime, f.ID) {
				start = i
				break
			}
		}
	}
	end := min(start+size, len(files))
	var page struct {
		Files         []fileResource `json:"files,omitempty"`
		NextPageToken string         `json:"nextPageToken,omitempty"`
	}
	base := baseURL(r)
	for _, f := range files[start:end] {
		page.Files = append(page.Files, f.resource(base))
	}
	if end < len(files) {
		page.NextPageToken = pageCursor{files[end-1].CreateTime, files[end-1].ID}.token()
	}
	writeResource(w, page)
}

// handleDownloadFile serves a file's bytes (alt=media), with range support.
func (s *Server) handleDownloadFile(w http.ResponseWriter, r *http.Request, call geminiCall) {
	if err := checkQuery(r); err != nil {
		writeGoogleError(w, err)
		return
	}
	if alt := r.URL.Query().Get("alt"); alt != "media" {
		writeGoogleError(w, invalidFields("DownloadFileRequest: only media downloads are served; add alt=media"))
		return
	}
	f, ok := s.store.getFile(call.fileID, s.now())
	if !ok {
		writeGoogleError(w, errFileNotFound(call.fileID))
		return
	}
	content, err := s.store.content(f)
	if err != nil {
		writeGoogleError(w, errFileNotFound(call.fileID))
		return
	}
	defer content.Close()
	h := w.Header()
	mime := f.MIMEType
	if mime == "" {
		mime = "application/octet-stream"
	}
	h.Set("Content-Type", mime)
	h.Del("Vary")
	http.ServeContent(w, r, "", f.CreateTime, content)
}

// pageCursor is a position in a listing ordered by creation time (newest
// first), then id; page tokens encode the last item of the previous page.
type pageCursor struct {
	createTime time.Time
	id         string
}

func (c pageCursor) token() string {
	return base64.URLEncoding.EncodeToString([]byte(strconv.FormatInt(c.createTime.UnixNano(), 10) + "/" + c.id))
}

func parsePageCursor(token string) (*pageCursor, bool) {
	raw, err := base64.URLEncoding.DecodeString(token)
	if err != nil {
		return nil, false
	}
	nanos, id, ok := strings.Cut(string(raw), "/")
	n, err := strconv.ParseInt(nanos, 10, 64)
	if !ok || err != nil || id == "" {
		return nil, false
	}
	return &pageCursor{createTime: time.Unix(0, n), id: id}, true
}

// before reports whether the item (t, id) comes after the cursor in listing
// order.
func (c pageCursor) before(t time.Time, id string) bool {
	if !t.Equal(c.createTime) {
		return t.Before(c.createTime)
	}
	return id > c.id
}

// pageParams reads pageSize and pageToken (either spelling) for a listing
// with the given default and maximum page size.
func pageParams(r *http.Request, request string, defaultSize, maxSize int) (int, *pageCursor, *googleError) {
	if err := checkQuery(r, "pageSize", "page_size", "pageToken", "page_token", "filter", "returnPartialSuccess", "return_partial_success"); err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	size := defaultSize
	if raw := firstOf(q.Get("pageSize"), q.Get("page_size")); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 32)
		switch {
		case err != nil:
			return 0, nil, errBadPayload("page_size", fmt.Sprintf("Invalid value at 'page_size' (TYPE_INT32), %q", raw))
		case n < 0:
			return 0, nil, invalidFields(request + ".page_size: page_size must not be negative")
		case n > 0:
			size = int(min(n, int64(maxSize)))
		}
	}
	var after *pageCursor
	if token := firstOf(q.Get("pageToken"), q.Get("page_token")); token != "" {
		c, ok := parsePageCursor(token)
		if !ok {
			return 0, nil, invalidFields(request + ".page_token: invalid page token")
		}
		after = c
	}
	return size, after, nil
}
