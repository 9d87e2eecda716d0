// Package store keeps what the fake holds between requests (files, upload
// sessions, batch jobs): records, as JSON, and their content, as bytes,
// by kind (a folder: "files", "jobs") and name. Two backends implement
// one interface: Memory, the default, and Dir, a data directory that a
// restarted server reads back, where every write is atomic (temporary
// file, fsync, rename, fsync of the directory), so a crash leaves the old
// or the new version of a record, never a torn one.
//
// It knows nothing of what records mean: the family packages keep their
// own maps and locks, and call a Backend to persist. Their sentinel
// errors for the rules they enforce are ErrNotFound, ErrExists and
// ErrFull.
package store

import (
	"errors"
	"io"
)

// The errors of stores: a record or content that does not exist, a name
// already taken, a store at its limit.
var (
	ErrNotFound = errors.New("store: not found")
	ErrExists   = errors.New("store: already exists")
	ErrFull     = errors.New("store: full")
)

// Backend persists records and content. It is safe for concurrent use on
// different names; one name's writes are the caller's to serialise.
type Backend interface {
	// Load calls add with each record of kind that PutRecord wrote, in
	// no particular order; an error of add is returned with the record's
	// name.
	Load(kind string, add func(id string, record []byte) error) error
	// PutRecord stores v as JSON, the record kind/id: the content named
	// id + ".json".
	PutRecord(kind, id string, v any) error
	// PutContent stores content as kind/name.
	PutContent(kind, name string, content []byte) error
	// Append adds what r holds to kind/name (created if missing) and
	// returns how much; when it fails, nothing of r is kept.
	Append(kind, name string, r io.Reader) (int64, error)
	// Truncate cuts kind/name to size bytes.
	Truncate(kind, name string, size int64) error
	// Move renames content.
	Move(kind, name, toKind, toName string) error
	// Open reads content: the bytes stored when it was opened, whatever
	// is written or removed later; ErrNotFound if there are none.
	Open(kind, name string) (io.ReadSeekCloser, error)
	// Read returns the whole content, which the caller must not change
	// (Memory hands out its own bytes, without a copy); ErrNotFound if
	// there is none.
	Read(kind, name string) ([]byte, error)
	// Size is the length of content; ErrNotFound if there is none.
	Size(kind, name string) (int64, error)
	// Remove deletes content of kind by name (a record's is id + ".json"),
	// ignoring names that are gone.
	Remove(kind string, names ...string)
}
