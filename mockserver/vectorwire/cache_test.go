package vectorwire

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVectorCacheIsBounded(t *testing.T) {
	c := NewCache(1000)
	for i := range 100 {
		k := Key(nil).Add(fmt.Sprint(i))
		c.put(k, make([]byte, 100))
		_, hit := c.appendTo(nil, k)
		require.False(t, hit, "kept only when asked for a second time")
		c.put(k, make([]byte, 100))
	}
	assert.LessOrEqual(t, c.size, 1000)
	assert.Len(t, c.items, c.order.Len())
	_, hit := c.appendTo(nil, Key(nil).Add("99"))
	assert.True(t, hit, "the newest stays")
	_, hit = c.appendTo(nil, Key(nil).Add("0"))
	assert.False(t, hit, "the oldest went")
	c.put(Key(nil).Add("big"), make([]byte, 600))
	c.put(Key(nil).Add("big"), make([]byte, 600))
	_, hit = c.appendTo(nil, Key(nil).Add("big"))
	assert.False(t, hit, "values over a quarter of the cache are not kept")

	var off *Cache
	out, hit := off.appendTo([]byte("x"), Key(nil).Add("k"))
	require.False(t, hit)
	assert.Equal(t, "x", string(out))
	off.put(Key(nil).Add("k"), []byte("v"))
}

func TestCacheKeysDoNotCollide(t *testing.T) {
	a := Key(nil).Add("ab").Add("c")
	b := Key(nil).Add("a").Add("bc")
	assert.NotEqual(t, string(a), string(b))
}
