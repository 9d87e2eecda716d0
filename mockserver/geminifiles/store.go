package geminifiles

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/embedmock/embedmock/mockserver/googleapi"
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
	disk    *store.Dir // nil: memory only
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

	data []byte // the content, when the store is memory only
}

func newFileStore(disk *store.Dir) (*fileStore, error) {
	st := &fileStore{disk: disk, files: map[string]*File{}, uploads: map[string]*uploadSession{}}
	if disk == nil {
		return st, nil
	}
	for _, kind := range []string{"files", "uploads"} {
		if err := disk.Make(kind); err != nil {
			return nil, err
		}
	}
	err := store.Load(disk, "files", func(id string, f *File) error {
		info, err := os.Stat(disk.Path("files", id+".data"))
		if err != nil || info.Size() != f.Size {
			// Metadata is written after content, so this is only possible
			// if the content was removed by hand.
			disk.Remove("files", id+".json")
			return nil
		}
		st.files[id] = f
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := store.Load(disk, "uploads", st.loadUpload); err != nil {
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
	if st.disk != nil {
		st.disk.Remove("files", id+".json", id+".data")
	}
}

func (st *fileStore) removeUploadLocked(id string) {
	delete(st.uploads, id)
	if st.disk != nil {
		st.disk.Remove("uploads", id+".json", id+".part")
	}
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

// reserveLocked checks that one more file fits under the limit, purging
// expired files first.
func (st *fileStore) reserveLocked(now time.Time, limit int) *googleapi.Error {
	if len(st.files)+len(st.uploads) < limit {
		return nil
	}
	st.purgeExpiredLocked(now)
	if len(st.files)+len(st.uploads) < limit {
		return nil
	}
	return googleapi.StoreFull("files", limit)
}

// content returns a reader of the bytes of f, a copy from get or list: in
// memory, the bytes of that very record, even if the id has been deleted
// or reused since (contents are never changed in place).
func (st *fileStore) content(f File) (io.ReadSeekCloser, error) {
	if st.disk == nil {
		return nopCloser{bytes.NewReader(f.data)}, nil
	}
	return os.Open(st.disk.Path("files", f.ID+".data"))
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// putGenerated stores content produced by the server as file id,
// replacing any file of that name.
func (st *fileStore) putGenerated(id, displayName, mimeType string, content []byte, now time.Time) error {
	sum := sha256.Sum256(content)
	f := &File{
		ID: id, DisplayName: displayName, MIMEType: mimeType, Size: int64(len(content)), SHA256: sum[:],
		CreateTime: now, ExpireTime: now.Add(fileTTL), Source: "GENERATED",
	}
	if st.disk != nil {
		if err := store.WriteAtomic(st.disk.Path("files", id+".data"), func(w io.Writer) error {
			_, err := w.Write(content)
			return err
		}); err != nil {
			return err
		}
		if err := st.disk.WriteJSON("files", id+".json", f); err != nil {
			return err
		}
	} else {
		f.data = content
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
