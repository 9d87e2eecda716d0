// Package fakeembed computes the deterministic embedding vectors and token
// estimates that embedmock serves in place of a real embedding model.
//
// It is pure computation: no I/O, no global state beyond a pool of scratch
// buffers, safe for concurrent use. The vectors are a public contract
// (algorithm version v1): users snapshot them and recompute them in other
// languages, so any change to an output is a breaking change that needs a new
// version, never a silent edit. Golden vectors in testdata/golden.json are
// checked by this package's tests and by testdata/golden_check.py, an
// independent Python implementation.
//
// # Inputs
//
//   - model: the model id without the "models/" prefix.
//   - task: the canonical TaskType name, "" when unset or TASK_TYPE_UNSPECIFIED.
//   - title: "" when unset.
//   - text: the Gemini text parts joined with "\n"; for OpenAI token-id
//     input, "\x01tokens:" followed by the ids joined by ",".
//   - D: the model's native dimension.
//
// # Primitives
//
// SHA-256; FNV-1a 64 over UTF-8 bytes (offset basis 14695981039346656037,
// prime 1099511628211); SplitMix64 with state s set to a seed and next():
//
//	s += 0x9E3779B97F4A7C15
//	z = s
//	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
//	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
//	return z ^ (z >> 31)
//
// all modulo 2^64, and uniform(z) = float64(z>>11) * 2^-53 * 2 - 1.
//
// All arithmetic is IEEE 754 float64, sums run in index order, and no
// multiply-add is fused. Only +, -, *, / and sqrt are used, all correctly
// rounded, so any language reproduces the exact bits. The output is each
// component rounded to float32 (round to nearest, ties to even).
//
// # Hash mode
//
// seed = the first 8 bytes, read little-endian, of
// SHA-256("embedmock.v1\x00" + model + "\x00" + task + "\x00" + title + "\x00" + text).
// x_j = uniform(next()) for j = 0..D-1; the unit vector is x/‖x‖. Any change
// to any input gives an unrelated vector.
//
// # Lexical mode (the default)
//
// Texts that share words get similar vectors, so retrieval tests behave
// meaningfully.
//
// Tokens: lower-case each code point with the simple case mapping (Go's
// unicode.ToLower), then take the maximal runs of code points whose Unicode
// general category is L* or N* (Unicode 15.0). Bytes that are not valid
// UTF-8 decode to U+FFFD and separate tokens.
//
// Features, in this order, each list in order of first occurrence:
//
//  1. every distinct text token t, weight sqrt(count of t in the text);
//  2. every distinct pair of tokens adjacent in the text's token list, as the
//     string "a b" (one space, whatever separated them), weight
//     0.5*sqrt(count of the pair);
//  3. every distinct title token (its own list; no pairs from the title),
//     weight 0.5*sqrt(count in the title).
//
// A feature's string is the bare token or pair, so a title token that also
// occurs in the text adds to the same slots as the text token.
//
// For each feature f: a fresh SplitMix64 seeded with
// FNV-1a-64(model + "\x00" + f); for k = 0..3 two draws:
// i = next() mod min(D, 128<<(2k)) (bands of 128, 512, 2048 and 8192, each
// capped at D), then the sign is - if bit 63 of next() is set, else +; add
// ±weight to acc[i]. The bands keep word overlap visible in truncated
// vectors, as in Matryoshka-trained models.
//
// With n the float64 hash-mode unit vector of the same model, task, title and
// raw text: v_i = acc_i/‖acc‖ + 0.15*n_i, and the unit vector is v/‖v‖. It is
// just n when there are no features or ‖acc‖ = 0.
//
// Norms are sqrt of the sum of squares in index order; normalising divides
// each component by the norm (never multiplies by its reciprocal).
//
// # Dimensions
//
// The float64 unit vector is always computed at D and then cut to the output
// dimension d:
//
//   - KeepScale (Gemini outputDimensionality): the first d components,
//     rounded, without re-normalising, like gemini-embedding-001, which
//     normalises only its full 3072-dimension output.
//   - Renormalize (OpenAI dimensions): the first d components divided by
//     their norm, then rounded, like the text-embedding-3 models.
//
// # Token estimate
//
// EstimateTokens is ceil(utf8_bytes/4), at least 1 for non-empty text. It is
// an estimate, not any model's tokenizer.
package fakeembed
