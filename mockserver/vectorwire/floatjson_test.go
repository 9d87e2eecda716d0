package vectorwire

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppendFloat32ReadsBackExactly(t *testing.T) {
	check := func(f float32) {
		s := string(appendFloat32(nil, f))
		back, err := strconv.ParseFloat(s, 32)
		require.NoError(t, err, "%v -> %q", f, s)
		if float32(back) != f {
			t.Fatalf("%v (bits %08x) -> %q -> %v", f, math.Float32bits(f), s, float32(back))
		}
	}
	for _, f := range []float32{0, 1, -1, 0.5, 0.1, 0.0031488454, -5.8657344e-05, 1e-7, 9.999999e-7, 1e-6, 0.99999994,
		100, 123456.78, 1e8, 999999940, 1e-14, 1.0000001e-14, 3.4028235e38, 1.4e-45, math.SmallestNonzeroFloat32,
		float32(math.Nextafter32(1, 0)), float32(math.Nextafter32(0.001, 1)), float32(math.Nextafter32(0.001, 0))} {
		check(f)
		check(-f)
	}
	// Powers of ten and their neighbours, where the exponent estimate is tested.
	for e := -45; e <= 38; e++ {
		p := float32(math.Pow(10, float64(e)))
		for _, f := range []float32{p, math.Nextafter32(p, 0), math.Nextafter32(p, float32(math.Inf(1)))} {
			if !math.IsInf(float64(f), 0) {
				check(f)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2_000_000 {
		f := math.Float32frombits(rng.Uint32())
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			continue
		}
		check(f)
	}
	for range 1_000_000 { // the range vectors live in
		check(float32(rng.Float64()*2 - 1))
	}
}

func TestAppendFloat32Form(t *testing.T) {
	for f, want := range map[float32]string{
		0: "0", 1: "1", 0.5: "0.5", -0.25: "-0.25", 100: "100", 1e8: "100000000", 123.5: "123.5",
		0.0031488454: "0.0031488454", 1e-7: "1.00000001e-7", 2.5e-12: "2.49999999e-12", 0.125: "0.125",
	} {
		assert.Equal(t, want, string(appendFloat32(nil, f)), "%v", f)
	}
}

// benchVectors returns many unit-scale vectors, so that a benchmark does not
// let the branch predictor learn one vector's signs and exponents.
func benchVectors(dims int) [][]float32 {
	rng := rand.New(rand.NewPCG(1, 2))
	vectors := make([][]float32, 64)
	scale := 1 / math.Sqrt(float64(dims))
	for i := range vectors {
		vectors[i] = make([]float32, dims)
		for j := range vectors[i] {
			vectors[i][j] = float32(rng.NormFloat64() * scale)
		}
	}
	return vectors
}

func BenchmarkAppendFloat32(b *testing.B) {
	vectors := benchVectors(768)
	buf := make([]byte, 0, 64<<10)
	b.Run("appendFloat32", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			buf = buf[:0]
			for _, v := range vectors[i%len(vectors)] {
				buf = appendFloat32(buf, v)
			}
			i++
		}
	})
	b.Run("strconv", func(b *testing.B) {
		i := 0
		for b.Loop() {
			buf = buf[:0]
			for _, v := range vectors[i%len(vectors)] {
				buf = strconv.AppendFloat(buf, float64(v), 'g', -1, 32)
			}
			i++
		}
	})
}

func BenchmarkAppendVector(b *testing.B) {
	vectors := benchVectors(768)
	buf := make([]byte, 0, 64<<10)
	b.SetBytes(int64(len(AppendVector(nil, vectors[0]))))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		buf = AppendVector(buf[:0], vectors[i%len(vectors)])
		i++
	}
}
