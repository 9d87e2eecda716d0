package recording

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"gopkg.in/dnaeon/go-vcr.v3/cassette"
	"gopkg.in/yaml.v3"
)

// Loaded is a cassette read from a file.
type Loaded struct {
	Path     string
	Cassette *cassette.Cassette
}

// CassettePath returns path with the .yaml extension go-vcr's cassette
// names imply (go-vcr's Load("x") reads x.yaml).
func CassettePath(path string) string {
	if strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml") {
		return path
	}
	return path + ".yaml"
}

// LoadCassettes reads cassettes: each path is a cassette file (the .yaml
// extension may be left out) or a directory whose *.yaml files, at any
// depth, are read in name order.
func LoadCassettes(paths ...string) ([]Loaded, error) {
	var out []Loaded
	for _, p := range paths {
		info, err := os.Stat(p)
		if err == nil && info.IsDir() {
			var files []string
			err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
					files = append(files, path)
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
			slices.Sort(files)
			for _, f := range files {
				c, err := loadCassette(f)
				if err != nil {
					return nil, err
				}
				out = append(out, Loaded{Path: f, Cassette: c})
			}
			continue
		}
		c, err := loadCassette(CassettePath(p))
		if err != nil {
			return nil, err
		}
		out = append(out, Loaded{Path: CassettePath(p), Cassette: c})
	}
	return out, nil
}

// loadCassette reads one cassette file with go-vcr.
func loadCassette(path string) (*cassette.Cassette, error) {
	name := strings.TrimSuffix(path, ".yaml")
	if strings.HasSuffix(path, ".yml") {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return parseCassette(path, data)
	}
	c, err := cassette.Load(name)
	if err != nil {
		return nil, fmt.Errorf("cassette %s: %w", path, err)
	}
	return c, nil
}

func parseCassette(path string, data []byte) (*cassette.Cassette, error) {
	c := cassette.New(strings.TrimSuffix(path, ".yaml"))
	c.IsNew = false
	if err := yaml.Unmarshal(data, c); err != nil {
		return nil, fmt.Errorf("cassette %s: %w", path, err)
	}
	if c.Version != cassette.CassetteFormatV2 {
		return nil, fmt.Errorf("cassette %s: %w", path, cassette.ErrUnsupportedCassetteFormat)
	}
	return c, nil
}

// cassetteHeader starts every cassette the Writer writes; interactions are
// appended after it, each as one YAML sequence item.
const cassetteHeader = "version: 2\ninteractions:\n"

// Writer appends interactions to a cassette file as they complete. Each
// interaction is written with a single write and synced before Append
// returns, so a process killed at any moment leaves a cassette that go-vcr
// loads, holding every interaction whose Append returned. The file is in
// go-vcr's format (version 2).
type Writer struct {
	mu   sync.Mutex
	path string
	f    *os.File
	next int
}

// OpenWriter opens the cassette at path for appending, creating it if
// needed. With overwrite, an existing cassette is replaced; otherwise its
// interactions are kept (and the file rewritten once, atomically, in the
// appendable layout). A cassette whose last interaction was cut short (a
// machine crash during a write) is repaired by dropping that interaction.
func OpenWriter(path string, overwrite bool) (*Writer, error) {
	path = CassettePath(path)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	var kept []*cassette.Interaction
	if data, err := os.ReadFile(path); err == nil && !overwrite {
		c, err := parseCassette(path, data)
		if err != nil {
			if c, err = repairCassette(path, data); err != nil {
				return nil, err
			}
		}
		kept = c.Interactions
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString(cassetteHeader)
	for i, in := range kept {
		in.ID = i
		item, err := marshalItem(in)
		if err != nil {
			return nil, err
		}
		buf.Write(item)
	}
	if err := writeAtomic(path, buf.Bytes()); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, err
	}
	return &Writer{path: path, f: f, next: len(kept)}, nil
}

// repairCassette drops a torn last interaction.
func repairCassette(path string, data []byte) (*cassette.Cassette, error) {
	cut := bytes.LastIndex(data, []byte("\n- id: "))
	if cut < 0 || !bytes.HasPrefix(data, []byte(cassetteHeader)) {
		return nil, fmt.Errorf("cassette %s is not valid YAML and cannot be repaired", path)
	}
	return parseCassette(path, data[:cut+1])
}

// Path returns the cassette file's path.
func (w *Writer) Path() string { return w.path }

// Append adds an interaction (its ID is set) and syncs it to disk.
func (w *Writer) Append(in *cassette.Interaction) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return errors.New("recording: cassette writer is closed")
	}
	in.ID = w.next
	item, err := marshalItem(in)
	if err != nil {
		return err
	}
	if _, err := w.f.Write(item); err != nil {
		return err
	}
	if err := w.f.Sync(); err != nil {
		return err
	}
	w.next++
	return nil
}

// Close closes the cassette file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

// marshalItem renders one interaction as a YAML sequence item.
func marshalItem(in *cassette.Interaction) ([]byte, error) {
	return yaml.Marshal([]*cassette.Interaction{in})
}

// writeAtomic replaces path with data by way of a synced temporary file.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
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
	return os.Rename(tmp.Name(), path)
}
