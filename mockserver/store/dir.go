// Package store persists what the fake keeps between requests (files,
// upload sessions, batch jobs) in a data directory, so that a restarted
// server serves everything it had: every write is atomic (temporary file,
// fsync, rename, fsync of the directory), so a crash leaves the old or
// the new version of a record, never a torn one.
//
// It knows records only as JSON and content as bytes; what they mean is
// up to the family packages that keep them. It is not a cache and holds
// nothing in memory.
package store

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Dir is a data directory: one folder per kind of record (files,
// uploads, jobs), each holding {id}.json records and their content.
// Every file is written atomically (temporary file, fsync, rename, fsync of
// the directory), so a crash leaves either the old or the new version, never
// a torn one. Content is written before the metadata that refers to it.
type Dir struct {
	root string
}

func Open(root string) (*Dir, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	return &Dir{root: root}, nil
}

// Make creates the folder of a kind of record, if needed.
func (d *Dir) Make(kind string) error {
	if err := os.MkdirAll(filepath.Join(d.root, kind), 0o755); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	return nil
}

// Path is the path of kind/name.
func (d *Dir) Path(kind, name string) string { return filepath.Join(d.root, kind, name) }

// WriteJSON atomically stores v as kind/name.
func (d *Dir) WriteJSON(kind, name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return WriteAtomic(d.Path(kind, name), func(w io.Writer) error { _, err := w.Write(data); return err })
}

// WriteAtomic writes path by way of a temporary file in the same
// directory that is synced and renamed over it.
func WriteAtomic(path string, write func(io.Writer) error) error {
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

// Remove deletes kind/name for each name, ignoring names that are gone.
func (d *Dir) Remove(kind string, names ...string) {
	for _, n := range names {
		os.Remove(d.Path(kind, n))
	}
}

// Load reads every kind/*.json into a new T and calls add; files that do
// not parse (which atomic writes rule out) are reported, and temporary
// files left by a crash are removed.
func Load[T any](d *Dir, kind string, add func(name string, v *T) error) error {
	entries, err := os.ReadDir(filepath.Join(d.root, kind))
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".tmp-") {
			os.Remove(d.Path(kind, name))
			continue
		}
		id, ok := strings.CutSuffix(name, ".json")
		if !ok {
			continue
		}
		data, err := os.ReadFile(d.Path(kind, name))
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
