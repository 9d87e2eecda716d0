package mockserver

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// dataDir persists batch jobs, files and upload sessions under a directory
// so that a restarted server serves everything it had:
//
//	DIR/files/{id}.json     file metadata          DIR/files/{id}.data     file content
//	DIR/uploads/{id}.json   upload session         DIR/uploads/{id}.part   bytes received so far
//	DIR/jobs/{id}.json      batch job              DIR/jobs/{id}.output    results once finished
//
// Every file is written atomically (temporary file, fsync, rename, fsync of
// the directory), so a crash leaves either the old or the new version, never
// a torn one. Content is written before the metadata that refers to it.
type dataDir struct {
	root string
}

func openDataDir(root string) (*dataDir, error) {
	d := &dataDir{root: root}
	for _, sub := range []string{"files", "uploads", "jobs"} {
		if err := os.MkdirAll(filepath.Join(root, sub), 0o755); err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
	}
	return d, nil
}

func (d *dataDir) path(kind, name string) string { return filepath.Join(d.root, kind, name) }

// writeJSON atomically stores v as kind/name.
func (d *dataDir) writeJSON(kind, name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeFileAtomic(d.path(kind, name), func(w io.Writer) error { _, err := w.Write(data); return err })
}

// writeFileAtomic writes path by way of a temporary file in the same
// directory that is synced and renamed over it.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func (d *dataDir) remove(kind string, names ...string) {
	for _, n := range names {
		os.Remove(d.path(kind, n))
	}
}

// loadJSON reads every kind/*.json into a new T and calls add; files that do
// not parse (which atomic writes rule out) are reported, and temporary
// files left by a crash are removed.
func loadJSON[T any](d *dataDir, kind string, add func(name string, v *T) error) error {
	entries, err := os.ReadDir(filepath.Join(d.root, kind))
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".tmp-") {
			os.Remove(d.path(kind, name))
			continue
		}
		id, ok := strings.CutSuffix(name, ".json")
		if !ok {
			continue
		}
		data, err := os.ReadFile(d.path(kind, name))
		if err != nil {
			return err
		}
		v := new(T)
		if err := json.Unmarshal(data, v); err != nil {
			return fmt.Errorf("data dir: %s/%s: %w", kind, name, err)
		}
		if err := add(id, v); err != nil {
			return err
		}
	}
	return nil
}
