package jsonscan

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestString(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{`"plain"`, "plain", true},
		{` "spaced"`, "spaced", true},
		{`"esc \" \\ \/ \b \f \n \r \t"`, "esc \" \\ / \b \f \n \r \t", true},
		{`"\u00e9\ud83d\ude00"`, "é😀", true},
		{`"\ud800x"`, "\uFFFDx", true},
		{`"\u12"`, "", false},
		{`"\x"`, "", false},
		{"\"raw\x01control\"", "", false},
		{"\"bad utf-8 \xff\"", "", false},
		{`"unterminated`, "", false},
		{`'single'`, "", false},
	}
	for _, tt := range tests {
		got, ok := NewDecoder([]byte(tt.in)).String()
		assert.Equal(t, tt.ok, ok, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestInt32(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"0", 0, true}, {"-12", -12, true}, {" 2147483647", 2147483647, true}, {"-2147483648", -2147483648, true},
		{"2147483648", 0, false}, {"007", 0, false}, {"1.0", 0, false}, {"1e3", 0, false}, {"-", 0, false}, {"", 0, false},
	}
	for _, tt := range tests {
		got, ok := NewDecoder([]byte(tt.in)).Int32()
		assert.Equal(t, tt.ok, ok, tt.in)
		if ok {
			assert.Equal(t, tt.want, got, tt.in)
		}
	}
}

func TestStructure(t *testing.T) {
	d := NewDecoder([]byte(` { "a" : "b" , "n": 1 } `))
	assert.True(t, d.Byte('{'))
	assert.True(t, d.Key("a"))
	s, ok := d.String()
	assert.True(t, ok)
	assert.Equal(t, "b", s)
	assert.True(t, d.Byte(','))
	assert.False(t, d.Key("x"), "another key")
	d = NewDecoder([]byte(`{"n":1}`))
	assert.True(t, d.Byte('{') && d.Key("n"))
	n, ok := d.Int32()
	assert.True(t, ok && n == 1)
	assert.True(t, d.Byte('}'))
	assert.True(t, d.End())
}

// FuzzString checks that whatever String reads, encoding/json reads the
// same.
func FuzzString(f *testing.F) {
	for _, s := range []string{`"a"`, `"\u00e9"`, `"\ud83d\ude00"`, `"\ud800"`, `"\""`, `"x\/y"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, ok := NewDecoder(in).String()
		if !ok {
			return
		}
		d := NewDecoder(in)
		d.String()
		var want string
		if err := json.Unmarshal(in[:d.pos], &want); err != nil {
			t.Fatalf("%q: read %q, encoding/json refuses it: %v", in, got, err)
		}
		if got != want {
			t.Fatalf("%q: read %q, encoding/json reads %q", in, got, want)
		}
	})
}
