package fakeembed

import (
	"math"
	"unicode"
	"unicode/utf8"
)

const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

// fnv1a continues an FNV-1a 64 hash h over the bytes of s.
func fnv1a[T string | []byte](h uint64, s T) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime64
	}
	return h
}

// lexicon turns a text and title into weighted features and adds them to an
// accumulator. Its slices are reused across calls.
type lexicon struct {
	lowered []byte  // lower-cased tokens, concatenated
	ends    []int32 // end offset in lowered of each token occurrence
	ids     []int32 // distinct-token index of each text token occurrence
	tokens  []distinctToken
	pairs   []distinctPair
	slots   []int32 // open-addressing table: index+1 into tokens or pairs, 0 = empty
}

type distinctToken struct {
	start, end int32
	count      int32
	seed       uint64
}

type distinctPair struct {
	first, second int32 // indexes into tokens
	count         int32
}

// accumulate adds the lexical features of in to acc, whose length is the
// native dimension, and appends the indexes it wrote to touched.
func (lx *lexicon) accumulate(acc []float64, touched []int, in Input) []int {
	modelHash := fnv1a(fnv1a(fnvOffset64, in.Model), "\x00")

	lx.lowered, lx.ends = tokenize(lx.lowered[:0], lx.ends[:0], in.Text)
	textTokens := len(lx.ends)
	lx.tokens, lx.ids = lx.distinctTokens(lx.tokens[:0], lx.ids[:0], true, 0, textTokens, modelHash)
	for _, t := range lx.tokens {
		touched = addFeature(acc, touched, t.seed, math.Sqrt(float64(t.count)))
	}

	lx.pairs = lx.distinctPairs(lx.pairs[:0])
	for _, p := range lx.pairs {
		a, b := lx.tokens[p.first], lx.tokens[p.second]
		seed := fnv1a(modelHash, lx.lowered[a.start:a.end])
		seed = fnv1a(seed, " ")
		seed = fnv1a(seed, lx.lowered[b.start:b.end])
		touched = addFeature(acc, touched, seed, 0.5*math.Sqrt(float64(p.count)))
	}

	if in.Title == "" {
		return touched
	}
	lx.lowered, lx.ends = tokenize(lx.lowered, lx.ends, in.Title)
	textDistinct := len(lx.tokens)
	// The title's distinct tokens go after the text's in lx.tokens; its
	// occurrence ids are not needed (no pairs come from the title).
	lx.tokens, _ = lx.distinctTokens(lx.tokens, nil, false, textTokens, len(lx.ends), modelHash)
	for _, t := range lx.tokens[textDistinct:] {
		touched = addFeature(acc, touched, t.seed, 0.5*math.Sqrt(float64(t.count)))
	}
	return touched
}

// tokenize appends the lower-cased tokens of text to lowered and the end
// offset of each to ends. A token is a maximal run of code points in the
// Unicode categories L* and N*, after simple lower-casing.
func tokenize(lowered []byte, ends []int32, text string) ([]byte, []int32) {
	inToken := false
	for i := 0; i < len(text); {
		c := text[i]
		var r rune
		if c < utf8.RuneSelf {
			i++
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') {
				lowered = append(lowered, c)
				inToken = true
				continue
			}
		} else {
			var size int
			r, size = utf8.DecodeRuneInString(text[i:])
			i += size
			r = unicode.ToLower(r)
			if unicode.IsLetter(r) || unicode.IsNumber(r) {
				lowered = utf8.AppendRune(lowered, r)
				inToken = true
				continue
			}
		}
		if inToken {
			ends = append(ends, int32(len(lowered)))
			inToken = false
		}
	}
	if inToken {
		ends = append(ends, int32(len(lowered)))
	}
	return lowered, ends
}

// distinctTokens appends to tokens the distinct tokens among occurrences
// ends[from:to], in order of first occurrence, with their counts and feature
// seeds, and, when recordIDs is set, appends each occurrence's index into
// tokens to ids.
func (lx *lexicon) distinctTokens(tokens []distinctToken, ids []int32, recordIDs bool, from, to int, modelHash uint64) ([]distinctToken, []int32) {
	mask := lx.resetSlots(to - from)
	for k := from; k < to; k++ {
		start := int32(0)
		if k > 0 {
			start = lx.ends[k-1]
		}
		end := lx.ends[k]
		tok := lx.lowered[start:end]
		seed := fnv1a(modelHash, tok)
		idx := int32(-1)
		for h := slotHash(seed) & mask; ; h = (h + 1) & mask {
			s := lx.slots[h]
			if s == 0 {
				tokens = append(tokens, distinctToken{start: start, end: end, seed: seed})
				idx = int32(len(tokens) - 1)
				lx.slots[h] = idx + 1
				break
			}
			t := &tokens[s-1]
			if t.seed == seed && string(lx.lowered[t.start:t.end]) == string(tok) {
				idx = s - 1
				break
			}
		}
		tokens[idx].count++
		if recordIDs {
			ids = append(ids, idx)
		}
	}
	return tokens, ids
}

// distinctPairs appends the distinct adjacent pairs of lx.ids, in order of
// first occurrence, with their counts.
func (lx *lexicon) distinctPairs(pairs []distinctPair) []distinctPair {
	if len(lx.ids) < 2 {
		return pairs
	}
	mask := lx.resetSlots(len(lx.ids) - 1)
	for k := 1; k < len(lx.ids); k++ {
		first, second := lx.ids[k-1], lx.ids[k]
		key := uint64(first)<<32 | uint64(second)
		for h := slotHash(key) & mask; ; h = (h + 1) & mask {
			s := lx.slots[h]
			if s == 0 {
				pairs = append(pairs, distinctPair{first: first, second: second, count: 1})
				lx.slots[h] = int32(len(pairs))
				break
			}
			p := &pairs[s-1]
			if p.first == first && p.second == second {
				p.count++
				break
			}
		}
	}
	return pairs
}

// resetSlots clears an open-addressing table with room for n entries at a
// load factor of at most one half and returns its index mask.
func (lx *lexicon) resetSlots(n int) uint64 {
	size := 8
	for size < 2*n {
		size <<= 1
	}
	if cap(lx.slots) < size {
		lx.slots = make([]int32, size)
	} else {
		lx.slots = lx.slots[:size]
		clear(lx.slots)
	}
	return uint64(size - 1)
}

// slotHash spreads a key's bits for table indexing (Fibonacci hashing).
func slotHash(key uint64) uint64 {
	return (key * 0x9E3779B97F4A7C15) >> 32
}

// addFeature adds ±weight to four components of acc, one in each band of
// 128, 512, 2048 and 8192 leading components (capped at len(acc)), chosen by
// a SplitMix64 stream seeded with the feature's seed, and appends their
// indexes to touched.
func addFeature(acc []float64, touched []int, seed uint64, weight float64) []int {
	rng := splitMix64(seed)
	dims := uint64(len(acc))
	for k := 0; k < 4; k++ {
		band := uint64(128) << (2 * k)
		if band > dims {
			band = dims
		}
		i := rng.next() % band
		if rng.next()>>63 == 1 {
			acc[i] -= weight
		} else {
			acc[i] += weight
		}
		touched = append(touched, int(i))
	}
	return touched
}
