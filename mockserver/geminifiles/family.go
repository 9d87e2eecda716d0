// Package geminifiles fakes the Gemini API's Files API
// (https://ai.google.dev/api/files): files.get, files.list, files.delete,
// downloads (alt=media, with ranges), and uploads by Google's resumable
// protocol (start, upload, finalize, query, cancel), multipart/related
// and raw, under /v1beta and /v1, as the official SDKs call them.
//
// It owns the stored files and upload sessions, in memory or in a data
// dir, and gives package geminibatches the files a batch job reads and
// writes. It does not embed anything.
package geminifiles

import (
	"io"
	"net/http"
	"time"

	"github.com/embedmock/embedmock/mockserver/family"
	"github.com/embedmock/embedmock/mockserver/gemini"
	"github.com/embedmock/embedmock/mockserver/googleapi"
	"github.com/embedmock/embedmock/mockserver/store"
)

// Config configures the Files API.
type Config struct {
	MaxFileBytes int64 // largest file
	MaxFiles     int   // most files stored, uploads in progress included
}

// Family is the Files API.
type Family struct {
	googleapi.Base
	env   *family.Env
	cfg   Config
	store *fileStore
}

// New returns the Files API over env, keeping files in back (and reading
// back what it holds).
func New(env *family.Env, cfg Config, back store.Backend) (*Family, error) {
	st, err := newFileStore(back)
	if err != nil {
		return nil, err
	}
	return &Family{Base: googleapi.Base{Env: env}, env: env, cfg: cfg, store: st}, nil
}

// Routes are the Files API's methods.
func (g *Family) Routes() []family.Route {
	var routes []family.Route
	for _, v := range gemini.Versions {
		route := func(method, path, kind string, h func(http.ResponseWriter, *http.Request, *family.Call)) family.Route {
			return family.Route{Method: method, Path: path, Kind: kind, APIVersion: v,
				Handle: func(w http.ResponseWriter, r *http.Request, c *family.Call) {
					googleapi.SetHeaders(w.Header())
					h(w, r, c)
				}}
		}
		routes = append(routes,
			route(http.MethodGet, "/"+v+"/files", "files.list", g.handleListFiles),
			route(http.MethodGet, "/"+v+"/files/{file:[^/:]+}", "files.get", g.handleGetFile),
			route(http.MethodDelete, "/"+v+"/files/{file:[^/:]+}", "files.delete", g.handleDeleteFile),
			route(http.MethodGet, "/"+v+"/files/{file:[^/:]+}:download", "files.download", g.handleDownloadFile),
			route(http.MethodGet, "/download/"+v+"/files/{file:[^/:]+}:download", "files.download", g.handleDownloadFile),
			route(http.MethodPost, "/upload/"+v+"/files", "files.upload", g.handleUpload),
		)
	}
	return routes
}

// Authenticate checks the API key, but for the commands of a resumable
// upload session: its upload URL is a capability, which Google's own REST
// samples use without a key (curl "${upload_url}" with
// X-Goog-Upload-Command: upload, finalize, in
// https://ai.google.dev/gemini-api/docs/files), so the session id
// authorises it; an unknown id answers 404.
func (g *Family) Authenticate(r *http.Request, c *family.Call) *family.Failure {
	if c.Kind == "files.upload" && r.URL.RawQuery != "" && r.URL.Query().Get("upload_id") != "" {
		return nil
	}
	return g.Base.Authenticate(r, c)
}

// Open returns a copy of the live file id and a reader of its bytes (see
// fileStore.open); store.ErrNotFound if there is no such file.
func (g *Family) Open(id string) (File, io.ReadSeekCloser, error) {
	return g.store.open(id, g.env.Now())
}

// PutGenerated stores content the server produced (a batch job's
// results) as file id, replacing any file of that name.
func (g *Family) PutGenerated(id, displayName, mimeType string, content []byte, now time.Time) error {
	return g.store.putGenerated(id, displayName, mimeType, content, now)
}

// Reset forgets every file and upload.
func (g *Family) Reset() { g.store.reset() }
