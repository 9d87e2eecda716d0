package store

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// backends returns one of each Backend, for the contract they share.
func backends(t *testing.T) map[string]Backend {
	dir, err := Open(filepath.Join(t.TempDir(), "data"))
	require.NoError(t, err)
	require.NoError(t, dir.Load("k", func(string, []byte) error { return nil }), "makes the kind's folder")
	return map[string]Backend{"memory": NewMemory(), "dir": dir}
}

func read(t *testing.T, b Backend, kind, name string) string {
	t.Helper()
	r, err := b.Open(kind, name)
	require.NoError(t, err)
	defer r.Close()
	data, err := io.ReadAll(r)
	require.NoError(t, err)
	return string(data)
}

func TestContract(t *testing.T) {
	for name, b := range backends(t) {
		t.Run(name, func(t *testing.T) {
			_, err := b.Open("k", "missing")
			assert.ErrorIs(t, err, ErrNotFound)
			_, err = b.Size("k", "missing")
			assert.ErrorIs(t, err, ErrNotFound)
			assert.ErrorIs(t, b.Move("k", "missing", "k", "other"), ErrNotFound)

			require.NoError(t, b.PutContent("k", "c", []byte("hello")))
			assert.Equal(t, "hello", read(t, b, "k", "c"))
			n, err := b.Append("k", "c", strings.NewReader(", world"))
			require.NoError(t, err)
			assert.Equal(t, int64(7), n)
			size, err := b.Size("k", "c")
			require.NoError(t, err)
			assert.Equal(t, int64(12), size)

			// An append that fails keeps nothing of its reader.
			_, err = b.Append("k", "c", io.MultiReader(strings.NewReader("!!"), failingReader{}))
			assert.Error(t, err)
			assert.Equal(t, "hello, world", read(t, b, "k", "c"))

			// A reader keeps the bytes it was opened on.
			r, err := b.Open("k", "c")
			require.NoError(t, err)
			require.NoError(t, b.PutContent("k", "c", []byte("replaced")))
			_, err = b.Append("k", "c", strings.NewReader(" and more"))
			require.NoError(t, err)
			old, err := io.ReadAll(r)
			require.NoError(t, err)
			r.Close()
			assert.Equal(t, "hello, world", string(old))

			require.NoError(t, b.Truncate("k", "c", 8))
			assert.Equal(t, "replaced", read(t, b, "k", "c"))
			require.NoError(t, b.Move("k", "c", "k", "moved"))
			assert.Equal(t, "replaced", read(t, b, "k", "moved"))
			_, err = b.Open("k", "c")
			assert.ErrorIs(t, err, ErrNotFound)

			b.Remove("k", "moved", "never there")
			_, err = b.Open("k", "moved")
			assert.ErrorIs(t, err, ErrNotFound)
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("the client went away") }

func TestRecords(t *testing.T) {
	root := filepath.Join(t.TempDir(), "data")
	dir, err := Open(root)
	require.NoError(t, err)
	require.NoError(t, dir.Load("jobs", func(string, []byte) error { return nil }))
	require.NoError(t, dir.PutRecord("jobs", "a", map[string]int{"n": 1}))
	require.NoError(t, dir.PutRecord("jobs", "b", map[string]int{"n": 2}))
	require.NoError(t, os.WriteFile(filepath.Join(root, "jobs", ".tmp-c.json-1"), []byte("{"), 0o644))

	again, err := Open(root)
	require.NoError(t, err)
	got := map[string]string{}
	require.NoError(t, again.Load("jobs", func(id string, record []byte) error {
		got[id] = string(record)
		return nil
	}))
	assert.Equal(t, map[string]string{"a": `{"n":1}`, "b": `{"n":2}`}, got)
	assert.NoFileExists(t, filepath.Join(root, "jobs", ".tmp-c.json-1"), "a crash's leftovers are removed")

	err = again.Load("jobs", func(id string, _ []byte) error { return errors.New("unreadable") })
	assert.ErrorContains(t, err, "jobs/")
	assert.ErrorContains(t, err, "unreadable")

	// Memory keeps no records: nothing is read back.
	m := NewMemory()
	require.NoError(t, m.PutRecord("jobs", "a", 1))
	assert.NoError(t, m.Load("jobs", func(string, []byte) error { return errors.New("called") }))
}

func TestRead(t *testing.T) {
	for name, b := range backends(t) {
		t.Run(name, func(t *testing.T) {
			_, err := b.Read("k", "missing")
			assert.ErrorIs(t, err, ErrNotFound)
			require.NoError(t, b.PutContent("k", "r", []byte("whole")))
			data, err := b.Read("k", "r")
			require.NoError(t, err)
			assert.Equal(t, "whole", string(data))
		})
	}
}
