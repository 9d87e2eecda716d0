package mockserver

import (
	"math"
	"strconv"
)

// pow10 are the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// digitPairs holds "00" to "99".
const digitPairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

// appendFloat32 appends f as a JSON number with nine significant digits
// (trailing zeros dropped), which reads back as exactly f: nine digits tell
// every float32 apart, with room for the last digit to be off by one. It
// is several times faster than the shortest form (strconv's), and is used
// for the millions of vector components a server writes. Values below
// 2^-46 or from 2^30 up take strconv's path.
func appendFloat32(b []byte, f float32) []byte {
	bits := math.Float32bits(f)
	var out [24]byte
	w := 0
	if bits>>31 != 0 {
		out[0] = '-'
		w = 1
	}
	bits &^= 1 << 31
	if bits == 0 {
		out[w] = '0'
		return append(b, out[:w+1]...)
	}
	exp2 := int(bits>>23) - 127
	if exp2 < -46 || exp2 >= 30 {
		return strconv.AppendFloat(b, float64(f), 'g', -1, 32)
	}
	x := float64(math.Float32frombits(bits))
	// e is the decimal exponent of the leading digit (10^e <= x < 10^(e+1))
	// and n the nine significant digits, x ≈ n × 10^(e-8). The estimate
	// floor(exp2 × log10 2) is corrected by n's digit count.
	e := (exp2 * 1233) >> 12
	var n uint64
	for range 3 { // at most one correction is ever needed; three is a bound
		k := 8 - e
		if k > 22 || k < -22 {
			return strconv.AppendFloat(b, float64(f), 'g', -1, 32)
		}
		if k >= 0 {
			n = uint64(x*pow10[k] + 0.5)
		} else {
			n = uint64(x/pow10[-k] + 0.5)
		}
		if n >= 1_000_000_000 {
			e++
		} else if n < 100_000_000 {
			e--
		} else {
			break
		}
	}
	// Drop trailing zeros from the nine digits.
	nd := 9
	for n%10 == 0 {
		n /= 10
		nd--
	}
	switch {
	case e < 0 && e >= -6: // 0.000ddd: the common case for vector components
		out[w], out[w+1] = '0', '.'
		w += 2
		for range -e - 1 {
			out[w] = '0'
			w++
		}
		putDigits(out[w:w+nd], n)
		return append(b, out[:w+nd]...)
	case e >= 0 && e < 9: // ddd.ddd or ddd000
		if e+1 >= nd {
			putDigits(out[w:w+nd], n)
			w += nd
			for range e + 1 - nd {
				out[w] = '0'
				w++
			}
			return append(b, out[:w]...)
		}
		putDigits(out[w+e+2:w+nd+1], n%uint64(pow10[nd-e-1]))
		putDigits(out[w:w+e+1], n/uint64(pow10[nd-e-1]))
		out[w+e+1] = '.'
		return append(b, out[:w+nd+1]...)
	}
	// d.ddde-XX
	if nd > 1 {
		putDigits(out[w+2:w+nd+1], n%uint64(pow10[nd-1]))
		out[w+1] = '.'
		putDigits(out[w:w+1], n/uint64(pow10[nd-1]))
		w += nd + 1
	} else {
		putDigits(out[w:w+1], n)
		w++
	}
	out[w] = 'e'
	w++
	if e < 0 {
		out[w] = '-'
		w++
		e = -e
	}
	if e >= 10 {
		out[w] = byte('0' + e/10)
		w++
	}
	out[w] = byte('0' + e%10)
	return append(b, out[:w+1]...)
}

// putDigits writes n's decimal digits right-aligned into dst, zero-padded
// on the left.
func putDigits(dst []byte, n uint64) {
	i := len(dst)
	for i >= 2 {
		r := n % 100
		n /= 100
		dst[i-2], dst[i-1] = digitPairs[2*r], digitPairs[2*r+1]
		i -= 2
	}
	if i == 1 {
		dst[0] = byte('0' + n%10)
	}
}
