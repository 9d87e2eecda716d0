package store

import (
	"bytes"
	"io"
	"sync"
)

// Memory is a Backend in memory: content is kept until removed, records
// are not kept at all (nothing reads them back).
type Memory struct {
	mu      sync.Mutex
	content map[string][]byte
}

// NewMemory returns an empty Memory.
func NewMemory() *Memory { return &Memory{content: map[string][]byte{}} }

func memoryKey(kind, name string) string { return kind + "/" + name }

// Load finds nothing: a memory store starts empty.
func (m *Memory) Load(string, func(string, []byte) error) error { return nil }

// PutRecord keeps nothing: records live in the families' maps.
func (m *Memory) PutRecord(string, string, any) error { return nil }

// PutContent keeps content (not a copy: the caller gives it up).
func (m *Memory) PutContent(kind, name string, content []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.content[memoryKey(kind, name)] = content
	return nil
}

// Append reads r whole and adds it.
func (m *Memory) Append(kind, name string, r io.Reader) (int64, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := memoryKey(kind, name)
	// Bytes once stored are never changed in place: readers opened
	// earlier keep theirs, and appends only write past their end.
	m.content[k] = append(m.content[k], data...)
	return int64(len(data)), nil
}

// Truncate cuts content short. The next append writes over the cut bytes,
// so content that may be truncated is not to be read while appended to.
func (m *Memory) Truncate(kind, name string, size int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := memoryKey(kind, name)
	if b := m.content[k]; int64(len(b)) > size {
		m.content[k] = b[:size]
	}
	return nil
}

// Move renames content.
func (m *Memory) Move(kind, name, toKind, toName string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.content[memoryKey(kind, name)]
	if !ok {
		return ErrNotFound
	}
	delete(m.content, memoryKey(kind, name))
	m.content[memoryKey(toKind, toName)] = b
	return nil
}

// Open reads the content as it is now.
func (m *Memory) Open(kind, name string) (io.ReadSeekCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.content[memoryKey(kind, name)]
	if !ok {
		return nil, ErrNotFound
	}
	return nopCloser{bytes.NewReader(b[:len(b):len(b)])}, nil
}

// Read returns the content itself: bytes once stored are never changed
// in place.
func (m *Memory) Read(kind, name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.content[memoryKey(kind, name)]
	if !ok {
		return nil, ErrNotFound
	}
	return b[:len(b):len(b)], nil
}

// Size is the content's length.
func (m *Memory) Size(kind, name string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.content[memoryKey(kind, name)]
	if !ok {
		return 0, ErrNotFound
	}
	return int64(len(b)), nil
}

// Remove forgets content.
func (m *Memory) Remove(kind string, names ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range names {
		delete(m.content, memoryKey(kind, n))
	}
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }
