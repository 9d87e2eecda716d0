package recording

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
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
	return LoadCassettesLimit(0, paths...)
}

// LoadCassettesLimit reads cassettes as LoadCassettes does, refusing any
// file larger than limit bytes (0 for no limit) before reading it.
func LoadCassettesLimit(limit int64, paths ...string) ([]Loaded, error) {
	loadCassette := func(path string) (*cassette.Cassette, error) {
		if info, err := os.Stat(path); err == nil && limit > 0 && info.Size() > limit {
			return nil, fmt.Errorf("cassette %s: %d bytes is over the limit of %d bytes", path, info.Size(), limit)
		}
		return loadCassette(path)
	}
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

// loadCassette reads one cassette file.
func loadCassette(path string) (*cassette.Cassette, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cassette %s: %w", path, err)
	}
	return parseCassette(path, data)
}

// parseCassette decodes a cassette as go-vcr's cassette.Load does. Large
// cassettes in go-vcr's layout are decoded in pieces, in parallel (see
// parseInPieces); anything else, and any piece that does not decode, falls
// back to decoding the whole file, which also gives the error message.
func parseCassette(path string, data []byte) (*cassette.Cassette, error) {
	c := cassette.New(strings.TrimSuffix(path, ".yaml"))
	c.IsNew = false
	if interactions, ok := parseInPieces(data); ok {
		c.Version = cassette.CassetteFormatV2
		c.Interactions = interactions
	} else if err := yaml.Unmarshal(data, c); err != nil {
		return nil, fmt.Errorf("cassette %s: %w", path, err)
	}
	if c.Version != cassette.CassetteFormatV2 {
		return nil, fmt.Errorf("cassette %s: %w", path, cassette.ErrUnsupportedCassetteFormat)
	}
	if i := slices.Index(c.Interactions, nil); i >= 0 {
		// go-vcr loads an empty sequence item as a nil interaction, which
		// nothing can replay.
		return nil, fmt.Errorf("cassette %s: item %d of interactions is empty", path, i+1)
	}
	return c, nil
}

// pieceBytes is the size of the pieces a large cassette is decoded in;
// cassettes smaller than two pieces are decoded whole.
const pieceBytes = 1 << 20

// parseInPieces decodes the interactions of a cassette in go-vcr's layout
// (a version 2 header, then "interactions:" and one "- id: N" sequence item
// per interaction at a fixed indentation, as both go-vcr and Writer write
// it) piece by piece on every processor. A YAML decoder holds a tree of
// nodes many times the size of its input; decoding pieces keeps that tree
// small, and pieces decode in parallel. Every piece must decode to exactly
// the interactions it was cut for, so a cut in the wrong place (an item
// marker inside a value) cannot go unnoticed: ok is false and the caller
// decodes the whole file instead.
func parseInPieces(data []byte) (interactions []*cassette.Interaction, ok bool) {
	if len(data) < 2*pieceBytes {
		return nil, false
	}
	var header struct {
		Version int `yaml:"version"`
	}
	headerEnd := bytes.Index(data, []byte("\ninteractions:\n"))
	if headerEnd < 0 || yaml.Unmarshal(data[:headerEnd+1], &header) != nil || header.Version != cassette.CassetteFormatV2 {
		return nil, false
	}
	items := data[headerEnd+len("\ninteractions:\n"):]
	indent := 0
	for indent < len(items) && items[indent] == ' ' {
		indent++
	}
	marker := append([]byte("\n"+strings.Repeat(" ", indent)), "- id: "...)
	if !bytes.HasPrefix(items, marker[1:]) {
		return nil, false
	}
	// Cut into pieces of whole items, each about pieceBytes long.
	type piece struct {
		text  []byte
		items int
		out   []*cassette.Interaction
		ok    bool
	}
	var pieces []*piece
	for len(items) > 0 {
		end, n := 0, 0
		for end < len(items) && (end < pieceBytes || n == 0) {
			next := bytes.Index(items[end+1:], marker)
			n++
			if next < 0 {
				end = len(items)
				break
			}
			end += 1 + next + 1 // just past the newline before the next item
		}
		pieces = append(pieces, &piece{text: items[:end], items: n})
		items = items[end:]
	}
	work := make(chan *piece)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(pieces)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				var doc struct {
					Interactions []*cassette.Interaction `yaml:"interactions"`
					// Other top-level keys (after the interactions, in the
					// last piece) are left to the whole-file decoding,
					// which checks them as go-vcr does.
					Other map[string]any `yaml:",inline"`
				}
				text := append([]byte("interactions:\n"), p.text...)
				if yaml.Unmarshal(text, &doc) == nil && len(doc.Interactions) == p.items && len(doc.Other) == 0 {
					p.out, p.ok = doc.Interactions, true
				}
			}
		}()
	}
	for _, p := range pieces {
		work <- p
	}
	close(work)
	wg.Wait()
	for _, p := range pieces {
		if !p.ok {
			return nil, false
		}
		interactions = append(interactions, p.out...)
	}
	return interactions, true
}

