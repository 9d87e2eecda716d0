package mockserver

import (
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
func putFloat32(dst []byte, f float32) int {
	bits := math.Float32bits(f)
	w := 0
	if bits>>31 != 0 {
		dst[0] = '-'
		w = 1
	}
	bits &^= 1 << 31
	if bits == 0 {
		dst[w] = '0'
		return w + 1
	}
	exp2 := int(bits>>23) - 127
	if exp2 < -46 || exp2 >= 30 {
		return len(strconv.AppendFloat(dst[:0], float64(f), 'g', -1, 32))
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
	if e < 0 && e >= -6 { // 0.000ddd: the common case for vector components
		dst[w], dst[w+1] = '0', '.'
		w += 2
		for range -e - 1 {
			dst[w] = '0'
			w++
		}
		put9(dst[w:w+9], n)
		w += 9
		for dst[w-1] == '0' {
			w--
		}
		return w
	}
	var digits [9]byte
	put9(digits[:], n)
	nd := 9 // significant digits, trailing zeros dropped
	for digits[nd-1] == '0' {
		nd--
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

// put9 writes the nine digits of n (< 10^9, zero-padded) into d[:9].
func put9(d []byte, n uint64) {
	_ = d[8]
	hi := n / 10000 // < 100000
	lo := n - hi*10000
	a := lo / 100
	b := lo - a*100
	c := hi / 100 // < 1000
	h := hi - c*100
	top := c / 100
	m := c - top*100
	d[0] = byte('0' + top)
	d[1], d[2] = digitPairs[2*m], digitPairs[2*m+1]
	d[3], d[4] = digitPairs[2*h], digitPairs[2*h+1]
	d[5], d[6] = digitPairs[2*a], digitPairs[2*a+1]
	d[7], d[8] = digitPairs[2*b], digitPairs[2*b+1]
}
