package mockserver

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"
)

// fileTTL is how long the Files API keeps a file.
const fileTTL = 48 * time.Hour

// store holds the server's stored state: files, upload sessions and batch
// jobs, in memory and, with a data dir, on disk. One mutex guards the maps
// and records; the slow work (computing batch results, moving file content)
// happens outside it.
type store struct {
	mu      sync.Mutex
	disk    *dataDir // nil: memory only
	files   map[string]*fileRecord
	uploads map[string]*uploadSession
	jobs    map[string]*batchJob
}

// fileRecord is a stored file: an upload, or the output of a batch job.
type fileRecord struct {
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

func newStore(disk *dataDir) (*store, error) {
	st := &store{
		disk:    disk,
		files:   map[string]*fileRecord{},
		uploads: map[string]*uploadSession{},
		jobs:    map[string]*batchJob{},
	}
	if disk == nil {
		return st, nil
	}
	err := loadJSON(disk, "files", func(id string, f *fileRecord) error {
		info, err := os.Stat(disk.path("files", id+".data"))
		if err != nil || info.Size() != f.Size {
			// Metadata is written after content, so this is only possible
			// if the content was removed by hand.
			disk.remove("files", id+".json")
			return nil
		}
		st.files[id] = f
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := loadJSON(disk, "uploads", st.loadUpload); err != nil {
		return nil, err
	}
	if err := loadJSON(disk, "jobs", func(id string, j *batchRecord) error {
		st.jobs[id] = &batchJob{batchRecord: *j}
		return nil
	}); err != nil {
		return nil, err
	}
	return st, nil
}

// errStoreFull is the answer when the store holds its maximum number of
// files or jobs.
func errStoreFull(what string, limit int) *googleError {
	return newGoogleError(http.StatusTooManyRequests, fmt.Sprintf(
		"embedmock: the store already holds %d %s, its limit; delete some or raise the limit", limit, what))
}

// live reports whether f exists at now (files expire after fileTTL).
func (f *fileRecord) live(now time.Time) bool { return now.Before(f.ExpireTime) }

// getFile returns a copy of the live file id.
func (st *store) getFile(id string, now time.Time) (fileRecord, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	f, ok := st.files[id]
	if !ok || !f.live(now) {
		return fileRecord{}, false
	}
	return *f, true
}

// listFiles returns copies of the live files, newest first.
func (st *store) listFiles(now time.Time) []fileRecord {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make([]fileRecord, 0, len(st.files))
	for _, f := range st.files {
		if f.live(now) {
			out = append(out, *f)
		}
	}
	slices.SortFunc(out, func(a, b fileRecord) int {
		if c := b.CreateTime.Compare(a.CreateTime); c != 0 {
			return c
		}
		return compareStrings(a.ID, b.ID)
	})
	return out
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// deleteFile removes file id; it reports whether it existed.
func (st *store) deleteFile(id string, now time.Time) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	f, ok := st.files[id]
	if !ok || !f.live(now) {
		return false
	}
	st.removeFileLocked(id)
	return true
}

func (st *store) removeFileLocked(id string) {
	delete(st.files, id)
	if st.disk != nil {
		st.disk.remove("files", id+".json", id+".data")
	}
}

// purgeExpiredLocked forgets files that have expired, and upload sessions
// left unfinished for as long as a file lives.
func (st *store) purgeExpiredLocked(now time.Time) {
	for id, f := range st.files {
		if !f.live(now) {
			st.removeFileLocked(id)
		}
	}
	for id, u := range st.uploads {
		if !now.Before(u.CreateTime.Add(fileTTL)) {
			delete(st.uploads, id)
			if st.disk != nil {
				st.disk.remove("uploads", id+".json", id+".part")
			}
		}
	}
}

// reserveFileLocked checks that one more file fits under the limit, purging
// expired files first.
func (st *store) reserveFileLocked(now time.Time, limit int) *googleError {
	if len(st.files)+len(st.uploads) < limit {
		return nil
	}
	st.purgeExpiredLocked(now)
	if len(st.files)+len(st.uploads) < limit {
		return nil
	}
	return errStoreFull("files", limit)
}

// content returns a reader of the bytes of f, a copy from getFile or
// listFiles: in memory, the bytes of that very record, even if the id has
// been deleted or reused since (contents are never changed in place).
func (st *store) content(f fileRecord) (io.ReadSeekCloser, error) {
	if st.disk == nil {
		return nopCloser{bytes.NewReader(f.data)}, nil
	}
	return os.Open(st.disk.path("files", f.ID+".data"))
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// putGeneratedFile stores content produced by the server (a batch job's
// output) as file id, replacing any file of that name.
func (st *store) putGeneratedFile(id, displayName, mimeType string, content []byte, now time.Time) error {
	sum := sha256.Sum256(content)
	f := &fileRecord{
		ID: id, DisplayName: displayName, MIMEType: mimeType, Size: int64(len(content)), SHA256: sum[:],
		CreateTime: now, ExpireTime: now.Add(fileTTL), Source: "GENERATED",
	}
	if st.disk != nil {
		if err := writeFileAtomic(st.disk.path("files", id+".data"), func(w io.Writer) error {
			_, err := w.Write(content)
			return err
		}); err != nil {
			return err
		}
		if err := st.disk.writeJSON("files", id+".json", f); err != nil {
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

// hexSHA256 is the digest as the Files API reports it: the base64 of its
// hex form (fileResource encodes it).
func hexSHA256(sum []byte) string { return hex.EncodeToString(sum) }

// reset forgets every job, file and upload, waiting for jobs being finished.
func (st *store) reset() {
	st.mu.Lock()
	jobs := make([]*batchJob, 0, len(st.jobs))
	for _, j := range st.jobs {
		jobs = append(jobs, j)
	}
	st.mu.Unlock()
	for _, j := range jobs {
		j.mu.Lock()
		st.mu.Lock()
		if st.jobs[j.ID] == j {
			delete(st.jobs, j.ID)
			j.deleted = true
			if st.disk != nil {
				st.disk.remove("jobs", j.ID+".json", j.ID+".output")
			}
		}
		st.mu.Unlock()
		j.mu.Unlock()
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	for id := range st.files {
		st.removeFileLocked(id)
	}
	for id := range st.uploads {
		delete(st.uploads, id)
		if st.disk != nil {
			st.disk.remove("uploads", id+".json", id+".part")
		}
	}
}
