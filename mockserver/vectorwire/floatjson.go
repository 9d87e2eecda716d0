package vectorwire

import (
	"encoding/binary"
	"math"
	"slices"
	"strconv"
)

// pow10 are the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// digitPairs holds "00" to "99".
const digitPairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

// maxFloat32Len bounds the length of a number putFloat32 writes.
const maxFloat32Len = 24

// appendFloat32 appends f as a JSON number (see putFloat32).
func appendFloat32(b []byte, f float32) []byte {
	b = slices.Grow(b, maxFloat32Len)
	n := putFloat32(b[len(b):len(b)+maxFloat32Len], f)
	return b[:len(b)+n]
}

// putFloat32 writes f into dst (at least maxFloat32Len bytes) as a JSON
// number with nine significant digits (trailing zeros dropped), which reads
// back as exactly f: nine digits tell every float32 apart, with room for
// the last digit to be off by one. It is several times faster than the
// shortest form (strconv's), and writes the millions of vector components
// a server answers. Values below 2^-46 or from 2^30 up take strconv's path.
// It returns the number of bytes written.
//
// Vector components have random signs and exponents, so the common case
// (2^-19 <= |f| < 1, written 0.000ddddddddd) is branch-free up to the
// trimming of trailing zeros: a mispredicted branch costs more than the
// arithmetic.
func putFloat32(dst []byte, f float32) int {
	_ = dst[maxFloat32Len-1]
	bits := math.Float32bits(f)
	dst[0] = '-'
	w := int(bits >> 31)
	bits &^= 1 << 31
	exp2 := int(bits>>23) - 127
	if uint(exp2+19) < 19 { // -19 <= exp2 <= -1
		x := float64(math.Float32frombits(bits))
		// e is the decimal exponent of the leading digit: floor(exp2 ×
		// log10 2) or one more (a comparison with an exact float64 bound;
		// no float32 lies between a power of ten and its float64).
		e := (exp2 * 1233) >> 12
		inc := 0
		if x >= negPow10[-e-1] {
			inc = 1
		}
		e += inc // -6 <= e <= -1
		n := uint64(int64(x*pow10[8-e] + 0.5))
		binary.LittleEndian.PutUint64(dst[w:], zeroPoint)
		w += 1 - e
		if n >= 1_000_000_000 { // cannot happen: no float32 rounds up to 10^(e+1)
			return len(strconv.AppendFloat(dst[:0], float64(f), 'g', -1, 32))
		}
		last4 := put9(dst[w:w+9], n)
		w += 9
		// Drop trailing zeros (a table lookup: a branch on them would be
		// mispredicted for one number in ten); the rare fifth and further
		// zeros in a loop.
		w -= int(trailingZeros[last4])
		if last4 == 0 {
			for dst[w-1] == '0' {
				w--
			}
		}
		return w
	}
	if bits == 0 {
		dst[w] = '0'
		return w + 1
	}
	if exp2 < -46 || exp2 >= 30 {
		if w == 0 {
			return len(strconv.AppendFloat(dst[:0], float64(f), 'g', -1, 32))
		}
		return 1 + len(strconv.AppendFloat(dst[1:1], float64(math.Float32frombits(bits)), 'g', -1, 32))
	}
	x := float64(math.Float32frombits(bits))
	// e is the decimal exponent of the leading digit (10^e <= x < 10^(e+1))
	// and n the nine significant digits, x ≈ n × 10^(e-8). The estimate
	// floor(exp2 × log10 2) is off by at most one; n's size corrects it.
	e := (exp2 * 1233) >> 12
	n := scaled(x, e)
	if n >= 1_000_000_000 {
		e++
		n = scaled(x, e)
	} else if n < 100_000_000 {
		e--
		n = scaled(x, e)
	}
	var digits [9]byte
	put9(digits[:], n)
	nd := 9 // significant digits, trailing zeros dropped
	for digits[nd-1] == '0' {
		nd--
	}
	if e < 0 && e >= -6 { // 0.000ddd
		dst[w], dst[w+1] = '0', '.'
		w += 2
		for range -e - 1 {
			dst[w] = '0'
			w++
		}
		return w + copy(dst[w:], digits[:nd])
	}
	if e >= 0 && e < 9 { // ddd.ddd or ddd000
		if e+1 >= nd {
			w += copy(dst[w:], digits[:nd])
			for range e + 1 - nd {
				dst[w] = '0'
				w++
			}
			return w
		}
		w += copy(dst[w:], digits[:e+1])
		dst[w] = '.'
		w++
		return w + copy(dst[w:], digits[e+1:nd])
	}
	dst[w] = digits[0] // d.ddde-XX
	w++
	if nd > 1 {
		dst[w] = '.'
		w++
		w += copy(dst[w:], digits[1:nd])
	}
	dst[w] = 'e'
	w++
	if e < 0 {
		dst[w] = '-'
		w++
		e = -e
	}
	if e >= 10 {
		dst[w] = byte('0' + e/10)
		w++
	}
	dst[w] = byte('0' + e%10)
	return w + 1
}

// zeroPoint is "0.000000" as a little-endian word: the start of every number
// on putFloat32's common path.
var zeroPoint = binary.LittleEndian.Uint64([]byte("0.000000"))

// negPow10[i] is the float64 nearest 10^-i.
var negPow10 = [...]float64{1e0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7}

// scaled rounds x × 10^(8-e) to an integer; 8-e stays within ±22, where
// powers of ten are exact.
func scaled(x float64, e int) uint64 {
	// Through int64: a single instruction, where uint64 needs a range check.
	if k := 8 - e; k >= 0 {
		return uint64(int64(x*pow10[k] + 0.5))
	} else {
		return uint64(int64(x/pow10[-k] + 0.5))
	}
}

// put9 writes the nine digits of n (< 10^9, zero-padded) into d[:9] and
// returns n's last four digits.
func put9(d []byte, n uint64) uint64 {
	_ = d[8]
	hi := n / 10000 // < 100000
	lo := n - hi*10000
	top := hi / 10000
	mid := hi - top*10000
	d[0] = byte('0' + top)
	binary.LittleEndian.PutUint32(d[1:], digitQuads[mid])
	binary.LittleEndian.PutUint32(d[5:], digitQuads[lo])
	return lo
}

// digitQuads[n] is the four digits of n < 10^4 as a little-endian word.
var digitQuads = func() (t [10000]uint32) {
	for n := range t {
		t[n] = uint32('0'+n/1000) | uint32('0'+n/100%10)<<8 | uint32('0'+n/10%10)<<16 | uint32('0'+n%10)<<24
	}
	return t
}()

// trailingZeros[n] counts the trailing zeros of the four digits of n < 10^4.
var trailingZeros = func() (t [10000]uint8) {
	for n := range t {
		for d := n; t[n] < 4 && d%10 == 0; d /= 10 {
			t[n]++
		}
	}
	return t
}()