// cassetteHeader starts every cassette the Writer writes; interactions are
// written after it, one YAML sequence item each.
const cassetteHeader = "version: 2\ninteractions:\n"

// Writer appends interactions to a cassette file as they complete, so that
// a process killed at any moment leaves a cassette that go-vcr loads,
// holding every interaction whose Append returned and nothing half-written.
//
// A write of many pages can be cut short by a kill, so an appended
// interaction is first written (and synced) as a one-line YAML comment and
// then committed by overwriting its first byte, turning the comment into a
// sequence item; see pendingItem. Close rewrites the file, atomically, in
// go-vcr's usual block layout; a cassette left by a kill holds its last
// interactions as one-line flow mappings, which every YAML reader loads, and
// is rewritten the next time a Writer opens it. The file is in go-vcr's
// format (version 2).
type Writer struct {
	mu      sync.Mutex
	path    string
	f       *os.File
	size    int64 // bytes committed
	next    int
	flowing bool // whether any interaction was appended since the file was rewritten
}

// OpenWriter opens the cassette at path for appending, creating it if
// needed. With overwrite, an existing cassette is replaced; otherwise its
// interactions are kept (and the file rewritten once, atomically, in the
// block layout). A cassette whose last interaction was cut short by an
// earlier writer (a machine crash in the middle of a write) is repaired by
// dropping that interaction.
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
	size, err := writeBlockLayout(path, kept)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	return &Writer{path: path, f: f, size: size, next: len(kept)}, nil
}

// writeBlockLayout replaces the cassette at path, atomically, with the
// given interactions in go-vcr's block layout, and returns its size.
func writeBlockLayout(path string, interactions []*cassette.Interaction) (int64, error) {
	var buf bytes.Buffer
	buf.WriteString(cassetteHeader)
	for i, in := range interactions {
		in.ID = i
		item, err := marshalItem(in)
		if err != nil {
			return 0, err
		}
		buf.Write(item)
	}
	if err := writeAtomic(path, buf.Bytes()); err != nil {
		return 0, err
	}
	return int64(buf.Len()), nil
}

// repairCassette drops a torn last interaction.
func repairCassette(path string, data []byte) (*cassette.Cassette, error) {
	cut := bytes.LastIndex(data, []byte("\n- "))
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
	line, err := marshalFlowLine(in)
	if err != nil {
		return err
	}
	if err := w.commit(line); err != nil {
		// Whatever reached the file is a comment or a torn line; cut it off
		// so that the next interaction starts on a line of its own.
		_ = w.f.Truncate(w.size)
		return err
	}
	w.size += int64(len(line))
	w.next++
	w.flowing = true
	return nil
}

// commit writes a pending line at the end of the file, syncs it, turns it
// into a sequence item and syncs again.
func (w *Writer) commit(line []byte) error {
	if _, err := w.f.WriteAt(line, w.size); err != nil {
		return err
	}
	if err := syncFile(w.f); err != nil {
		return err
	}
	if _, err := w.f.WriteAt([]byte{committedItem}, w.size); err != nil {
		return err
	}
	return syncFile(w.f)
}

// Close rewrites the cassette in go-vcr's block layout (when interactions
// were appended) and closes it.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	if err != nil || !w.flowing {
		return err
	}
	c, err := loadCassette(w.path)
	if err != nil {
		return err
	}
	_, err = writeBlockLayout(w.path, c.Interactions)
	return err
}

// marshalItem renders one interaction as a YAML sequence item.
func marshalItem(in *cassette.Interaction) ([]byte, error) {
	return yaml.Marshal([]*cassette.Interaction{in})
}

// syncFile flushes a file to disk. Tests of what is written, rather than
// of what survives a machine crash, replace it to run faster.
var syncFile = (*os.File).Sync

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
	if err := syncFile(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
