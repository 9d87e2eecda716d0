package geminifiles

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"

	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/mockserver/googleapi"
	"github.com/embedmock/embedmock/mockserver/vectorwire"
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
func (f File) resource(base string) fileResource {
	return fileResource{
		Name:           "files/" + f.ID,
		DisplayName:    f.DisplayName,
		MIMEType:       f.MIMEType,
		SizeBytes:      googleapi.Int64String(f.Size),
		CreateTime:     googleapi.Timestamp(f.CreateTime),
		UpdateTime:     googleapi.Timestamp(f.CreateTime),
		ExpirationTime: googleapi.Timestamp(f.ExpireTime),
		// The Files API reports the base64 of the digest's hex form.
		SHA256Hash:  base64.StdEncoding.EncodeToString([]byte(hex.EncodeToString(f.SHA256))),
		URI:         base + "/v1beta/files/" + f.ID,
		DownloadURI: base + "/v1beta/files/" + f.ID + ":download?alt=media",
		State:       "ACTIVE",
		Source:      f.Source,
	}
}

// fileIDPattern is the form of a file id: lowercase letters, digits and
// dashes, at most 40, not starting or ending with a dash.
var fileIDPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$`)

func FileNotFound(id string) *googleapi.Error {
	return googleapi.NewError(http.StatusForbidden, fmt.Sprintf("You do not have permission to access the File %s or it may not exist.", id))
}

func writeResource(w http.ResponseWriter, v any) {
	body, _ := json.Marshal(v)
	vectorwire.WriteJSON(w, http.StatusOK, body)
}

func (g *Family) handleGetFile(w http.ResponseWriter, r *http.Request, c *family.Call) {
	if err := googleapi.CheckQuery(r); err != nil {
		googleapi.WriteError(w, err)
		return
	}
	f, ok := g.store.get(c.Var("file"), g.env.Now())
	if !ok {
		googleapi.WriteError(w, FileNotFound(c.Var("file")))
		return
	}
	writeResource(w, f.resource(family.BaseURL(r)))
}

func (g *Family) handleDeleteFile(w http.ResponseWriter, r *http.Request, c *family.Call) {
	if err := googleapi.CheckQuery(r); err != nil {
		googleapi.WriteError(w, err)
		return
	}
	if !g.store.delete(c.Var("file"), g.env.Now()) {
		googleapi.WriteError(w, FileNotFound(c.Var("file")))
		return
	}
	vectorwire.WriteJSON(w, http.StatusOK, []byte("{}"))
}

func (g *Family) handleListFiles(w http.ResponseWriter, r *http.Request, c *family.Call) {
	size, after, gerr := googleapi.CursorPage(r, "ListFilesRequest", defaultFilesPageSize, maxFilesPageSize)
	if gerr != nil {
		googleapi.WriteError(w, gerr)
		return
	}
	files := g.store.list(g.env.Now())
	start := 0
	if after != nil {
		start = len(files)
		for i, f := range files {
			if after.Before(f.CreateTime, f.ID) {
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
	base := family.BaseURL(r)
	for _, f := range files[start:end] {
		page.Files = append(page.Files, f.resource(base))
	}
	if end < len(files) {
		page.NextPageToken = googleapi.PageCursor{CreateTime: files[end-1].CreateTime, ID: files[end-1].ID}.Token()
	}
	writeResource(w, page)
}

// handleDownloadFile serves a file's bytes (alt=media), with range support.
func (g *Family) handleDownloadFile(w http.ResponseWriter, r *http.Request, c *family.Call) {
	if err := googleapi.CheckQuery(r); err != nil {
		googleapi.WriteError(w, err)
		return
	}
	if alt := r.URL.Query().Get("alt"); alt != "media" {
		googleapi.WriteError(w, googleapi.InvalidFields("DownloadFileRequest: only media downloads are served; add alt=media"))
		return
	}
	f, content, err := g.store.open(c.Var("file"), g.env.Now())
	if err != nil {
		googleapi.WriteError(w, FileNotFound(c.Var("file")))
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
