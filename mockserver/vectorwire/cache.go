package vectorwire

import (
	"container/list"
	"encoding/binary"
	"hash/maphash"
	"sync"
)

// DefaultCacheBytes is the default size of the cache of encoded
// vectors.
const DefaultCacheBytes = 8 << 20

// Cache keeps the encoded JSON of recently served vectors, keyed by
// everything the bytes depend on, so that a text embedded again is
// answered without computing or formatting it: the same input gives the
// same bytes either way. It holds at most max bytes of vectors, dropping
// the least recently used.
//
// A vector is kept only the second time it is asked for within a while:
// a doorkeeper remembers the hashes of recent misses, so that a stream of
// distinct texts costs a hash each rather than a copy and an eviction.
type Cache struct {
	mu    sync.Mutex
	max   int
	size  int
	items map[string]*list.Element
	order list.List // front: most recently used
	seen  [4096]uint64
	seed  maphash.Seed
}

type cachedVector struct {
	key   string
	value []byte
}

func NewCache(maxBytes int) *Cache {
	if maxBytes <= 0 {
		return nil
	}
	return &Cache{max: maxBytes, items: map[string]*list.Element{}, seed: maphash.MakeSeed()}
}

// appendTo appends the cached bytes for key to b; ok is false on a miss.
func (c *Cache) appendTo(b []byte, key []byte) ([]byte, bool) {
	if c == nil {
		return b, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[string(key)] // no allocation: the compiler looks up without converting
	if !ok {
		return b, false
	}
	c.order.MoveToFront(el)
	return append(b, el.Value.(*cachedVector).value...), true
}

// put stores a copy of value under key, if key was asked for before.
func (c *Cache) put(key, value []byte) {
	if c == nil || len(value) > c.max/4 {
		return
	}
	h := maphash.Bytes(c.seed, key)
	c.mu.Lock()
	defer c.mu.Unlock()
	if slot := &c.seen[h%uint64(len(c.seen))]; *slot != h {
		*slot = h // first sight: remember it, keep nothing yet
		return
	}
	if _, ok := c.items[string(key)]; ok {
		return
	}
	v := &cachedVector{key: string(key), value: append([]byte(nil), value...)}
	c.items[v.key] = c.order.PushFront(v)
	c.size += len(v.key) + len(v.value)
	for c.size > c.max {
		oldest := c.order.Back()
		old := oldest.Value.(*cachedVector)
		c.order.Remove(oldest)
		delete(c.items, old.key)
		c.size -= len(old.key) + len(old.value)
	}
}

// Key builds a key from fields, each length-prefixed so that no two
// different field lists give the same key.
type Key []byte

func (k Key) Add(s string) Key {
	k = binary.AppendUvarint(k, uint64(len(s)))
	return append(k, s...)
}

func (k Key) AddInt(n int) Key {
	return binary.AppendVarint(k, int64(n))
}

// keyBuffers recycles cache key buffers.
var keyBuffers = sync.Pool{New: func() any { b := make(Key, 0, 256); return &b }}

// GetKey returns an empty key buffer from a pool; PutKey returns it.
func GetKey() *Key { k := keyBuffers.Get().(*Key); *k = (*k)[:0]; return k }

// PutKey returns a key buffer to the pool.
func PutKey(k *Key) { keyBuffers.Put(k) }

// Size returns the bytes the cache holds.
func (c *Cache) Size() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}

// Append appends the encoded vector cached under key or, on a miss,
// computes it (into a pooled buffer), encodes it and caches the encoding.
// Every family's vectors go through it; a nil cache computes every time.
func (c *Cache) Append(b []byte, key Key, compute func(dst []float32) []float32, encode func([]byte, []float32) []byte) []byte {
	if out, hit := c.appendTo(b, key); hit {
		return out
	}
	vp := vectorBuffers.Get().(*[]float32)
	*vp = compute((*vp)[:0])
	start := len(b)
	b = encode(b, *vp)
	vectorBuffers.Put(vp)
	c.put(key, b[start:])
	return b
}
