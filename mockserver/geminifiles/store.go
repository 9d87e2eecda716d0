package geminifiles

import (
	"cmp"
	"crypto/sha256"
	"encoding/json"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/embedmock/embedmock/mockserver/store"
)

// fileTTL is how long the Files API keeps a file.
const fileTTL = 48 * time.Hour

// fileStore holds the stored files and upload sessions, in memory and,
// with a data dir, on disk:
//
//	DIR/files/{id}.json     file metadata          DIR/files/{id}.data     file content
//	DIR/uploads/{id}.json   upload session         DIR/uploads/{id}.part   bytes received so far
//
// Its mutex guards the maps and the records in them; it is never held
// while content is read or written, nor while another lock is taken.
type fileStore struct {
	mu      sync.Mutex
	back    store.Backend
	files   map[string]*File
	uploads map[string]*uploadSession
}

// File is a stored file: an upload, or a file the server generated (a
// batch job's output).
type File struct {
	ID          string    `json:"id"`
	DisplayName string    `json:"displayName,omitempty"`
	MIMEType    string    `json:"mimeType,omitempty"`
	Size        int64     `json:"size"`
	SHA256      []byte    `json:"sha256"`
	CreateTime  time.Time `json:"createTime"`
	ExpireTime  time.Time `json:"expireTime"`
	Source      string    `json:"source"` // UPLOADED or GENERATED
}

func newFileStore(back store.Backend) (*fileStore, error) {
	st := &fileStore{back: back, files: map[string]*File{}, uploads: map[string]*uploadSession{}}
	err := back.Load("files", func(id string, record []byte) error {
		f := new(File)
		if err := json.Unmarshal(record, f); err != nil {
			return err
		}
		if size, err := back.Size("files", id+".data"); err != nil || size != f.Size {
			// The record is written before its content is moved in place:
			// a crash in between, or content removed by hand.
			back.Remove("files", id+".json")
			return nil
		}
		st.files[id] = f
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := back.Load("uploads", st.loadUpload); err != nil {
		return nil, err
	}
	return st, nil
}

// live reports whether f exists at now (files expire after fileTTL).
func (f *File) live(now time.Time) bool { return now.Before(f.ExpireTime) }

// get returns a copy of the live file id.
func (st *fileStore) get(id string, now time.Time) (File, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	f, ok := st.files[id]
	if !ok || !f.live(now) {
		return File{}, false
	}
	return *f, true
}

// list returns copies of the live files, newest first.
func (st *fileStore) list(now time.Time) []File {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make([]File, 0, len(st.files))
	for _, f := range st.files {
		if f.live(now) {
			out = append(out, *f)
		}
	}
	slices.SortFunc(out, func(a, b File) int {
		return cmp.Or(b.CreateTime.Compare(a.CreateTime), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// delete removes file id; it reports whether it existed.
func (st *fileStore) delete(id string, now time.Time) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	f, ok := st.files[id]
	if !ok || !f.live(now) {
		return false
	}
	st.removeFileLocked(id)
	return true
}

func (st *fileStore) removeFileLocked(id string) {
	delete(st.files, id)
	st.back.Remove("files", id+".json", id+".data")
}

func (st *fileStore) removeUploadLocked(id string) {
	delete(st.uploads, id)
	st.back.Remove("uploads", id+".json", id+".part")
}

// purgeExpiredLocked forgets files that have expired, and upload sessions
// left unfinished for as long as a file lives.
func (st *fileStore) purgeExpiredLocked(now time.Time) {
	for id, f := range st.files {
		if !f.live(now) {
			st.removeFileLocked(id)
		}
	}
	for id, u := range st.uploads {
		if !now.Before(u.CreateTime.Add(fileTTL)) {
			st.removeUploadLocked(id)
		}
	}
}

// reserveLocked checks that one more file, named id, fits: store.ErrFull
// when limit files are stored even after expired ones are purged,
// store.ErrExists when the id is taken.
func (st *fileStore) reserveLocked(now time.Time, limit int, id string) error {
	if len(st.files)+len(st.uploads) >= limit {
		st.purgeExpiredLocked(now)
		if len(st.files)+len(st.uploads) >= limit {
			return store.ErrFull
		}
	}
	if st.idTakenLocked(id, now) {
		return store.ErrExists
	}
	return nil
}

// open returns a copy of the live file id with a reader of its bytes,
// both taken at once: the bytes are that record's even if the id is
// deleted or reused before they are read. store.ErrNotFound if there is
// no such file.
func (st *fileStore) open(id string, now time.Time) (File, io.ReadSeekCloser, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	f, ok := st.files[id]
	if !ok || !f.live(now) {
		return File{}, nil, store.ErrNotFound
	}
	content, err := st.back.Open("files", id+".data")
	if err != nil {
		return File{}, nil, err
	}
	return *f, content, nil
}

// putGenerated stores content produced by the server as file id,
// replacing any file of that name.
func (st *fileStore) putGenerated(id, displayName, mimeType string, content []byte, now time.Time) error {
	sum := sha256.Sum256(content)
	f := &File{
		ID: id, DisplayName: displayName, MIMEType: mimeType, Size: int64(len(content)), SHA256: sum[:],
		CreateTime: now, ExpireTime: now.Add(fileTTL), Source: "GENERATED",
	}
	if err := st.back.PutContent("files", id+".data", content); err != nil {
		return err
	}
	if err := st.back.PutRecord("files", id, f); err != nil {
		return err
	}
	st.mu.Lock()
	st.files[id] = f
	st.mu.Unlock()
	return nil
}

// reset forgets every file and upload.
func (st *fileStore) reset() {
	st.mu.Lock()
	defer st.mu.Unlock()
	for id := range st.files {
		st.removeFileLocked(id)
	}
	for id := range st.uploads {
		st.removeUploadLocked(id)
	}
}
