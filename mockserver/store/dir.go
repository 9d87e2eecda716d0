package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Dir is a Backend in a data directory: one folder per kind, holding
// {id}.json records and named content files. Every file is written
// atomically (temporary file, fsync, rename, fsync of the directory), so
// a crash leaves either the old or the new version, never a torn one;
// appends are synced before they return.
type Dir struct {
	root string
}

// Open opens (and creates, if needed) the data directory root.
func Open(root string) (*Dir, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	return &Dir{root: root}, nil
}

func (d *Dir) path(kind, name string) string { return filepath.Join(d.root, kind, name) }

// Load reads every kind/*.json record (creating the kind's folder if
// needed) and removes temporary files a crash left behind. A record that
// cannot be read is reported with its path.
func (d *Dir) Load(kind string, add func(id string, record []byte) error) error {
	if err := os.MkdirAll(filepath.Join(d.root, kind), 0o755); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
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
		if err := add(id, data); err != nil {
			return fmt.Errorf("data dir: %s/%s: %w", kind, name, err)
		}
	}
	return nil
}

// PutRecord writes v as kind/id.json.
func (d *Dir) PutRecord(kind, id string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return d.PutContent(kind, id+".json", data)
}

// PutContent writes content as kind/name.
func (d *Dir) PutContent(kind, name string, content []byte) error {
	return writeAtomic(d.path(kind, name), func(w io.Writer) error {
		_, err := w.Write(content)
		return err
	})
}

// writeAtomic writes path by way of a temporary file in the same
// directory that is synced and renamed over it.
func writeAtomic(path string, write func(io.Writer) error) error {
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

// Append adds r's bytes to kind/name and syncs them; on failure the file
// is cut back to its length before.
func (d *Dir) Append(kind, name string, r io.Reader) (int64, error) {
	path := d.path(kind, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return 0, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return 0, err
	}
	n, err := io.Copy(f, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Truncate(path, info.Size())
		return 0, err
	}
	return n, nil
}

// Truncate cuts kind/name to size bytes.
func (d *Dir) Truncate(kind, name string, size int64) error {
	return os.Truncate(d.path(kind, name), size)
}

// Move renames content and syncs the folder it moved to.
func (d *Dir) Move(kind, name, toKind, toName string) error {
	if err := os.Rename(d.path(kind, name), d.path(toKind, toName)); err != nil {
		return notFound(err)
	}
	return syncDir(filepath.Join(d.root, toKind))
}

// Open opens kind/name for reading: on Linux, an open file keeps its bytes
// when the name is removed or replaced.
func (d *Dir) Open(kind, name string) (io.ReadSeekCloser, error) {
	f, err := os.Open(d.path(kind, name))
	if err != nil {
		return nil, notFound(err)
	}
	return f, nil
}

// Read reads kind/name whole.
func (d *Dir) Read(kind, name string) ([]byte, error) {
	data, err := os.ReadFile(d.path(kind, name))
	return data, notFound(err)
}

// Size is the length of kind/name.
func (d *Dir) Size(kind, name string) (int64, error) {
	info, err := os.Stat(d.path(kind, name))
	if err != nil {
		return 0, notFound(err)
	}
	return info.Size(), nil
}

// Remove deletes kind/name for each name, ignoring names that are gone.
func (d *Dir) Remove(kind string, names ...string) {
	for _, n := range names {
		os.Remove(d.path(kind, n))
	}
}

// notFound turns a missing file into ErrNotFound.
func notFound(err error) error {
	if err != nil && errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	return err
}
